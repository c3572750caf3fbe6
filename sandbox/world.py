"""Advancing the simulated world to the clock's current time.

Every lead with something to happen next carries (kind, next_due) in an index; the
loop reads only the events that fell due since the last request, in due order, and
writes their effects in bulk. So the cost of a request grows with what happened since
the previous one, never with a campaign's history or the workspace's size.
"""

import threading
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.db.models import Exists, OuterRef

from . import clock, outcomes
from .models import (
    IDLE,
    LEAD_ACTIVE,
    LEAD_BOUNCED,
    LEAD_DONE,
    LEAD_REPLIED,
    LEAD_SUPPRESSED,
    REPLY,
    SEND,
    Campaign,
    Lead,
    Pool,
    Reply,
    Sender,
    Suppression,
    Workspace,
    new_id,
)
from .router import SANDBOX_DB as DB

BATCH = 5000
# One writer at a time inside this process; the database lock covers other processes.
_lock = threading.Lock()


@dataclass
class Tick:
    """What one advance needs to know and what it collects."""

    ws: Workspace
    rates: dict
    hooks: set  # events some webhook listens to
    pools: list = field(default_factory=list)
    day: int = -1
    events: list = field(default_factory=list)  # (event, data) for webhooks
    new_suppressed: set = field(default_factory=set)
    steps: dict = field(default_factory=dict)  # campaign id -> steps
    public: dict = field(default_factory=dict)  # campaign id -> public id


def advance(workspace_id: int, now: float | None = None) -> None:
    """Simulate everything that happened in the workspace up to `now` (default: the clock)."""
    from .webhooks import events_wanted, record_events

    row = clock.control()
    now = clock.sim_now(row) if now is None else now
    if _idle(workspace_id, now):
        return  # the common case while polling: no write transaction at all
    with _lock, transaction.atomic(using=DB):
        ws = Workspace.objects.using(DB).select_for_update().get(pk=workspace_id)
        if now <= ws.advanced_to:
            # A frozen clock freezes the world: what falls due "now" happens once time moves on,
            # so a test decides exactly when sends happen (tests in other areas rely on this).
            return
        tick = Tick(ws=ws, rates=outcomes.rates_with(row.rates), hooks=events_wanted(ws))
        _run(tick, ws.advanced_to, now)
        refresh_pools(ws, now)
        Workspace.objects.using(DB).filter(pk=ws.pk).update(advanced_to=now)
        if tick.events:
            record_events(ws, tick.events, now)


def _idle(workspace_id: int, now: float) -> bool:
    """Nothing due, no warming sender to promote, every pool's window current: a few index reads."""
    if not Workspace.objects.using(DB).filter(pk=workspace_id, advanced_to__lt=now).exists():
        return True  # the clock has not moved since the last advance
    due = _next_due_id(workspace_id)
    if due is not None and due <= now:
        return False
    if Sender.objects.using(DB).filter(workspace_id=workspace_id, status="warming", active_at__lte=now).exists():
        return False
    pools = Pool.objects.using(DB).filter(workspace_id=workspace_id)
    return not pools.exclude(window_day=clock.day_index(now)).exists()


def _run(tick: Tick, t: float, now: float) -> None:
    while True:
        due = _next_due(tick.ws)
        if due is None or due > now:
            return
        start = max(t, due)
        end = min(now, clock.day_end(start))
        if clock.day_index(start) != tick.day:
            tick.day = clock.day_index(start)
            tick.pools = refresh_pools(tick.ws, start)
        while _process_replies(tick, end) + _process_sends(tick, start, end):
            pass
        if end >= now:
            return  # what is still due waits for pool volume: the next day, or a later request
        t = end


def _next_due(ws: Workspace) -> float | None:
    return _next_due_id(ws.pk)


def _next_due_id(workspace_id: int) -> float | None:
    dues = [
        Lead.objects.using(DB)
        .filter(workspace_id=workspace_id, kind=kind, next_due__isnull=False)
        .order_by("next_due")
        .values_list("next_due", flat=True)
        .first()
        for kind in (SEND, REPLY)
    ]
    dues = [d for d in dues if d is not None]
    return min(dues) if dues else None


