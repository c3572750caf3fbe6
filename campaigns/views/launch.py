"""Launch pre-flight and launch, retry, pause and resume (with confirmations), bounce guard settings.

Each view names its lifecycle action; the services decide who may take it and when
(campaigns/views/refusals.py translates their refusals).
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.models import Campaign
from campaigns.services import launch, lifecycle
from campaigns.services.coverage_gate import parse_confirmations
from campaigns.services.transitions import LifecycleError
from campaigns.views.htmx import poll_status
from campaigns.views.refusals import campaign_action
from campaigns.wording import plural


class LaunchForm(forms.Form):
    confirm_spill = forms.BooleanField(required=False)


class PauseForm(forms.Form):
    reason = forms.CharField(max_length=500, strip=True, error_messages={"required": "Say why, for the team."})


class GuardForm(forms.Form):
    threshold_percent = forms.FloatField(min_value=0.1, max_value=100)
    min_delivered = forms.IntegerField(min_value=1, max_value=1_000_000)


def _launch_page(request: HttpRequest, campaign: Campaign) -> dict:
    page = launch.launch_page(campaign=campaign, actor=request.user, refresh_id=request.GET.get("op"))
    return {"campaign": campaign, **page}


@require_http_methods(["GET", "POST"])
@campaign_action("launch", back_to="campaign_launch")
def campaign_launch(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    if request.method != "POST":
        return render(request, "reviews/launch.html", _launch_page(request, campaign))
    form = LaunchForm(request.POST)
    form.is_valid()
    launch.campaign_launch(
        campaign=campaign,
        actor=request.user,
        confirm_spill=form.cleaned_data.get("confirm_spill", False),
        # "token:count" per ticked box: the counts the page showed, compared again at launch
        confirm_uncovered=parse_confirmations(request.POST.getlist("confirm_uncovered")),
    )
    messages.success(request, "Launch started. This page follows it step by step.")
    return redirect("campaign_detail", pk=campaign.pk)


@require_POST
@campaign_action()
def campaign_preflight_refresh(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Fetch fresh pool numbers, then show the pre-flight that follows that refresh."""
    op = launch.campaign_preflight_refresh(campaign=campaign, actor=request.user)
    return redirect(reverse("campaign_launch", args=[campaign.pk]) + f"?op={op.pk}")


@require_GET
@campaign_action()
def campaign_preflight_checks(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """The checks and the plan; polled until the pool refresh has ended."""
    context = _launch_page(request, campaign)
    return render(request, "reviews/launch.html#checks", context, status=poll_status(live=context["waiting"]))


@require_POST
@campaign_action()
def campaign_launch_retry(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    launch.campaign_launch_retry(campaign=campaign, actor=request.user)
    messages.success(request, "Launch resumed from where it stopped.")
    return redirect("campaign_detail", pk=campaign.pk)


def _confirm(request: HttpRequest, campaign: Campaign, action: str, form: forms.Form | None = None) -> HttpResponse:
    """Pause and resume say first how many queued messages they hold or release."""
    return render(request, "reviews/confirm.html", {"campaign": campaign, "action": action, "form": form})


@require_http_methods(["GET", "POST"])
@campaign_action("pause")
def campaign_pause(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    form = PauseForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _confirm(request, campaign, "pause", form)
    lifecycle.campaign_pause(campaign=campaign, actor=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, f"Pausing. {plural(campaign.queued, 'queued message')} will be held.")
    return redirect("campaign_detail", pk=campaign.pk)


@require_http_methods(["GET", "POST"])
@campaign_action("resume")
def campaign_resume(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    if request.method != "POST":
        return _confirm(request, campaign, "resume")
    lifecycle.campaign_resume(campaign=campaign, actor=request.user)
    messages.success(request, f"Resuming. {plural(campaign.queued, 'held message')} will go out again.")
    return redirect("campaign_detail", pk=campaign.pk)


@require_POST
@campaign_action("guard")
def campaign_guard(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    form = GuardForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[f].label or f}: {e[0]}" for f, e in form.errors.items())
        raise LifecycleError(f"Bounce guard not saved. {errors}")
    threshold, min_delivered = form.cleaned_data["threshold_percent"], form.cleaned_data["min_delivered"]
    confirm = request.POST.get("confirm") == "1"
    try:
        lifecycle.campaign_guard_update(
            campaign=campaign,
            actor=request.user,
            threshold=threshold / 100,
            min_delivered=min_delivered,
            confirm=confirm,
        )
    except lifecycle.GuardWouldPause as warning:
        # Numbers that pause the campaign at once are asked about first, with the numbers that decide it.
        context = {"campaign": campaign, "warning": warning, "threshold": threshold, "min_delivered": min_delivered}
        return render(request, "reviews/confirm_guard.html", context)
    if confirm:
        messages.warning(request, "Bounce guard saved. The campaign is over it, so it is being paused now.")
    else:
        messages.success(request, "Bounce guard saved.")
    return redirect("campaign_detail", pk=campaign.pk)
