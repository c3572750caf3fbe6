"""The transactional outbox: every Leadterra write is an Operation.

What the rest of the project uses:
- operation_enqueue(kind=..., campaign=..., payload=..., actor=...) creates the row in the
  caller's transaction and sends `run_operation` when that transaction commits.
- @handles(kind) registers `fn(op, client) -> dict | None` (the app's ready() imports the
  handlers package, so the engine never imports them); the engine claims the row,
  calls the handler, stores its return value as `op.result`, and turns LeadterraError
  subclasses into retries (Transient, RateLimited) or a failure (everything else).
  Handlers must be safe to run again: checkpoint in `op.progress` and save it at once
  (`checkpoint(op)`); a handler that raises Continue is re-queued at once (long work is
  cut into tasks well under the time limit).
- on_failure(op) hooks let a module react when an operation fails for good or is
  cancelled (e.g. a launch sets the campaign to launch_failed).
- before_retry(op, actor) hooks run inside a manager's retry, with the row locked, before
  it is queued again; raising OperationStateError refuses the retry with that sentence
  (e.g. a launch is retried only through the campaign's lifecycle and its checks).
- retry_safe=False marks a kind whose call must never be repeated on its own (an SDR's send):
  when its outcome cannot be known (OutcomeUnknown, an interruption or a crash while it ran,
  a worker that died holding it) the row ends `outcome_unknown` instead of being retried or
  re-queued, and only a person settles it (operation_settle), after checking the thread.
  OutcomeUnknown from any kind ends the same way.
- a database error never leaves a row claimed: the outcome is written on a fresh connection;
  if even that fails, the process stops beating for the row (services/operation_liveness.py)
  and the sweeper (services/operation_sweeper.py) reclaims it within seconds.

Life of a row: queued → running → succeeded | retrying (→ running …) | failed | outcome_unknown; a manager
may retry a failed one or cancel a failed, queued or retrying one. Every state change is a
conditional UPDATE, so two workers holding the same message (a redelivery, a sweep) can
never both run it, and a worker that lost its claim can never overwrite the result.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns import dispatch
from campaigns.audit import audit_record
from campaigns.leadterra import LeadterraError, OutcomeUnknown, Transient, get_client
from campaigns.models import ApiCall, Operation
from campaigns.permissions import require
from campaigns.services.operation_liveness import PULSE

logger = logging.getLogger(__name__)
HANDLERS: dict[str, Callable] = {}
FAILURE_HOOKS: dict[str, Callable] = {}
RETRY_HOOKS: dict[str, Callable] = {}
NOT_RETRY_SAFE: set[str] = set()
Status = Operation.Status


class Continue(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by a handler that saved its checkpoint and wants to go on in a fresh task."""


class OperationStateError(Exception):
    """A manager asked for something the operation's state does not allow."""


def handles(
    kind: str, *, on_failure: Callable | None = None, before_retry: Callable | None = None, retry_safe: bool = True
):
    def register(fn):
        HANDLERS[kind] = fn
        if not retry_safe:
            NOT_RETRY_SAFE.add(kind)
        if on_failure:
            FAILURE_HOOKS[kind] = on_failure
        if before_retry:
            RETRY_HOOKS[kind] = before_retry
        return fn

    return register


def setting_number(name: str, default: float) -> float:
    """Engine settings are read at call time so tests and operators can change them."""
    return float(getattr(settings, name, default))


