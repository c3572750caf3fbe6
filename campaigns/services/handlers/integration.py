"""Workspace-wide handlers: suppression pushes, webhook registration, pool refresh."""

from __future__ import annotations

from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.models import Operation, SuppressedEmail
from campaigns.services import sync_jobs
from campaigns.services.operations import checkpoint, handles
from campaigns.services.sync_jobs import sync_failure
from campaigns.services.webhooks import EVENTS

SUPPRESS_CHUNK = 1000  # Leadterra's limit per request


@handles(Operation.Kind.SUPPRESS)
def suppress(op: Operation, client) -> dict:
    """payload {"emails": [...]} or {} for every SuppressedEmail not yet pushed.

    Each accepted chunk is marked pushed_at at once; suppressing twice is harmless, so a
    chunk resent after a crash costs nothing."""
    state = op.progress.setdefault("suppress", {"done": 0, "suppressed": 0, "already": 0})
    explicit = op.payload.get("emails")
    while True:
        if explicit is not None:
            chunk = explicit[state["done"] : state["done"] + SUPPRESS_CHUNK]
        else:
            unpushed = SuppressedEmail.objects.filter(pushed_at__isnull=True).order_by("id")
            chunk = list(unpushed.values_list("email", flat=True)[:SUPPRESS_CHUNK])
        if not chunk:
            break
        result = client.suppress(chunk)
        SuppressedEmail.objects.filter(email__in=chunk, pushed_at__isnull=True).update(pushed_at=timezone.now())
        state["done"] += len(chunk)
        state["suppressed"] += result.suppressed
        state["already"] += result.already_suppressed or 0
        checkpoint(op)
    audit_record(
        actor=op.created_by,
        action="suppression.pushed",
        operation=op.pk,
        emails=state["done"],
        newly_suppressed=state["suppressed"],
    )
    return dict(state)


@handles(Operation.Kind.REGISTER_WEBHOOK)
def register_webhook(op: Operation, client) -> dict:
    """Leadterra has no list or delete endpoint, so a retry after a lost answer may register
    a second webhook: deliveries are deduplicated by event id on our side."""
    hook = client.register_webhook(url=op.payload["url"], events=op.payload.get("events") or list(EVENTS))
    audit_record(
        actor=op.created_by,
        action="webhook.registered",
        operation=op.pk,
        webhook_id=hook.id,
        url=hook.url,
        events=list(hook.events),
    )
    return {"id": hook.id, "url": hook.url, "events": list(hook.events), "status": hook.status}


def pools_failed(op: Operation) -> None:
    sync_failure(name=sync_jobs.POOLS, error=op.last_error)


@handles(Operation.Kind.REFRESH_POOLS, on_failure=pools_failed)
def refresh_pools(op: Operation, client) -> dict:
    from campaigns.services.pools import pools_apply

    pools, accounts = client.list_sender_pools(), client.list_sender_accounts()
    applied = pools_apply(pools=pools, accounts=accounts)
    return {"pools": len(pools), "accounts": len(accounts), **(applied if isinstance(applied, dict) else {})}
