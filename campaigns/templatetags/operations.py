"""Words for an operation's payload and progress (the Operations page and the status fragment)."""

from django import template

from campaigns.wording import plural

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
        parts.append(plural(len(payload["emails"]), "email"))
    if "lead_ids" in payload:
        parts.append(plural(len(payload["lead_ids"]), "lead"))
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
        parts.append(f"{plural(enroll.get('sent', 0), 'lead')} sent in {plural(enroll.get('chunks', 0), 'chunk')}")
        if enroll.get("rejected"):
            parts.append(f"{enroll['rejected']:,} rejected")
    if progress.get("suppress"):
        parts.append(f"{plural(progress['suppress'].get('done', 0), 'email')} pushed")
    return ", ".join(parts)
