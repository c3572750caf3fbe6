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
