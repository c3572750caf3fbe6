"""Capacity plans from the database: the planner's inputs, read in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns import planner
from campaigns.models import Campaign, Lead, SenderPool, SequenceStep
from campaigns.services.plan_cache import leftover_shared

# Campaigns that hold (or are about to hold) a place in Leadterra's send queue.
COMMITTED = (Campaign.Status.RUNNING, Campaign.Status.PAUSED, Campaign.Status.LAUNCHING)
PLANNABLE_LEADS = (Lead.Status.PENDING, Lead.Status.ENROLLED)
UNPLANNABLE_LEADS = tuple(s for s in Lead.Status if s not in PLANNABLE_LEADS)


@dataclass(frozen=True)
class PoolCapacity:
    capacity: planner.Capacity
    reason: str  # why there is none, for the "cannot start" sentence
    pools: int  # pools that count


def pools_capacity() -> PoolCapacity:
    """Sum what the pools can send per day. Only active senders send (leadterra-api §2), so a
    pool whose accounts we know contributes its capacity times its active share; a pool known
    only by a sender count (statuses unknown) contributes all of it when it has any sender."""
    pools = SenderPool.objects.annotate(
        linked=Count("senders"), active=Count("senders", filter=Q(senders__status="active"))
    )
    daily = remaining = counted = 0
    any_pool = False
    for pool in pools:
        any_pool = True
        usable = pool_usable_capacity(pool)
        if usable:
            daily, remaining, counted = daily + usable, remaining + min(pool.remaining, usable), counted + 1
    reason = "" if counted else ("no pool has an active sender" if any_pool else "no sender pools are known yet")
    return PoolCapacity(planner.Capacity(daily=daily, remaining=remaining), reason, counted)


def pool_usable_capacity(pool) -> int:
    """Daily sends a pool can make (needs the `linked` and `active` annotations)."""
    if pool.linked:
        return pool.daily_capacity * pool.active // pool.linked
    return pool.daily_capacity if pool.sender_count else 0


@dataclass(frozen=True)
class PoolUsage:
    """Today's capacity split by why it is not available: sent already, or on senders that cannot send."""

    sent: float  # share of the daily capacity sent in the current window
    idle: float  # share that belongs to senders that are not active (none at all: every bit of it)
    idle_senders: int  # known senders that are not active

    @property
    def unavailable(self) -> float:
        """What the meter fills: sent plus held, the same numbers its label gives."""
        return min(1.0, self.sent + self.idle)


def pool_usage(pool) -> PoolUsage:
    """Leadterra's remaining counts active senders only, so `1 - remaining / capacity` mixes what was
    sent with what inactive senders hold; a pool that sent nothing would read "67% used". This splits
    them (needs the `linked` and `active` annotations)."""
    if not pool.daily_capacity:
        return PoolUsage(0.0, 0.0, 0)
    usable = pool_usable_capacity(pool)
    sent = usable - min(pool.remaining, usable)
    idle_senders = pool.linked - pool.active if pool.linked else 0
    return PoolUsage(sent / pool.daily_capacity, (pool.daily_capacity - usable) / pool.daily_capacity, idle_senders)


def pools_for_wall() -> list:
    """Pools for the wall's gauges, each with `sending` (has an active sender), in one query."""
    pools = list(
        SenderPool.objects.annotate(
            linked=Count("senders"), active=Count("senders", filter=Q(senders__status="active"))
        ).order_by("name")  # an aggregate drops Meta.ordering: the wall keeps the same order on every refresh
    )
    for pool in pools:
        pool.sending = pool_usable_capacity(pool) > 0
        pool.usage = pool_usage(pool)
    return pools


def _unplannable(campaign_ref) -> Coalesce:
    """Leads a plan leaves out (skipped, rejected): few, found on the (campaign, status) index."""
    left_out = (
        Lead.objects.filter(campaign=campaign_ref, status__in=UNPLANNABLE_LEADS)
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(left_out), 0)


def _campaigns(qs):
    """Campaigns with their steps and `plan_leads`: the stored lead count (services/lead_counts.py)
    less the few leads a plan leaves out. Counting the pending and enrolled ones instead read
    every lead of the campaign (95 ms for 60,000) on every page view."""
    steps = Prefetch("steps", queryset=SequenceStep.objects.order_by("position"))
    plan_leads = F("lead_count") - _unplannable(OuterRef("pk"))
    return qs.annotate(plan_leads=plan_leads).prefetch_related(steps)


def _delays(campaign) -> list[int]:
    return [s.delay_days for s in campaign.steps.all()]


