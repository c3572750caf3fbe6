"""Campaigns in any lifecycle state, for the approvals tests (not a test module)."""

from django.utils import timezone

from campaigns.models import Campaign, SenderPool
from campaigns.planner import FITS, Plan
from campaigns.services.pools import sync_record_success
from campaigns.services.versions import version_save
from tests.factories import CampaignFactory, LeadFactory, StepFactory

APPROVED_STATES = {"approved", "launching", "launch_failed", "running", "paused"}
REMOTE_STATES = {"launching", "running", "paused"}


def campaign_in(status: str, *, owner, approver=None, steps: int = 2, leads: int = 3, **fields) -> Campaign:
    """A campaign as the lifecycle would have left it in `status` (content, version, approval).

    The owner wrote the content and, past the draft, submitted it."""
    campaign = CampaignFactory(owner=owner, **fields)
    for position in range(1, steps + 1):
        StepFactory(campaign=campaign, position=position, subject=f"Step {position} for {{{{firstName}}}}")
    for _ in range(leads):
        LeadFactory(campaign=campaign)
    version = version_save(campaign=campaign, actor=owner)
    if status in APPROVED_STATES or (status == "archived" and fields.get("remote_id")):
        campaign.approved_version, campaign.approved_hash = version.number, version.content_hash
        campaign.approved_by, campaign.approved_at = approver, timezone.now()
        campaign.last_approved_version = version.number
    if status != "draft" and "submitted_by" not in fields:
        campaign.submitted_by = owner
    if status in {"running", "paused"} and not campaign.remote_id:
        campaign.remote_id = f"camp_{campaign.pk}"
    if status == "launch_failed":
        campaign.status_reason = "Leadterra said: no_sequence_steps"
    campaign.status = status
    campaign.save()
    return campaign


def fresh_pools(remaining: int = 1000, *, at=None) -> SenderPool:
    """A pool as a successful refresh leaves it (the sync state says when)."""
    at = at or timezone.now()
    sync_record_success(now=at)
    return SenderPool.objects.create(
        remote_id="pool_1", name="Main", daily_capacity=1000, remaining=remaining, refreshed_at=at
    )


def a_plan(verdict: str = FITS, spill_days: int = 0) -> Plan:
    return Plan(
        verdict=verdict,
        model="daily_reset",
        total_sends=6,
        last_day_scheduled=3,
        last_day_projected=3 + spill_days,
        message=f"The plan {verdict}.",
    )


def launch_payload(campaign: Campaign) -> dict:
    """The payload campaign_launch gives a launch of `campaign` whose pre-flight passed."""
    return {
        "version": campaign.approved_version,
        "hash": campaign.approved_hash,
        "preflight": {"passed": True, "checked_at": timezone.now().isoformat(), "checks": ["approval"]},
    }
