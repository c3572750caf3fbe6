"""Writing drafted answers for an SDR's thread (`POST /v1/sdr/drafts/generate`), with that SDR's key.

Safe to run again: the call carries the operation's idempotency key, and drafts are stored by
their Leadterra id, so a re-run after a lost answer stores the same drafts once.
"""

from __future__ import annotations

import html
import re

from django.db import transaction

from campaigns.audit import audit_record
from campaigns.models import Operation, SdrDraft
from campaigns.services.handlers.sdr import sdr_key_of
from campaigns.services.operations import handles


@handles(Operation.Kind.GENERATE_DRAFTS)
def generate_drafts(op: Operation, client) -> dict:
    p = op.payload
    result = client.generate_drafts(
        api_key=sdr_key_of(op),
        thread_id=p["thread_id"],
        instructions=p.get("instructions") or None,
        variant_count=int(p.get("variant_count") or 1),
        idempotency_key=str(op.idempotency_key),
    )
    with transaction.atomic():
        for n, d in enumerate(result.drafts):
            SdrDraft.objects.update_or_create(
                draft_id=d.id,
                defaults={
                    "user_id": p["sdr_user"],
                    "thread_id": p["thread_id"],
                    "reply_id": p.get("reply"),
                    "operation": op,
                    "position": n,
                    "subject": d.subject[:500],
                    "body_text": d.body_text or _plain(d.body_html),
                    "approach": d.approach[:100],
                    "confidence": d.confidence,
                    "rationale": d.rationale,
                    "applied_rules": list(result.applied_rules),
                },
            )
        audit_record(
            actor=op.created_by,
            action="drafts.generated",
            thread=p["thread_id"],
            drafts=len(result.drafts),
            operation=op.pk,
        )
    return {"drafts": [d.id for d in result.drafts], "applied_rules": list(result.applied_rules)}


def _plain(markup: str) -> str:
    """A draft that came as HTML only: its text, paragraphs kept (the page edits text)."""
    text = re.sub(r"(?i)</p\s*>|<br\s*/?>", "\n\n", markup or "")
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
