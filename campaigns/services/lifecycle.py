"""Campaign lifecycle: submit, approve, reject, void, pause, resume, bounce guard.

CONTRACT (the approvals & launch work owns this module). Other areas call:
- campaign_pause(campaign=..., actor=None, reason=...): used by the bounce guard
  (actor None = the system). Records who and why, enqueues a `pause` operation.
- approval_void(campaign=..., actor=...): the editor calls it after any content save;
  an in_review or approved campaign returns to draft, saying why.
- campaign_bounce_guard(campaign): the stats poller calls it after storing counters.

Every service checks the role itself (PermissionDenied -> 403) and the state through
TRANSITIONS (LifecycleError -> a clear refusal); views only translate those answers.
Launching lives in campaigns/services/launch.py.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from campaigns import permissions
from campaigns.audit import audit_record
from campaigns.models import Campaign, CampaignVersion, Operation
from campaigns.services.operations import operation_enqueue
from campaigns.services.versions import campaign_snapshot, content_hash, version_save

S = Campaign.Status

# The one table of local transitions: action -> (states it may start from, state it leads to).
# None as the target means the state changes only when Leadterra confirms: the outbox
# handlers apply launch/start -> running, pause -> paused, a launch failing for good ->
# launch_failed. Until then the request is visible as an active Operation.
TRANSITIONS: dict[str, tuple[frozenset, str | None]] = {
    "submit": (frozenset({S.DRAFT}), S.IN_REVIEW),
    "approve": (frozenset({S.IN_REVIEW}), S.APPROVED),
    "reject": (frozenset({S.IN_REVIEW}), S.DRAFT),
    # launch_failed before anything exists remotely is still editable, so an edit voids it too.
    "void": (frozenset({S.IN_REVIEW, S.APPROVED, S.LAUNCH_FAILED}), S.DRAFT),
    "launch": (frozenset({S.APPROVED}), S.LAUNCHING),
    "retry_launch": (frozenset({S.LAUNCH_FAILED}), S.LAUNCHING),
    "pause": (frozenset({S.RUNNING}), None),
    "resume": (frozenset({S.PAUSED}), None),
}
# Archiving (any state but launching/running -> archived) is the editor area's
# campaign_archive in campaigns/services/campaigns.py, next to duplicate.

# Who may attempt each action (the state is checked separately, so each answer is precise).
ROLE_RULES = {
    "submit": permissions.can_submit,
    "approve": permissions.can_review,
    "reject": permissions.can_review,
    "launch": lambda user, campaign: permissions.can_launch(user),
    "retry_launch": lambda user, campaign: permissions.can_launch(user),
    "pause": lambda user, campaign: permissions.can_launch(user),
    "resume": lambda user, campaign: permissions.can_launch(user),
    "guard": lambda user, campaign: permissions.can_launch(user),
}

ACTION_VERBS = {
    "submit": "send it for review",
    "approve": "approve it",
    "reject": "reject it",
    "launch": "launch it",
    "retry_launch": "retry the launch",
    "pause": "pause it",
    "resume": "resume it",
}


class LifecycleError(Exception):
    """A refusal a person can act on: the action does not fit the campaign's state or content."""


def check_role(action: str, *, user, campaign: Campaign) -> None:
    if user is None or not user.is_authenticated or not ROLE_RULES[action](user, campaign):
        raise PermissionDenied(f"You may not {ACTION_VERBS.get(action, action)}.")


def check_state(action: str, campaign: Campaign) -> str | None:
    sources, target = TRANSITIONS[action]
    if campaign.status not in sources:
        raise LifecycleError(
            f"You cannot {ACTION_VERBS.get(action, action)} while it is {campaign.get_status_display().lower()}."
        )
    return target


