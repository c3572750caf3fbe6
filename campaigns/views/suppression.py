"""The suppression list page: the local mirror, add one or many, push what is pending."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from campaigns.models import SuppressedEmail
from campaigns.permissions import can, require
from campaigns.services.suppression import suppression_add, suppression_parse, suppression_push_pending
from campaigns.views.lead_forms import SuppressionForm

PAGE_SIZE = 50


def _page(request: HttpRequest):
    entries = SuppressedEmail.objects.select_related("created_by")
    search = request.GET.get("q", "").strip()[:200]
    if search:
        entries = entries.filter(email__icontains=search.lower())
    before = request.GET.get("before", "")
    if before.isdigit():  # keyset, newest first: the list only grows
        entries = entries.filter(pk__lt=int(before))
    rows = list(entries.order_by("-pk")[: PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], (rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None), search


def suppression(request: HttpRequest) -> HttpResponse:
    form, invalid = SuppressionForm(), []
    if request.method == "POST":
        require(request.user, "manage_suppression")
        form = SuppressionForm(request.POST)
        if form.is_valid():
            emails, invalid = suppression_parse(form.cleaned_data["emails"])
            if emails:
                result = suppression_add(emails=emails, actor=request.user, note=form.cleaned_data["note"])
                messages.success(request, _summary(result, invalid))
                if not invalid:
                    return redirect("suppression")
                form = SuppressionForm(initial={"emails": "\n".join(v for v, _ in invalid)})
            else:
                form.add_error("emails", "None of these is an email address.")
    rows, next_before, search = _page(request)
    context = {
        "form": form,
        "invalid": invalid,
        "rows": rows,
        "next_before": next_before,
        "search": search,
        "pending": SuppressedEmail.objects.filter(pushed_at__isnull=True).count(),
        "can_manage": can(request.user, "manage_suppression"),
        "first_page": not request.GET.get("before"),
    }
    return render(request, "suppression/list.html", context)


def _summary(result, invalid) -> str:
    parts = [f"{len(result.added)} address{'es' if len(result.added) != 1 else ''} added and queued for Leadterra"]
    if result.already:
        parts.append(f"{result.already} already on the list")
    if invalid:
        parts.append(f"{len(invalid)} not valid (left in the box)")
    return "; ".join(parts) + "."


@require_POST
def suppression_push(request: HttpRequest) -> HttpResponse:
    if suppression_push_pending(actor=request.user):
        messages.success(request, "Pushing every pending address to Leadterra.")
    else:
        messages.info(request, "Nothing is waiting: Leadterra has every address.")
    return redirect("suppression")
