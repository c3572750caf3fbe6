"""Replies inbox, integration health, webhook registration and the webhook receiver."""

import json
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns.models import Campaign, Operation, Reply, SyncState, WebhookEvent
from campaigns.permissions import can, require
from campaigns.services.desk import sla_seconds, waiting_replies
from campaigns.services.health import endpoint_health, leadterra_outage
from campaigns.services.operations import operation_enqueue
from campaigns.services.replies import SUPPRESSING, replies_inbox, reply_mark_handled
from campaigns.services.webhooks import (
    EVENTS,
    REFUSED,
    DeliveryRefused,
    signature_valid,
    webhook_receive,
    webhook_registration_of,
)
from campaigns.views.redirects import redirect_back

CLASSIFICATIONS = ["interested", "not_interested", "out_of_office", "referral", "unsubscribe", "bounce"]


def replies(request: HttpRequest) -> HttpResponse:
    campaign_id = request.GET.get("campaign") or ""
    filters = {
        "classification": request.GET.get("classification", ""),
        "campaign_id": int(campaign_id) if campaign_id.isdigit() else None,
        "handled": request.GET.get("handled", ""),
    }
    page = Paginator(replies_inbox(**filters), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "classifications": CLASSIFICATIONS,
        "campaigns": Campaign.objects.filter(replies__isnull=False).distinct().order_by("name").only("name"),
        "waiting_interested": waiting_replies().count(),
        "now": timezone.now(),
        "sla_seconds": sla_seconds(),
        "suppressing": SUPPRESSING,
    }
    return render(request, "replies/inbox.html", context)


@require_POST
def reply_handled(request: HttpRequest, pk: int) -> HttpResponse:
    reply = get_object_or_404(Reply.objects.select_related("campaign", "claimed_by"), pk=pk)
    try:
        reply_mark_handled(reply=reply)
    except ValueError as refusal:
        return HttpResponse(str(refusal), status=409, content_type="text/plain; charset=utf-8")
    if request.htmx:
        context = {"reply": reply, "now": timezone.now(), "sla_seconds": sla_seconds(), "suppressing": SUPPRESSING}
        return render(request, "replies/inbox.html#reply_row", context)
    return redirect_back(request, "replies")


class WebhookForm(forms.Form):
    url = forms.URLField(label="Receiver URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=[(e, e) for e in EVENTS], widget=forms.CheckboxSelectMultiple)

    def clean_url(self):
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if parts.scheme != "https" and not (settings.SANDBOX_ENABLED and loopback):
            raise forms.ValidationError("Leadterra delivers only to https:// URLs.")
        earlier = webhook_registration_of(url)
        if earlier is not None:
            raise forms.ValidationError(
                f"This URL is already registered (operation #{earlier.pk}, {earlier.get_status_display().lower()}); "
                "registering it again would deliver every event twice."
            )
        return url


def integration_health(request: HttpRequest) -> HttpResponse:
    default_url = request.build_absolute_uri(reverse("webhook_leadterra"))
    form = WebhookForm(initial={"url": default_url, "events": list(EVENTS)})
    return _health_page(request, form)


@require_POST
def webhook_register(request: HttpRequest) -> HttpResponse:
    require(request.user, "manage_integration")
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _health_page(request, form, status=400)
    operation_enqueue(
        kind=Operation.Kind.REGISTER_WEBHOOK,
        payload={"url": form.cleaned_data["url"], "events": form.cleaned_data["events"]},
        actor=request.user,
    )
    messages.success(request, "Registering the webhook with Leadterra: follow it below.")
    return redirect("integration_health")


def _health_page(request: HttpRequest, form, status=200) -> HttpResponse:
    hour_ago = timezone.now() - timezone.timedelta(hours=1)
    refused = WebhookEvent.objects.filter(dedupe_key__startswith=REFUSED)
    applied = WebhookEvent.objects.exclude(dedupe_key__startswith=REFUSED)
    context = {
        "endpoints": endpoint_health(),
        "outage_since": leadterra_outage(),
        "jobs": SyncState.objects.order_by("name"),
        "webhook_events_hour": applied.filter(received_at__gte=hour_ago).count(),
        "last_webhook": applied.order_by("-received_at").first(),
        "refused_webhooks": refused.order_by("-received_at")[:5],
        "registrations": Operation.objects.filter(kind=Operation.Kind.REGISTER_WEBHOOK).order_by("-created_at")[:5],
        "form": form,
        "manage": can(request.user, "manage_integration"),
        "secret_configured": bool(settings.LEADTERRA_WEBHOOK_SECRET),
    }
    return render(request, "monitoring/health.html", context, status=status)


@csrf_exempt  # Leadterra cannot hold a CSRF token; the HMAC signature is the authentication.
@login_not_required
@require_POST
def webhook_leadterra(request: HttpRequest) -> HttpResponse:
    body = request.body
    if not signature_valid(body=body, header=request.headers.get("X-Leadterra-Signature")):
        return HttpResponseForbidden("Invalid or missing X-Leadterra-Signature.")
    try:
        payload = json.loads(body)
    except ValueError:
        return HttpResponseBadRequest("Body is not JSON.")
    if not isinstance(payload, dict):
        return HttpResponseBadRequest("Body is not a JSON object.")
    try:
        _, created = webhook_receive(payload=payload)
    except DeliveryRefused as exc:  # stale, from the future, or a payload that can never apply
        return HttpResponse(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    # Any other failure rolled everything back and answers 500: Leadterra redelivers it.
    return JsonResponse({"received": True, "duplicate": not created})
