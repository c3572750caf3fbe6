"""Campaign pages: list, create, detail, duplicate, archive. The sequence editor is in editor.py."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.permissions import can_edit_draft
from campaigns.services import campaigns as service
from campaigns.services.live import campaign_live, rows_etag
from campaigns.services.panel import panel_read
from campaigns.services.planning import campaign_plan_shown
from campaigns.services.preview import leads_url, preview_choice, step_dicts, token_coverage
from campaigns.views.refusals import campaign_action

PER_PAGE = 50


class CampaignCreateForm(forms.Form):
    name = forms.CharField(max_length=200, strip=True)


def campaign_list(request: HttpRequest) -> HttpResponse:
    filters = service.campaign_list_filters(request.GET)
    page = Paginator(service.campaign_list_query(**filters), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "campaigns": page.object_list,
        "filters": filters,
        "statuses": Campaign.Status.choices,
        "owners": service.owners_with_campaigns(),
        "filtered": any(filters[k] for k in ("status", "owner", "q")),
        "rows_etag": rows_etag(page.object_list, request.GET.urlencode()),
    }
    template = "campaigns/list.html#results" if request.htmx and not request.htmx.boosted else "campaigns/list.html"
    return render(request, template, context)


def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = service.campaign_create(owner=request.user, name=form.cleaned_data["name"])
        messages.success(request, "Draft created. Add the first step of your sequence.")
        return redirect("campaign_edit", pk=campaign.pk)
    return render(request, "campaigns/create.html", {"form": form}, status=400 if form.errors else 200)


def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    panel = panel_read(pk, reader=request.user)  # its operation first, then the campaign: see services/panel.py
    campaign = panel.campaign
    steps = list(campaign.steps.order_by("position"))
    saved = step_dicts(steps)  # read once: the preview and the coverage each read them again otherwise
    preview = preview_choice(campaign, "worst", saved)
    context = {
        "campaign": campaign,
        "panel": panel,
        "steps": steps,
        "total_days": preview.steps[-1].day if preview.steps else 0,
        "lead_count": campaign.lead_count,  # stored (services/lead_counts.py): a count scans them
        "can_edit": can_edit_draft(request.user, campaign),
        "can_archive": service.archive_allowed(request.user, campaign),
        "preview": preview,
        "coverage": token_coverage(campaign, saved),
        "leads_url": leads_url(campaign),
        "plan": campaign_plan_shown(campaign),
        "live": campaign_live(campaign),
    }
    return render(request, "campaigns/detail.html", context)


@require_POST
def campaign_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    copy = service.campaign_duplicate(campaign=campaign, actor=request.user)
    message = f"Duplicated as a new draft, “{copy.name}”. Leads stay with the original; load them again if needed."
    messages.success(request, message)
    return redirect("campaign_edit", pk=copy.pk)


@require_POST
@campaign_action()
def campaign_archive(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    service.campaign_archive(campaign=campaign, actor=request.user)
    messages.success(request, f"“{campaign.name}” archived. Find it with the “Archived” status filter.")
    return redirect("campaign_list")
