"""Webhook deliveries from Leadterra: verify, store once, apply at once.

Leadterra retries a delivery it thinks failed (1 min … 8 h later), so the same event can
arrive several times: `data.reply.id` and `data.messageId` are the idempotency keys, and
a unique constraint on WebhookEvent.dedupe_key makes "store" and "have I seen it" one step.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.leadterra import ReplyData
from campaigns.models import Campaign, SuppressedEmail, SyncState, WebhookEvent
from campaigns.services.emails import InvalidEmail, email_normalise
from campaigns.services.replies import replies_suppress, reply_store
from campaigns.services.suppression import suppression_add

EVENTS = ["campaign.started", "message.sent", "message.bounced", "reply.received"]


def signature_valid(*, body: bytes, header: str | None, secret: str | None = None) -> bool:
    """Lowercase hex HMAC-SHA256 of the raw body, optionally prefixed `sha256=`, compared in constant time."""
    secret = settings.LEADTERRA_WEBHOOK_SECRET if secret is None else secret
    if not secret or not header:
        return False  # no secret configured means nobody can be trusted
    given = header.strip()
    if given.lower().startswith("sha256="):
        given = given[len("sha256=") :]
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.lower().encode())


def dedupe_key(payload: dict, body: bytes) -> str:
    data = payload.get("data") or {}
    event = str(payload.get("event") or "unknown")
    reply = data.get("reply") if isinstance(data.get("reply"), dict) else {}
    if reply.get("id"):
        return f"reply:{reply['id']}"
    if data.get("messageId"):
        return f"{event}:{data['messageId']}"
    # Events without an id (campaign.started): the exact body identifies a redelivery.
    return f"{event}:sha256:{hashlib.sha256(body).hexdigest()}"


def webhook_receive(*, payload: dict, body: bytes) -> tuple[WebhookEvent | None, bool]:
    """Store and apply one verified delivery. Returns (event, created); created False = replay."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                dedupe_key=dedupe_key(payload, body)[:200], event=str(payload.get("event", ""))[:60], payload=payload
            )
    except IntegrityError:
        return None, False
    webhook_apply(event=event)
    return event, True


def webhook_apply(*, event: WebhookEvent) -> None:
    data = event.payload.get("data") or {}
    handler = {
        "reply.received": _reply_received,
        "message.sent": _message_sent,
        "message.bounced": _message_bounced,
        "campaign.started": _campaign_started,
    }.get(event.event)
    if handler:
        handler(data)
    event.processed_at = timezone.now()
    event.save(update_fields=["processed_at"])


def _campaign_of(data: dict):
    remote = data.get("campaignId") or (data.get("reply") or {}).get("campaignId")
    return Campaign.objects.filter(remote_id=remote) if remote else Campaign.objects.none()


def _reply_received(data: dict) -> None:
    raw = data.get("reply") or {}
    if not raw.get("id"):
        return
    reply = ReplyData(
        id=str(raw["id"]),
        email=str(raw.get("email", "")),
        campaign_id=str(raw.get("campaignId", "")),
        classification=str(raw.get("classification", "")),
        received_at=_when(raw.get("receivedAt")),
        snippet=str(raw.get("threadSnippet", "")),
    )
    stored = reply_store(data=reply, count_on_campaign=True)
    if stored:
        replies_suppress(replies=[stored])


def _message_sent(data: dict) -> None:
    # Counters move now; the next /stats poll replaces them with Leadterra's exact figures.
    _campaign_of(data).update(sent=F("sent") + 1, queued=Greatest(F("queued") - 1, 0), updated_at=timezone.now())


def _message_bounced(data: dict) -> None:
    _campaign_of(data).update(bounced=F("bounced") + 1, updated_at=timezone.now())
    email = data.get("email") or data.get("to") or ""
    if email and data.get("bounceType", "hard") == "hard":
        try:
            address = email_normalise(str(email))
        except InvalidEmail:
            return
        note = f"hard bounce: {data.get('bounceReason', '')}"[:500]
        suppression_add(emails=[address], actor=None, source=SuppressedEmail.Source.BOUNCE, note=note)


def _campaign_started(data: dict) -> None:
    # Status changes come from our own start/pause operations; this only refreshes the row
    # so that live partials notice and the next poll picks the campaign up.
    _campaign_of(data).update(updated_at=timezone.now())


def _when(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


# Leadterra's last retry comes about 11 h after the first try: three days of keys is plenty
# for de-duplication, and keeps a busy workspace's table from growing without end.
KEEP = timedelta(days=3)


def webhook_prune(*, now: datetime | None = None) -> int:
    """Delete old deliveries, at most once an hour (it is called from a frequent beat task)."""
    now = now or timezone.now()
    state, _ = SyncState.objects.get_or_create(name="webhook_prune")
    if state.last_success_at and now - state.last_success_at < timedelta(hours=1):
        return 0
    deleted, _ = WebhookEvent.objects.filter(received_at__lt=now - KEEP).delete()
    state.last_success_at = now
    state.save(update_fields=["last_success_at"])
    return deleted