def operation_enqueue(*, kind: str, campaign=None, payload: dict | None = None, actor=None) -> Operation:
    with transaction.atomic():
        op = Operation.objects.create(
            kind=kind,
            campaign=campaign,
            payload=payload or {},
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        transaction.on_commit(lambda: _send(op.pk))
    return op


def _send(operation_id: int, countdown: float | None = None) -> None:
    """Hand the operation to the broker; if the broker is down the sweeper sends it later
    (the row, not the message, is the truth)."""
    try:
        dispatch.send(dispatch.RUN_OPERATION, operation_id, countdown=countdown)
    except Exception as exc:  # broker down: the row stays queued and the sweeper sends it
        logger.warning("operation %s stays queued: broker unavailable (%s)", operation_id, exc.__class__.__name__)


class ClaimLost(Exception):  # noqa: N818 (a signal, not an error)
    """The sweeper gave this worker's operation to another: stop, its holder goes on."""


def checkpoint(op: Operation, **progress) -> None:
    """Save `op.progress` (updated with `progress`) now, while this worker's claim stands (a slow
    worker whose claim was taken over stops here instead of writing over the new holder's)."""
    op.progress.update(progress)
    now = timezone.now()
    if op.claimed_at and not _mine(op).update(progress=op.progress, heartbeat_at=now, updated_at=now):
        raise ClaimLost(f"operation {op.pk} was taken over")
    if not op.claimed_at:  # not run by the engine (a shell, a test): nothing to guard
        Operation.objects.filter(pk=op.pk).update(progress=op.progress, updated_at=now)


# --- running -------------------------------------------------------------------


def operation_run(*, operation_id: int) -> str:
    """Claim the operation and run its handler once; returns what happened, for logs."""
    now = timezone.now()
    claimable = Operation.objects.filter(pk=operation_id, status__in=[Status.QUEUED, Status.RETRYING]).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1))
    )
    claim = {"status": Status.RUNNING, "claimed_at": now, "heartbeat_at": now, "updated_at": now}
    if not claimable.update(attempts=F("attempts") + 1, **claim):
        return "not claimable"  # done, cancelled, running elsewhere, or an early duplicate
    try:
        op = Operation.objects.select_related("campaign", "created_by").get(pk=operation_id)
    except (OperationalError, InterfaceError) as exc:  # cut right after the claim: hand the row back
        return _unclaim(Operation(pk=operation_id, claimed_at=now), exc)
    # The process beats for the row until its outcome is written (or even that failed): then
    # the heartbeat stops and the sweeper can reclaim it within seconds.
    with PULSE.holding(op):
        return _run_claimed(op)


