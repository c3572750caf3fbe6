"""Webhook deliveries from Leadterra: verify, check freshness, store and apply in one transaction.

Leadterra retries a delivery it thinks failed (1 min … 8 h later), so the same event can
arrive several times: `data.reply.id` and `data.messageId` are the idempotency keys, and
a unique constraint on WebhookEvent.dedupe_key makes "store" and "have I seen it" one step.

The dedupe row and the event's effects commit together or not at all: if applying fails,
nothing is stored, the answer is not 2xx and Leadterra's redelivery is applied as new (a
dedupe row committed before applying would answer that redelivery "duplicate" and lose the
event). Of the two ways to get there (one transaction, or store-then-apply in a task with a
sweeper) this is the simpler: every handler is a few local writes, well inside the 10 s
Leadterra allows for an answer.

A signed delivery that can never apply (an impossible date, a reply without an id) is
refused with 422 and the reason, and kept as a refused row (dedupe key `refused:…`, the
reason in `error`) that the integration health page lists; it is not a dedupe row, so a
corrected delivery of the same event is still applied.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaigns.leadterra import ReplyData
from campaigns.models import Campaign, Operation, SuppressedEmail, WebhookEvent
from campaigns.services import sync_jobs
from campaigns.services.counters import counter_bounced, counter_sent
from campaigns.services.emails import InvalidEmail, email_normalise
from campaigns.services.replies import replies_suppress, reply_store
from campaigns.services.suppression import suppression_add
from campaigns.services.sync_jobs import sync_last_success, sync_success

# The events Leadterra delivers (we subscribe to all of them), each applied by one function below.
CAMPAIGN_STARTED = "campaign.started"
MESSAGE_SENT = "message.sent"
MESSAGE_BOUNCED = "message.bounced"
REPLY_RECEIVED = "reply.received"
EVENTS = (CAMPAIGN_STARTED, MESSAGE_SENT, MESSAGE_BOUNCED, REPLY_RECEIVED)


def webhook_registration_of(url: str) -> Operation | None:
    """Our registration of `url` that succeeded or is under way, if any. Leadterra has no list
    endpoint, so what we registered is the only record; a second registration of the same URL
    would deliver every event twice."""
    return (
        Operation.objects.filter(kind=Operation.Kind.REGISTER_WEBHOOK, payload__url=url)
        .exclude(status__in=[Operation.Status.FAILED, Operation.Status.CANCELLED])
        .order_by("created_at")
        .first()
    )


# The envelope's `timestamp` is when Leadterra sent this attempt. Its retries end about 11 h
# after the first try, so a day-old delivery is a replay, not a retry; a small allowance
# covers clocks that disagree.
HORIZON = timedelta(days=1)
SKEW = timedelta(minutes=5)
REFUSED = "refused:"


class DeliveryRefused(Exception):
    """A signed delivery we will not apply; the message says why and is the answer's body."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class PayloadInvalid(DeliveryRefused):
    """The payload can never apply, however often it is delivered."""

    def __init__(self, message: str):
        super().__init__(message, status=422)


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


def dedupe_key(payload: dict) -> str:
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    event = str(payload.get("event") or "unknown")
    reply = data.get("reply") if isinstance(data.get("reply"), dict) else {}
    if reply.get("id"):
        return f"reply:{reply['id']}"
    if data.get("messageId"):
        return f"{event}:{data['messageId']}"
    # Events without an id (campaign.started): their data identifies a redelivery. Not the whole
    # body: each attempt carries its own envelope timestamp.
    canonical = json.dumps(payload.get("data"), sort_keys=True, separators=(",", ":"), default=str)
    return f"{event}:sha256:{hashlib.sha256(canonical.encode()).hexdigest()}"


def delivery_fresh(payload: dict, *, now: datetime | None = None) -> None:
    """Refuse (400) a delivery without a readable timestamp, older than HORIZON or further than SKEW ahead."""
    raw = payload.get("timestamp")
    if raw in (None, ""):
        raise DeliveryRefused("The delivery has no timestamp; it is needed to refuse replays.")
    try:
        sent_at = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:
        sent_at = None
    if sent_at is None:
        raise DeliveryRefused(f"The timestamp {str(raw)[:60]!r} is not an ISO 8601 date and time.")
    if timezone.is_naive(sent_at):
        sent_at = timezone.make_aware(sent_at, UTC)
    now = now or timezone.now()
    if sent_at < now - HORIZON:
        raise DeliveryRefused(
            f"The delivery is too old: sent {raw}, more than a day ago; Leadterra's retries end sooner, so it is "
            "refused as a replay."
        )
    if sent_at > now + SKEW:
        raise DeliveryRefused(
            f"The delivery is from the future: sent {raw}, more than 5 minutes ahead of this server's clock."
        )


