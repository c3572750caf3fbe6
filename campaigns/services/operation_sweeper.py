"""The outbox sweeper (beat, every OPERATIONS_SWEEP_SECONDS): finds rows whose message or
holder was lost and hands them to a worker again.

- queued rows whose message never reached the broker (it was down), and retries whose countdown
  message vanished (a Redis wipe), after OPERATIONS_SWEEP_GRACE_SECONDS;
- running rows whose holder stopped proving it is alive (services/operation_liveness.py): a
  retry-safe kind is queued again (its handler skips what its checkpoints say is done); a kind
  that must never repeat on its own (an SDR's send) ends `outcome_unknown` for a person to settle.

Every change is a conditional UPDATE on what the sweeper saw, so a holder that beats between the
read and the write keeps its row, and two sweeps never reclaim one row twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.models import Operation
from campaigns.services import operations as engine
from campaigns.services.operation_liveness import dead_claims
from campaigns.services.operations import NOT_RETRY_SAFE, UNKNOWN_NOTE, setting_number

logger = logging.getLogger(__name__)
Status = Operation.Status
REQUEUED_NOTE = "The worker running it stopped; it was queued again."


def operations_sweep(*, now=None) -> dict:
    """Re-send operations whose message was lost and reclaim those whose holder died."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=setting_number("OPERATIONS_SWEEP_GRACE_SECONDS", 30))
    counts = {"queued": 0, "retrying": 0, "stale": 0, "unknown": 0}
    waiting = Operation.objects.filter(updated_at__lt=grace).filter(
        Q(status=Status.QUEUED) | Q(status=Status.RETRYING, next_attempt_at__lt=grace)
    )
    for pk, status in waiting.values_list("pk", "status")[:500]:
        if Operation.objects.filter(pk=pk, status=status, updated_at__lt=grace).update(updated_at=now):
            counts[status] += 1
            engine._send(pk)  # through the module: tests replace the engine's sender
    for pk, kind, seen, beat in dead_claims(now).values_list("pk", "kind", "updated_at", "heartbeat_at")[:500]:
        # Only if nothing changed since it was read: no checkpoint, no beat, no outcome.
        unchanged = Operation.objects.filter(pk=pk, status=Status.RUNNING, updated_at=seen, heartbeat_at=beat)
        if kind in NOT_RETRY_SAFE:
            counts["unknown"] += _settle_unknown(unchanged, pk, kind, now)
        elif unchanged.update(status=Status.QUEUED, last_error=REQUEUED_NOTE, updated_at=now):
            counts["stale"] += 1
            engine._send(pk)  # through the module: tests replace the engine's sender
    if any(counts.values()):
        logger.info("operations sweep re-sent %s", counts)
    return counts


def _settle_unknown(unchanged, pk: int, kind: str, now) -> int:
    """A worker died holding a call that must not be repeated: it may have gone out."""
    message = f"The worker running it stopped mid-call. {UNKNOWN_NOTE}"
    if not unchanged.update(
        status=Status.OUTCOME_UNKNOWN, last_error=message, next_attempt_at=None, finished_at=now, updated_at=now
    ):
        return 0
    audit_record(actor=None, action="operation.outcome_unknown", operation=pk, kind=kind)
    return 1
