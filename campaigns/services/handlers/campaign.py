"""Campaign handlers: create, start, pause and launch (create → enroll → start)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.leadterra import LeadterraError, StepData
from campaigns.merge_tags import compile_steps
from campaigns.models import Campaign, Lead, Operation
from campaigns.services.handlers.common import launch_content, require_remote
from campaigns.services.handlers.leads import enroll_pending
from campaigns.services.operations import checkpoint, handles


def create_key(campaign: Campaign) -> str:
    """Bound to the campaign and version, not to the operation: a second launch after a lost
    answer sends the same key, so Leadterra replays the first campaign instead of a new one."""
    return f"ltops-campaign-{campaign.pk}-v{campaign.approved_version or campaign.version}"


def ensure_remote(op: Operation, client) -> str:
    """The campaign's remote id, creating the remote draft first when there is none."""
    campaign = Campaign.objects.get(pk=op.campaign_id)
    if campaign.remote_id:
        return campaign.remote_id
    content = launch_content(campaign)
    compiled, _ = compile_steps(content["steps"])
    steps = [StepData(subject=s["subject"], body_html=s["body_html"], delay_days=s["delay_days"]) for s in compiled]
    if not steps:
        raise LeadterraError(
            "The campaign has no sequence steps; add at least one before launching.", code="no_sequence_steps"
        )
    created = client.create_campaign(name=content["name"], steps=steps, idempotency_key=create_key(campaign))
    # Stored the moment it is known: every later retry sees it and never creates again.
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk, remote_id__isnull=True).update(
            remote_id=created.id, updated_at=timezone.now()
        )
        audit_record(
            actor=op.created_by,
            action="campaign.remote_created",
            campaign=campaign,
            remote_id=created.id,
            operation=op.pk,
        )
    checkpoint(op, remote_id=created.id)
    return created.id


def _started(op: Operation, client, remote_id: str, **extra) -> dict:
    if not Lead.objects.filter(campaign_id=op.campaign_id, status=Lead.Status.ENROLLED).exists():
        raise LeadterraError(
            "No lead is enrolled, so Leadterra would refuse to start; add leads first.", code="no_leads_enrolled"
        )
    state = client.start_campaign(remote_id)
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=op.campaign_id)
        resumed = campaign.status == Campaign.Status.PAUSED
        campaign.status, campaign.status_reason = Campaign.Status.RUNNING, ""
        campaign.started_at = campaign.started_at or state.at or now
        campaign.paused_at = None
        for field, value in extra.items():
            setattr(campaign, field, getattr(campaign, field) or value)
        campaign.save()
        action = "campaign.launched" if extra else ("campaign.resumed" if resumed else "campaign.started")
        audit_record(actor=op.created_by, action=action, campaign=campaign, remote_id=remote_id, operation=op.pk)
    return {"remote_id": remote_id, "status": state.status}


@handles(Operation.Kind.CREATE_CAMPAIGN)
def create_campaign(op: Operation, client) -> dict:
    return {"remote_id": ensure_remote(op, client)}


@handles(Operation.Kind.START)
def start(op: Operation, client) -> dict:
    return _started(op, client, require_remote(op))


@handles(Operation.Kind.PAUSE)
def pause(op: Operation, client) -> dict:
    remote_id = require_remote(op)
    state = client.pause_campaign(remote_id)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=op.campaign_id)
        campaign.status = Campaign.Status.PAUSED
        campaign.paused_at = state.at or timezone.now()
        campaign.save(update_fields=["status", "paused_at", "updated_at"])
        audit_record(
            actor=op.created_by,
            action="campaign.paused",
            campaign=campaign,
            reason=op.payload.get("reason", ""),
            operation=op.pk,
        )
    return {"remote_id": remote_id, "status": state.status}


def launch_failed(op: Operation) -> None:
    """A launch that failed for good (or was cancelled) says why on the campaign."""
    with transaction.atomic():
        updated = Campaign.objects.filter(
            pk=op.campaign_id, status__in=[Campaign.Status.LAUNCHING, Campaign.Status.APPROVED]
        ).update(status=Campaign.Status.LAUNCH_FAILED, status_reason=op.last_error, updated_at=timezone.now())
        if updated:
            audit_record(
                actor=op.created_by,
                action="campaign.launch_failed",
                campaign=op.campaign,
                reason=op.last_error,
                operation=op.pk,
            )


@handles(Operation.Kind.LAUNCH, on_failure=launch_failed)
def launch(op: Operation, client) -> dict:
    """Each stage is checkpointed: a failure resumes where it stopped, sending nothing twice."""
    checkpoint(op, stage="create")
    remote_id = ensure_remote(op, client)
    checkpoint(op, stage="enroll")
    enrolled = enroll_pending(op, client, remote_id=remote_id, content=launch_content(op.campaign))
    checkpoint(op, stage="start")
    result = _started(op, client, remote_id, launched_at=timezone.now())
    checkpoint(op, stage="done")
    return {**result, "enroll": enrolled}
