"""Stats polling: asking /stats for every launched campaign in turn, and storing the answers.

Beat runs `stats_poll_dispatch` every STATS_POLL_SECONDS: it counts the campaigns that are due
and sends up to STATS_POLL_FANOUT batch tasks. Each batch task claims STATS_POLL_BATCH due
campaigns (services/stats_claims.py), asks /stats for each, stores the answer, hands each
campaign back with its next time, and sends the next batch task while campaigns are still due.
So a cycle runs on every worker thread at once, paced only by the shared rate budget (every
HTTP attempt takes a token), and the interval stretches to what that budget allows for the
fleet. Claims are per campaign, so overlapping cycles never ask about a campaign twice.
"""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from campaigns import dispatch
from campaigns.leadterra import AuthFailed, LeadterraError, NotFound, RateLimited, StatsData, Transient, get_client
from campaigns.models import Campaign, StatsSnapshot
from campaigns.services import sync_jobs
from campaigns.services.counters import counters_from_poll
from campaigns.services.lifecycle import campaign_bounce_guard
from campaigns.services.stats_claims import (
    stats_claim,
    stats_done,
    stats_due,
    stats_eligible,
    stats_interval,
    stats_unclaim,
)
from campaigns.services.sync_jobs import sync_failure, sync_success

logger = logging.getLogger(__name__)

# A dead Leadterra would otherwise cost one timeout per campaign in the batch.
MAX_CONSECUTIVE_TRANSIENT = 3
COUNTERS = ("total_enrolled", "sent", "delivered", "bounced", "replied", "queued", "open_rate", "reply_rate")


@dataclass
class CycleSummary:
    polled: int = 0
    changed: int = 0
    failed: int = 0
    claimed: int = 0
    stopped: str = ""  # why the run stopped before the campaigns ran out ("rate_limited" ...)
    last_error: str = ""

    def add(self, other: CycleSummary) -> None:
        self.polled, self.changed = self.polled + other.polled, self.changed + other.changed
        self.failed, self.claimed = self.failed + other.failed, self.claimed + other.claimed
        self.stopped, self.last_error = other.stopped, other.last_error or self.last_error


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


def stats_poll_dispatch(*, now: datetime | None = None) -> int:
    """Beat: send batch tasks for the campaigns due now (at most STATS_POLL_FANOUT). How many."""
    due = stats_due(now=now or timezone.now()).count()
    tasks = min(settings.STATS_POLL_FANOUT, math.ceil(due / settings.STATS_POLL_BATCH))
    for _ in range(tasks):
        dispatch.send(dispatch.POLL_STATS_BATCH)
    return tasks


def stats_batch_run(*, client=None) -> CycleSummary:
    """A batch task: poll one batch, then pass the baton while a full batch keeps coming."""
    summary = stats_poll_batch(client=client)
    if summary.claimed == settings.STATS_POLL_BATCH and not summary.stopped:
        try:
            dispatch.send(dispatch.POLL_STATS_BATCH)
        except Exception as exc:  # the broker is away: the next beat starts the cycle again
            logger.warning("stats poll: next batch not queued (%s)", exc.__class__.__name__)
    return summary


def stats_poll_cycle(*, client=None) -> CycleSummary:
    """Poll, in this thread, every campaign due now (tests, and a worker-less shell)."""
    summary = CycleSummary()
    while True:
        batch = stats_poll_batch(client=client)
        summary.add(batch)
        if batch.stopped or batch.claimed < settings.STATS_POLL_BATCH:
            return summary