def webhook_receive(*, payload: dict) -> tuple[WebhookEvent | None, bool]:
    """Check, store and apply one verified delivery. Returns (event, created); created False = replay.

    Raises DeliveryRefused (nothing stored) for a stale or future delivery, PayloadInvalid (kept as a
    refused row) for one that can never apply; any other exception rolls everything back.
    """
    delivery_fresh(payload)
    key = dedupe_key(payload)[:200]
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():  # a savepoint: a replay must not abort the outer transaction
                    event = WebhookEvent.objects.create(
                        dedupe_key=key, event=str(payload.get("event", ""))[:60], payload=payload
                    )
            except IntegrityError:
                return None, False
            webhook_apply(event=event)
    except PayloadInvalid as exc:
        _refusal_keep(key=key, payload=payload, reason=str(exc))
        raise
    return event, True


def _refusal_keep(*, key: str, payload: dict, reason: str) -> None:
    WebhookEvent.objects.update_or_create(
        dedupe_key=(REFUSED + key)[:200],
        defaults={"event": str(payload.get("event", ""))[:60], "payload": payload, "error": reason[:2000]},
    )


def webhook_apply(*, event: WebhookEvent) -> None:
    data = event.payload.get("data") or {}
    if not isinstance(data, dict):
        raise PayloadInvalid("`data` is not a JSON object.")
    handler = {
        REPLY_RECEIVED: _reply_received,
        MESSAGE_SENT: _message_sent,
        MESSAGE_BOUNCED: _message_bounced,
        CAMPAIGN_STARTED: _campaign_started,
    }.get(event.event)
    if handler:
        handler(data)
    event.processed_at = timezone.now()
    event.save(update_fields=["processed_at"])


def _campaign_of(data: dict):
    remote = data.get("campaignId")
    return Campaign.objects.filter(remote_id=remote) if remote else Campaign.objects.none()


def _reply_received(data: dict) -> None:
    raw = data.get("reply")
    if not isinstance(raw, dict) or not raw.get("id"):
        raise PayloadInvalid("A reply.received delivery without `data.reply.id`: there is no reply to store.")
    reply = ReplyData(
        id=str(raw["id"]),
        email=str(raw.get("email", "")),
        campaign_id=str(raw.get("campaignId", "")),
        classification=str(raw.get("classification", "")),
        received_at=_when(raw.get("receivedAt"), "data.reply.receivedAt"),
        snippet=str(raw.get("threadSnippet", "")),
    )
    stored = reply_store(data=reply, count_on_campaign=True)
    if stored:
        replies_suppress(replies=[stored])


def _message_sent(data: dict) -> None:
    # Counters move now, never above Leadterra's figures; the next /stats poll sets them exactly.
    counter_sent(_campaign_of(data))


def _message_bounced(data: dict) -> None:
    counter_bounced(_campaign_of(data))
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


def _when(value, field: str) -> datetime | None:
    """A date the payload may leave out, but not get wrong (2026-02-30 raises in parse_datetime)."""
    if value in (None, ""):
        return None
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise PayloadInvalid(f"`{field}` is {str(value)[:60]!r}, which is not a real date and time.")
    return moment


# Leadterra's last retry comes about 11 h after the first try: three days of keys is plenty
# for de-duplication, and keeps a busy workspace's table from growing without end.
KEEP = timedelta(days=3)


def webhook_prune(*, now: datetime | None = None) -> int:
    """Delete old deliveries, at most once an hour (it is called from a frequent beat task)."""
    now = now or timezone.now()
    last = sync_last_success(sync_jobs.WEBHOOK_PRUNE)
    if last and now - last < timedelta(hours=1):
        return 0
    deleted, _ = WebhookEvent.objects.filter(received_at__lt=now - KEEP).delete()
    sync_success(name=sync_jobs.WEBHOOK_PRUNE, now=now)
    return deleted
