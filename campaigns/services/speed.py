"""Speed to lead: how long interested replies wait for a person, per SDR and per campaign.

*Waiting*: an interested reply with no first answer that is not lost or marked handled
(services/desk.waiting_replies). *First answer*: the first of a claim on the desk or an answer
sent on its thread (services/desk_actions). *Time to first answer* = first answer −
`Reply.waiting_since`. Today and this week are the dashboard's local calendar (weeks start on
Monday). Two queries, whatever the number of replies; the grouping happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from campaigns.models import Reply
from campaigns.permissions import is_manager, reply_holder
from campaigns.services.desk import INTERESTED, queue_oldest, sla_level, sla_seconds, waiting_replies

NOBODY = "Nobody yet (on the desk)"


@dataclass
class SpeedRow:
    name: str
    waiting: int = 0
    oldest: int | None = None  # seconds
    today: list[int] = field(default_factory=list)  # seconds to first answer
    week: list[int] = field(default_factory=list)

    @property
    def median_today(self) -> int | None:
        return int(median(self.today)) if self.today else None

    @property
    def median_week(self) -> int | None:
        return int(median(self.week)) if self.week else None


@dataclass
class SpeedBoard:
    by_sdr: list[SpeedRow]
    by_campaign: list[SpeedRow]
    total: SpeedRow
    sla_seconds: int
    now: datetime

    @property
    def sla_minutes(self) -> int:
        return self.sla_seconds // 60


def period_starts(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return today, today - timedelta(days=today.weekday())


def speed_board(*, actor, now: datetime | None = None) -> SpeedBoard:
    if not is_manager(actor):
        raise PermissionDenied("Only managers see speed to lead.")
    now = now or timezone.now()
    today, week = period_starts(now)
    related = ("campaign", "claimed_by", "handoff__sdr_user")
    by_sdr: dict[str, SpeedRow] = {}
    by_campaign: dict[str, SpeedRow] = {}
    total = SpeedRow(name="All replies")
    for reply in waiting_replies().select_related(*related):
        waited = _seconds(now - reply.waiting_since)
        for row in _rows_of(reply, by_sdr, by_campaign, total):
            row.waiting += 1
            row.oldest = max(row.oldest or 0, waited)
    answered = Reply.objects.filter(classification=INTERESTED, first_answer_at__gte=week).select_related(*related)
    for reply in answered:
        took = _seconds(reply.first_answer_at - reply.waiting_since)
        for row in _rows_of(reply, by_sdr, by_campaign, total):
            row.week.append(took)
            if reply.first_answer_at >= today:
                row.today.append(took)
    return SpeedBoard(
        by_sdr=sorted(by_sdr.values(), key=lambda r: (r.name == NOBODY, r.name.lower())),
        by_campaign=sorted(by_campaign.values(), key=lambda r: r.name.lower()),
        total=total,
        sla_seconds=sla_seconds(),
        now=now,
    )


def _rows_of(reply: Reply, by_sdr: dict, by_campaign: dict, total: SpeedRow) -> list[SpeedRow]:
    holder = reply_holder(reply)
    sdr_name = holder.get_username() if holder else NOBODY
    campaign_name = reply.campaign.name if reply.campaign else f"Not ours ({reply.remote_campaign_id or '?'})"
    return [
        by_sdr.setdefault(sdr_name, SpeedRow(name=sdr_name)),
        by_campaign.setdefault(campaign_name, SpeedRow(name=campaign_name)),
        total,
    ]


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


@dataclass
class WallWait:
    campaign: str
    holder: str
    since: datetime
    waited: int
    level: str


WALL_WAITING = 3  # the panel's longest waits, under the campaign table on a 1080p screen


def wall_table_rows(*, waiting: list, rows: int) -> int:
    """Campaign rows that still fit above the pools once the panel takes its place (none when
    nobody waits): about a table row for its title and one for every two waits."""
    if not waiting:
        return rows
    return max(1, rows - 1 - (len(waiting) + 1) // 2)


def wall_waiting(*, now: datetime | None = None, limit: int = WALL_WAITING) -> list[WallWait]:
    """The interested replies waiting longest, for the wall: no lead names or addresses there.
    The holder is whoever claimed it, else the SDR it was handed to (as permissions.reply_holder)."""
    now = now or timezone.now()
    target = sla_seconds()
    found = []
    for reply in queue_oldest(limit):
        holder = reply["claimed_by__username"] or reply["handoff__sdr_user__username"]
        waited = _seconds(now - reply["since"])
        found.append(
            WallWait(
                campaign=reply["campaign__name"] or "Another campaign",
                holder=holder or "unclaimed",
                since=reply["since"],
                waited=waited,
                level=sla_level(waited, target),
            )
        )
    return found
