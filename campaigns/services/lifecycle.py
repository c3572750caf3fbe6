"""Campaign lifecycle: submit, approve, reject, launch, pause, resume.

CONTRACT (the approvals & launch work owns and completes this module). Other areas call:
- campaign_pause(campaign=..., actor=None, reason=...): used by the bounce guard
  (actor None = the system). Records who and why, enqueues a `pause` operation.
- approval_void(campaign=..., actor=...): the editor calls it after any content save;
  an in_review or approved campaign returns to draft, saying why.
"""

from django.db import transaction

from campaigns.audit import audit_record
from campaigns.models import Campaign
from campaigns.services.operations import operation_enqueue


@transaction.atomic
def approval_void(*, campaign: Campaign, actor) -> bool:
    """Return True when an approval or pending review was voided by an edit."""
    if campaign.status not in {Campaign.Status.IN_REVIEW, Campaign.Status.APPROVED}:
        return False
    previous = campaign.status
    who = actor.get_username() if actor else "the system"
    campaign.status = Campaign.Status.DRAFT
    campaign.status_reason = (
        f"Edited by {who} after it was {'approved' if previous == 'approved' else 'submitted'}; it needs a new review."
    )
    campaign.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(actor=actor, action="approval.voided", campaign=campaign, previous_status=previous)
    return True


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor=None, reason: str = ""):
    """Ask Leadterra to pause; local status follows when the operation succeeds."""
    campaign.paused_by = actor if getattr(actor, "is_authenticated", False) else None
    campaign.status_reason = reason
    campaign.save(update_fields=["paused_by", "status_reason", "updated_at"])
    audit_record(actor=actor, action="campaign.pause_requested", campaign=campaign, reason=reason)
    return operation_enqueue(kind="pause", campaign=campaign, actor=actor, payload={"reason": reason})
