"""Draft to running through review and launch, then pause and resume, with the sandbox agreeing.

Every step goes through the pages (Django's test client, one per person), a real worker
takes the operations from the real Redis, and the sandbox is reached over HTTP.
"""

import pytest

from campaigns.models import AuditEvent, Campaign, Lead, Operation
from campaigns.services.campaigns import campaign_content_save, campaign_create
from tests.conftest import wait_until
from tests.factories import LeadFactory
from tests.lifecycle_support import as_user, post

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]

LEADS = 30
CONTENT = {
    "name": "Fintech CFOs",
    "steps": [
        {"subject": "Hi {{firstName}}", "body_html": "<p>Hi {{firstName|there}} at {{company}}</p>", "delay_days": 0},
        {"subject": "Following up", "body_html": "<p>Any thoughts, {{firstName|there}}?</p>", "delay_days": 2},
    ],
}


def status_becomes(campaign, status, timeout=60):
    return wait_until(
        lambda: Campaign.objects.filter(pk=campaign.pk, status=status).first(),
        timeout=timeout,
        message=f"the campaign to be {status} (it is {Campaign.objects.get(pk=campaign.pk).status})",
    )


def launch_through_the_worker(launcher, campaign):
    """Pre-flight (a real pool refresh through the worker, then the checks pass), launch, wait."""
    location = post(launcher, "campaign_preflight_refresh", campaign)["Location"]
    refresh = Operation.objects.get(pk=int(location.split("op=")[1]))
    wait_until(lambda: Operation.objects.get(pk=refresh.pk).status == "succeeded", timeout=30, message="pool refresh")
    checks = launcher.get(location.replace("/launch/?", "/launch/checks/?"))
    assert checks.status_code == 286 and checks.context["preflight"].ready, checks.context["preflight"].failures
    # Today's window may be partly used, so the plan can spill a day: confirm it, as a manager would.
    post(launcher, "campaign_launch", campaign, {"confirm_spill": "1"})
    return status_becomes(campaign, "running")


def remote(sandbox, campaign):
    remote_id = Campaign.objects.get(pk=campaign.pk).remote_id
    return next(c for c in sandbox.state()["campaigns"] if c["id"] == remote_id)


def test_draft_to_running_then_pause_and_resume_with_the_sandbox_agreeing(
    sandbox, celery_worker, sdr, manager, manager2
):
    sandbox.reset(seed=11, pools=1, senders=2, poolCapacity=500, campaigns=0, leads=0, steps=1)
    sandbox.rates(bounceRate=0, replyRate=0)
    author, reviewer, launcher = as_user(sdr), as_user(manager2), as_user(manager)

    campaign = campaign_create(owner=sdr, name="draft")
    campaign_content_save(campaign=campaign, actor=sdr, content=CONTENT, base_version=campaign.version)
    LeadFactory.create_batch(LEADS, campaign=campaign)

    post(author, "campaign_submit", campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == "in_review"
    version = Campaign.objects.get(pk=campaign.pk).version
    post(reviewer, "campaign_approve", campaign, {"comment": "Good", "reviewed_version": version})
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"
    assert sandbox.state()["campaigns"] == []  # nothing exists remotely before the launch

    running = launch_through_the_worker(launcher, campaign)
    assert running.remote_id and running.launched_at
    assert Lead.objects.filter(campaign=campaign, status="enrolled").count() == LEADS
    state = remote(sandbox, campaign)
    assert (state["status"], state["leads"]) == ("running", LEADS)

    sandbox.advance(hours=1)  # step 1 goes out to everyone
    assert remote(sandbox, campaign)["sent"] == LEADS

    post(launcher, "campaign_pause", campaign, {"reason": "Pricing typo in step 2"})
    paused = status_becomes(campaign, "paused")
    assert (paused.paused_by, paused.status_reason) == (manager, "Pricing typo in step 2")
    assert remote(sandbox, campaign)["status"] == "paused"
    sandbox.advance(days=3)  # step 2 is due but held
    assert remote(sandbox, campaign)["sent"] == LEADS

    post(launcher, "campaign_resume", campaign)
    status_becomes(campaign, "running")
    assert remote(sandbox, campaign)["status"] == "running"
    sandbox.advance(hours=1)
    assert remote(sandbox, campaign)["sent"] == 2 * LEADS  # the held step 2 went out

    trail = list(AuditEvent.objects.filter(campaign=campaign).order_by("id").values_list("action", flat=True))
    for action in [
        "campaign.submitted",
        "approval.granted",
        "campaign.launch_requested",
        "campaign.launched",
        "campaign.pause_requested",
        "campaign.paused",
        "campaign.resume_requested",
        "campaign.resumed",
    ]:
        assert action in trail, trail