def stats_poll_batch(*, client=None) -> CycleSummary:
    """Claim a batch of due campaigns and ask /stats for each; record how the job fares."""
    summary = CycleSummary()
    now = timezone.now()
    token, campaigns = stats_claim(limit=settings.STATS_POLL_BATCH, now=now)
    summary.claimed = len(campaigns)
    if not campaigns:
        return summary
    interval = timedelta(seconds=stats_interval(eligible=stats_eligible(now=now).count()))
    try:
        _poll(client or get_client(), campaigns, token, interval, summary)
    finally:
        stats_unclaim(token=token)  # what a stop (or a crash) left unpolled goes first next time
    if summary.failed and not summary.polled:
        sync_failure(name=sync_jobs.STATS, error=summary.last_error)
    else:
        sync_success(name=sync_jobs.STATS)
    return summary


def _poll(client, campaigns: list[Campaign], token: str, interval: timedelta, summary: CycleSummary) -> None:
    streak, calls = 0, Calls(client, campaigns)
    for campaign, data in calls:
        if isinstance(data, LeadterraError):
            summary.failed += 1
            summary.last_error = str(data)
            stats_record_failure(campaign=campaign, error=data)
            stats_done(campaign=campaign, token=token, next_at=timezone.now() + interval)
            streak = streak + 1 if isinstance(data, Transient) else 0
            # Stop when Leadterra (or the shared budget) says "slow down", refuses our key, or
            # is away: the calls not yet made stay due and go first next time; the answers of
            # calls already under way are still stored (asked once, never asked again).
            stop = isinstance(data, RateLimited | AuthFailed) or streak >= MAX_CONSECUTIVE_TRANSIENT
            if stop and not summary.stopped:
                summary.stopped = data.code or data.__class__.__name__
                calls.cancel_pending()
            continue
        streak = 0
        summary.polled += 1
        summary.changed += stats_apply(campaign=campaign, data=data)
        stats_done(campaign=campaign, token=token, next_at=campaign.stats_polled_at + interval)
        campaign_bounce_guard(campaign)  # pauses the campaign when bounces run high


class Calls:
    """(campaign, StatsData or the LeadterraError) for each campaign, as the answers come.

    With STATS_POLL_HTTP_THREADS the calls run on the process's HTTP threads while the batch
    task's thread stores the answers already in: a poll is ~60 ms of HTTP and about as long
    again of database round trips, and doing both in turn on each thread kept 8 worker
    threads below the budget on a busy machine. Without, the calls are made in turn here."""

    def __init__(self, client, campaigns: list[Campaign]):
        self.client, self.campaigns, self.futures, self.stopped = client, campaigns, {}, False

    def __iter__(self):
        if settings.STATS_POLL_HTTP_THREADS <= 0:
            for campaign in self.campaigns:
                if self.stopped:
                    return
                yield campaign, _ask(self.client, campaign.remote_id)
            return
        pool = _http_pool()
        self.futures = {pool.submit(_ask_on_pool_thread, self.client, c.remote_id): c for c in self.campaigns}
        for future in as_completed(self.futures):
            if not future.cancelled():
                yield self.futures[future], future.result()

    def cancel_pending(self) -> None:
        """Calls not started are dropped; those under way still answer (see _poll)."""
        self.stopped = True
        for future in self.futures:
            future.cancel()


def _ask(client, remote_id: str):
    try:
        return client.get_stats(remote_id)
    except LeadterraError as exc:
        return exc


def _ask_on_pool_thread(client, remote_id: str):
    """A call on one of the process's HTTP threads is a unit of work like a request: the
    connection its call log writes through is checked before (a broken one is not reused) and
    after (an old one, or with CONN_MAX_AGE 0 any, is closed, not kept as long as the thread)."""
    close_old_connections()
    try:
        return _ask(client, remote_id)
    finally:
        close_old_connections()


_pool: dict = {}
_pool_lock = threading.Lock()


def _http_pool() -> ThreadPoolExecutor:
    """One pool per process, shared by its batch tasks: its size bounds the calls in flight."""
    with _pool_lock:
        size = settings.STATS_POLL_HTTP_THREADS
        if _pool.get("size") != size:
            _pool.update(size=size, executor=ThreadPoolExecutor(max_workers=size, thread_name_prefix="stats-http"))
        return _pool["executor"]
