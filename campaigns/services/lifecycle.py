"""Campaign lifecycle: submit, approve, reject, void, pause, resume, bounce guard.

Each service checks the role itself (campaigns/permissions.py; PermissionDenied -> 403) and
the state through the one table in campaigns/services/transitions.py (LifecycleError -> a
refusal that says why); views only translate those answers. Who may approve given who wrote
and submitted the content (four-eyes) is decided here, from the versions.
- campaign_pause(campaign=..., actor=None, reason=...): actor None is the system (the bounce
  guard); the reason is required.
- approval_void(campaign=..., actor=...): called after any content save; an in_review or
  approved campaign returns to draft and its approval is emptied.
- campaign_bounce_guard(campaign): called by the stats poller after it stores counters.
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
from campaigns.services.transitions import (  # noqa: F401  (re-exported: callers know them from here)
    ACTION_VERBS,
    TRANSITIONS,
    LifecycleError,
    check_state,
    locked,
    transition,
)
from campaigns.services.versions import campaign_snapshot, content_hash, version_save
from campaigns.wording import distinct_percents

APPROVAL_FIELDS = ["approved_version", "approved_hash", "approved_by", "approved_at"]


def check_role(action: str, *, user, campaign: Campaign) -> None:
    if not permissions.may(action, user, campaign):
        raise PermissionDenied(f"You may not {ACTION_VERBS.get(action, action)}.")


def authorize(action: str, *, actor, campaign: Campaign) -> None:
    """May `actor` take `action` on `campaign` now? PermissionDenied for the role, then
    LifecycleError for the state: what a confirmation page asks before it is shown.
    Settings that are no transition (the bounce guard) have no state to check."""
    check_role(action, user=actor, campaign=campaign)
    if action in TRANSITIONS:
        check_state(action, campaign)


def allowed_actions(campaign: Campaign, user) -> set[str]:
    """The actions `user` may take on `campaign` now (for drawing buttons; services re-check)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if action in permissions.LIFECYCLE_ROLES
        and campaign.status in sources
        and permissions.may(action, user, campaign)
    }


def approval_refusal(campaign: Campaign, user) -> str | None:
    """Why `user` may not approve the content under review (four-eyes), or None.

    Nobody who wrote a version since the last approval (any version, if it was never
    approved) nor the person who submitted it approves it: a second person must read it.
    """
    since = campaign.last_approved_version or 0
    editors = campaign.versions.filter(number__gt=since, created_by_id=user.pk)
    if editors.exists():
        return "You edited this version, so another manager must approve it."
    if campaign.submitted_by_id == user.pk:
        return "You sent it for review, so another manager must approve it."
    return None


def current_version(campaign: Campaign, *, actor) -> CampaignVersion:
    """The stored snapshot of the current content, saved now if the editor has not stored one."""
    snapshot = campaign_snapshot(campaign)
    digest = content_hash(snapshot)
    version = campaign.versions.filter(number=campaign.version).first()
    if version is None or version.content_hash != digest:
        version = version_save(campaign=campaign, actor=actor)
    return version


def approved_content(campaign: Campaign) -> dict | None:
    """The snapshot approved last (the review diff's base, even after a void), or None."""
    if campaign.last_approved_version is None:
        return None
    version = campaign.versions.filter(number=campaign.last_approved_version).first()
    return version.content if version else None


def approval_matches(campaign: Campaign) -> bool:
    return bool(campaign.approved_hash) and campaign.approved_hash == content_hash(campaign_snapshot(campaign))


def campaign_submit(*, campaign: Campaign, actor) -> Campaign:
    with transaction.atomic():
        check_role("submit", user=actor, campaign=campaign)
        campaign = locked(campaign)
        check_state("submit", campaign)
        if not campaign.steps.exists():
            raise LifecycleError("Add at least one step before sending it for review.")
        from campaigns.services.coverage_gate import submit_refusal  # merge tags no lead can fill

        if refusal := submit_refusal(campaign):
            raise LifecycleError(refusal)
        version = current_version(campaign, actor=actor)
        campaign.submitted_by = actor
        transition(campaign, "submit", fields=["submitted_by"])
        audit_record(actor=actor, action="campaign.submitted", campaign=campaign, version=version.number)
        return campaign


