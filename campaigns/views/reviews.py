"""Submit, review (approve / reject), and the live lifecycle panel.

The services decide (roles and states); campaigns/views/refusals.py translates their refusals.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from campaigns.diffing import sequence_diff
from campaigns.models import Campaign
from campaigns.services import lifecycle
from campaigns.services.coverage_gate import risks_of
from campaigns.services.launch import launch_plan
from campaigns.services.panel import panel_read
from campaigns.services.pools import pools_freshness
from campaigns.services.preview import preview_choice, token_coverage
from campaigns.services.transitions import LifecycleError
from campaigns.services.versions import campaign_snapshot
from campaigns.views.htmx import poll_status
from campaigns.views.refusals import campaign_action, campaign_for


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=4000, strip=True)
    reviewed_version = forms.IntegerField(required=False, min_value=0)


@require_POST
@campaign_action()
def campaign_submit(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    lifecycle.campaign_submit(campaign=campaign, actor=request.user)
    messages.success(request, "Sent for review. A manager will approve or reject it.")
    return redirect("campaign_detail", pk=campaign.pk)


@require_GET
def campaign_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone may read a review (SDRs browse everything); only a reviewer gets the form."""
    campaign = campaign_for(pk)
    comment = request.session.pop(_kept_comment_key(pk), "") if not request.htmx else ""
    current = campaign_snapshot(campaign)
    may_decide = "approve" in lifecycle.allowed_actions(campaign, request.user)
    context = {
        "campaign": campaign,
        "diff": sequence_diff(lifecycle.approved_content(campaign), current),
        "may_decide": may_decide,
        "approval_refusal": lifecycle.approval_refusal(campaign, request.user) if may_decide else None,
        "plan": launch_plan(campaign),
        "pools": pools_freshness(),
        "form": DecisionForm(initial={"reviewed_version": campaign.version, "comment": comment}),
    }
    context.update(review_preview(campaign, request))
    template = "reviews/review.html#preview_box" if request.htmx else "reviews/review.html"
    return render(request, template, context)


LEAD_CHOICES = 200  # the picker lists the first leads; the worst case is always offered


def review_preview(campaign: Campaign, request: HttpRequest) -> dict:
    """The sequence as any lead would read it, and which leads would get a hole."""
    choice = request.GET.get("lead") or "worst"
    coverage = token_coverage(campaign)
    return {
        "preview_lead": choice,
        "preview": preview_choice(campaign, choice),
        "coverage": coverage,
        "risks": risks_of(coverage),  # shown next to Approve
        "lead_choices": campaign.leads.order_by("pk").values("pk", "email")[:LEAD_CHOICES],
    }


def _decision(request: HttpRequest) -> dict:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise LifecycleError("The decision could not be read; try again.")
    return form.cleaned_data


@require_POST
@campaign_action(back_to="campaign_review")
def campaign_approve(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    decision = _decision(request)
    try:
        lifecycle.campaign_approve(
            campaign=campaign,
            actor=request.user,
            comment=decision["comment"],
            reviewed_version=decision["reviewed_version"],
        )
    except LifecycleError:
        _keep_comment(request, campaign, decision["comment"])
        raise  # refused: back to the review page with the reason, as every refusal goes
    messages.success(request, "Approved. It can be launched now.")
    return redirect("campaign_detail", pk=campaign.pk)


def _kept_comment_key(pk: int) -> str:
    return f"review_comment:{pk}"


def _keep_comment(request: HttpRequest, campaign: Campaign, comment: str) -> None:
    """A refused decision (the sequence changed meanwhile, four eyes) must not throw away what the
    reviewer wrote: the review page it redirects to puts the comment back in the form, once."""
    if comment:
        request.session[_kept_comment_key(campaign.pk)] = comment


@require_POST
@campaign_action(back_to="campaign_review")
def campaign_reject(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    comment = _decision(request)["comment"]
    try:
        lifecycle.campaign_reject(campaign=campaign, actor=request.user, comment=comment)
    except LifecycleError:
        _keep_comment(request, campaign, comment)
        raise
    messages.success(request, "Rejected. The author sees your comment.")
    return redirect("campaign_detail", pk=campaign.pk)


@require_GET
def campaign_lifecycle(request: HttpRequest, pk: int) -> HttpResponse:
    """The actions panel, polled while something is in flight; reloads the page on a change."""
    panel = panel_read(pk, reader=request.user)
    seen = request.GET.get("seen")
    if seen and seen != panel.campaign.status:
        return HttpResponseClientRefresh()  # the whole page (badge, stats, plan) follows the new state
    return render(request, "reviews/panel_partial.html", {"panel": panel}, status=poll_status(live=panel.live))
