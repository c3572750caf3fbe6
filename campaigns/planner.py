"""Capacity projection: pure functions, no database, no clock.

plan_campaign(...) returns a CapacityPlan whose `verdict` is one of FITS, SPILLS, CANNOT_START,
with a per-day table in `days` and a sentence for people in `message`; `model` says
which capacity model was used ("daily_reset" or "rolling_24h").

The model, in day buckets (day 0 = today, from now):
- Capacity per day: the daily capacity of the pools that have active senders. Day 0 is
  the only day where the two documented models differ: with a daily reset, today only
  what remains in the current window is left; with a rolling 24 h window the sends of the
  last 24 h age out during the next 24 h, so a whole window's worth fits in bucket 0.
- Work comes in cohorts: `count` sends ready on day `ready`; when a cohort's sends go out
  on day d, its leads' next step becomes ready on d + that step's delay (leadterra-api §3:
  a step is queued `delayDays` after the lead's previous step was *sent*), so a spill
  pushes every later step back too.
- Campaigns are served in priority order (the ones already running first, in start
  order): a new campaign gets what the earlier ones leave. That is why adding a campaign
  can never make an earlier one finish sooner. Within a campaign, oldest ready first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

FITS, SPILLS, CANNOT_START = "fits", "spills", "cannot_start"
DAILY_RESET, ROLLING_24H = "daily_reset", "rolling_24h"
MODELS = (DAILY_RESET, ROLLING_24H)
MODEL_LABELS = {DAILY_RESET: "daily reset", ROLLING_24H: "rolling 24 h window"}
# A guard, not a forecast: a plan that needs ten years is reported as not finishing.
HORIZON_DAYS = 3650


@dataclass(frozen=True)
class DayPlan:
    day: int  # 0 = the day the campaign starts
    needed: int  # sends this campaign wants on this day (its schedule)
    available: int  # capacity left for it after the running campaigns
    planned: int  # sends projected to go out on this day (<= available)
    backlog: int  # sends waiting for a later day at the end of this day


@dataclass(frozen=True)
class CapacityPlan:
    verdict: str
    model: str
    days: list[DayPlan] = field(default_factory=list)
    total_sends: int = 0
    last_day_scheduled: int = 0  # when it would finish with unlimited capacity
    last_day_projected: int = 0  # when it finishes against the projected capacity
    message: str = ""
    capacity: int = 0  # daily capacity of the pools with active senders
    unfinished: int = 0  # sends still waiting at the horizon (only absurd inputs)

    @property
    def spill_days(self) -> int:
        return max(0, self.last_day_projected - self.last_day_scheduled)

    @property
    def model_label(self) -> str:
        return MODEL_LABELS.get(self.model, self.model)

    @property
    def peak(self) -> int:
        return max([0] + [max(d.needed, d.available, d.planned + d.backlog) for d in self.days])


@dataclass(frozen=True)
class Capacity:
    daily: int  # sends per window, summed over pools with active senders
    remaining: int  # left in the current window now

    def on_day(self, day: int, model: str) -> int:
        if model not in MODELS:
            raise ValueError(f"unknown capacity model {model!r}")
        if day == 0 and model == DAILY_RESET:
            return max(0, min(self.remaining, self.daily))
        return max(0, self.daily)


@dataclass(frozen=True)
class Leftover:
    """What the campaigns served first leave of each day's capacity (`per_day`, for as many days
    as they run), then the whole `base`. A campaign planned against it gets exactly what it
    would get planned behind them, since earlier campaigns never yield to later ones; so the
    leftover of a busy workspace can be computed once and shared by every page that plans."""

    base: Capacity
    per_day: tuple[int, ...] = ()

    @property
    def daily(self) -> int:
        return self.base.daily

    @property
    def remaining(self) -> int:
        return self.base.remaining

    def on_day(self, day: int, model: str) -> int:
        return self.per_day[day] if day < len(self.per_day) else self.base.on_day(day, model)


def leftover_after(works: list[Work], capacity: Capacity, model: str) -> Leftover:
    """The capacity `works` (in priority order) leave, day by day, until they are done."""
    if not works:
        return Leftover(capacity)
    proj = project(works, capacity, model)
    used = [sum(row[d] for row in proj.planned) for d in range(len(proj.capacity))]
    return Leftover(capacity, tuple(c - u for c, u in zip(proj.capacity, used, strict=True)))


@dataclass(frozen=True)
class Cohort:
    ready: int  # first day these sends may go out
    count: int
    delays: tuple[int, ...] = ()  # delays of the steps still to come after this one


@dataclass(frozen=True)
class Work:
    """One campaign's remaining sends."""

    name: str
    cohorts: tuple[Cohort, ...]

    @property
    def total(self) -> int:
        return sum(c.count * (1 + len(c.delays)) for c in self.cohorts)


