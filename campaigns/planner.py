"""Capacity projection: pure functions, no database, no clock.

CONTRACT (the pools & planner work owns and completes this module):
plan_campaign(...) returns a Plan whose `verdict` is one of FITS, SPILLS, CANNOT_START,
with a per-day table in `days` and a sentence for people in `message`; `model` says
which capacity model was used ("daily_reset" or "rolling_24h").
"""

from __future__ import annotations

from dataclasses import dataclass, field

FITS, SPILLS, CANNOT_START = "fits", "spills", "cannot_start"


@dataclass(frozen=True)
class DayPlan:
    day: int  # 0 = the day the campaign starts
    needed: int  # sends this campaign wants on this day (its schedule)
    available: int  # capacity left for it after the running campaigns
    planned: int  # sends projected to go out on this day (<= available)
    backlog: int  # sends waiting for a later day at the end of this day


@dataclass(frozen=True)
class Plan:
    verdict: str
    model: str
    days: list[DayPlan] = field(default_factory=list)
    total_sends: int = 0
    last_day_scheduled: int = 0  # when it would finish with unlimited capacity
    last_day_projected: int = 0  # when it finishes against the projected capacity
    message: str = ""

    @property
    def spill_days(self) -> int:
        return max(0, self.last_day_projected - self.last_day_scheduled)
