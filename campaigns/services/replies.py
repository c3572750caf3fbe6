"""Replies: pulled from GET /v1/replies by beat and pushed by webhooks, stored once each.

Unsubscribes and bounces feed the local suppression mirror through services/suppression.py's
suppression_add, which pushes them to Leadterra (it suppresses them itself too, but the
mirror is what imports check against).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.leadterra import LeadterraError, ReplyData, get_client
from campaigns.models import Campaign, Reply, SuppressedEmail
from campaigns.services import sync_jobs
from campaigns.services.counters import counter_replied
from campaigns.services.emails import InvalidEmail, email_normalise
from campaigns.services.suppression import suppression_add
from campaigns.services.sync_jobs import lease_acquire, lease_release, sync_failure, sync_success
from campaigns.wording import happened_at

SUPPRESSING = {"unsubscribe": SuppressedEmail.Source.REPLY, "bounce": SuppressedEmail.Source.BOUNCE}
# Pages are newest first: once a whole page is known, everything older is known too.
MAX_PAGES = 20
PER_PAGE = 100


def reply_store(*, data: ReplyData, count_on_campaign: bool = False) -> Reply | None:
    """Store one reply unless it is already known (by id). Returns the new row or None."""
    campaign = Campaign.objects.filter(remote_id=data.campaign_id).first() if data.campaign_id else None
    try:
        with transaction.atomic():
            reply = Reply.objects.create(
                remote_id=data.id,
                campaign=campaign,
                remote_campaign_id=data.campaign_id or "",
                email=data.email,
                classification=data.classification or "unknown",
                received_at=happened_at(data.received_at, timezone.now()),
                snippet=data.snippet or "",
            )
    except IntegrityError:
        return None  # seen before (poll and webhook race, or a redelivery)
    if count_on_campaign and campaign is not None and _first_from_lead(reply):
        # A webhook is sooner than the next poll; the poll then sets the exact figure.
        counter_replied(Campaign.objects.filter(pk=campaign.pk))
    return reply


def _first_from_lead(reply: Reply) -> bool:
    """Leadterra counts leads who replied, so a lead's second reply does not count."""
    return not Reply.objects.filter(campaign=reply.campaign, email__iexact=reply.email).exclude(pk=reply.pk).exists()


def replies_suppress(*, replies: list[Reply]) -> None:
    """Mirror and push the addresses of unsubscribe and bounce replies (one operation per source)."""
    by_source: dict[str, list[str]] = {}
    for reply in replies:
        source = SUPPRESSING.get(reply.classification)
        if source:
            try:
                by_source.setdefault(source, []).append(email_normalise(reply.email))
            except InvalidEmail:
                continue  # nothing to suppress: Leadterra could not have sent to it either
    for source, emails in by_source.items():
        note = "unsubscribed by reply" if source == SuppressedEmail.Source.REPLY else "bounced (reply)"
        suppression_add(emails=sorted(set(emails)), actor=None, source=source, note=note)


def replies_poll(*, client=None) -> int:
    """Page through /v1/replies (newest first) until a page brings nothing new."""
    client = client or get_client()
    stored: list[Reply] = []
    try:
        for page_number in range(1, MAX_PAGES + 1):
            page = client.list_replies(page=page_number, per_page=PER_PAGE)
            fresh = [r for r in (reply_store(data=item) for item in page.replies) if r]
            stored += fresh
            if not fresh or not page.has_more:
                break
    finally:
        # Whatever was stored before a failure is still suppressed.
        replies_suppress(replies=stored)
    return len(stored)


def reply_mark_handled(*, reply: Reply) -> None:
    """Nobody answers a bounce or an unsubscribe: they feed suppression, so there is nothing to handle."""
    if reply.classification in SUPPRESSING:
        raise ValueError(f"A {reply.classification} reply needs no answer: it went to the suppression list.")
    if reply.handled_at is None:
        reply.handled_at = timezone.now()
        reply.save(update_fields=["handled_at"])


def replies_inbox(*, classification: str = "", campaign_id: int | None = None, handled: str = ""):
    """Replies for the inbox page, newest first, with their campaign in the same query."""
    qs = Reply.objects.select_related("campaign", "claimed_by")
    if classification:
        qs = qs.filter(classification=classification)
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    if handled == "open":
        qs = qs.filter(handled_at__isnull=True)
    elif handled == "done":
        qs = qs.filter(handled_at__isnull=False)
    return qs.order_by("-received_at")


def replies_poll_cycle(*, client=None) -> int | None:
    """One beat cycle of replies_poll, leased and recorded for the health page. None = skipped."""
    token = lease_acquire(name=sync_jobs.REPLIES, seconds=max(60, 2 * settings.REPLIES_POLL_SECONDS))
    if token is None:
        return None
    try:
        new = replies_poll(client=client)
    except LeadterraError as exc:
        sync_failure(name=sync_jobs.REPLIES, error=str(exc))
        return 0
    finally:
        lease_release(name=sync_jobs.REPLIES, token=token)
    sync_success(name=sync_jobs.REPLIES)
    return new
