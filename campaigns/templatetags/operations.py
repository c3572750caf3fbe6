"""Words for an operation's payload and progress (the Operations page and the status fragment)."""

from django import template

register = template.Library()

EVERYTHING = {
    "enroll_leads": "all pending leads",
    "suppress": "every address not yet pushed",
    "launch": "approved version, all pending leads",
}


@register.filter
def payload_summary(op) -> str:
    payload = op.payload or {}
    parts = []
    if "emails" in payload:
        parts.append(f"{len(payload['emails'])} email(s)")
    if "lead_ids" in payload:
        parts.append(f"{len(payload['lead_ids'])} lead(s)")
    if payload.get("url"):
        parts.append(payload["url"])
    if payload.get("reason"):
        parts.append(f"reason: {payload['reason']}")
    return ", ".join(parts) or EVERYTHING.get(op.kind, "—")


@register.filter
def progress_summary(op) -> str:
    progress = op.progress or {}
    parts = []
    if progress.get("stage") and progress["stage"] != "done":
        parts.append(f"stage: {progress['stage']}")
    enroll = progress.get("enroll")
    if enroll:
        parts.append(f"{enroll.get('sent', 0):,} lead(s) sent in {enroll.get('chunks', 0)} chunk(s)")
        if enroll.get("rejected"):
            parts.append(f"{enroll['rejected']:,} rejected")
    if progress.get("suppress"):
        parts.append(f"{progress['suppress'].get('done', 0):,} email(s) pushed")
    return ", ".join(parts)
