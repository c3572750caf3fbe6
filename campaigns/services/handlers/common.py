"""What several handlers need: the content to launch and the campaign's remote id."""

from __future__ import annotations

from campaigns.leadterra import LeadterraError
from campaigns.models import Campaign, Operation
from campaigns.services.versions import campaign_snapshot


def launch_content(campaign: Campaign) -> dict:
    """The approved version's content (what a manager approved), else the current content."""
    if campaign.approved_version:
        version = campaign.versions.filter(number=campaign.approved_version).first()
        if version:
            return version.content
    return campaign_snapshot(campaign)


def require_remote(op: Operation) -> str:
    remote_id = Campaign.objects.filter(pk=op.campaign_id).values_list("remote_id", flat=True).first()
    if not remote_id:
        raise LeadterraError("The campaign does not exist on Leadterra yet; launch it first.", code="not_launched")
    return remote_id
