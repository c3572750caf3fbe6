"""Campaigns in any lifecycle state, for the approvals tests (not a test module)."""

from dataclasses import asdict

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, SenderPool
from campaigns.planner import FITS, CapacityPlan
from campaigns.services import sync_jobs
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


def bouncing_campaign(*, owner, approver, **fields) -> Campaign:
    """A running campaign bouncing 5.04% under a guard of 8% once 500 are delivered: lowering the
    threshold to 5% asks before it pauses."""
    numbers = {"sent": 2500, "delivered": 2300, "bounced": 126, "bounce_threshold": 0.08, "bounce_min_delivered": 500}
    return campaign_in("running", owner=owner, approver=approver, name="Winter push", **(numbers | fields))


def fresh_pools(remaining: int = 1000, *, at=None) -> SenderPool:
    """A pool as a successful refresh leaves it (the sync state says when)."""
    at = at or timezone.now()
    sync_jobs.sync_success(name=sync_jobs.POOLS, now=at)
    return SenderPool.objects.create(
        remote_id="pool_1", name="Main", daily_capacity=1000, remaining=remaining, refreshed_at=at
    )


def a_plan(verdict: str = FITS, spill_days: int = 0) -> CapacityPlan:
    return CapacityPlan(
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


class WorkerDied(BaseException):  # noqa: N818 (not an error the engine may catch: the process is gone)
    """Raised by FakeLeadterra after doing a call, as if the worker died before hearing the answer."""


class FakeLeadterra:
    """A client with no HTTP, for tests that run the real engine (`operation_run`).

    Each call first does what Leadterra would (create, replaying a known Idempotency-Key;
    enroll; start; pause), then answers as `outcome` says: "ok", "transient" (a 503, nothing
    done), "permanent" (a 422, nothing done) or "die" (done, but the worker dies before it
    hears the answer). `created` keeps what each remote campaign was created with.
    """

    def __init__(self):
        self.outcome = "ok"
        self.created: dict[str, dict] = {}  # remote id -> {"key", "name", "steps"}
        self.calls: list[tuple[str, str]] = []  # (method, remote id or key)

    def _answer(self, method: str, target: str, act):
        from campaigns.leadterra import Invalid, Transient

        if self.outcome == "transient":
            raise Transient(f"Leadterra had a server error (503) on {method}; it will be retried.")
        if self.outcome == "permanent":
            raise Invalid(f"Leadterra refused {method}: validation_failed.", code="validation_failed", errors=[])
        result = act()
        self.calls.append((method, target))
        if self.outcome == "die":
            raise WorkerDied(method)
        return result

    def create_campaign(self, *, name, steps, idempotency_key):
        from campaigns.leadterra import CampaignData

        def act():
            for remote_id, sent in self.created.items():
                if sent["key"] == idempotency_key:
                    return CampaignData(id=remote_id, name=name, status="draft")
            remote_id = f"camp_{len(self.created) + 1}"
            self.created[remote_id] = {"key": idempotency_key, "name": name, "steps": [asdict(s) for s in steps]}
            return CampaignData(id=remote_id, name=name, status="draft")

        return self._answer("create", idempotency_key, act)

    def enroll_leads(self, campaign_id, leads, *, idempotency_key):
        from campaigns.leadterra import EnrollResult

        return self._answer(
            "enroll", campaign_id, lambda: EnrollResult(enrolled=len(leads), updated=0, total=len(leads))
        )

    def start_campaign(self, campaign_id):
        from campaigns.leadterra import CampaignStateData

        return self._answer("start", campaign_id, lambda: CampaignStateData(id=campaign_id, status="running"))

    def pause_campaign(self, campaign_id):
        from campaigns.leadterra import CampaignStateData

        return self._answer("pause", campaign_id, lambda: CampaignStateData(id=campaign_id, status="paused"))


# --- driving the pages as a person would (integration tests) ---


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, name, campaign, data=None):
    response = client.post(reverse(name, args=[campaign.pk]), data or {})
    assert response.status_code == 302, response.content[:300]
    return response