def refresh_pools(ws: Workspace, t: float) -> list[Pool]:
    """Warming senders that are due turn active; a new simulated day resets each pool's volume."""
    Sender.objects.using(DB).filter(workspace_id=ws.pk, status="warming", active_at__lte=t).update(status="active")
    day = clock.day_index(t)
    pools = list(Pool.objects.using(DB).filter(workspace_id=ws.pk))
    stale = [p for p in pools if p.window_day != day]
    if stale:
        counts = _sender_counts(ws)
        for pool in stale:
            active, total = counts.get(pool.pk, (0, 0))
            pool.day_limit = pool.daily_capacity * active // total if total else 0
            pool.window_day, pool.sent_in_window = day, 0
        Pool.objects.using(DB).bulk_update(stale, ["day_limit", "window_day", "sent_in_window"])
    return pools


def _sender_counts(ws: Workspace) -> dict:
    counts: dict = {}
    for pool_id, status in Sender.objects.using(DB).filter(workspace_id=ws.pk).values_list("pool_id", "status"):
        active, total = counts.get(pool_id, (0, 0))
        counts[pool_id] = (active + (status == "active"), total + 1)
    return counts


def _load_campaigns(tick: Tick, ids: set) -> None:
    missing = ids - tick.steps.keys()
    if missing:
        for pk, steps, public in (
            Campaign.objects.using(DB).filter(pk__in=missing).values_list("pk", "steps", "public_id")
        ):
            tick.steps[pk], tick.public[pk] = steps, public


def _capacity(tick: Tick) -> int:
    return sum(max(0, p.day_limit - p.sent_in_window) for p in tick.pools)


def _take_capacity(tick: Tick, n: int) -> None:
    for pool in tick.pools:
        take = min(n, max(0, pool.day_limit - pool.sent_in_window))
        pool.sent_in_window += take
        n -= take


def _process_sends(tick: Tick, start: float, end: float) -> int:
    capacity = _capacity(tick)
    if capacity <= 0:
        return 0
    suppressed = Suppression.objects.using(DB).filter(workspace_id=tick.ws.pk, email=OuterRef("email"))
    rows = list(
        Lead.objects.using(DB)
        .filter(workspace_id=tick.ws.pk, kind=SEND, next_due__lte=end)
        .annotate(blocked=Exists(suppressed))
        .order_by("next_due", "id")
        .values_list("id", "campaign_id", "email", "step", "next_due", "blocked", "dice")[: min(capacity, BATCH)]
    )
    if not rows:
        return 0
    _load_campaigns(tick, {r[1] for r in rows})
    writer = _SendWriter(tick)
    for lead_id, campaign_id, email, step, due, blocked, dice in rows:
        if blocked or email in tick.new_suppressed:
            writer.lead(lead_id, LEAD_SUPPRESSED, step, IDLE, None, None, "")
        else:
            writer.send(lead_id, campaign_id, email, step, max(due, start), dice)
    writer.flush()
    return len(rows)


