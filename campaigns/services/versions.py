"""Content snapshots and hashes: what an approval is bound to."""

import hashlib
import json

from campaigns.models import Campaign, CampaignVersion


def campaign_snapshot(campaign: Campaign) -> dict:
    """The content a manager approves: the name and every step, in order."""
    steps = [
        {"subject": s.subject, "body_html": s.body_html, "delay_days": s.delay_days}
        for s in campaign.steps.order_by("position")
    ]
    return {"name": campaign.name, "steps": steps}


def content_hash(snapshot: dict) -> str:
    encoded = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def version_save(*, campaign: Campaign, actor) -> CampaignVersion:
    """Bump the campaign's version and store a snapshot of its current content.

    Call inside the transaction that changed the content (the editor does).
    """
    snapshot = campaign_snapshot(campaign)
    campaign.version += 1
    campaign.save(update_fields=["version", "updated_at"])
    return CampaignVersion.objects.create(
        campaign=campaign,
        number=campaign.version,
        content=snapshot,
        content_hash=content_hash(snapshot),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def snapshot_changes(old: dict | None, new: dict) -> list[str]:
    """What changed between two snapshots, as short sentences a person can act on.

    Used to tell the second of two concurrent editors what the first one changed, and
    recorded with each edit in the audit trail.
    """
    if old is None:
        return ["The whole sequence (the version you started from is unknown)."]
    changes = []
    if old["name"] != new["name"]:
        changes.append(f"Name: “{_clip(old['name'])}” → “{_clip(new['name'])}”.")
    old_steps, new_steps = old["steps"], new["steps"]
    for i in range(max(len(old_steps), len(new_steps))):
        n = i + 1
        if i >= len(old_steps):
            changes.append(f"Step {n} added: “{_clip(new_steps[i]['subject'])}”.")
        elif i >= len(new_steps):
            changes.append(f"Step {n} removed: “{_clip(old_steps[i]['subject'])}”.")
        else:
            a, b = old_steps[i], new_steps[i]
            if a["subject"] != b["subject"]:
                changes.append(f"Step {n} subject: “{_clip(a['subject'])}” → “{_clip(b['subject'])}”.")
            if a["body_html"] != b["body_html"]:
                changes.append(f"Step {n} body changed.")
            if a["delay_days"] != b["delay_days"]:
                changes.append(f"Step {n} delay: {a['delay_days']} → {b['delay_days']} days.")
    return changes
