"""Launch pre-flight and launch, retry, pause and resume (with confirmations), bounce guard settings."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from campaigns.models import Campaign, Operation
from campaigns.services import launch as launching
from campaigns.services import lifecycle
from campaigns.services.coverage_gate import parse_confirmations
from campaigns.views.reviews import campaign_for, refuse


class LaunchForm(forms.Form):
    confirm_spill = forms.BooleanField(required=False)


class PauseForm(forms.Form):
    reason = forms.CharField(max_length=500, strip=True, error_messages={"required": "Say why, for the team."})


class GuardForm(forms.Form):
    threshold_percent = forms.FloatField(min_value=0.1, max_value=100)
    min_delivered = forms.IntegerField(min_value=1, max_value=1_000_000)


def refresh_operation(request, campaign):
    """The pool refresh this pre-flight follows: the one named in the URL, else the latest."""
    ops = Operation.objects.filter(kind=Operation.Kind.REFRESH_POOLS)
    op_id = request.GET.get("op")
    if op_id and op_id.isdigit():
        return ops.filter(pk=op_id).first()
    return ops.order_by("-id").first()


@require_http_methods(["GET", "POST"])
def campaign_launch(request, pk):
    campaign = campaign_for(pk)
    lifecycle.check_role("launch", user=request.user, campaign=campaign)
    if campaign.status != Campaign.Status.APPROVED:
        state = campaign.get_status_display().lower()
        return refuse(request, f"Only an approved campaign can be launched; this one is {state}.", campaign)
    if request.method == "POST":
        form = LaunchForm(request.POST)
        form.is_valid()
        try:
            launching.campaign_launch(
                campaign=campaign,
                actor=request.user,
                confirm_spill=form.cleaned_data.get("confirm_spill", False),
                # "token:count" per ticked box: the counts the page showed, compared again at launch
                confirm_uncovered=parse_confirmations(request.POST.getlist("confirm_uncovered")),
            )
        except lifecycle.LifecycleError as error:
            return refuse(request, error, campaign, "campaign_launch")
        messages.success(request, "Launch started. This page follows it step by step.")
        return redirect("campaign_detail", pk=campaign.pk)
    return render(request, "reviews/launch.html", preflight_context(request, campaign))


def preflight_context(request, campaign) -> dict:
    op = refresh_operation(request, campaign)
    waiting = op is not None and op.is_active
    context = {"campaign": campaign, "refresh_op": op, "waiting": waiting}
    if not waiting:
        context["preflight"] = launching.campaign_preflight(campaign)
    return context


@require_POST
def campaign_preflight_refresh(request, pk):
    """Fetch fresh pool numbers, then show the pre-flight that follows that refresh."""
    campaign = campaign_for(pk)
    try:
        op = launching.campaign_preflight_refresh(campaign=campaign, actor=request.user)
    except lifecycle.LifecycleError as error:
        return refuse(request, error, campaign)
    return redirect(reverse("campaign_launch", args=[campaign.pk]) + f"?op={op.pk}")


@require_GET
def campaign_preflight_checks(request, pk):
    """The checks and the plan; polled until the pool refresh has ended."""
    campaign = campaign_for(pk)
    lifecycle.check_role("launch", user=request.user, campaign=campaign)
    context = preflight_context(request, campaign)
    response = render(request, "reviews/launch.html#checks", context)
    if not context["waiting"]:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_POST
def campaign_launch_retry(request, pk):
    campaign = campaign_for(pk)
    try:
        launching.campaign_launch_retry(campaign=campaign, actor=request.user)
    except lifecycle.LifecycleError as error:
        return refuse(request, error, campaign)
    messages.success(request, "Launch resumed from where it stopped.")
    return redirect("campaign_detail", pk=campaign.pk)


def _confirm(request, campaign, action, form=None):
    """Pause and resume say first how many queued messages they hold or release."""
    return render(request, "reviews/confirm.html", {"campaign": campaign, "action": action, "form": form})


@require_http_methods(["GET", "POST"])
def campaign_pause(request, pk):
    campaign = campaign_for(pk)
    lifecycle.check_role("pause", user=request.user, campaign=campaign)
    form = PauseForm(request.POST or None)
    try:
        lifecycle.check_state("pause", campaign)
        if request.method != "POST" or not form.is_valid():
            return _confirm(request, campaign, "pause", form)
        lifecycle.campaign_pause(campaign=campaign, actor=request.user, reason=form.cleaned_data["reason"])
    except lifecycle.LifecycleError as error:
        return refuse(request, error, campaign)
    messages.success(request, f"Pausing. {campaign.queued} queued message(s) will be held.")
    return redirect("campaign_detail", pk=campaign.pk)


@require_http_methods(["GET", "POST"])
def campaign_resume(request, pk):
    campaign = campaign_for(pk)
    lifecycle.check_role("resume", user=request.user, campaign=campaign)
    try:
        lifecycle.check_state("resume", campaign)
        if request.method != "POST":
            return _confirm(request, campaign, "resume")
        lifecycle.campaign_resume(campaign=campaign, actor=request.user)
    except lifecycle.LifecycleError as error:
        return refuse(request, error, campaign)
    messages.success(request, f"Resuming. {campaign.queued} held message(s) will go out again.")
    return redirect("campaign_detail", pk=campaign.pk)


@require_POST
def campaign_guard(request, pk):
    campaign = campaign_for(pk)
    lifecycle.check_role("guard", user=request.user, campaign=campaign)
    form = GuardForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[f].label or f}: {e[0]}" for f, e in form.errors.items())
        return refuse(request, f"Bounce guard not saved. {errors}", campaign)
    try:
        lifecycle.campaign_guard_update(
            campaign=campaign,
            actor=request.user,
            threshold=form.cleaned_data["threshold_percent"] / 100,
            min_delivered=form.cleaned_data["min_delivered"],
        )
    except lifecycle.LifecycleError as error:
        return refuse(request, error, campaign)
    messages.success(request, "Bounce guard saved.")
    return redirect("campaign_detail", pk=campaign.pk)