class _SendWriter:
    """Collects the effects of a batch of sends and writes them with a few statements."""

    def __init__(self, tick: Tick):
        self.tick = tick
        self.leads: list = []
        self.counters: dict = {}
        self.suppress: dict = {}  # email -> when its hard bounce happened
        self.sent = 0

    def lead(self, lead_id, state, step, kind, due, sent_at, reply_class):
        self.leads.append((state, step, kind, due, sent_at, reply_class, lead_id))

    def count(self, campaign_id, index):
        row = self.counters.setdefault(campaign_id, [0, 0, 0, 0])
        row[index] += 1

    def send(self, lead_id, campaign_id, email, step, at, dice):
        tick = self.tick
        steps = tick.steps[campaign_id]
        result = outcomes.draw(tick.rates, tick.ws.seed, dice, step)
        self.sent += 1
        self.count(campaign_id, 0)  # sent
        message_id = f"msg_{lead_id:x}_{step + 1}"
        self._event("message.sent", campaign_id, email, step, message_id, at)
        if result.bounce:
            self.count(campaign_id, 2)
            self._event("message.bounced", campaign_id, email, step, message_id, at, result)
            if result.bounce == "hard":
                self.suppress.setdefault(email, at)
                tick.new_suppressed.add(email)
                return self.lead(lead_id, LEAD_BOUNCED, step + 1, IDLE, None, at, "")
        else:
            self.count(campaign_id, 1)
            if result.opened:
                self.count(campaign_id, 3)
            if result.reply:  # a reply ends the sequence for this lead
                return self.lead(lead_id, LEAD_ACTIVE, step + 1, REPLY, at + result.reply_delay, at, result.reply)
        if step + 1 < len(steps):
            due = at + int(steps[step + 1].get("delayDays") or 0) * clock.DAY
            return self.lead(lead_id, LEAD_ACTIVE, step + 1, SEND, due, at, "")
        return self.lead(lead_id, LEAD_DONE, step + 1, IDLE, None, at, "")

    def _event(self, event, campaign_id, email, step, message_id, at, result=None):
        if event not in self.tick.hooks:
            return
        data = {
            "campaignId": self.tick.public[campaign_id],
            "email": email,
            "sequenceStep": step + 1,
            "messageId": message_id,
        }
        if result is not None:
            data.update(bounceType=result.bounce, bounceReason=result.bounce_reason)
        self.tick.events.append((event, data, at))

    def flush(self):
        with connections[DB].cursor() as cursor:
            cursor.executemany(
                "UPDATE sandbox_lead SET state=%s, step=%s, kind=%s, next_due=%s, "
                "last_sent_at=COALESCE(%s, last_sent_at), reply_class=%s WHERE id=%s",
                self.leads,
            )
            cursor.executemany(
                "UPDATE sandbox_campaign SET sent=sent+%s, delivered=delivered+%s, bounced=bounced+%s, "
                "opened=opened+%s WHERE id=%s",
                [(*c, pk) for pk, c in self.counters.items()],
            )
        _take_capacity(self.tick, self.sent)
        Pool.objects.using(DB).bulk_update(self.tick.pools, ["sent_in_window"])
        suppress(self.tick.ws, self.suppress, "hard_bounce")


def _process_replies(tick: Tick, end: float) -> int:
    rows = list(
        Lead.objects.using(DB)
        .filter(workspace_id=tick.ws.pk, kind=REPLY, next_due__lte=end)
        .order_by("next_due", "id")
        .values_list("id", "campaign_id", "email", "next_due", "reply_class", "dice")[:BATCH]
    )
    if not rows:
        return 0
    _load_campaigns(tick, {r[1] for r in rows})
    replies, counts, unsubscribed = [], {}, {}
    for _lead_id, campaign_id, email, due, classification, dice in rows:
        reply = Reply(
            workspace_id=tick.ws.pk,
            campaign_id=campaign_id,
            public_id=new_id("rpl_"),
            email=email,
            classification=classification,
            snippet=outcomes.snippet(classification, tick.ws.seed, dice),
            received_at=due,
        )
        replies.append(reply)
        counts[campaign_id] = counts.get(campaign_id, 0) + 1
        if classification == "unsubscribe":
            unsubscribed.setdefault(email, due)
            tick.new_suppressed.add(email)
        if "reply.received" in tick.hooks:
            tick.events.append(("reply.received", {"reply": reply_json(reply, tick.public[campaign_id])}, due))
    Reply.objects.using(DB).bulk_create(replies)
    with connections[DB].cursor() as cursor:
        cursor.executemany(
            "UPDATE sandbox_lead SET state=%s, kind=%s, next_due=NULL WHERE id=%s",
            [(LEAD_REPLIED, IDLE, r[0]) for r in rows],
        )
        cursor.executemany(
            "UPDATE sandbox_campaign SET replied=replied+%s WHERE id=%s", [(n, pk) for pk, n in counts.items()]
        )
    suppress(tick.ws, unsubscribed, "unsubscribe")
    return len(rows)


def reply_json(reply: Reply, campaign_public_id: str, millis: bool = False) -> dict:
    return {
        "id": reply.public_id,
        "email": reply.email,
        "campaignId": campaign_public_id,
        "classification": reply.classification,
        "receivedAt": clock.iso(reply.received_at, millis),
        "threadSnippet": reply.snippet,
    }


def suppress(ws: Workspace, emails: dict, reason: str) -> int:
    """Add addresses (email -> since when) to the workspace's list; returns how many were new."""
    if not emails:
        return 0
    ordered = sorted(emails)
    known = set()
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        known |= set(
            Suppression.objects.using(DB).filter(workspace_id=ws.pk, email__in=chunk).values_list("email", flat=True)
        )
    fresh = [
        Suppression(workspace_id=ws.pk, email=e, reason=reason, created_at=emails[e]) for e in ordered if e not in known
    ]
    Suppression.objects.using(DB).bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)