def campaign_approve(*, campaign: Campaign, actor, comment: str = "", reviewed_version: int | None = None) -> Campaign:
    """Bind the approval to the content the manager saw (its version and hash).

    A four-eyes refusal is recorded in the audit trail (committed) before it is raised.
    """
    check_role("approve", user=actor, campaign=campaign)
    with transaction.atomic():
        campaign = locked(campaign)
        check_state("approve", campaign)
        if reviewed_version is not None and reviewed_version != campaign.version:
            raise LifecycleError("The sequence changed while you were reviewing it. Review the new version.")
        version = campaign.versions.filter(number=campaign.version).first()
        if version is None or version.content_hash != content_hash(campaign_snapshot(campaign)):
            # Content changed without a stored version: nobody could have reviewed it.
            raise LifecycleError("The sequence changed while you were reviewing it. Review the new version.")
        refusal = approval_refusal(campaign, actor)
        if refusal is None:
            return _approve(campaign, version, actor=actor, comment=comment)
        audit_record(actor=actor, action="approval.refused", campaign=campaign, version=version.number, reason=refusal)
    raise LifecycleError(refusal)


def _approve(campaign: Campaign, version: CampaignVersion, *, actor, comment: str) -> Campaign:
    campaign.approved_version, campaign.approved_hash = version.number, version.content_hash
    campaign.approved_by, campaign.approved_at, campaign.review_comment = actor, timezone.now(), comment
    campaign.last_approved_version = version.number
    transition(campaign, "approve", fields=[*APPROVAL_FIELDS, "last_approved_version", "review_comment"])
    audit_record(
        actor=actor,
        action="approval.granted",
        campaign=campaign,
        version=version.number,
        hash=version.content_hash,
        comment=comment,
    )
    return campaign


def campaign_reject(*, campaign: Campaign, actor, comment: str) -> Campaign:
    """Any manager may reject, the author and the submitter too: a rejection stops content, it
    never sends any, so four-eyes does not apply (the comment says why, in the audit trail)."""
    with transaction.atomic():
        check_role("reject", user=actor, campaign=campaign)
        comment = (comment or "").strip()
        if not comment:
            raise LifecycleError("Say what needs to change: a rejection needs a comment.")
        campaign = locked(campaign)
        check_state("reject", campaign)
        campaign.review_comment = comment
        reason = f"Rejected by {actor.get_username()}: {comment}"
        transition(campaign, "reject", reason=reason, fields=["review_comment"])
        audit_record(
            actor=actor, action="approval.rejected", campaign=campaign, version=campaign.version, comment=comment
        )
        return campaign


def _voidable(campaign: Campaign) -> bool:
    return campaign.status in TRANSITIONS["void"][0] and campaign.remote_id is None


def approval_void(*, campaign: Campaign, actor) -> bool:
    """Return True when an approval or pending review was voided by an edit.

    The approval itself is emptied (hash, version, who, when): nothing may treat the campaign
    as approved any more. last_approved_version stays, so the next review shows the diff.
    """
    if not _voidable(campaign):
        return False  # a draft being edited: every editor save gets here, without a lock
    with transaction.atomic():
        campaign = locked(campaign)
        if not _voidable(campaign):
            return False  # launched or voided meanwhile
        previous, voided_hash = campaign.status, campaign.approved_hash
        who = actor.get_username() if actor is not None else "the system"
        was = {
            Campaign.Status.APPROVED: "approved",
            Campaign.Status.IN_REVIEW: "submitted",
            Campaign.Status.LAUNCH_FAILED: "approved",  # approved, then refused by Leadterra
        }[previous]
        campaign.approved_version, campaign.approved_hash = None, ""
        campaign.approved_by, campaign.approved_at = None, None
        reason = f"Edited by {who} after it was {was}; it needs a new review."
        transition(campaign, "void", reason=reason, fields=APPROVAL_FIELDS)
        audit_record(
            actor=actor, action="approval.voided", campaign=campaign, previous_status=previous, hash=voided_hash
        )
        return True


