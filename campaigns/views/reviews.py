"""Submit, review (approve / reject), and the live lifecycle panel.

Views translate service answers: PermissionDenied becomes a 403 (Django's handler),
LifecycleError becomes a message on the page the person came from. Roles are checked
in the services; a view never relies on a hidden button.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh, HttpResponseStopPolling

from campaigns import permissions
from campaigns.diffing import sequence_diff
from campaigns.models import Campaign
from campaigns.services import lifecycle
from campaigns.services.coverage_gate import risks_of
from campaigns.services.launch import _campaign_plan
from campaigns.services.panel import panel_read
from campaigns.services.pools import pools_freshness
from campaigns.services.preview import preview_choice, token_coverage
from campaigns.services.versions import campaign_snapshot


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=4000, strip=True)
    reviewed_version = forms.IntegerField(required=False, min_value=0)


def campaign_for(pk) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("owner", "approved_by", "paused_by", "submitted_by"), pk=pk
    )


def refuse(request, error, campaign, to="campaign_detail"):
    """A clear refusal: the reason as a message on the page the person came from."""
    messages.error(request, str(error))
    if request.htmx:
        return HttpResponseClientRedirect(reverse(to, args=[campaign.pk]))
    return redirect(to, pk=campaign.pk)


@require_POST
def campaign_submit(request, pk):
    campaign = campaign_for(pk)
    try:
        lifecycle.campaign_submit(campaign=campaign, actor=request.user)
    except lifecycle.LifecycleError as error:
        return refuse(request, error, campaign)
    messages.success(request, "Sent for review. A manager will approve or reject it.")
    return redirect("campaign_detail", pk=campaign.pk)


@require_GET
def campaign_review(request, pk):
    """Everyone may read a review (SDRs browse everything); only a reviewer gets the form."""
    campaign = campaign_for(pk)
    current = campaign_snapshot(campaign)
    may_decide = permissions.can_review(request.user, campaign) and campaign.status == Campaign.Status.IN_REVIEW
    context = {
        "campaign": campaign,
        "diff": sequence_diff(lifecycle.approved_content(campaign), current),
        "may_decide": may_decide,
        "approval_refusal": lifecycle.approval_refusal(campaign, request.user) if may_decide else None,
        "plan": _campaign_plan(campaign),
        "pools": pools_freshness(),
        "form": DecisionForm(initial={"reviewed_version": campaign.version}),
    }
    context.update(review_preview(campaign, request))
    template = "reviews/review.html#preview_box" if request.htmx else "reviews/review.html"
    return render(request, template, context)


LEAD_CHOICES = 200  # the picker lists the first leads; the worst case is always offered


def review_preview(campaign, request) -> dict:
    """The sequence as any lead would read it, and which leads would get a hole (editor area's services)."""
    choice = request.GET.get("lead") or "worst"
    coverage = token_coverage(campaign)
    return {
        "preview_lead": choice,
        "preview": preview_choice(campaign, choice),
        "coverage": coverage,
        "risks": risks_of(coverage),  # shown next to Approve
        "lead_choices": campaign.leads.order_by("pk").values("pk", "email")[:LEAD_CHOICES],
    }


def _decide(request, pk, service, done_message):
    campaign = campaign_for(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return refuse(request, "The decision could not be read; try again.", campaign, "campaign_review")
    kwargs = {"campaign": campaign, "actor": request.user, "comment": form.cleaned_data["comment"]}
    if service is lifecycle.campaign_approve:
        kwargs["reviewed_version"] = form.cleaned_data["reviewed_version"]
    try:
        service(**kwargs)
    except lifecycle.LifecycleError as error:
        return refuse(request, error, campaign, "campaign_review")
    messages.success(request, done_message)
    return redirect("campaign_detail", pk=campaign.pk)


@require_POST
def campaign_approve(request, pk):
    return _decide(request, pk, lifecycle.campaign_approve, "Approved. It can be launched now.")


@require_POST
def campaign_reject(request, pk):
    return _decide(request, pk, lifecycle.campaign_reject, "Rejected. The author sees your comment.")


@require_GET
def campaign_lifecycle(request, pk):
    """The actions panel, polled while something is in flight; reloads the page on a change."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    panel = panel_read(pk)
    seen = request.GET.get("seen")
    if seen and seen != panel.campaign.status:
        return HttpResponseClientRefresh()  # the whole page (badge, stats, plan) follows the new state
    response = render(request, "reviews/panel_partial.html", {"panel": panel})
    if not panel.live:
        response.status_code = HttpResponseStopPolling.status_code
    return response
