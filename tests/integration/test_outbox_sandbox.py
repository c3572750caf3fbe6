"""Operations through a real worker (threads, in this process) and a real Redis against the
sandbox over HTTP, with its response shapes switched to the less common documented variants."""

import pytest

from campaigns.models import AuditEvent, Campaign, Lead, Operation, SenderPool, SuppressedEmail
from campaigns.services.operations import operation_enqueue
from tests.chaos.conftest import launchable
from tests.conftest import wait_until
from tests.lifecycle_support import launch_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]


@pytest.fixture(autouse=True)
def budget(settings):
    settings.LEADTERRA_MAX_RPS = 40
    settings.OPERATION_RETRY_BASE_SECONDS = 0.5


def finished(op):
    wait_until(lambda: not Operation.objects.get(pk=op.pk).is_active, timeout=60, message=f"{op.kind} to end")
    op.refresh_from_db()
    return op


def test_launch_pause_and_resume_against_the_sandbox(sandbox, celery_worker, manager):
    sandbox.reset(campaigns=0)
    sandbox.shapes(campaigns="wrapped_step_count", leads="skipped", timestamps="millis")
    campaign = launchable(manager, 700, "Integration")
    Lead.objects.create(campaign=campaign, email="not-an-email")  # the sandbox answers 422 for it
    op = finished(operation_enqueue(kind="launch", campaign=campaign, actor=manager, payload=launch_payload(campaign)))
    assert op.status == Operation.Status.SUCCEEDED, op.last_error
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING and campaign.remote_id.startswith("camp_")
    rejected = Lead.objects.get(email="not-an-email")
    assert rejected.status == Lead.Status.REJECTED and rejected.error.startswith("email:")
    [remote] = sandbox.state()["campaigns"]
    assert (remote["leads"], remote["status"], remote["steps"]) == (700, "running", 2)
    # a fallback token reached the sandbox as a lead field and renders there
    lead = Lead.objects.filter(campaign=campaign, first_name="").first()
    sandbox.advance(hours=1)
    [rendered] = sandbox.leads(remote["id"], email=lead.email)
    assert rendered["messages"][0]["subject"] == "Hi there"

    assert (
        finished(operation_enqueue(kind="pause", campaign=campaign, payload={"reason": "check"})).status == "succeeded"
    )
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED and sandbox.state()["campaigns"][0]["status"] == "paused"
    assert finished(operation_enqueue(kind="start", campaign=campaign, actor=manager)).status == "succeeded"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    assert AuditEvent.objects.filter(action="campaign.resumed", campaign=campaign).exists()


def test_workspace_operations_against_the_sandbox(sandbox, celery_worker, manager):
    sandbox.reset(pools=2, senders=4)
    sandbox.shapes(sender_pools="quickstart", sender_accounts="data", suppression_list="result", webhooks="wrapped")
    pools = finished(operation_enqueue(kind="refresh_pools", actor=manager))
    assert pools.status == Operation.Status.SUCCEEDED, pools.last_error
    assert SenderPool.objects.count() == 2 and all(p.daily_capacity > 0 for p in SenderPool.objects.all())

    SuppressedEmail.objects.bulk_create(SuppressedEmail(email=f"blocked{i}@example.com") for i in range(1200))
    pushed = finished(operation_enqueue(kind="suppress", actor=manager))
    assert pushed.status == Operation.Status.SUCCEEDED, pushed.last_error
    assert not SuppressedEmail.objects.filter(pushed_at__isnull=True).exists()
    assert sandbox.state()["suppressed"] == 1200

    hook = finished(
        operation_enqueue(
            kind="register_webhook",
            payload={"url": "http://127.0.0.1:9/webhooks/leadterra/", "events": ["reply.received"]},
            actor=manager,
        )
    )
    assert hook.status == Operation.Status.SUCCEEDED, hook.last_error
    assert hook.result["id"].startswith("wh_") and hook.result["events"] == ["reply.received"]


def test_a_revoked_key_fails_the_operation_with_a_message_to_act_on(sandbox, celery_worker, settings):
    settings.LEADTERRA_API_KEY = "sk_test_revoked"
    op = finished(operation_enqueue(kind="refresh_pools"))
    assert op.status == Operation.Status.FAILED and op.attempts == 1
    assert "LEADTERRA_API_KEY" in op.last_error and "sk_test_revoked" not in op.last_error
