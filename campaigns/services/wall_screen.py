"""The wall's screen: a cheap version of it first (the ETag), the page itself only when it changed.

The TV revalidates the page it shows every few seconds. The version is one statement over the
campaigns on the wall (counts, sums with the day's sends, the newest change, the stale rows;
today's replies, the replies waiting and the stats job's last success ride along) and the two
small things the screen shows whole, the pool gauges and (when someone waits) the waiting panel.
Only a changed screen reads its page of rows; all else it shows comes from the version. No
lead's name or address is read anywhere.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, Reply, StatsSnapshot, SyncState
from campaigns.services import sync_jobs
from campaigns.services.desk import INTERESTED
from campaigns.services.live import StatsFreshness, etag_of, stale_after
from campaigns.services.planning import pools_for_wall
from campaigns.services.speed import WallWait, wall_table_rows, wall_waiting
from campaigns.wording import distinct_percents

WALL_STATUSES = [Campaign.Status.RUNNING, Campaign.Status.PAUSED, Campaign.Status.LAUNCHING]
WALL_PER_PAGE = 6  # rows that fit a 1080p screen under the totals and above the pool gauges


def day_start(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class WallVersion:
    """What the wall's ETag is made of; a changed screen is drawn from it (wall_board)."""

    now: datetime
    fleet: dict  # over every campaign on the wall (_fleet_facts)
    waiting: list[WallWait]
    pools: list
    page: int
    pages: int
    per_page: int
    data_at: datetime | None  # the newest numbers: the X-Live-Updated header, not the ETag
    data_age_minutes: int  # > 0 when polling has stalled

    def etag(self, *context) -> str:
        """Changes whenever the screen does. Rows, totals and pause reasons move a campaign's
        `updated_at` (every write of a name, status, counter, threshold or pause stamps it) or the
        count, and the sums catch a write stamped by a host whose clock runs behind; a row turning
        stale moves the stale rows' count and ids; midnight moves the day's sends and replies.
        (Renaming the person who paused a campaign shows with its next change.) Not the poll time:
        it moves on every poll while the numbers stay. Waits tick in the browser (static/js/desk.js),
        so the panel is known by who waits since when, not by the second."""
        facts = {k: v for k, v in self.fleet.items() if k not in ("newest_poll", "stats_success")}
        waits = [(w.campaign, w.holder, w.since) for w in self.waiting]
        pools = [(p.name, p.sending, p.usage, p.daily_capacity, p.remaining, p.sender_count) for p in self.pools]
        return etag_of(*context, sorted(facts.items()), self.page, self.pages, self.per_page,
                       self.data_age_minutes, self.data_at is None, waits, pools)  # fmt: skip


def wall_version(*, page: int = 1, now: datetime | None = None) -> WallVersion:
    """Two small queries whatever the number of campaigns, and the waiting panel's when someone waits."""
    now = now or timezone.now()
    fleet = _fleet_facts(now)
    waiting = wall_waiting(now=now) if fleet["waiting"] else []  # most of the time nobody waits
    per_page = wall_table_rows(waiting=waiting, rows=WALL_PER_PAGE)
    pages = max(1, math.ceil(fleet["campaigns"] / per_page))
    return WallVersion(
        now=now,
        fleet=fleet,
        waiting=waiting,
        pools=pools_for_wall(),  # each pool also says whether it can send
        page=(page - 1) % pages + 1,
        pages=pages,
        per_page=per_page,
        **_data_age(now, fleet["newest_poll"], fleet["stats_success"]),
    )


@functools.cache
def _statements() -> dict[str, str]:
    """The version's and the page's SQL. They run on every refresh of every TV, and the ORM spent
    several times the database's time composing them (a correlated subquery, a CASE ordering).
    Table names come from the models (read once the apps are loaded); every value is a parameter."""
    campaign, snapshot, reply = Campaign._meta.db_table, StatsSnapshot._meta.db_table, Reply._meta.db_table
    sync, user = SyncState._meta.db_table, get_user_model()._meta.db_table
    # A campaign's last snapshot before today (one probe of the (campaign, taken_at) index): its
    # `sent` less this is what it sent today. One parameter, the start of today.
    sent_before = f"""COALESCE((SELECT s.sent FROM {snapshot} s WHERE s.campaign_id = c.id AND s.taken_at < %s
                         ORDER BY s.taken_at DESC LIMIT 1), 0)"""  # noqa: S608
    on_wall = "c.status IN ({})".format(", ".join(["%s"] * len(WALL_STATUSES)))
    facts = f"""
        SELECT COUNT(*) AS campaigns, SUM(running) AS running, SUM(queued) AS queued,
               SUM(CASE WHEN sent > sent_before THEN sent - sent_before ELSE 0 END) AS sent_today,
               SUM(bounced) AS bounced, MAX(updated_at) AS changed, MAX(stats_polled_at) AS newest_poll,
               SUM(stale) AS stale, SUM(stale * id) AS stale_ids,
               (SELECT COUNT(*) FROM {reply} WHERE received_at >= %s) AS replies_today,
               (SELECT COUNT(*) FROM {reply} WHERE received_at >= %s AND classification = %s) AS interested_today,
               (SELECT last_success_at FROM {sync} WHERE name = %s) AS stats_success,
               (SELECT COUNT(*) FROM {reply} WHERE classification = %s AND first_answer_at IS NULL
                       AND lost_at IS NULL AND handled_at IS NULL) AS waiting
        FROM (
            SELECT c.id, c.queued, c.sent, c.bounced, c.updated_at, c.stats_polled_at,
                   CASE WHEN c.status = %s THEN 1 ELSE 0 END AS running, {sent_before} AS sent_before,
                   CASE WHEN c.stats_polled_at < %s OR (c.stats_failed_at IS NOT NULL
                             AND (c.stats_polled_at IS NULL OR c.stats_failed_at > c.stats_polled_at))
                        THEN 1 ELSE 0 END AS stale
            FROM {campaign} c WHERE {on_wall}
        ) wall"""  # noqa: S608
    # Running first, then by name (the order people read it in), the id breaking ties.
    page = f"""
        SELECT c.name, c.status, c.status_reason, c.queued, c.sent, c.bounced, c.reply_rate, c.bounce_threshold,
               c.stats_polled_at, c.stats_failed_at, {sent_before} AS sent_before,
               u.username AS paused_by, u.first_name AS paused_by_first, u.last_name AS paused_by_last
        FROM {campaign} c LEFT JOIN {user} u ON u.id = c.paused_by_id
        WHERE {on_wall}
        ORDER BY CASE WHEN c.status = %s THEN 0 ELSE 1 END, LOWER(c.name), c.id
        LIMIT %s OFFSET %s"""  # noqa: S608
    return {"facts": facts, "page": page}


