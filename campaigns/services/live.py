"""Read models for the live partials and the wall: versions, freshness, series, the board.

Every function here runs a fixed number of queries whatever the number of campaigns:
the partials poll every few seconds from every open tab and from the TV.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, Count, F, Func, IntegerField, Max, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone

from campaigns.models import Campaign, Reply, StatsSnapshot, SyncState
from campaigns.services import sync_jobs
from campaigns.services.planning import pools_for_wall
from campaigns.services.sync_jobs import sync_last_success

WALL_STATUSES = [Campaign.Status.RUNNING, Campaign.Status.PAUSED, Campaign.Status.LAUNCHING]
WALL_PER_PAGE = 6  # rows that fit a 1080p screen under the totals and above the pool gauges
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


@dataclass
class WallRow:
    name: str
    status: str
    status_label: str
    queued: int
    sent_today: int
    reply_rate: float
    bounce_rate: float
    bounce_level: str  # ok | warn | bad, against the campaign's own threshold
    stale: bool


@dataclass
class WallBoard:
    rows: list[WallRow]
    page: int
    pages: int
    totals: dict
    pools: list = field(default_factory=list)
    data_at: datetime | None = None
    data_age_minutes: int = 0  # > 0 when polling has stalled

    @property
    def stale_seconds(self) -> int:
        return int(stale_after().total_seconds())

    @property
    def page_numbers(self) -> range:
        return range(1, self.pages + 1)


def bounce_level(rate: float, threshold: float) -> str:
    if threshold and rate > threshold:  # the same test as the bounce guard's
        return "bad"
    if threshold and rate >= 0.6 * threshold:
        return "warn"
    return "ok"


def day_start(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def _sent_before(today: datetime) -> Subquery:
    """The last snapshot's `sent` before today: one index probe per campaign (campaign, taken_at)."""
    return Subquery(
        StatsSnapshot.objects.filter(campaign=OuterRef("pk"), taken_at__lt=today)
        .order_by("-taken_at")
        .values("sent")[:1],
        output_field=IntegerField(),
    )


def wall_board(*, page: int = 1, now: datetime | None = None, per_page: int = WALL_PER_PAGE) -> WallBoard:
    """Everything the wall shows, without a lead's address or name anywhere. The database pages
    and totals the campaigns: only the rows shown are loaded, whatever the fleet's size."""
    now = now or timezone.now()
    today = day_start(now)
    live = Campaign.objects.filter(status__in=WALL_STATUSES).order_by()
    totals = _wall_totals(live, today)
    pages = max(1, math.ceil(totals.pop("campaigns") / per_page))
    newest_poll, stats_success = totals.pop("newest_poll"), totals.pop("stats_success")
    page = (page - 1) % pages + 1
    # Running first, then by name (the order people read it in), the id breaking ties.
    running_first = Case(When(status=Campaign.Status.RUNNING, then=0), default=1, output_field=IntegerField())
    shown = (
        live.annotate(sent_before=Coalesce(_sent_before(today), 0))
        .only(*WALL_FIELDS)
        .order_by(running_first, Lower("name"), "pk")[(page - 1) * per_page : page * per_page]
    )
    return WallBoard(
        rows=[_wall_row(c, now) for c in shown],
        page=page,
        pages=pages,
        totals=totals,
        pools=pools_for_wall(),  # each pool also says whether it can send
        **_data_age(now, newest_poll, stats_success),
    )


WALL_FIELDS = (
    "name",
    "status",
    "queued",
    "sent",
    "bounced",
    "reply_rate",
    "bounce_threshold",
    "stats_polled_at",
    "stats_failed_at",
)


def _wall_row(c: Campaign, now: datetime) -> WallRow:
    return WallRow(
        name=c.name,
        status=c.status,
        status_label=c.get_status_display(),
        queued=c.queued,
        sent_today=max(0, c.sent - c.sent_before),
        reply_rate=c.reply_rate,
        bounce_rate=c.bounce_rate,
        bounce_level=bounce_level(c.bounce_rate, c.bounce_threshold),
        stale=StatsFreshness.of(polled_at=c.stats_polled_at, failed_at=c.stats_failed_at, now=now).stale,
    )


def _wall_totals(live, today: datetime) -> dict:
    """Totals over every campaign on the wall, summed by the database in one query: today's
    replies and the stats job's last success ride along as one-off subqueries (each query was
    a round trip of the wall's one-second refresh)."""
    sent_today = Greatest(F("sent") - Coalesce(_sent_before(today), 0), 0)
    replies = Reply.objects.filter(received_at__gte=today)
    extra = {
        "replies_today": _count_of(replies),
        "interested_today": _count_of(replies.filter(classification="interested")),
        "stats_success": Subquery(SyncState.objects.filter(name=sync_jobs.STATS).values("last_success_at")[:1]),
    }
    fleet = live.aggregate(
        campaigns=Count("pk"),
        running=Count("pk", filter=Q(status=Campaign.Status.RUNNING)),
        queued=Coalesce(Sum("queued"), 0),
        sent_today=Coalesce(Sum(sent_today), 0),
        newest_poll=Max("stats_polled_at"),  # for _data_age
        **{name: Max(value) for name, value in extra.items()},
    )
    if not fleet["campaigns"]:  # no campaign row to carry the subqueries: read them alone
        counted = replies.aggregate(n=Count("id"), interested=Count("id", filter=Q(classification="interested")))
        fleet.update(replies_today=counted["n"], interested_today=counted["interested"])
        fleet["stats_success"] = sync_last_success(sync_jobs.STATS)
    return fleet


def _count_of(qs) -> Subquery:
    """COUNT of qs as a scalar subquery (an aggregate Django would not group)."""
    return Subquery(qs.order_by().values(n=Func(F("pk"), function="COUNT")), output_field=IntegerField())


def wall_etag(board: WallBoard, *context) -> str:
    """What the screen shows: rows, totals, pools, pager, the stalled-polling notice. Not the
    time of the newest poll (it moves on every poll; the X-Live-Updated header carries it)."""
    pools = [(p.name, p.sending, p.usage, p.daily_capacity, p.remaining, p.sender_count) for p in board.pools]
    return etag_of(*context, board.rows, sorted(board.totals.items()), pools, board.page, board.pages,
                   board.data_age_minutes, board.data_at is None)  # fmt: skip


def _data_age(now: datetime, newest: datetime | None, state: datetime | None) -> dict:
    """How old the numbers are: the stats job's last success (or the newest poll on the wall)."""
    data_at = max([t for t in (state, newest) if t], default=None)
    stalled = data_at is not None and now - data_at > stale_after()
    minutes = max(1, int((now - data_at).total_seconds() // 60)) if stalled else 0
    return {"data_at": data_at, "data_age_minutes": minutes}