def new_campaign_work(name: str, *, leads: int, delays: list[int]) -> Work:
    """A campaign not started yet: every lead gets step 1 on day 0 (its delay is ignored)."""
    if leads <= 0 or not delays:
        return Work(name, ())
    return Work(name, (Cohort(0, leads, tuple(max(0, d) for d in delays[1:])),))


def running_campaign_work(name: str, *, delays: list[int], elapsed_days: int, active_leads: int, queued: int) -> Work:
    """A running (or paused) campaign from its stats: what is queued now goes first,
    then every still-active lead (enrolled minus replied) takes the steps not yet due.

    An estimate: the queue's own follow-up steps are folded into the future cohort, and
    leads behind schedule are assumed back on it.
    """
    offsets = _offsets(delays)
    cohorts = [Cohort(0, queued, ())] if queued > 0 else []
    future = [k for k, off in enumerate(offsets) if off > elapsed_days]
    if future and active_leads > 0:
        k = future[0]
        cohorts.append(Cohort(offsets[k] - elapsed_days, active_leads, tuple(max(0, d) for d in delays[k + 1 :])))
    return Work(name, tuple(cohorts))


def _offsets(delays: list[int]) -> list[int]:
    out, day = [], 0
    for i, d in enumerate(delays):
        day += 0 if i == 0 else max(0, d)
        out.append(day)
    return out


@dataclass
class Projection:
    """The simulation's result: per campaign, per day."""

    capacity: list[int]  # per day
    planned: list[list[int]]  # [campaign][day]
    available: list[list[int]]  # [campaign][day]: what was left for it
    backlog: list[list[int]]  # [campaign][day]
    needed: list[list[int]]  # [campaign][day]: its schedule with unlimited capacity
    finish: list[int | None]  # [campaign]: last day with a send (None: nothing to send)
    unfinished: list[int]  # [campaign]: sends left at the horizon


def project(works: list[Work], capacity: Capacity, model: str, *, min_days: int = 0) -> Projection:
    """Simulate day by day until every campaign is done (or the horizon), in priority order."""
    queues = [sorted(w.cohorts, key=lambda c: c.ready) for w in works]
    n = len(works)
    proj = Projection([], [[] for _ in works], [[] for _ in works], [[] for _ in works], [], [None] * n, [0] * n)
    day = 0
    while (any(queues) or day < min_days) and day < HORIZON_DAYS:
        left = capacity.on_day(day, model)
        proj.capacity.append(left)
        for i, queue in enumerate(queues):
            proj.available[i].append(left)
            sent = _serve(queue, day, left)
            left -= sent
            proj.planned[i].append(sent)
            proj.backlog[i].append(sum(c.count for c in queue if c.ready <= day))
            if sent:
                proj.finish[i] = day
        day += 1
    proj.unfinished = [sum(c.count * (1 + len(c.delays)) for c in q) for q in queues]
    days = len(proj.capacity)
    proj.needed = [_pad(schedule(w), days) for w in works]
    return proj


def _serve(queue: list[Cohort], day: int, budget: int) -> int:
    """Send up to `budget` from the cohorts ready by `day`, oldest first; follow-ups join."""
    sent = 0
    while budget - sent > 0 and queue and queue[0].ready <= day:
        cohort = queue.pop(0)
        take = min(cohort.count, budget - sent)
        sent += take
        if take < cohort.count:
            queue.insert(0, Cohort(cohort.ready, cohort.count - take, cohort.delays))
        if cohort.delays:
            _insert(queue, Cohort(day + cohort.delays[0], take, cohort.delays[1:]))
    return sent


def _insert(queue: list[Cohort], cohort: Cohort) -> None:
    """Keep the queue ordered by ready day; a newcomer goes after equals (first come)."""
    i = len(queue)
    while i > 0 and queue[i - 1].ready > cohort.ready:
        i -= 1
    queue.insert(i, cohort)


def schedule(work: Work) -> list[int]:
    """Sends per day with unlimited capacity."""
    days: dict[int, int] = {}
    for c in work.cohorts:
        day = c.ready
        days[day] = days.get(day, 0) + c.count
        for d in c.delays:
            day += d
            days[day] = days.get(day, 0) + c.count
    return [days.get(d, 0) for d in range(max(days) + 1)] if days else []