def active_operation(campaign: Campaign, *kinds: str) -> Operation | None:
    return campaign.operations.filter(kind__in=kinds, status__in=Operation.ACTIVE_STATES).order_by("-id").first()


def campaign_pause(*, campaign: Campaign, actor=None, reason: str) -> Operation:
    """Ask Leadterra to pause; local status follows when the operation succeeds.

    actor None is the system (the bounce guard); a person needs the launch permission.
    """
    with transaction.atomic():
        if actor is not None:
            check_role("pause", user=actor, campaign=campaign)
        campaign = locked(campaign)
        check_state("pause", campaign)
        pending = active_operation(campaign, Operation.Kind.PAUSE)
        if pending:
            return pending  # a second click must not queue a second pause
        campaign.paused_by = actor  # None: the system (a person was checked above)
        campaign.status_reason = reason
        campaign.save(update_fields=["paused_by", "status_reason", "updated_at"])
        audit_record(
            actor=actor, action="campaign.pause_requested", campaign=campaign, reason=reason, queued=campaign.queued
        )
        return operation_enqueue(kind=Operation.Kind.PAUSE, campaign=campaign, actor=actor, payload={"reason": reason})


def campaign_resume(*, campaign: Campaign, actor) -> Operation:
    """Start again: Leadterra sends the held queue; local status follows on success."""
    with transaction.atomic():
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


class GuardWouldPause(LifecycleError):
    """The new bounce-guard numbers would pause a running campaign at once: saved only when confirmed."""


def campaign_guard_update(
    *, campaign: Campaign, actor, threshold: float, min_delivered: int, confirm: bool = False
) -> Campaign:
    """Managers tune the bounce guard per campaign (threshold as a 0–1 share).

    Numbers the campaign already crosses pause it now, so they need `confirm`; with it, the pause is
    requested here rather than seconds later by the stats poller, and the manager sees it happen.
    """
    with transaction.atomic():
        check_role("guard", user=actor, campaign=campaign)
        if not 0 < threshold <= 1 or min_delivered < 1:
            raise LifecycleError("The threshold must be above 0% and at most 100%, after at least 1 delivered message.")
        campaign = locked(campaign)
        trips = _guard_trips(campaign, threshold=threshold, min_delivered=min_delivered)
        if trips and not confirm:
            rate, limit = distinct_percents(campaign.bounce_rate, threshold)
            raise GuardWouldPause(
                f"Not saved: {campaign.bounced:,} of {campaign.sent:,} sent messages bounced ({rate}), above the "
                f"new threshold of {limit}, so the bounce guard would pause this campaign now. "
                "Confirm to save and pause it."
            )
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
        if trips:
            campaign_bounce_guard(campaign)
        return campaign


def _guard_trips(campaign: Campaign, *, threshold: float, min_delivered: int) -> bool:
    return (
        campaign.status == Campaign.Status.RUNNING
        and campaign.delivered >= min_delivered
        and campaign.bounce_rate > threshold
    )


def bounce_guard_trips(campaign: Campaign) -> bool:
    return _guard_trips(campaign, threshold=campaign.bounce_threshold, min_delivered=campaign.bounce_min_delivered)


def campaign_bounce_guard(campaign: Campaign) -> Operation | None:
    """Pause a running campaign whose bounce rate crossed its threshold; None when it did not.

    Called by the stats poller after it stores counters, so it must be cheap and repeatable:
    an already requested pause is not requested again.
    """
    if not bounce_guard_trips(campaign) or active_operation(campaign, Operation.Kind.PAUSE):
        return None
    rate, threshold = distinct_percents(campaign.bounce_rate, campaign.bounce_threshold)
    reason = (
        f"Bounce guard: {rate} of {campaign.sent:,} sent messages bounced "
        f"(threshold {threshold} once {campaign.bounce_min_delivered:,} are delivered)."
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
