"""Read models for the live partials: versions, freshness, series (the wall's: wall_screen.py).

Every function here runs a fixed number of queries whatever the number of campaigns:
the partials poll every few seconds from every open tab.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign, StatsSnapshot

SERIES_POINTS = 120


def stale_after() -> timedelta:
    """Numbers older than this are shown as stale: a few missed polls, never less than a minute."""
    return timedelta(seconds=max(60, 4 * settings.STATS_POLL_SECONDS))


def etag_of(*parts) -> str:
    return hashlib.blake2s("|".join(map(str, parts)).encode(), digest_size=10).hexdigest()


# ETags are computed from what a partial shows, never from timestamps that move without the
# screen changing: the poller writes stats_polled_at on every poll, so an ETag over it changed
# every few seconds and the browser re-rendered identical rows. The poll time still reaches an
# open page on a 304 (the X-Live-Updated header; static/js/live.js moves the age label).
ROW_SHOWN_FIELDS = (
    "pk", "name", "status", "step_count", "lead_count", "remote_id", "sent", "replied", "reply_rate",
    "owner__username", "updated_at", "stats_error", "stats_polled_at", "stats_failed_at",
)  # fmt: skip
STATS_SHOWN_FIELDS = (
    "status", "remote_id", "queued", "sent", "delivered", "bounced", "replied", "open_rate", "reply_rate",
    "total_enrolled", "stats_error", "stats_polled_at", "stats_failed_at",
)  # fmt: skip


def _getter(row):
    """Read a field of ROW_/STATS_SHOWN_FIELDS from a values() dict or a Campaign object."""
    if isinstance(row, dict):
        return row.get
    return lambda name: row.owner.get_username() if name == "owner__username" else getattr(row, name)


def _shown(row, fields, now) -> tuple:
    """The values a partial draws: the poll times become the two flags the screen shows
    (failing, stale) and whether there are numbers at all."""
    get = _getter(row)
    freshness = StatsFreshness.of(polled_at=get("stats_polled_at"), failed_at=get("stats_failed_at"), now=now)
    plain = tuple(get(f) for f in fields if f not in ("stats_polled_at", "stats_failed_at"))
    return (*plain, freshness.failing, freshness.stale, freshness.polled_at is None)


def rows_etag(rows, *context, now=None) -> str:
    """ETag of a page of campaign rows (values() dicts of ROW_SHOWN_FIELDS, or list-query Campaigns)."""
    now = now or timezone.now()
    return etag_of(*context, *(_shown(r, ROW_SHOWN_FIELDS, now) for r in rows))


def stats_etag(campaign, now=None) -> str:
    """ETag of the counters partial (a values() dict of STATS_SHOWN_FIELDS, or a Campaign)."""
    return etag_of(*_shown(campaign, STATS_SHOWN_FIELDS, now or timezone.now()))


def campaign_live(campaign: Campaign) -> dict:
    """What the counters partial shows beyond the row itself: freshness, series (one query), and
    the ETag of exactly that (the same as stats_version), which the partial sends back."""
    return {
        "freshness": StatsFreshness.of(polled_at=campaign.stats_polled_at, failed_at=campaign.stats_failed_at),
        "series": campaign_series(campaign) if campaign.remote_id or campaign.stats_polled_at else None,
        "etag": stats_etag(campaign),
    }


def stats_version(pk: int) -> dict | None:
    """The counters partial's ETag and poll time, from one small query; None: no such campaign."""
    row = Campaign.objects.filter(pk=pk).values(*STATS_SHOWN_FIELDS).first()
    return {"etag": stats_etag(row), "polled_at": row["stats_polled_at"]} if row else None


@dataclass
class StatsFreshness:
    polled_at: datetime | None
    failing: bool  # the last attempt failed
    stale: bool  # older than stale_after(), or failing

    @classmethod
    def of(cls, *, polled_at, failed_at, now=None) -> StatsFreshness:
        now = now or timezone.now()
        failing = bool(failed_at and (polled_at is None or failed_at > polled_at))
        old = polled_at is not None and now - polled_at > stale_after()
        return cls(polled_at=polled_at, failing=failing, stale=failing or old)


def campaign_series(campaign: Campaign, *, now=None) -> dict[str, list[tuple[datetime, float]]]:
    """Sent and replied over time from the snapshots (one query), ending at the live value."""
    rows = list(
        StatsSnapshot.objects.filter(campaign=campaign)
        .order_by("-taken_at")
        .values_list("taken_at", "sent", "replied")[:SERIES_POINTS]
    )
    rows.reverse()
    end = campaign.stats_polled_at or now or timezone.now()
    if not rows or rows[-1][0] < end:
        rows.append((end, campaign.sent, campaign.replied))
    return {"sent": [(t, s) for t, s, _ in rows], "replied": [(t, r) for t, _, r in rows]}


def resample(points: list[tuple[datetime, float]], buckets: int = 60) -> list[float]:
    """Irregular (time, value) points -> `buckets` values on a regular time grid.

    Snapshots are taken only when something changed, so the index of a point says nothing
    about time; each grid slot takes the last value known at its time (a step function).
    """
    if len(points) < 2:
        return [points[0][1]] * 2 if points else []
    start, end = points[0][0], points[-1][0]
    span = (end - start) / (buckets - 1)
    values, i = [], 0
    for k in range(buckets):
        at = start + span * k
        while i + 1 < len(points) and points[i + 1][0] <= at:
            i += 1
        values.append(points[i][1])
    values[-1] = points[-1][1]
    return values