def allowed_actions(campaign: Campaign, user) -> set[str]:
    """The actions `user` may take on `campaign` now (for drawing buttons; services re-check)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    allowed = set()
    for action, (sources, _target) in TRANSITIONS.items():
        if action in ROLE_RULES and campaign.status in sources and ROLE_RULES[action](user, campaign):
            allowed.add(action)
    return allowed


def locked(campaign: Campaign) -> Campaign:
    """Re-read the row under a lock so two clicks cannot both pass the state check.

    In place, so a caller holding the instance (the editor) never saves a stale status.
    """
    campaign.refresh_from_db(from_queryset=Campaign.objects.select_for_update())
    return campaign


def transition(campaign: Campaign, action: str, *, reason: str = "", fields=()) -> str:
    """Move a locked campaign along TRANSITIONS and save; returns the previous status."""
    previous, target = campaign.status, check_state(action, campaign)
    campaign.status, campaign.status_reason = target, reason
    campaign.save(update_fields=["status", "status_reason", "updated_at", *fields])
    return previous


def current_version(campaign: Campaign, *, actor) -> CampaignVersion:
    """The stored snapshot of the current content, saved now if the editor has not stored one."""
    snapshot = campaign_snapshot(campaign)
    digest = content_hash(snapshot)
    version = campaign.versions.filter(number=campaign.version).first()
    if version is None or version.content_hash != digest:
        version = version_save(campaign=campaign, actor=actor)
    return version


def approved_content(campaign: Campaign) -> dict | None:
    """The snapshot last approved, or None when the campaign was never approved."""
    if campaign.approved_version is None:
        return None
    version = campaign.versions.filter(number=campaign.approved_version).first()
    return version.content if version else None


def approval_matches(campaign: Campaign) -> bool:
    return bool(campaign.approved_hash) and campaign.approved_hash == content_hash(campaign_snapshot(campaign))


@transaction.atomic
def campaign_submit(*, campaign: Campaign, actor) -> Campaign:
    check_role("submit", user=actor, campaign=campaign)
    campaign = locked(campaign)
    check_state("submit", campaign)
    if not campaign.steps.exists():
        raise LifecycleError("Add at least one step before sending it for review.")
    from campaigns.services.coverage_gate import submit_refusal  # merge tags no lead can fill

    if refusal := submit_refusal(campaign):
        raise LifecycleError(refusal)
    version = current_version(campaign, actor=actor)
    transition(campaign, "submit")
    audit_record(actor=actor, action="campaign.submitted", campaign=campaign, version=version.number)
    return campaign


@transaction.atomic
def campaign_approve(*, campaign: Campaign, actor, comment: str = "", reviewed_version: int | None = None) -> Campaign:
    """Bind the approval to the content the manager saw (its version and hash)."""
    check_role("approve", user=actor, campaign=campaign)
    campaign = locked(campaign)
    check_state("approve", campaign)
    if reviewed_version is not None and reviewed_version != campaign.version:
        raise LifecycleError("The sequence changed while you were reviewing it. Review the new version.")
    version = current_version(campaign, actor=actor)
    campaign.approved_version, campaign.approved_hash = version.number, version.content_hash
    campaign.approved_by, campaign.approved_at, campaign.review_comment = actor, timezone.now(), comment
    transition(
        campaign,
        "approve",
        fields=["approved_version", "approved_hash", "approved_by", "approved_at", "review_comment"],
    )
    audit_record(
        actor=actor,
        action="approval.granted",
        campaign=campaign,
        version=version.number,
        hash=version.content_hash,
        comment=comment,
    )
    return campaign


@transaction.atomic
def campaign_reject(*, campaign: Campaign, actor, comment: str) -> Campaign:
    check_role("reject", user=actor, campaign=campaign)
    comment = (comment or "").strip()
    if not comment:
        raise LifecycleError("Say what needs to change: a rejection needs a comment.")
    campaign = locked(campaign)
    check_state("reject", campaign)
    campaign.review_comment = comment
    reason = f"Rejected by {actor.get_username()}: {comment}"
    transition(campaign, "reject", reason=reason, fields=["review_comment"])
    audit_record(actor=actor, action="approval.rejected", campaign=campaign, version=campaign.version, comment=comment)
    return campaign


@transaction.atomic
def approval_void(*, campaign: Campaign, actor) -> bool:
    """Return True when an approval or pending review was voided by an edit."""
    if campaign.status not in TRANSITIONS["void"][0] or campaign.remote_id is not None:
        return False
    campaign = locked(campaign)
    previous = campaign.status
    who = actor.get_username() if getattr(actor, "is_authenticated", False) else "the system"
    was = {S.APPROVED: "approved", S.IN_REVIEW: "submitted"}.get(previous, "approved")
    transition(campaign, "void", reason=f"Edited by {who} after it was {was}; it needs a new review.")
    audit_record(actor=actor, action="approval.voided", campaign=campaign, previous_status=previous)
    return True


def active_operation(campaign: Campaign, *kinds: str) -> Operation | None:
    return campaign.operations.filter(kind__in=kinds, status__in=Operation.ACTIVE_STATES).order_by("-id").first()


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor=None, reason: str = "") -> Operation:
    """Ask Leadterra to pause; local status follows when the operation succeeds.

    actor None is the system (the bounce guard); a person needs the launch permission.
    """
    if actor is not None:
        check_role("pause", user=actor, campaign=campaign)
    campaign = locked(campaign)
    check_state("pause", campaign)
    pending = active_operation(campaign, Operation.Kind.PAUSE)
    if pending:
        return pending  # a second click must not queue a second pause
    campaign.paused_by = actor if getattr(actor, "is_authenticated", False) else None
    campaign.status_reason = reason
    campaign.save(update_fields=["paused_by", "status_reason", "updated_at"])
    audit_record(
        actor=actor, action="campaign.pause_requested", campaign=campaign, reason=reason, queued=campaign.queued
    )
    return operation_enqueue(kind=Operation.Kind.PAUSE, campaign=campaign, actor=actor, payload={"reason": reason})


@transaction.atomic
def campaign_resume(*, campaign: Campaign, actor) -> Operation:
    """Start again: Leadterra sends the held queue; local status follows on success."""
    check_role("resume", user=actor, campaign=campaign)
    campaign = locked(campaign)
    check_state("resume", campaign)
    if active_operation(campaign, Operation.Kind.PAUSE):
        raise LifecycleError("A pause is still being sent to Leadterra. Resume once it is paused.")
    pending = active_operation(campaign, Operation.Kind.START)
    if pending:
        return pending
    audit_record(actor=actor, action="campaign.resume_requested", campaign=campaign, held=campaign.queued)
    return operation_enqueue(kind=Operation.Kind.START, campaign=campaign, actor=actor, payload={"resume": True})


@transaction.atomic
def campaign_guard_update(*, campaign: Campaign, actor, threshold: float, min_delivered: int) -> Campaign:
    """Managers tune the bounce guard per campaign (threshold as a 0–1 share)."""
    check_role("guard", user=actor, campaign=campaign)
    if not 0 < threshold <= 1 or min_delivered < 1:
        raise LifecycleError("The threshold must be above 0% and at most 100%, after at least 1 delivered message.")
    campaign = locked(campaign)
    before = {"threshold": campaign.bounce_threshold, "min_delivered": campaign.bounce_min_delivered}
    campaign.bounce_threshold, campaign.bounce_min_delivered = threshold, min_delivered
    campaign.save(update_fields=["bounce_threshold", "bounce_min_delivered", "updated_at"])
    audit_record(
        actor=actor,
        action="bounce_guard.changed",
        campaign=campaign,
        before=before,
        after={"threshold": threshold, "min_delivered": min_delivered},
    )
    return campaign


def bounce_guard_trips(campaign: Campaign) -> bool:
    return (
        campaign.status == S.RUNNING
        and campaign.delivered >= campaign.bounce_min_delivered
        and campaign.bounce_rate > campaign.bounce_threshold
    )


def campaign_bounce_guard(campaign: Campaign) -> Operation | None:
    """Pause a running campaign whose bounce rate crossed its threshold; None when it did not.

    Called by the stats poller after it stores counters, so it must be cheap and repeatable:
    an already requested pause is not requested again.
    """
    if not bounce_guard_trips(campaign) or active_operation(campaign, Operation.Kind.PAUSE):
        return None
    reason = (
        f"Bounce guard: {campaign.bounce_rate:.1%} of {campaign.sent} sent messages bounced "
        f"(threshold {campaign.bounce_threshold:.1%} once {campaign.bounce_min_delivered} are delivered)."
    )
    try:
        with transaction.atomic():
            op = campaign_pause(campaign=campaign, actor=None, reason=reason)
            audit_record(
                actor=None,
                action="bounce_guard.tripped",
                campaign=campaign,
                bounce_rate=round(campaign.bounce_rate, 4),
                threshold=campaign.bounce_threshold,
                delivered=campaign.delivered,
                bounced=campaign.bounced,
            )
            return op
    except LifecycleError:
        return None  # paused or stopped meanwhile: nothing left to guard
