"""Enrollment: PENDING leads in id order, chunks of 500, each chunk checkpointed.

A chunk's checkpoint (last lead id and running counts) and its leads' new statuses are
written in one transaction, so after a crash a chunk is either fully recorded or sent
again, with the same Idempotency-Key (Leadterra replays its first answer; and the bulk
endpoint upserts by email anyway). A 422 names its bad items by index: they are marked
`rejected` with Leadterra's reason and the rest of the chunk is sent again.
"""

from __future__ import annotations

import hashlib
import time

from django.db import transaction
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.leadterra import Invalid
from campaigns.merge_tags import compile_steps, lead_payload
from campaigns.models import Lead, Operation, SuppressedEmail
from campaigns.services.handlers.common import launch_content, require_remote
from campaigns.services.operations import Continue, checkpoint, handles, setting_number

CHUNK_SIZE = 500
COUNTS = ("chunks", "sent", "enrolled", "updated", "skipped", "rejected")


def enroll_pending(op: Operation, client, *, remote_id: str, content: dict) -> dict:
    """Enroll every PENDING lead of the campaign (or of payload["lead_ids"]); returns the counts."""
    _, derived = compile_steps(content["steps"])
    state = op.progress.setdefault("enroll", {"last_lead_id": 0, **dict.fromkeys(COUNTS, 0)})
    budget = setting_number("OPERATION_TIME_BUDGET_SECONDS", 60)
    started = time.monotonic()
    while True:
        leads = Lead.objects.filter(
            campaign_id=op.campaign_id, status=Lead.Status.PENDING, id__gt=state["last_lead_id"]
        ).order_by("id")
        if op.payload.get("lead_ids"):
            leads = leads.filter(id__in=op.payload["lead_ids"])
        batch = list(leads[:CHUNK_SIZE])
        if not batch:
            return {k: state[k] for k in COUNTS}
        _enroll_chunk(op, client, remote_id, batch, derived, state)
        if time.monotonic() - started > budget:
            raise Continue  # checkpointed; a fresh task goes on, far from the time limit


def _enroll_chunk(op, client, remote_id, batch, derived, state) -> None:
    remaining, rejected, result = list(batch), {}, None
    while remaining:
        emails = ",".join(lead.email for lead in remaining)
        key = f"{op.idempotency_key}-{hashlib.sha256(emails.encode()).hexdigest()[:20]}"
        try:
            result = client.enroll_leads(remote_id, [lead_payload(x, derived) for x in remaining], idempotency_key=key)
            break
        except Invalid as exc:
            bad = _bad_items(exc, len(remaining))
            if not bad:
                raise  # a 400, or a 422 naming no item: nothing to drop, a person must look
            for index, message in bad.items():
                rejected[remaining[index].pk] = message
            remaining = [lead for i, lead in enumerate(remaining) if i not in bad]
    with transaction.atomic():
        _mark(remaining, rejected, result.skipped if result else 0, state)
        state["last_lead_id"] = batch[-1].pk
        state["chunks"] += 1
        state["sent"] += len(remaining)
        if result:
            state["enrolled"] += result.enrolled
            state["updated"] += result.updated
        state["rejected"] += len(rejected)
        checkpoint(op)


def _bad_items(exc: Invalid, size: int) -> dict[int, str]:
    bad = {}
    for item in exc.errors:
        index = item.get("index")
        if isinstance(index, int) and 0 <= index < size:
            field = f"{item['field']}: " if item.get("field") else ""
            bad[index] = f"{field}{item.get('message') or 'rejected by Leadterra'}"[:500]
    return bad


def _mark(sent: list[Lead], rejected: dict[int, str], skipped: int, state: dict) -> None:
    """Leadterra says how many it skipped (suppressed), not which: the local mirror says which."""
    now = timezone.now()
    for pk, message in rejected.items():
        Lead.objects.filter(pk=pk).update(status=Lead.Status.REJECTED, error=message, updated_at=now)
    skipped_emails = set()
    if skipped:
        emails = [lead.email for lead in sent]
        skipped_emails = set(SuppressedEmail.objects.filter(email__in=emails).values_list("email", flat=True))
        Lead.objects.filter(pk__in=[x.pk for x in sent if x.email in skipped_emails]).update(
            status=Lead.Status.SKIPPED, error="Suppressed: Leadterra left it out.", updated_at=now
        )
    state["skipped"] += skipped
    state["skipped_unexplained"] = state.get("skipped_unexplained", 0) + max(0, skipped - len(skipped_emails))
    Lead.objects.filter(pk__in=[x.pk for x in sent if x.email not in skipped_emails]).update(
        status=Lead.Status.ENROLLED, error="", enrolled_at=now, updated_at=now
    )


@handles(Operation.Kind.ENROLL_LEADS)
def enroll_leads(op: Operation, client) -> dict:
    counts = enroll_pending(op, client, remote_id=require_remote(op), content=launch_content(op.campaign))
    audit_record(actor=op.created_by, action="leads.enrolled", campaign=op.campaign, operation=op.pk, **counts)
    return counts
