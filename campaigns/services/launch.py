"""Launch: pre-flight checks, then one `launch` operation; a failed launch can be retried.

The launch handler (services/handlers) creates the remote campaign from the approved version,
enrolls the leads in checkpointed chunks and starts it; Leadterra's confirmations move the
campaign to `running`, or to `launch_failed` with the reason. A retry (from the campaign page,
or of the failed operation from the Operations page) re-runs the pre-flight and queues the
launch again: the handler skips what is already done (remote id recorded, chunks
checkpointed), so nothing is sent twice.

The operation's payload names what was approved and what the pre-flight said:
{"version", "hash", "preflight": {"passed", "checked_at", "checks"}}. `launch_refusal` is the
guard the handler runs just before it calls Leadterra, every time it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from campaigns import planner
from campaigns.audit import audit_record
from campaigns.models import Campaign, Operation
from campaigns.services.coverage_gate import Risk, coverage_message, coverage_risks, unconfirmed
from campaigns.services.lead_counts import lead_count_refresh
from campaigns.services.lifecycle import (
    LifecycleError,
    active_operation,
    approval_matches,
    check_role,
    check_state,
    locked,
    transition,
)
from campaigns.services.operations import operation_enqueue
from campaigns.services.planning import campaign_plan
from campaigns.services.pool_refresh import pools_refresh_for_launch, refresh_state
from campaigns.services.pools import pools_freshness
from campaigns.services.versions import content_hash
from campaigns.wording import plural


@dataclass
class Check:
    key: str
    ok: bool
    message: str
    overridable: bool = False  # a manager may launch anyway by confirming it on the launch page


@dataclass
class Preflight:
    checks: list[Check] = field(default_factory=list)
    plan: planner.CapacityPlan | None = None
    pools_refreshed_at: object = None
    uncovered: list[Risk] = field(default_factory=list)  # tokens a launch must confirm, with counts

    @property
    def ready(self) -> bool:
        """Launchable, given the confirmations the page asks for (a spill, uncovered tokens)."""
        return all(check.ok or check.overridable for check in self.checks)

    @property
    def spills(self) -> bool:
        return self.plan is not None and self.plan.verdict == planner.SPILLS

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not (check.ok or check.overridable)]


def launch_plan(campaign: Campaign) -> planner.CapacityPlan:
    """The capacity plan a launch would follow (one seam, so tests can give any plan)."""
    return campaign_plan(campaign)


def launch_page(*, campaign: Campaign, actor, refresh_id: str | None) -> dict:
    """What the launch page shows a manager: the pool refresh it follows (the one named, else
    the latest) and, once that has ended, the pre-flight. PermissionDenied for anyone else."""
    check_role("launch", user=actor, campaign=campaign)
    refreshes = Operation.objects.filter(kind=Operation.Kind.REFRESH_POOLS)
    if refresh_id and refresh_id.isdigit():
        refresh = refreshes.filter(pk=refresh_id).first()
    else:
        refresh = refreshes.order_by("-id").first()
    # Only a live refresh is waited for: a stranded or backing-off one is said so, not awaited.
    state = refresh_state(refresh)
    return {
        "refresh_op": refresh,
        "refresh_note": state.sentence,
        "waiting": state.live,
        "preflight": None if state.live else campaign_preflight(campaign),
    }


def campaign_preflight(campaign: Campaign) -> Preflight:
    """Everything a launch needs, each with a sentence a manager can act on."""
    # Remaining volume moves every minute while other campaigns send: the decision needs
    # numbers services/pools.py calls fresh (a recent success and no failure since).
    freshness = pools_freshness()
    result = Preflight(pools_refreshed_at=freshness.refreshed_at)
    matches = campaign.status in {Campaign.Status.APPROVED, Campaign.Status.LAUNCH_FAILED} and approval_matches(
        campaign
    )
    result.checks.append(
        Check(
            "approval",
            matches,
            f"The content is version {campaign.approved_version}, as approved."
            if matches
            else "The content is not the version that was approved: it needs a new review.",
        )
    )
    # Counted now and stored, so the plan below (which reads the stored count) decides on it too.
    steps, leads = campaign.steps.count(), lead_count_refresh(campaign_id=campaign.pk)
    no_steps, no_leads = "The sequence has no steps.", "There are no leads to enroll."
    result.checks.append(Check("steps", steps > 0, f"{plural(steps, 'step')}." if steps else no_steps))
    result.checks.append(Check("leads", leads > 0, f"{plural(leads, 'lead')}." if leads else no_leads))
    # Counted now, not from the editor's cache: the manager confirms these very numbers.
    result.uncovered = coverage_risks(campaign, fresh=True) if steps and leads else []
    result.checks.append(Check("coverage", not result.uncovered, coverage_message(result.uncovered), True))
    fresh = not freshness.stale
    if fresh:
        pools_message = "Pool numbers are fresh."
    elif freshness.error:
        pools_message = f"The last pool refresh failed ({freshness.error}): refresh them again."
    else:
        pools_message = "Pool numbers are missing or out of date: refresh them."
    result.checks.append(Check("pools", fresh, pools_message))
    if fresh and steps and leads:
        result.plan = launch_plan(campaign)
    if result.plan is not None:
        fits = result.plan.verdict != planner.CANNOT_START
        result.checks.append(Check("plan", fits, result.plan.message or f"The plan {result.plan.verdict}."))
    return result


def campaign_preflight_refresh(*, campaign: Campaign, actor) -> Operation:
    """Fresh pool numbers before the launch decision: a live refresh is reused, a dead one replaced."""
    with transaction.atomic():
        check_role("launch", user=actor, campaign=campaign)
        check_state("launch", campaign)
        return pools_refresh_for_launch(actor=actor)


def campaign_launch(
    *, campaign: Campaign, actor, confirm_spill: bool = False, confirm_uncovered: dict[str, int] | None = None
) -> Operation:
    """`confirm_uncovered` is {token: leads the manager saw empty}; a count grown since is refused."""
    with transaction.atomic():
        check_role("launch", user=actor, campaign=campaign)
        campaign = locked(campaign)
        check_state("launch", campaign)
        preflight = campaign_preflight(campaign)
        if not preflight.ready:
            raise LifecycleError(" ".join(check.message for check in preflight.failures))
        if preflight.spills:
            if not confirm_spill:
                raise LifecycleError(
                    f"The plan runs {plural(preflight.plan.spill_days, 'day')} past its schedule: "
                    "confirm the spill to launch."
                )
            audit_record(
                actor=actor,
                action="launch.spill_confirmed",
                campaign=campaign,
                spill_days=preflight.plan.spill_days,
                plan=preflight.plan.message,
            )
        if refusals := unconfirmed(preflight.uncovered, confirm_uncovered or {}):
            raise LifecycleError(" ".join(refusals))
        if preflight.uncovered:
            audit_record(
                actor=actor,
                action="launch.coverage_overridden",
                campaign=campaign,
                leads_left_empty={r.tag: r.missing for r in preflight.uncovered},
                total_leads=preflight.uncovered[0].total,
            )
        transition(campaign, "launch")
        audit_record(
            actor=actor,
            action="campaign.launch_requested",
            campaign=campaign,
            version=campaign.approved_version,
            hash=campaign.approved_hash,
        )
        confirmed = {risk.token: risk.missing for risk in preflight.uncovered}
        payload = launch_payload(campaign, preflight, confirmed)
        return operation_enqueue(kind=Operation.Kind.LAUNCH, campaign=campaign, actor=actor, payload=payload)


def launch_payload(campaign: Campaign, preflight: Preflight, confirmed_uncovered: dict[str, int]) -> dict:
    """What the launch operation carries: the approval it was requested for, its pre-flight,
    and the empty-tag counts a manager confirmed (a retry may not send to more than those)."""
    record = {
        "passed": preflight.ready,
        "checked_at": timezone.now().isoformat(),
        "checks": [check.key for check in preflight.checks],
        "confirmed_uncovered": confirmed_uncovered,
    }
    return {"version": campaign.approved_version, "hash": campaign.approved_hash, "preflight": record}


def confirmed_uncovered(payload: dict | None) -> dict[str, int]:
    return dict(((payload or {}).get("preflight") or {}).get("confirmed_uncovered") or {})


def retry_preflight(campaign: Campaign, confirmed: dict[str, int]) -> Preflight:
    """A retry re-runs the pre-flight on the locked campaign: the table, then every check.

    A spill the plan shows now is accepted: the launch being continued was confirmed. Empty
    merge tags are not: the retry carries the counts confirmed at launch, and more leads
    with an empty tag than a manager confirmed (or a tag nobody confirmed) is refused.
    """
    check_state("retry_launch", campaign)
    preflight = campaign_preflight(campaign)
    if not preflight.ready:
        raise LifecycleError(" ".join(check.message for check in preflight.failures))
    if refusals := unconfirmed(preflight.uncovered, confirmed):
        raise LifecycleError(
            "The leads changed since the launch was confirmed: "
            + " ".join(refusals)
            + " A retry cannot confirm it: edit the campaign (a fallback) or fix those leads."
        )
    return preflight


def campaign_launch_retry(*, campaign: Campaign, actor) -> Operation:
    """Resume a failed launch from its checkpoints, still bound to the approved content."""
    with transaction.atomic():
        check_role("retry_launch", user=actor, campaign=campaign)
        campaign = locked(campaign)
        pending = active_operation(campaign, Operation.Kind.LAUNCH)
        if pending and campaign.status == Campaign.Status.LAUNCHING:
            return pending  # a second click while the first retry runs
        if pending:
            raise LifecycleError(
                f"Launch #{pending.pk} of this campaign is still queued: "
                "wait for it or cancel it on the Operations page."
            )
        failed = campaign.operations.filter(kind=Operation.Kind.LAUNCH).order_by("-id").first()
        confirmed = confirmed_uncovered(getattr(failed, "payload", None))
        preflight = retry_preflight(campaign, confirmed)
        reason = campaign.status_reason
        transition(campaign, "retry_launch")
        audit_record(actor=actor, action="campaign.launch_retried", campaign=campaign, failure=reason)
        payload = {**launch_payload(campaign, preflight, confirmed), "retry_of": getattr(failed, "pk", None)}
        return operation_enqueue(kind=Operation.Kind.LAUNCH, campaign=campaign, actor=actor, payload=payload)


def launch_requeue(*, operation: Operation, actor) -> None:
    """A manager retries a failed launch operation itself (the Operations page).

    The same checks as a retry from the campaign page, and the operation must still be bound
    to the approval in force: an operation from before a void and a new approval is refused.
    Runs inside the engine's retry (its transaction, the operation row locked).
    """
    if operation.campaign_id is None:
        raise LifecycleError("This launch names no campaign, so there is nothing to retry.")
    check_role("retry_launch", user=actor, campaign=operation.campaign)
    campaign = locked(operation.campaign)
    confirmed = confirmed_uncovered(operation.payload)
    preflight = retry_preflight(campaign, confirmed)
    other = active_operation(campaign, Operation.Kind.LAUNCH)
    if other is not None and other.pk != operation.pk:
        raise LifecycleError(f"Launch #{other.pk} of this campaign is still queued: wait for it or cancel it.")
    if operation.payload.get("hash") != campaign.approved_hash:
        raise LifecycleError(
            "This launch was requested for content that is not the approved version: "
            "launch the campaign again from its page."
        )
    reason = campaign.status_reason
    operation.payload = {
        **launch_payload(campaign, preflight, confirmed),
        "retry_of": operation.payload.get("retry_of"),
    }
    Operation.objects.filter(pk=operation.pk).update(payload=operation.payload)
    transition(campaign, "retry_launch")
    audit_record(
        actor=actor, action="campaign.launch_retried", campaign=campaign, failure=reason, operation=operation.pk
    )


def launch_refusal(campaign: Campaign, payload: dict, content: dict) -> str | None:
    """Why a launch must not reach Leadterra now, or None. `content` is what would be sent.

    Checked by the handler at every run, whatever queued it (a launch, a retry from either
    page, a sweep after a worker died): the state, the approval, the payload and the pre-flight.
    """
    stop = "Stopped before calling Leadterra:"
    if campaign.status != Campaign.Status.LAUNCHING:
        return f"{stop} the campaign is {campaign.get_status_display().lower()}, not launching."
    if not campaign.approved_hash:
        return f"{stop} the campaign holds no approval (an edit voided it); it needs a new review."
    if payload.get("hash") != campaign.approved_hash:
        return f"{stop} this launch was requested for content that is not the approved version."
    if content_hash(content) != campaign.approved_hash or not approval_matches(campaign):
        return f"{stop} the content differs from the version that was approved; it needs a new review."
    if not (payload.get("preflight") or {}).get("passed"):
        return f"{stop} no passed pre-flight is recorded for this launch; launch it from the campaign page."
    return None
