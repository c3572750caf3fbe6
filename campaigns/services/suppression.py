"""The local mirror of Leadterra's suppression list (which can be neither listed nor undone).

Every address added here starts unpushed (`pushed_at` empty). Adds are coalesced: at most one
pending `suppress` operation exists at a time (a queued or retrying one is reused), and its
handler pushes every unpushed address, up to 1,000 a call, setting `pushed_at` as Leadterra
accepts each chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction

from campaigns.audit import audit_record
from campaigns.models import Operation, SuppressedEmail
from campaigns.permissions import require
from campaigns.services.emails import InvalidEmail, email_normalise
from campaigns.services.operations import operation_enqueue

MAX_PASTE = 10_000
SEPARATORS = re.compile(r"[\s,;]+")


@dataclass
class SuppressionResult:
    added: list[str] = field(default_factory=list)
    already: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (value, reason)
    operation: Operation | None = None


def suppression_parse(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Normalised, de-duplicated addresses in pasted text, and the values that are not addresses."""
    valid: dict[str, None] = {}
    invalid = []
    for value in SEPARATORS.split(text or ""):
        if not value:
            continue
        try:
            valid[email_normalise(value)] = None
        except InvalidEmail as exc:
            invalid.append((value, str(exc)))
    return list(valid), invalid


def suppression_add(*, emails: list[str], actor, source: str = SuppressedEmail.Source.MANUAL, note: str = ""):
    """Add normalised addresses to the mirror and push the new ones to Leadterra."""
    if actor is not None:  # None: the system (a bounce or an unsubscribe from Leadterra)
        require(actor, "manage_suppression")
    result = SuppressionResult()
    with transaction.atomic():
        known = set(SuppressedEmail.objects.filter(email__in=emails).values_list("email", flat=True))
        result.added = [e for e in emails if e not in known]
        result.already = len(emails) - len(result.added)
        creator = actor if getattr(actor, "is_authenticated", False) else None
        SuppressedEmail.objects.bulk_create(
            [SuppressedEmail(email=e, source=source, note=note[:500], created_by=creator) for e in result.added],
            ignore_conflicts=True,  # a concurrent add of the same address is not an error
        )
        if result.added:
            result.operation = suppression_push_queue(actor=actor)
            audit_record(
                actor=actor,
                action="suppression.added",
                count=len(result.added),
                source=source,
                emails=result.added[:20],
                operation=result.operation.pk,
            )
    return result


def suppression_push_pending(*, actor) -> Operation | None:
    """Retry the push for every address Leadterra has not accepted yet."""
    require(actor, "manage_suppression")
    pending = SuppressedEmail.objects.filter(pushed_at__isnull=True).count()
    if not pending:
        return None
    with transaction.atomic():
        op = suppression_push_queue(actor=actor)
        audit_record(actor=actor, action="suppression.push_requested", count=pending, operation=op.pk)
    return op


def suppression_push_queue(*, actor) -> Operation:
    """The one pending push of every unpushed address: a queued or retrying one if there is
    one (it has not read the list yet, or will read it again), else a new one.

    A running push may already have read its last chunk, so it is not reused. The lock
    makes two adds at the same moment share the pending row when one exists."""
    with transaction.atomic():
        pending = (
            Operation.objects.select_for_update()
            .filter(kind=Operation.Kind.SUPPRESS, status__in=[Operation.Status.QUEUED, Operation.Status.RETRYING])
            .exclude(payload__has_key="emails")  # an older push of a fixed list
            .order_by("id")
            .first()
        )
        return pending or operation_enqueue(kind=Operation.Kind.SUPPRESS, payload={}, actor=actor)
