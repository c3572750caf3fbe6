"""Which campaigns the stats poller asks about, when, and who asks: per-campaign claims.

Every eligible campaign (running, paused, or launched in the last RECENT_LAUNCH) is due at its
`stats_next_poll_at` (empty: now). A worker takes a batch of due campaigns with one
conditional UPDATE that writes its own claim token and a deadline; on PostgreSQL the rows are
first picked with SELECT … FOR UPDATE SKIP LOCKED, so concurrent claimers pass each other
instead of queueing on the same rows (SQLite serialises writers, and the UPDATE's condition is
what decides there). After its call a campaign gets its next time and loses its claim, written
only by the holder of the token. So cycles may overlap and batches may run on every worker
thread, and still no campaign is asked twice in one interval.

The interval stretches with the fleet: the poll may use STATS_BUDGET_SHARE of the shared
budget (LEADTERRA_MAX_RPS; the rest is for the outbox and the replies poll), so N campaigns are
asked every max(STATS_POLL_SECONDS, N / (share × rps)) seconds: 1,000 campaigns at 50 req/s
and a share of 0.8 are asked every 25 s, never faster than the budget can serve them.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Campaign

# Poll a campaign for this long after launch even before it shows as running, so its
# first numbers appear without waiting for the launch operation to settle.
RECENT_LAUNCH = timedelta(minutes=10)
# Longer than a batch can take (each call is bounded by the client's timeouts and retries, and a
# batch stops after three failures in a row) and than a batch task may live under prefork (its
# hard time limit, campaigns/tasks/monitoring.py): a claim that runs out belongs to a dead worker.
CLAIM_SECONDS = 300
EPOCH = Value(datetime(1970, 1, 1, tzinfo=UTC), output_field=DateTimeField())


def stats_eligible(*, now: datetime) -> QuerySet[Campaign]:
    recent = Q(launched_at__gte=now - RECENT_LAUNCH)
    return (
        Campaign.objects.filter(Q(status__in=[Campaign.Status.RUNNING, Campaign.Status.PAUSED]) | recent)
        .filter(remote_id__isnull=False)
        .exclude(status=Campaign.Status.ARCHIVED)
    )


def stats_due(*, now: datetime) -> QuerySet[Campaign]:
    """Eligible, due, and claimed by nobody (or by a worker whose claim ran out)."""
    return stats_eligible(now=now).filter(
        Q(stats_next_poll_at__isnull=True) | Q(stats_next_poll_at__lte=now),
        Q(stats_claimed_until__isnull=True) | Q(stats_claimed_until__lt=now),
    )


def stats_interval(*, eligible: int) -> float:
    """Seconds between two polls of one campaign when `eligible` campaigns share the budget."""
    floor = float(settings.STATS_POLL_SECONDS)
    rps = float(settings.LEADTERRA_MAX_RPS) * float(settings.STATS_BUDGET_SHARE)
    if rps <= 0:  # the budget is off: nothing to stretch for
        return floor
    return max(floor, eligible / rps)


def _in_priority_order(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    # Running first, then the just launched, then paused; within each, the longest due first.
    priority = Case(
        When(status=Campaign.Status.RUNNING, then=0),
        When(status=Campaign.Status.PAUSED, then=2),
        default=1,
        output_field=IntegerField(),
    )
    return campaigns.annotate(priority=priority, due_at=Coalesce("stats_next_poll_at", EPOCH)).order_by(
        "priority", "due_at", "pk"
    )


def stats_claim(*, limit: int, now: datetime | None = None) -> tuple[str, list[Campaign]]:
    """Claim up to `limit` due campaigns for this worker: (claim token, campaigns in order).

    Two claimers never get the same campaign: the UPDATE re-checks "due and unclaimed" on each
    row, and on PostgreSQL SKIP LOCKED hands each claimer rows no other claimer is holding."""
    now = now or timezone.now()
    token = secrets.token_hex(16)
    with transaction.atomic():
        picked = _in_priority_order(stats_due(now=now)).select_for_update(skip_locked=True)
        ids = list(picked.values_list("pk", flat=True)[:limit])
        if ids:
            stats_due(now=now).filter(pk__in=ids).update(
                stats_claim_token=token, stats_claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
            )
    if not ids:
        return token, []
    return token, list(_in_priority_order(Campaign.objects.filter(stats_claim_token=token)))


def stats_done(*, campaign: Campaign, token: str, next_at: datetime) -> bool:
    """Hand a polled campaign back with its next time; only the claim's holder may. True if held."""
    held = Campaign.objects.filter(pk=campaign.pk, stats_claim_token=token)
    return held.update(stats_claim_token="", stats_claimed_until=None, stats_next_poll_at=next_at) == 1


def stats_unclaim(*, token: str) -> int:
    """Give back what this claim did not poll (a stop): it stays due, so it goes first next time."""
    return Campaign.objects.filter(stats_claim_token=token).update(stats_claim_token="", stats_claimed_until=None)
