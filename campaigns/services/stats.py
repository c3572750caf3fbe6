"""Stats polling: which campaigns to poll each cycle, and storing what /stats says.

One beat cycle every STATS_POLL_SECONDS. The budget of a cycle is what the client may
spend in that time (LEADTERRA_MAX_RPS x STATS_POLL_SECONDS calls). When there are more
campaigns than that, running campaigns come before the recently launched and the
paused ones, and within each group the least recently tried come first, so every
campaign gets its turn over a few cycles. Each campaign is asked at most once a cycle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from campaigns.leadterra import AuthFailed, LeadterraError, NotFound, RateLimited, StatsData, Transient, get_client
from campaigns.models import Campaign, StatsSnapshot
from campaigns.services import sync_jobs
from campaigns.services.counters import counters_from_poll
from campaigns.services.lifecycle import campaign_bounce_guard
from campaigns.services.sync_jobs import lease_acquire, lease_release, sync_failure, sync_success

logger = logging.getLogger(__name__)

# Poll a campaign for this long after launch even before it shows as running, so its
# first numbers appear without waiting for the launch operation to settle.
RECENT_LAUNCH = timedelta(minutes=10)
# A dead Leadterra would otherwise cost one timeout per campaign in the cycle.
MAX_CONSECUTIVE_TRANSIENT = 3
COUNTERS = ("total_enrolled", "sent", "delivered", "bounced", "replied", "queued", "open_rate", "reply_rate")
EPOCH = Value(datetime(1970, 1, 1, tzinfo=UTC), output_field=DateTimeField())


@dataclass
class CycleSummary:
    polled: int = 0
    changed: int = 0
    failed: int = 0
    skipped: bool = False  # another cycle held the lease


def stats_budget() -> int:
    return max(1, int(settings.LEADTERRA_MAX_RPS * settings.STATS_POLL_SECONDS))


def stats_due(*, now: datetime, limit: int) -> list[Campaign]:
    """The campaigns to poll this cycle, in priority order, at most `limit` of them."""
    eligible = Q(status__in=[Campaign.Status.RUNNING, Campaign.Status.PAUSED]) | Q(launched_at__gte=now - RECENT_LAUNCH)
    priority = Case(
        When(status=Campaign.Status.RUNNING, then=0),
        When(status=Campaign.Status.PAUSED, then=2),
        default=1,
        output_field=IntegerField(),
    )
    # Order by the last *attempt*, not the last success: a campaign that keeps failing
    # must not hog the front of the queue.
    last_try = Greatest(Coalesce("stats_polled_at", EPOCH), Coalesce("stats_failed_at", EPOCH))
    return list(
        Campaign.objects.filter(eligible, remote_id__isnull=False)
        .exclude(status=Campaign.Status.ARCHIVED)
        .annotate(priority=priority, last_try=last_try)
        .order_by("priority", "last_try", "pk")[:limit]
    )


def stats_apply(*, campaign: Campaign, data: StatsData, now: datetime | None = None) -> bool:
    """Store a good /stats answer; a snapshot only when a counter moved. True when changed.

    `campaign` may be a copy read before the HTTP call: the write does not compare with it
    (webhooks may have moved the row since); it is refreshed with what was stored."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = counters_from_poll(campaign_id=campaign.pk, figures={n: getattr(data, n) for n in COUNTERS}, now=now)
        campaign.refresh_from_db(fields=[*COUNTERS, "stats_polled_at", "stats_error", "updated_at"])
        if changed:
            StatsSnapshot.objects.create(campaign=campaign, taken_at=now, **{n: getattr(campaign, n) for n in COUNTERS})
    return changed


def stats_record_failure(*, campaign: Campaign, error: LeadterraError, now: datetime | None = None) -> None:
    if isinstance(error, NotFound):
        message = "Leadterra does not know this campaign any more (404)."
    else:
        message = f"{error.message} ({error.code or error.status or error.__class__.__name__})"
    campaign.stats_failed_at, campaign.stats_error = now or timezone.now(), message
    campaign.save(update_fields=["stats_failed_at", "stats_error"])


def stats_poll_cycle(*, client=None) -> CycleSummary:
    """One beat cycle: poll the campaigns that are due, within the budget."""
    summary = CycleSummary()
    if not lease_acquire(name=sync_jobs.STATS, seconds=settings.STATS_POLL_SECONDS * 2):
        summary.skipped = True
        return summary
    try:
        _poll(client or get_client(), summary)
    finally:
        lease_release(name=sync_jobs.STATS)
    return summary


def _poll(client, summary: CycleSummary) -> None:
    streak, last_error = 0, ""
    for campaign in stats_due(now=timezone.now(), limit=stats_budget()):
        try:
            data = client.get_stats(campaign.remote_id)
        except LeadterraError as exc:
            summary.failed += 1
            last_error = str(exc)
            stats_record_failure(campaign=campaign, error=exc)
            streak = streak + 1 if isinstance(exc, Transient) else 0
            # Stop early when Leadterra says "slow down", refuses our key, or is away:
            # the rest are then the least recently tried and go first next cycle.
            if isinstance(exc, RateLimited | AuthFailed) or streak >= MAX_CONSECUTIVE_TRANSIENT:
                break
            continue
        streak = 0
        summary.polled += 1
        summary.changed += stats_apply(campaign=campaign, data=data)
        campaign_bounce_guard(campaign)  # pauses the campaign when bounces run high
    if summary.failed and not summary.polled:
        sync_failure(name=sync_jobs.STATS, error=last_error)
    else:
        sync_success(name=sync_jobs.STATS)