def _pad(values: list[int], length: int) -> list[int]:
    return (values + [0] * (length - len(values)))[:length]


def plan_campaign(
    *,
    leads: int,
    delays: list[int],
    capacity: Capacity,
    model: str,
    running: list[Work] | None = None,
    work: Work | None = None,
    no_capacity_reason: str = "",
) -> CapacityPlan:
    """Will this campaign fit? `running` are served first; `work` overrides the new-campaign
    schedule (for a campaign that is already running). `capacity` may be a Leftover (what the
    running campaigns leave), in place of `running`: the plan is the same."""
    work = work or new_campaign_work("this campaign", leads=leads, delays=delays)
    refusal = _refusal(leads=leads, steps=len(delays), capacity=capacity, work=work, why=no_capacity_reason)
    if refusal:
        return CapacityPlan(CANNOT_START, model, message=refusal, capacity=capacity.daily)
    min_days = len(capacity.per_day) if isinstance(capacity, Leftover) else 0
    proj = project([*(running or []), work], capacity, model, min_days=min_days)
    return _plan_from(proj, len(proj.finish) - 1, work, capacity, model)


def _refusal(*, leads: int, steps: int, capacity: Capacity, work: Work, why: str) -> str:
    if steps <= 0:
        return "Cannot start: the sequence has no steps."
    if leads <= 0 and not work.cohorts:
        return "Cannot start: no leads to send to."
    if capacity.daily <= 0:
        return f"Cannot start: {why or 'no sender pool has capacity with an active sender'}."
    return ""


def _plan_from(proj: Projection, i: int, work: Work, capacity: Capacity, model: str) -> CapacityPlan:
    needed = proj.needed[i]
    days = [
        DayPlan(
            day=d,
            needed=needed[d],
            available=proj.available[i][d],
            planned=proj.planned[i][d],
            backlog=proj.backlog[i][d],
        )
        for d in range(len(proj.capacity))
    ]
    scheduled = max((d for d, v in enumerate(needed) if v), default=0)
    projected = proj.finish[i] if proj.finish[i] is not None else 0
    unfinished = proj.unfinished[i]
    if unfinished:
        projected = HORIZON_DAYS
    verdict = SPILLS if projected > scheduled else FITS
    plan = CapacityPlan(
        verdict, model, days, work.total, scheduled, projected, capacity=capacity.daily, unfinished=unfinished
    )
    return replace(plan, message=_message(plan))


def _message(plan: CapacityPlan) -> str:
    sends = f"{plan.total_sends:,} sends"
    if not plan.total_sends:
        return "Nothing left to send."
    if plan.unfinished:
        return f"Spills: {plan.unfinished:,} of {sends} would still be waiting after {HORIZON_DAYS:,} days."
    if plan.verdict == FITS:
        return f"Fits: {sends} go out on schedule, the last on day {plan.last_day_projected}."
    n = plan.spill_days
    late = f"{n} day{'s' if n != 1 else ''} late"
    return (
        f"Spills: {sends} all go out, but the last on day {plan.last_day_projected} instead of day "
        f"{plan.last_day_scheduled} ({late}) because the pools run out of capacity."
    )


@dataclass(frozen=True)
class WorkspacePlan:
    model: str
    days: list[int]  # day numbers, 0 = today
    capacity: list[int]  # per day
    names: list[str]  # per campaign
    planned: list[list[int]]  # [campaign][day]
    backlog: list[list[int]]  # [campaign][day]
    finish: list[int | None]  # [campaign]

    @property
    def totals(self) -> list[int]:
        return [sum(col) for col in zip(*self.planned, strict=True)] if self.planned else [0] * len(self.days)

    @property
    def waiting(self) -> list[int]:
        return [sum(col) for col in zip(*self.backlog, strict=True)] if self.backlog else [0] * len(self.days)


def plan_workspace(works: list[Work], capacity: Capacity, model: str, *, days: int = 14) -> WorkspacePlan:
    """All campaigns in priority order against capacity, cut to the first `days` days."""
    proj = project(works, capacity, model, min_days=days)
    return WorkspacePlan(
        model=model,
        days=list(range(days)),
        capacity=proj.capacity[:days],
        names=[w.name for w in works],
        planned=[row[:days] for row in proj.planned],
        backlog=[row[:days] for row in proj.backlog],
        finish=proj.finish,
    )
