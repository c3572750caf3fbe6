"""The SDR desk, read side: the queue of interested replies nobody has taken, oldest first, with
each reply's context (lead, campaign, the step answered, a hand-off under way or refused).

Rules (docs/sdr-desk.md): a reply *waits* from `Reply.waiting_since` until its first answer; it
is *on the queue* while it is interested, waiting, not lost, not marked handled, held by nobody
(no claim, no hand-off) and not snoozed. Unsubscribes and bounces never reach it.
Every read here is a constant number of queries, whatever the number of replies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, Q
from django.db.models.functions import Least
from django.utils import timezone

from campaigns.models import Lead, Operation, Reply, ReplyHandoff, SdrLink, WebhookEvent

INTERESTED = "interested"
QUEUE_LIMIT = 100


def sla_seconds() -> int:
    return max(1, settings.REPLY_SLA_MINUTES) * 60


def sla_level(waited_seconds: float, target_seconds: int) -> str:
    """ok below half the target, late from half of it, over at the target itself."""
    if waited_seconds >= target_seconds:
        return "over"
    return "late" if waited_seconds * 2 >= target_seconds else "ok"


def waiting_replies():
    """Interested replies without a first answer, still open (not lost, not marked handled)."""
    return Reply.objects.filter(
        classification=INTERESTED, first_answer_at__isnull=True, lost_at__isnull=True, handled_at__isnull=True
    ).annotate(since=Least("received_at", "created_at"))


def queue_query(*, now: datetime):
    return (
        waiting_replies()
        .filter(claimed_by__isnull=True, handoff__isnull=True)
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
        .order_by("since", "pk")
    )


@dataclass
class DeskRow:
    reply: Reply
    waited: int  # seconds
    level: str
    lead: Lead | None = None
    step: int | None = None
    forwarding: Operation | None = None  # the latest hand-off asked for, if any

    @property
    def refused(self) -> str:
        op = self.forwarding
        return op.last_error if op is not None and op.status == Operation.Status.FAILED else ""


@dataclass
class Desk:
    rows: list[DeskRow]
    total: int
    mine: list[Reply] = field(default_factory=list)
    snoozed: list[Reply] = field(default_factory=list)
    sla_seconds: int = 900
    now: datetime | None = None

    @property
    def sla_minutes(self) -> int:
        return self.sla_seconds // 60


def desk_read(*, user, now: datetime | None = None) -> Desk:
    now = now or timezone.now()
    target = sla_seconds()
    queue = queue_query(now=now).select_related("campaign")
    replies = list(queue[:QUEUE_LIMIT])
    rows = [_row(r, now, target) for r in replies]
    _attach_context(rows)
    return Desk(
        rows=rows,
        total=queue.count() if len(replies) == QUEUE_LIMIT else len(replies),
        mine=list(mine_query(user=user)[:50]),
        snoozed=list(
            waiting_replies()
            .filter(snoozed_until__gt=now, claimed_by__isnull=True, handoff__isnull=True)
            .select_related("campaign")
            .order_by("snoozed_until")[:20]
        ),
        sla_seconds=target,
        now=now,
    )


def mine_query(*, user):
    """Replies `user` holds (claimed, or handed to them) that are not lost, newest first."""
    return (
        Reply.objects.filter(Q(claimed_by=user) | Q(handoff__sdr_user=user), lost_at__isnull=True)
        .select_related("campaign", "handoff")
        .order_by("-received_at")
    )


def _row(reply: Reply, now: datetime, target: int) -> DeskRow:
    waited = max(0, int((now - reply.waiting_since).total_seconds()))
    return DeskRow(reply=reply, waited=waited, level=sla_level(waited, target))


def _attach_context(rows: list[DeskRow]) -> None:
    """The lead, the step answered and the latest hand-off, in three queries for the page."""
    if not rows:
        return
    emails = {r.reply.email.lower() for r in rows} | {r.reply.email for r in rows}
    campaigns = {r.reply.campaign_id for r in rows if r.reply.campaign_id}
    leads = {
        (lead.campaign_id, lead.email.lower()): lead
        for lead in Lead.objects.filter(campaign_id__in=campaigns, email__in=emails)
    }
    steps = _steps_answered(emails)
    forwards = _latest_forwards([r.reply.pk for r in rows])
    for row in rows:
        key = row.reply.email.lower()
        row.lead = leads.get((row.reply.campaign_id, key))
        row.step = steps.get((row.reply.remote_campaign_id, key))
        row.forwarding = forwards.get(row.reply.pk)


def _steps_answered(emails: set[str]) -> dict[tuple[str, str], int]:
    """The highest step Leadterra reported sending to each lead (`message.sent` webhooks): a
    reply stops later steps, so that is the step answered. Unknown without webhooks."""
    found: dict[tuple[str, str], int] = {}
    events = WebhookEvent.objects.filter(event="message.sent", payload__data__email__in=sorted(emails))
    for payload in events.values_list("payload", flat=True):
        data = payload.get("data") or {}
        step = data.get("sequenceStep")
        if isinstance(step, int) and not isinstance(step, bool):
            key = (str(data.get("campaignId", "")), str(data.get("email", "")).lower())
            found[key] = max(step, found.get(key, 0))
    return found


def _latest_forwards(reply_ids: list[int]) -> dict[int, Operation]:
    ops = Operation.objects.filter(kind=Operation.Kind.ASSIGN_REPLY, payload__reply__in=reply_ids).order_by("pk")
    return {op.payload["reply"]: op for op in ops}  # later rows win


def desk_etag(*, user, now: datetime | None = None) -> str:
    """Changes when anything the desk shows changes: a new reply, a desk action, a hand-off
    asked for or settled, a snooze running out. The timers tick in the browser, not here."""
    now = now or timezone.now()
    replies = Reply.objects.aggregate(
        newest=Max("pk"),
        changed=Max("desk_changed_at"),
        woken=Count("pk", filter=Q(snoozed_until__lte=now)),
        handled=Count("pk", filter=Q(handled_at__isnull=False)),
    )
    forwards = Operation.objects.filter(kind=Operation.Kind.ASSIGN_REPLY).aggregate(n=Count("pk"), at=Max("updated_at"))
    handoffs = ReplyHandoff.objects.aggregate(n=Count("pk"), at=Max("created_at"))
    parts = (sorted(replies.items()), sorted(forwards.items()), sorted(handoffs.items()))
    raw = repr((user.pk, settings.REPLY_SLA_MINUTES, parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def assignable_sdrs():
    """Dashboard users linked to a Leadterra SDR with a key: whom a reply can be handed to."""
    return SdrLink.objects.exclude(key_encrypted="").select_related("user").order_by("user__username")


def queue_oldest(limit: int):
    """The interested replies waiting longest, held or not (the wall's panel, read on every
    refresh): only what the panel shows, as values, and who holds it by both routes."""
    shown = ("since", "campaign__name", "claimed_by__username", "handoff__sdr_user__username")
    return waiting_replies().order_by("since", "pk").values(*shown)[:limit]
