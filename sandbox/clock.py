"""The simulated clock and the run-time switches, both kept in the one Control row.

Simulated time = sim_epoch + (real now − real_epoch) × 86400 / seconds_per_day.
Changing the speed re-bases the epochs, so simulated time never jumps backwards.
"""

import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from .models import Control
from .router import SANDBOX_DB

DAY = 86400.0
# Called when the Control row is created, i.e. on a fresh database (each transactional test):
# in-process state such as rate-limit buckets must not leak from one world into the next.
on_fresh_world: list = []


def control() -> Control:
    """The Control row, created on first use (a fresh test database has none)."""
    row = Control.objects.using(SANDBOX_DB).filter(pk=1).first()
    if row is not None:
        return row
    now = time.time()
    try:
        with transaction.atomic(using=SANDBOX_DB):
            row = Control.objects.using(SANDBOX_DB).create(pk=1, sim_epoch=now, real_epoch=now)
        for hook in on_fresh_world:
            hook()
        return row
    except IntegrityError:  # another thread created it first
        return Control.objects.using(SANDBOX_DB).get(pk=1)


def seconds_per_day(row: Control) -> float:
    return settings.SANDBOX_SECONDS_PER_DAY if row.seconds_per_day is None else row.seconds_per_day


def sim_now(row: Control | None = None) -> float:
    row = row or control()
    speed = seconds_per_day(row)
    if speed <= 0:  # frozen: only explicit moves change the time
        return row.sim_epoch
    return row.sim_epoch + (time.time() - row.real_epoch) * DAY / speed


def set_speed(seconds: float) -> float:
    """Change real seconds per simulated day (0 freezes the clock); returns the current time."""
    row = control()
    now = sim_now(row)
    Control.objects.using(SANDBOX_DB).filter(pk=1).update(
        sim_epoch=now, real_epoch=time.time(), seconds_per_day=seconds
    )
    return now


def move_forward(seconds: float) -> float:
    """Jump the simulated clock forward; returns the new simulated time."""
    row = control()
    now = sim_now(row)
    Control.objects.using(SANDBOX_DB).filter(pk=1).update(sim_epoch=now + seconds, real_epoch=time.time())
    return now + seconds


def day_index(t: float) -> int:
    """Simulated days are UTC days: the daily reset of pool volume happens at midnight."""
    return int(t // DAY)


def day_end(t: float) -> float:
    return (day_index(t) + 1) * DAY


def iso(t: float | None, millis: bool = False) -> str | None:
    if t is None:
        return None
    moment = datetime.fromtimestamp(t, tz=UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
