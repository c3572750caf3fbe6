"""The transactional outbox: every Leadterra write is an Operation.

CONTRACT (the client/outbox work owns the engine; areas register handlers):
- operation_enqueue(kind=..., campaign=..., payload=..., actor=...) creates the row in the
  caller's transaction and sends `run_operation` when that transaction commits.
- @handles(kind) registers `fn(op, client) -> dict | None`; the engine claims the row,
  calls the handler, stores its return value as `op.result`, and turns LeadterraError
  subclasses into retries (Transient, RateLimited) or a failure (everything else).
  Handlers must be safe to run again: checkpoint in `op.progress` and save it at once.
- on_failure(op) hooks let an area react when an operation fails for good
  (e.g. a launch sets the campaign to launch_failed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from campaigns.models import Operation

logger = logging.getLogger(__name__)
HANDLERS: dict[str, Callable] = {}
FAILURE_HOOKS: dict[str, Callable] = {}


def handles(kind: str, *, on_failure: Callable | None = None):
    def register(fn):
        HANDLERS[kind] = fn
        if on_failure:
            FAILURE_HOOKS[kind] = on_failure
        return fn

    return register


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


def _send(operation_id: int) -> None:
    """Hand the operation to the broker; if the broker is down the sweeper sends it later."""
    from campaigns.tasks import run_operation

    try:
        run_operation.delay(operation_id)
    except Exception as exc:  # broker down: the row stays queued and the sweeper sends it
        logger.warning("operation %s stays queued: broker unavailable (%s)", operation_id, exc.__class__.__name__)
