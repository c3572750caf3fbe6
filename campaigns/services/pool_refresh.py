"""Fresh pool numbers for a launch: its own short path, which never waits on a dead refresh.

The launch pre-flight needs capacity fetched moments ago. A refresh already under way and alive
(queued for a worker, or running with a holder that beats) is reused; a dead one, stranded (its
worker stopped beating) or waiting out a backoff after a failure, is closed and replaced by a new
one at once (a refresh only reads Leadterra, so replacing it repeats nothing that matters). The
page says which it is: "Refreshing pool numbers (started 3 s ago)." or "The last refresh failed:
…; retrying now."
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from campaigns.models import Operation
from campaigns.services.operation_liveness import is_alive
from campaigns.services.operations import operation_enqueue
from campaigns.wording import compact_age

Status = Operation.Status
STRANDED = "its worker stopped answering"


@dataclass(frozen=True)
class RefreshState:
    op: Operation | None
    live: bool  # worth waiting for: the checks follow when it ends
    sentence: str


def pools_refresh_for_launch(*, actor) -> Operation:
    """The refresh a launch follows: a live one, else a new one replacing any dead one."""
    refreshes = Operation.objects.filter(kind=Operation.Kind.REFRESH_POOLS)
    with transaction.atomic():
        active = list(refreshes.select_for_update().filter(status__in=Operation.ACTIVE_STATES).order_by("-pk"))
        if live := next((op for op in active if is_alive(op)), None):
            return live
        reasons = [why for op in active if (why := _replace(op))]
        if not active:
            latest = refreshes.order_by("-pk").first()
            if latest is not None and latest.status == Status.FAILED:
                reasons.append(latest.last_error or "no reason was given")
        payload = {"after_failure": reasons[0]} if reasons else {}
        return operation_enqueue(kind=Operation.Kind.REFRESH_POOLS, actor=actor, payload=payload)


def _dead_reason(op: Operation) -> str:
    return STRANDED if op.status == Status.RUNNING else (op.last_error or "no reason was given")


def _replace(op: Operation) -> str:
    """Close a dead refresh (only as it was seen: a holder that wrote since keeps it)."""
    reason, now = _dead_reason(op), timezone.now()
    closed = Operation.objects.filter(pk=op.pk, status=op.status, updated_at=op.updated_at).update(
        status=Status.CANCELLED,
        last_error=f"Replaced by a new refresh for a launch ({reason}).",
        next_attempt_at=None,
        finished_at=now,
        updated_at=now,
    )
    return reason if closed else ""


def refresh_state(op: Operation | None, *, now=None) -> RefreshState:
    """What the launch page says about the refresh it follows, and whether to wait for it."""
    now = now or timezone.now()
    if op is None:
        return RefreshState(None, False, "")
    started = compact_age((now - op.created_at).total_seconds())
    if op.is_active and is_alive(op, now):
        failure = op.payload.get("after_failure")
        if failure:
            return RefreshState(op, True, f"The last refresh failed: {failure}; retrying now (started {started} ago).")
        return RefreshState(op, True, f"Refreshing pool numbers (started {started} ago).")
    if op.status == Status.RUNNING:
        return RefreshState(op, False, f"The refresh stopped: {STRANDED}. Refresh again to replace it.")
    if op.status == Status.RETRYING:
        sentence = f"The last refresh failed: {op.last_error}; it waits to retry. Refresh again to retry now."
        return RefreshState(op, False, sentence)
    if op.status in (Status.FAILED, Status.CANCELLED):
        return RefreshState(op, False, f"The refresh did not finish: {op.last_error}")
    return RefreshState(op, False, f"Pool numbers refreshed (started {started} ago).")
