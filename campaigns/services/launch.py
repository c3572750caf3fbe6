"""Launch: pre-flight checks, then one `launch` operation; a failed launch can be retried.

The launch handler (outbox area) creates the remote campaign from the approved version,
enrolls the leads in checkpointed chunks and starts it; it sets `running`, or
`launch_failed` with the reason. A retry enqueues `launch` again: the handler skips what
is already done (remote id recorded, chunks checkpointed), so nothing is sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from campaigns import planner
from campaigns.audit import audit_record
from campaigns.models import Campaign, Operation
from campaigns.services.coverage_gate import Risk, coverage_message, coverage_risks, unconfirmed
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
from campaigns.services.pools import pools_freshness, pools_refresh_enqueue


@dataclass
class Check:
    key: str
    ok: bool
    message: str
    overridable: bool = False  # a manager may launch anyway by confirming it on the launch page


@dataclass
class Preflight:
    checks: list[Check] = field(default_factory=list)
    plan: planner.Plan | None = None
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


def _campaign_plan(campaign):
    return campaign_plan(campaign)


def campaign_preflight(campaign: Campaign) -> Preflight:
    """Everything a launch needs, each with a sentence a manager can act on."""
    # Remaining volume moves every minute while other campaigns send: the decision needs
    # numbers the pools area calls fresh (a recent success and no failure since).
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
    steps, leads = campaign.steps.count(), campaign.leads.count()
    result.checks.append(Check("steps", steps > 0, f"{steps} step(s)." if steps else "The sequence has no steps."))
    result.checks.append(Check("leads", leads > 0, f"{leads} lead(s)." if leads else "There are no leads to enroll."))
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
        result.plan = _campaign_plan(campaign)
    if result.plan is not None:
        fits = result.plan.verdict != planner.CANNOT_START
        result.checks.append(Check("plan", fits, result.plan.message or f"The plan {result.plan.verdict}."))
    return result


@transaction.atomic
def campaign_preflight_refresh(*, campaign: Campaign, actor) -> Operation:
    """Fresh pool numbers before the launch decision (reuses a refresh already under way)."""
    check_role("launch", user=actor, campaign=campaign)
    check_state("launch", campaign)
    return pools_refresh_enqueue(actor=actor)


@transaction.atomic
def campaign_launch(
    *, campaign: Campaign, actor, confirm_spill: bool = False, confirm_uncovered: dict[str, int] | None = None
) -> Operation:
    """`confirm_uncovered` is {token: leads the manager saw empty}; a count grown since is refused."""
    check_role("launch", user=actor, campaign=campaign)
    campaign = locked(campaign)
    check_state("launch", campaign)
    preflight = campaign_preflight(campaign)
    if not preflight.ready:
        raise LifecycleError(" ".join(check.message for check in preflight.failures))
    if preflight.spills:
        if not confirm_spill:
            raise LifecycleError(
                f"The plan runs {preflight.plan.spill_days} day(s) past its schedule: confirm the spill to launch."
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
    payload = {"version": campaign.approved_version, "hash": campaign.approved_hash}
    return operation_enqueue(kind=Operation.Kind.LAUNCH, campaign=campaign, actor=actor, payload=payload)


@transaction.atomic
def campaign_launch_retry(*, campaign: Campaign, actor) -> Operation:
    """Resume a failed launch from its checkpoints, still bound to the approved content."""
    check_role("retry_launch", user=actor, campaign=campaign)
    campaign = locked(campaign)
    check_state("retry_launch", campaign)
    if not approval_matches(campaign):
        raise LifecycleError("The content is not the version that was approved: it needs a new review.")
    pending = active_operation(campaign, Operation.Kind.LAUNCH)
    if pending:
        return pending
    failed = campaign.operations.filter(kind=Operation.Kind.LAUNCH).order_by("-id").first()
    reason = campaign.status_reason
    transition(campaign, "retry_launch")
    audit_record(actor=actor, action="campaign.launch_retried", campaign=campaign, failure=reason)
    payload = {
        "version": campaign.approved_version,
        "hash": campaign.approved_hash,
        "retry_of": getattr(failed, "pk", None),
    }
    return operation_enqueue(kind=Operation.Kind.LAUNCH, campaign=campaign, actor=actor, payload=payload)