def _rows(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _fleet_facts(now: datetime) -> dict:
    """Counts, sums and the newest change of the campaigns on the wall, today's replies, the
    replies waiting on the desk and the stats job's last success, in one statement. Stale is
    StatsFreshness.stale (the last poll failed, or the last good one is older than stale_after());
    sent today never goes below zero; waiting is desk.waiting_replies()."""
    adapt = connection.ops.adapt_datetimefield_value
    today, old = adapt(day_start(now)), adapt(now - stale_after())
    params = [
        today,
        today,
        INTERESTED,
        sync_jobs.STATS,
        INTERESTED,
        Campaign.Status.RUNNING,
        today,
        old,
        *WALL_STATUSES,
    ]
    (facts,) = _rows(_statements()["facts"], params)
    moments = ("changed", "newest_poll", "stats_success")
    # With no campaign on the wall the sums are NULL; PostgreSQL sums bigints as numeric.
    return {k: _moment(v) if k in moments else int(v or 0) for k, v in facts.items()}


def _moment(value) -> datetime | None:
    """SQLite hands back a datetime the ORM did not select as text or naive (UTC, as Django stores it)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _data_age(now: datetime, newest: datetime | None, state: datetime | None) -> dict:
    """How old the numbers are: the stats job's last success (or the newest poll on the wall)."""
    data_at = max([t for t in (state, newest) if t], default=None)
    stalled = data_at is not None and now - data_at > stale_after()
    minutes = max(1, int((now - data_at).total_seconds() // 60)) if stalled else 0
    return {"data_at": data_at, "data_age_minutes": minutes}


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
    reason: str = ""  # why a paused row is paused


@dataclass
class WallBoard:
    rows: list[WallRow]
    page: int
    pages: int
    totals: dict
    pools: list = field(default_factory=list)
    data_at: datetime | None = None
    data_age_minutes: int = 0

    @property
    def stale_seconds(self) -> int:
        return int(stale_after().total_seconds())

    @property
    def page_numbers(self) -> range:
        return range(1, self.pages + 1)


def wall_board(version: WallVersion) -> WallBoard:
    """The changed screen: its page of rows (one query), the rest from the version."""
    now, fleet = version.now, version.fleet
    totals = {key: fleet[key] for key in ("running", "queued", "sent_today", "replies_today", "interested_today")}
    return WallBoard(
        rows=[_wall_row(c, now) for c in _page(version)],
        page=version.page,
        pages=version.pages,
        totals=totals,
        pools=version.pools,
        data_at=version.data_at,
        data_age_minutes=version.data_age_minutes,
    )


def _page(version: WallVersion) -> list[dict]:
    today = connection.ops.adapt_datetimefield_value(day_start(version.now))
    start = (version.page - 1) * version.per_page
    return _rows(_statements()["page"], [today, *WALL_STATUSES, Campaign.Status.RUNNING, version.per_page, start])


def _wall_row(c: dict, now: datetime) -> WallRow:
    bounce_rate = c["bounced"] / c["sent"] if c["sent"] else 0.0
    polled, failed = _moment(c["stats_polled_at"]), _moment(c["stats_failed_at"])
    return WallRow(
        name=c["name"],
        status=c["status"],
        status_label=Campaign.Status(c["status"]).label,
        queued=c["queued"],
        sent_today=max(0, c["sent"] - c["sent_before"]),
        reply_rate=c["reply_rate"],
        bounce_rate=bounce_rate,
        bounce_level=bounce_level(bounce_rate, c["bounce_threshold"]),
        stale=StatsFreshness.of(polled_at=polled, failed_at=failed, now=now).stale,
        reason=pause_reason(c, bounce_rate) if c["status"] == Campaign.Status.PAUSED else "",
    )


def bounce_level(rate: float, threshold: float) -> str:
    if threshold and rate > threshold:  # the same test as the bounce guard's
        return "bad"
    if threshold and rate >= 0.6 * threshold:
        return "warn"
    return "ok"


def pause_reason(c: dict, bounce_rate: float) -> str:
    """Why a paused campaign is paused, in words a room can read from afar: the person who paused
    it (their full name, as User.get_full_name, else their username), or the bounce guard's numbers."""
    if c["paused_by"] is not None:
        full_name = f"{c['paused_by_first']} {c['paused_by_last']}".strip()
        return f"by {full_name or c['paused_by']}"
    if c["status_reason"].startswith("Bounce guard"):
        rate, threshold = distinct_percents(bounce_rate, c["bounce_threshold"])
        return f"bounce guard: {rate} > {threshold}"
    return f"by the system: {c['status_reason']}" if c["status_reason"] else "by the system"