def _run_claimed(op: Operation) -> str:
    handler = HANDLERS.get(op.kind)
    if handler is None:
        return _fail(op, f"No handler is registered for operations of kind {op.kind!r}.")
    before = copy.deepcopy(op.progress)
    try:
        result = handler(op, get_client())
    except Continue:
        if _claim_update(op, status=Status.QUEUED, failure_streak=0, updated_at=timezone.now()):
            return _resend(op)
        return "claim lost"
    except ClaimLost:
        return "claim lost"
    except OutcomeUnknown as exc:
        return _unknown(op, exc.message)
    except LeadterraError as exc:
        if isinstance(exc, Transient):
            return _retry(op, exc.message, op.progress != before, getattr(exc, "retry_after", None))
        return _fail(op, exc.message)
    except (SoftTimeLimitExceeded, OperationalError, InterfaceError) as exc:
        if not isinstance(exc, SoftTimeLimitExceeded):
            _drop_connection()  # it may be dead (a cut, a restart): write what happened on a new one
        if op.kind in NOT_RETRY_SAFE:  # it may have been cut off after its call went out
            return _unknown(op, f"Interrupted while it ran ({exc.__class__.__name__}).")
        # The time limit, or the database was briefly unavailable: nothing is wrong with the request.
        return _retry(op, f"Interrupted ({exc.__class__.__name__}); it will be retried.", op.progress != before)
    except Exception as exc:
        logger.exception("operation %s (%s) crashed", op.pk, op.kind)
        if op.kind in NOT_RETRY_SAFE:
            return _unknown(op, f"The {op.kind} handler crashed while it ran ({exc.__class__.__name__}).")
        return _fail(op, f"Unexpected error in the {op.kind} handler: {exc.__class__.__name__}: {exc}")
    stored = _claim_update(
        op,
        status=Status.SUCCEEDED,
        result=result or {},
        last_error="",
        failure_streak=0,
        next_attempt_at=None,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return "succeeded" if stored else "claim lost"  # another worker holds it now: its outcome stands


def _mine(op: Operation):
    """The row, only while this worker's claim on it stands."""
    return Operation.objects.filter(pk=op.pk, status=Status.RUNNING, claimed_at=op.claimed_at)


# Waits (s) between outcome writes while the database is away; then the sweeper finds the row.
DB_RECONNECT_PAUSES = (0.5, 1.0, 2.0, 4.0)


def _drop_connection() -> None:
    """Close this thread's connection so the next query opens a new one. Not inside a
    transaction (only its owner may end it); the engine runs outside one."""
    if not connection.in_atomic_block:
        connection.close()


def _claim_update(op: Operation, **fields) -> int:
    """Write an outcome while this worker's claim stands (0: the claim was lost).

    A write through a dead connection fails and would leave the row claimed until the
    sweeper noticed: on a connection error, drop the connection and write again."""
    for pause in DB_RECONNECT_PAUSES:
        try:
            return _mine(op).update(**fields)
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block:
                raise
            logger.warning("operation %s: the database connection failed; writing its outcome again", op.pk)
            _drop_connection()
            time.sleep(pause)
    return _mine(op).update(**fields)  # the last try: an error now ends the task, and the sweeper finds the row


def _unclaim(op: Operation, exc: Exception) -> str:
    _drop_connection()
    message = f"Interrupted ({exc.__class__.__name__}) before it started; it will be run again."
    if not _claim_update(op, status=Status.QUEUED, last_error=message, updated_at=timezone.now()):
        return "claim lost"
    return _resend(op, backoff(1))


def _resend(op: Operation, countdown: float | None = None) -> str:
    _send(op.pk, countdown)
    return "continued" if countdown is None else "retrying"


def backoff(streak: int) -> float:
    """Exponential backoff with jitter: a random wait in [d/2, d], d = base * 2^(streak-1)."""
    base, cap = (
        setting_number("OPERATION_RETRY_BASE_SECONDS", 2.0),
        setting_number("OPERATION_RETRY_MAX_SECONDS", 300.0),
    )
    delay = min(cap, base * 2 ** max(0, streak - 1))
    return random.uniform(delay / 2, delay)


def _retry(op: Operation, message: str, progressed: bool, retry_after: float | None = None) -> str:
    streak = 1 if progressed else op.failure_streak + 1
    limit = int(setting_number("OPERATION_MAX_FAILURE_STREAK", 10))
    if streak > limit:
        return _fail(op, f"Gave up after {limit} failed attempts in a row. Last error: {message}")
    if retry_after is not None:  # 429: wait what Leadterra asked (plus a little, so workers spread out)
        delay = max(0.5, retry_after) * random.uniform(1.0, 1.25)
    else:
        delay = backoff(streak)
    now = timezone.now()
    changed = _claim_update(
        op,
        status=Status.RETRYING,
        last_error=message,
        retries=F("retries") + 1,
        failure_streak=streak,
        next_attempt_at=now + timedelta(seconds=delay),
        updated_at=now,
    )
    return _resend(op, delay) if changed else "claim lost"


def _fail(op: Operation, message: str) -> str:
    now = timezone.now()
    if not _claim_update(
        op, status=Status.FAILED, last_error=message, next_attempt_at=None, finished_at=now, updated_at=now
    ):
        return "claim lost"
    op.status, op.last_error = Status.FAILED, message
    _run_failure_hook(op)
    return "failed"


UNKNOWN_NOTE = "Outcome unknown — check the thread before doing it again; it will not be retried on its own."


def _unknown(op: Operation, message: str) -> str:
    """Final: the call may have reached Leadterra, so nothing repeats it; a person settles it."""
    now = timezone.now()
    text = f"{message} {UNKNOWN_NOTE}" if UNKNOWN_NOTE not in message else message
    if not _claim_update(
        op, status=Status.OUTCOME_UNKNOWN, last_error=text, next_attempt_at=None, finished_at=now, updated_at=now
    ):
        return "claim lost"
    audit_record(actor=None, action="operation.outcome_unknown", campaign=op.campaign, operation=op.pk, kind=op.kind)
    return "outcome unknown"


def _run_failure_hook(op: Operation) -> None:
    hook = FAILURE_HOOKS.get(op.kind)
    if hook:
        try:
            hook(op)
        except Exception:
            logger.exception("failure hook of operation %s (%s) crashed", op.pk, op.kind)


# --- pruning (beat; the sweeper is services/operation_sweeper.py) ----------------------


def call_log_prune(*, now=None) -> int:
    cutoff = (now or timezone.now()) - timedelta(hours=settings.CALL_LOG_RETENTION_HOURS)
    deleted, _ = ApiCall.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- manager actions ----------------------------------------------------------------


def _check_manager(actor) -> None:
    require(actor, "manage_operations")


def operation_retry(*, operation: Operation, actor) -> Operation:
    """Queue a failed operation again; its checkpoints are kept, so done work is skipped."""
    with transaction.atomic():
        _check_manager(actor)
        op = Operation.objects.select_for_update().get(pk=operation.pk)
        if op.status != Status.FAILED:
            raise OperationStateError("Only a failed operation can be retried.")
        hook = RETRY_HOOKS.get(op.kind)
        if hook:
            hook(op, actor)  # may refuse (OperationStateError); the transaction then writes nothing
        op.status, op.failure_streak, op.next_attempt_at, op.finished_at = Status.QUEUED, 0, None, None
        op.save(update_fields=["status", "failure_streak", "next_attempt_at", "finished_at", "updated_at"])
        audit_record(actor=actor, action="operation.retried", campaign=op.campaign, operation=op.pk, kind=op.kind)
        transaction.on_commit(lambda: _send(op.pk))
        return op


def operation_cancel(*, operation: Operation, actor) -> Operation:
    """Close an operation that no worker holds; it will not be sent again."""
    with transaction.atomic():
        _check_manager(actor)
        op = Operation.objects.select_for_update().get(pk=operation.pk)
        if op.status not in (Status.FAILED, Status.QUEUED, Status.RETRYING):
            raise OperationStateError("Only a failed, queued or retrying operation can be cancelled.")
        already_failed = op.status == Status.FAILED  # its failure hook ran when it failed
        note = f"Cancelled by {actor.get_username()}."
        op.last_error = f"{note} {op.last_error}".strip()
        op.status, op.next_attempt_at, op.finished_at = Status.CANCELLED, None, timezone.now()
        op.save(update_fields=["status", "last_error", "next_attempt_at", "finished_at", "updated_at"])
        if not already_failed:
            _run_failure_hook(op)
        audit_record(actor=actor, action="operation.cancelled", campaign=op.campaign, operation=op.pk, kind=op.kind)
        return op


def operation_settle(*, operation: Operation, actor, sent: bool) -> Operation:
    """A person checked the thread of an outcome-unknown operation and says what happened.

    There is deliberately no retry for it: "sent" closes it as succeeded; "not sent" cancels
    it, and whoever wants it done does it again as a new, deliberate action."""
    with transaction.atomic():
        _check_manager(actor)
        op = Operation.objects.select_for_update().get(pk=operation.pk)
        if op.status != Status.OUTCOME_UNKNOWN:
            raise OperationStateError("Only an operation whose outcome is unknown can be settled.")
        who, now = actor.get_username(), timezone.now()
        if sent:
            op.status, op.result = Status.SUCCEEDED, {**op.result, "settled": "sent", "settled_by": who}
            op.last_error = f"Checked by {who}: it went out. {op.last_error}".strip()
        else:
            op.status = Status.CANCELLED
            op.last_error = f"Checked by {who}: it did not go out. {op.last_error}".strip()
        op.finished_at = now
        op.save(update_fields=["status", "result", "last_error", "finished_at", "updated_at"])
        audit_record(
            actor=actor, action="operation.settled", campaign=op.campaign, operation=op.pk, kind=op.kind, sent=sent
        )
        return op
