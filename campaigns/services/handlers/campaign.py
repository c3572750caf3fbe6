"""Campaign handlers: create, start, pause and launch (create → enroll → start).

They never set a campaign's status themselves: what Leadterra confirms goes through
`transitions.confirm`, which applies it only where the lifecycle table allows.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.leadterra import LeadterraError, StepData
from campaigns.merge_tags import compile_steps
from campaigns.models import Campaign, Lead, Operation
from campaigns.services.handlers.common import launch_content, require_remote
from campaigns.services.handlers.leads import enroll_pending
from campaigns.services.launch import launch_refusal, launch_requeue
from campaigns.services.operations import OperationStateError, checkpoint, handles
from campaigns.services.transitions import LifecycleError, confirm, may_confirm
from campaigns.wording import happened_at


def create_key(campaign: Campaign) -> str:
    """Bound to the campaign and version, not to the operation: a second launch after a lost
    answer sends the same key, so Leadterra replays the first campaign instead of a new one."""
    return f"ltops-campaign-{campaign.pk}-v{campaign.approved_version or campaign.version}"


def guarded_content(op: Operation) -> dict:
    """The content a launch may send now, or a permanent failure saying why it may not.

    Run at the top of every run of the handler, just before Leadterra is called (the campaign
    cannot leave `launching` while this operation is running: only its own outcome moves it).
    """
    campaign = Campaign.objects.get(pk=op.campaign_id)
    content = launch_content(campaign)
    refusal = launch_refusal(campaign, op.payload, content)
    if refusal:
        raise LeadterraError(refusal, code="launch_refused")
    return content


def ensure_remote(op: Operation, client, content: dict) -> str:
    """The campaign's remote id, creating the remote draft from `content` first when there is none."""
    campaign = Campaign.objects.get(pk=op.campaign_id)
    if campaign.remote_id:
        return campaign.remote_id
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


def _started(op: Operation, client, remote_id: str, *, confirmation: str, audit: str) -> dict:
    if not Lead.objects.filter(campaign_id=op.campaign_id, status=Lead.Status.ENROLLED).exists():
        raise LeadterraError(
            "No lead is enrolled, so Leadterra would refuse to start; add leads first.", code="no_leads_enrolled"
        )
    state = client.start_campaign(remote_id)
    now = timezone.now()

    def stamps(campaign: Campaign) -> dict:
        values = {"started_at": campaign.started_at or happened_at(state.at, now), "paused_at": None}
        if confirmation == "confirm_launched":
            values["launched_at"] = campaign.launched_at or now
        return values

    with transaction.atomic():
        campaign = confirm(op.campaign_id, confirmation, operation=op, reason="", stamps=stamps)
        if campaign is not None:
            audit_record(actor=op.created_by, action=audit, campaign=campaign, remote_id=remote_id, operation=op.pk)
    return {"remote_id": remote_id, "status": state.status}


@handles(Operation.Kind.CREATE_CAMPAIGN)
def create_campaign(op: Operation, client) -> dict:
    """Creating the remote campaign sends the content: it is guarded exactly like a launch."""
    return {"remote_id": ensure_remote(op, client, guarded_content(op))}


@handles(Operation.Kind.START)
def start(op: Operation, client) -> dict:
    """A resume: only a paused campaign (or one already running again) is started."""
    campaign = Campaign.objects.get(pk=op.campaign_id)
    if not may_confirm(campaign, "confirm_resumed"):
        raise LeadterraError(
            f"Stopped before calling Leadterra: the campaign is {campaign.get_status_display().lower()}; "
            "only a paused campaign is resumed.",
            code="not_resumable",
        )
    return _started(op, client, require_remote(op), confirmation="confirm_resumed", audit="campaign.resumed")


@handles(Operation.Kind.PAUSE)
def pause(op: Operation, client) -> dict:
    remote_id = require_remote(op)
    state = client.pause_campaign(remote_id)
    with transaction.atomic():
        stamps = {"paused_at": happened_at(state.at, timezone.now())}
        campaign = confirm(op.campaign_id, "confirm_paused", operation=op, stamps=lambda campaign: stamps)
        if campaign is not None:
            audit_record(
                actor=op.created_by,
                action="campaign.paused",
                campaign=campaign,
                reason=op.payload.get("reason", ""),
                operation=op.pk,
            )
    return {"remote_id": remote_id, "status": state.status}


def launch_failed(op: Operation) -> None:
    """A launch that failed for good (or was cancelled) says why on the campaign.

    Not when another launch of the campaign is under way: that one decides the outcome.
    """
    others = Operation.objects.filter(
        campaign_id=op.campaign_id, kind=Operation.Kind.LAUNCH, status__in=Operation.ACTIVE_STATES
    ).exclude(pk=op.pk)
    if others.exists():
        return
    with transaction.atomic():
        campaign = confirm(op.campaign_id, "confirm_launch_failed", operation=op, reason=op.last_error)
        if campaign is not None:
            audit_record(
                actor=op.created_by,
                action="campaign.launch_failed",
                campaign=campaign,
                reason=op.last_error,
                operation=op.pk,
            )


def before_launch_retry(op: Operation, actor) -> None:
    """A manager's retry of a failed launch goes through the lifecycle's retry and its checks."""
    try:
        launch_requeue(operation=op, actor=actor)
    except LifecycleError as error:
        raise OperationStateError(str(error)) from error


@handles(Operation.Kind.LAUNCH, on_failure=launch_failed, before_retry=before_launch_retry)
def launch(op: Operation, client) -> dict:
    """Each stage is checkpointed: a failure resumes where it stopped, sending nothing twice."""
    content = guarded_content(op)
    checkpoint(op, stage="create")
    remote_id = ensure_remote(op, client, content)
    checkpoint(op, stage="enroll")
    enrolled = enroll_pending(op, client, remote_id=remote_id, content=content)
    checkpoint(op, stage="start")
    result = _started(op, client, remote_id, confirmation="confirm_launched", audit="campaign.launched")
    checkpoint(op, stage="done")
    return {**result, "enroll": enrolled}