def has_finished(campaign, *, steps: int) -> bool:
    """Leadterra's figures say the campaign has sent its last step: nothing is queued and every
    lead still in the sequence got every step. Its calendar can run ahead of ours (the sandbox's
    accelerated clock), so our own count of days since the start cannot tell."""
    if campaign.stats_polled_at is None or campaign.queued or not campaign.total_enrolled or not steps:
        return False
    return campaign.sent >= (campaign.total_enrolled - campaign.replied) * steps


def campaign_work(campaign, *, now=None) -> planner.Work:
    """What a campaign still has to send: all of it before launch, the rest once running."""
    now = now or timezone.now()
    delays = _delays(campaign)
    leads = getattr(campaign, "plan_leads", None)
    if leads is None:
        leads = campaign.leads.filter(status__in=PLANNABLE_LEADS).count()
    if campaign.status not in (Campaign.Status.RUNNING, Campaign.Status.PAUSED) or not campaign.started_at:
        return planner.new_campaign_work(campaign.name, leads=leads, delays=delays)
    if has_finished(campaign, steps=len(delays)):
        return planner.Work(campaign.name, ())  # Leadterra sent everything: nothing left to plan
    elapsed = max(0, (now - campaign.started_at).days)
    if campaign.stats_polled_at is None:
        # Not polled yet: assume it is on schedule, with step 1 still queued on its first day.
        active, queued = leads, (leads if elapsed == 0 else 0)
    else:
        active, queued = max(0, campaign.total_enrolled - campaign.replied), campaign.queued
    return planner.running_campaign_work(
        campaign.name, delays=delays, elapsed_days=elapsed, active_leads=active, queued=queued
    )


def _committed(exclude_pk=None):
    qs = _campaigns(Campaign.objects.filter(status__in=COMMITTED)).exclude(pk=exclude_pk)
    # Served in start order: who was queued first sends first.
    return sorted(qs, key=lambda c: (c.started_at or c.launched_at or c.updated_at, c.pk))


# A plan means something while a campaign may still send: not once archived or failed.
PLANNED_STATES = {"draft", "in_review", "approved", "launching", "running", "paused"}


def campaign_plan_shown(campaign: Campaign) -> planner.CapacityPlan | None:
    """The plan the campaign page shows: None once the campaign can no longer send. What the
    campaigns ahead leave is shared between requests (see leftover_shared)."""
    return campaign_plan(campaign, shared=True) if campaign.status in PLANNED_STATES else None


def _ahead(campaign, now) -> list[planner.Work]:
    ahead = _committed(exclude_pk=campaign.pk)
    if campaign.status in COMMITTED and campaign.started_at:
        ahead = [c for c in ahead if c.started_at and (c.started_at, c.pk) < (campaign.started_at, campaign.pk)]
    return [campaign_work(c, now=now) for c in ahead]


def campaign_plan(campaign, *, model: str | None = None, shared: bool = False) -> planner.CapacityPlan:
    """Will `campaign` fit, after the campaigns already queued ahead of it? `shared` reads what
    they leave from the cache (pages); without it they are all read now (the launch pre-flight)."""
    now, model = timezone.now(), model or settings.CAPACITY_MODEL
    campaign = _campaigns(Campaign.objects.filter(pk=campaign.pk)).get()
    pools = pools_capacity()
    if shared:
        left = leftover_shared(campaign, pools.capacity, model, lambda: _ahead(campaign, now))
    else:
        left = planner.leftover_after(_ahead(campaign, now), pools.capacity, model)
    return planner.plan_campaign(
        leads=campaign.plan_leads,
        delays=_delays(campaign),
        capacity=left,
        model=model,
        work=campaign_work(campaign, now=now),
        no_capacity_reason=pools.reason,
    )


@dataclass(frozen=True)
class WorkspaceView:
    plan: planner.WorkspacePlan
    campaigns: list  # Campaign rows, in plan order
    pools: PoolCapacity

    @property
    def rows(self):
        return [
            {"campaign": c, "planned": self.plan.planned[i], "finish": self.plan.finish[i]}
            for i, c in enumerate(self.campaigns)
        ]


def workspace_plan(days: int = 14, *, model: str | None = None) -> WorkspaceView:
    """The next `days` days: every committed campaign, then the approved ones as if launched now."""
    now = timezone.now()
    committed = _committed()
    approved = list(_campaigns(Campaign.objects.filter(status=Campaign.Status.APPROVED)).order_by("approved_at", "pk"))
    campaigns = committed + approved
    pools = pools_capacity()
    plan = planner.plan_workspace(
        [campaign_work(c, now=now) for c in campaigns], pools.capacity, model or settings.CAPACITY_MODEL, days=days
    )
    return WorkspaceView(plan=plan, campaigns=campaigns, pools=pools)
