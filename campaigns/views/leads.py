"""Leads pages: the table, CSV import (upload → mapping → progress → result), enrollment."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_POST

from campaigns.lead_fields import single_line
from campaigns.models import Campaign, Lead, LeadImport, Operation
from campaigns.permissions import can, can_import_leads, require
from campaigns.services import csv_encoding, lead_queries
from campaigns.services.enrollment import EnrollRefused, leads_enroll
from campaigns.services.import_recovery import import_progress
from campaigns.services.leads import (
    ImportRefused,
    check_import_allowed,
    lead_import_cancel,
    lead_import_create,
    lead_import_preview,
    lead_import_start,
)
from campaigns.services.preview import token_coverage
from campaigns.views.htmx import poll_status
from campaigns.views.lead_forms import MappingForm, UploadForm

ACTIVE = {LeadImport.Status.QUEUED, LeadImport.Status.RUNNING}


def _after(request: HttpRequest) -> int:
    value = request.GET.get("after", "")
    return int(value) if value.isdigit() else 0


def lead_list(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
    status = request.GET.get("status", "")
    status = status if status in Lead.Status.values else ""
    search, missing = request.GET.get("q", "").strip()[:200], request.GET.get("missing", "").strip()[:60]
    page = lead_queries.lead_page(
        campaign=campaign, status=status, search=search, missing=missing, after=_after(request)
    )
    counts = lead_queries.lead_status_counts(campaign=campaign)
    context = {
        "campaign": campaign,
        "page": page,
        "counts": counts,
        "statuses": [(value, label, counts[value]) for value, label in Lead.Status.choices],
        "status": status,
        "search": search,
        "missing": missing,
        "imports": campaign.imports.select_related("uploaded_by")[:5],
        "can_import": can_import_leads(request.user, campaign),
        "can_enroll": can(request.user, "enroll_running") and campaign.status == Campaign.Status.RUNNING,
        "enroll_op": campaign.operations.filter(kind=Operation.Kind.ENROLL_LEADS).first(),
    }
    template = "leads/list.html#table" if request.htmx and not request.htmx.boosted else "leads/list.html"
    return render(request, template, context)


def lead_import_upload(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    check_import_allowed(campaign=campaign, actor=request.user)
    limit = settings.IMPORT_MAX_BYTES
    form, error = UploadForm(), ""
    if request.method == "POST":
        # Refuse an oversized body before Django spools all of it to disk.
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024:
            error = f"The file is larger than the limit of {filesizeformat(limit)}."
        else:
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    lead_import = lead_import_create(
                        campaign=campaign, actor=request.user, upload=form.cleaned_data["file"]
                    )
                    return redirect("lead_import_map", pk=lead_import.pk)
                except ImportRefused as exc:
                    error = str(exc)
    context = {"campaign": campaign, "form": form, "error": error, "limit": limit}
    return render(request, "leads/upload.html", context, status=400 if error or form.errors else 200)


def _import_for(request: HttpRequest, pk: int):
    return get_object_or_404(LeadImport.objects.select_related("campaign", "uploaded_by"), pk=pk)


def lead_import_map(request: HttpRequest, pk: int) -> HttpResponse:
    lead_import = _import_for(request, pk)
    if lead_import.status != LeadImport.Status.UPLOADED:
        return redirect("lead_import_detail", pk=lead_import.pk)
    check_import_allowed(campaign=lead_import.campaign, actor=request.user)
    form = MappingForm(request.POST or None, headers=lead_import.headers, mapping=lead_import.mapping)
    if request.method == "POST" and form.is_valid():
        lead_import_start(lead_import=lead_import, mapping=form.cleaned_data["mapping"], actor=request.user)
        return redirect("lead_import_detail", pk=lead_import.pk)
    sniffed = lead_import_preview(lead_import)
    sniffed.preview = [[single_line(cell) for cell in row] for row in sniffed.preview]  # as the leads will hold them
    columns = [
        (header, choice, token, [row[i] if i < len(row) else "" for row in sniffed.preview[:3]])
        for i, (header, choice, token) in enumerate(form.columns())
    ]
    context = {
        "lead_import": lead_import,
        "campaign": lead_import.campaign,
        "form": form,
        "sniffed": sniffed,
        "columns": columns,
    }
    return render(request, "leads/mapping.html", context)


def lead_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead_import = _import_for(request, pk)
    context = {
        "lead_import": lead_import,
        "campaign": lead_import.campaign,
        "progress": import_progress(lead_import),
        "active": lead_import.status in ACTIVE,
    }
    if lead_import.status == LeadImport.Status.SUCCEEDED:
        context["coverage"] = token_coverage(lead_import.campaign)
    if request.htmx:
        return render(request, "leads/import.html#progress", context, status=poll_status(live=context["active"]))
    context["encoding_label"] = csv_encoding.label(lead_import.encoding)
    return render(request, "leads/import.html", context)


@require_POST
def lead_import_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead_import = _import_for(request, pk)
    if lead_import_cancel(lead_import=lead_import, actor=request.user):
        messages.info(request, "Cancelling the import; the campaign's leads stay as they were.")
    else:
        messages.warning(request, "The import had already finished.")
    return redirect("lead_import_detail", pk=lead_import.pk)


def lead_import_report(request: HttpRequest, pk: int) -> HttpResponse:
    lead_import = _import_for(request, pk)
    if not lead_import.error_report:
        raise Http404("This import has no problems to report.")
    stem = lead_import.original_name.rsplit(".", 1)[0] or "leads"
    return FileResponse(
        lead_import.error_report.open("rb"),
        as_attachment=True,
        filename=f"{stem}-problems.csv",
        content_type="text/csv",
    )


def lead_enroll(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    require(request.user, "enroll_running")
    if request.method == "POST":
        try:
            leads_enroll(campaign=campaign, actor=request.user)
            messages.success(request, "Enrollment queued: new leads go to Leadterra in chunks of 500.")
        except EnrollRefused as exc:
            messages.error(request, str(exc))
        return redirect("lead_list", pk=campaign.pk)
    pending = Lead.objects.filter(campaign=campaign, status=Lead.Status.PENDING).count()
    context = {"campaign": campaign, "pending": pending, "today": lead_queries.sends_today(pending=pending)}
    return render(request, "leads/enroll.html", context)
