"""Liveness of the outbox: a worker proves, every few seconds, that it still holds its operations.

Why a heartbeat on the row rather than the broker's own redelivery: with `acks_late`, Redis hands
an unacknowledged message back only after its visibility timeout (600 s, which must stay above
the longest task), so a SIGKILLed worker's operations would wait ten minutes. The row is the
truth anyway (a claim is a conditional UPDATE on it), so the proof of life goes on the row too:

- the claim stamps `heartbeat_at`, and so does every `checkpoint`;
- while a handler runs, one daemon thread per worker process (`PULSE`) stamps `heartbeat_at` on
  every row this process holds, every OPERATION_HEARTBEAT_SECONDS, in one UPDATE, only where
  the claim is still this process's (status running, same `claimed_at`);
- the sweeper (beat) reclaims a running row whose last sign of life is older than
  OPERATION_HEARTBEAT_STALE_SECONDS, or whose claim is older than OPERATION_MAX_CLAIM_SECONDS
  (a handler stuck while its process still beats: the threads pool enforces no time limit).

The heartbeat stops when the process dies (SIGKILL), when the engine lets go of the row (the
outcome is written, or even that failed), or when the database is unreachable, so each of those
becomes reclaimable within the stale limit. One thread per process, whatever the concurrency:
the connection budget of a worker is its concurrency plus one. The thread lives only while a
handler runs, and closes its connection when it ends.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Operation

logger = logging.getLogger(__name__)
RUNNING = Operation.Status.RUNNING


# The limits are read at call time (tests and operators change them). Their defaults live in
# settings.py alone: the stale limit's depends on the database, so a second default here was wrong.


def heartbeat_seconds() -> float:
    return float(settings.OPERATION_HEARTBEAT_SECONDS)


def stale_seconds() -> float:
    return float(settings.OPERATION_HEARTBEAT_STALE_SECONDS)


def max_claim_seconds() -> float:
    return float(settings.OPERATION_MAX_CLAIM_SECONDS)


def silent_since(cutoff: datetime) -> Q:
    """Running rows with no sign of life since `cutoff` (a row never beaten: its last change)."""
    return Q(status=RUNNING) & (Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff))


def dead_claims(now: datetime):
    """Running rows whose holder stopped proving it is alive, or held them far too long."""
    quiet = silent_since(now - timedelta(seconds=stale_seconds()))
    stuck = Q(status=RUNNING, claimed_at__lt=now - timedelta(seconds=max_claim_seconds()))
    return Operation.objects.filter(quiet | stuck)


def is_alive(op: Operation, now: datetime | None = None) -> bool:
    """A running operation whose holder showed life within the stale limit (queued counts as
    alive: a worker has yet to pick it up, and the sweeper re-sends a lost message)."""
    if op.status == Operation.Status.QUEUED:
        return True
    if op.status != RUNNING:
        return False
    seen = op.heartbeat_at or op.updated_at
    return seen is not None and seen >= (now or timezone.now()) - timedelta(seconds=stale_seconds())


class Pulse:
    """The heartbeat of one process: stamps the rows it holds while their handlers run."""

    def __init__(self):
        self._held: dict[int, datetime] = {}  # operation id -> the claimed_at that makes it ours
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._never = threading.Event()  # a pause nothing interrupts

    @contextlib.contextmanager
    def holding(self, op: Operation):
        """Beat for `op` for the duration of the block (the handler and its outcome write)."""
        with self._lock:
            self._held[op.pk] = op.claimed_at
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox-heartbeat", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(op.pk, None)

    def held(self) -> dict[int, datetime]:
        with self._lock:
            return dict(self._held)

    def beat(self) -> int:
        """One UPDATE for every row held; returns how many rows were still ours."""
        held = self.held()
        if not held:
            return 0
        mine = Q()
        for pk, claimed_at in held.items():
            mine |= Q(pk=pk, claimed_at=claimed_at)
        return Operation.objects.filter(mine, status=RUNNING).update(heartbeat_at=timezone.now())

    def _run(self) -> None:
        """Beat while something is held; end (closing this thread's connection) when nothing is."""
        while True:
            self._never.wait(heartbeat_seconds())  # not time.sleep: tests replace that
            with self._lock:
                if not self._held:
                    self._thread = None
                    break
            try:
                self.beat()
            except Exception as exc:  # a cut or a restart: next time on a new connection
                logger.warning("outbox heartbeat failed (%s); trying again", exc.__class__.__name__)
                connection.close()
        connection.close()


PULSE = Pulse()
