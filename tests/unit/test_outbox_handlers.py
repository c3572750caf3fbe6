"""Every outbox handler through the engine and the real client, HTTP faked with `responses`."""

import json

import pytest
import responses

from campaigns.models import AuditEvent, Campaign, CampaignVersion, Lead, Operation, SuppressedEmail
from campaigns.services import operations as engine
from campaigns.services.handlers.campaign import create_key
from campaigns.services.operations import operation_run
from campaigns.services.versions import version_save
from tests.factories import CampaignFactory, LeadFactory, StepFactory
from tests.lifecycle_support import launch_payload

BASE = "https://lt.example.test"
S = Operation.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet(settings, monkeypatch):
    settings.LEADTERRA_API_BASE = BASE
    settings.LEADTERRA_MAX_RPS = 0
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)


def run(op):
    operation_run(operation_id=op.pk)
    op.refresh_from_db()
    return op


def again(op):
    """The retry's countdown has passed."""
    Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)
    return run(op)


def approved_campaign(manager, leads=0, **kw):
    campaign = CampaignFactory(**kw)
    StepFactory(campaign=campaign, position=1, subject="Hi {{firstName|there}}", body_html="<p>{{company}}</p>")
    StepFactory(campaign=campaign, position=2, subject="Again", body_html="<p>bump</p>", delay_days=3)
    version = version_save(campaign=campaign, actor=manager)
    campaign.approved_version, campaign.approved_hash = version.number, version.content_hash
    campaign.status = kw.get("status", Campaign.Status.LAUNCHING)
    campaign.save()
    for i in range(leads):
        LeadFactory(campaign=campaign, email=f"l{i:05}@example.com", first_name="" if i == 0 else "Ada")
    return campaign


def created(remote="camp_R1"):
    return responses.post(f"{BASE}/v1/campaigns", json={"id": remote, "name": "x", "status": "draft"}, status=201)


def bulk_body(call):
    return json.loads(call.request.body)["leads"]


@responses.activate
def test_create_sends_the_approved_version_with_fallbacks_compiled_and_stores_the_remote_id(manager):
    campaign = approved_campaign(manager)
    created()
    op = run(
        Operation.objects.create(
            kind="create_campaign", campaign=campaign, created_by=manager, payload=launch_payload(campaign)
        )
    )
    campaign.refresh_from_db()
    assert (op.status, campaign.remote_id, op.result) == (S.SUCCEEDED, "camp_R1", {"remote_id": "camp_R1"})
    sent = json.loads(responses.calls[0].request.body)
    assert [s["subject"] for s in sent["sequenceSteps"]] == ["Hi {{firstName_or_1}}", "Again"]
    assert [s["delayDays"] for s in sent["sequenceSteps"]] == [0, 3]
    assert responses.calls[0].request.headers["Idempotency-Key"] == create_key(campaign)
    assert AuditEvent.objects.filter(action="campaign.remote_created", actor=manager).exists()


@responses.activate
def test_content_changed_behind_the_approval_is_never_sent(manager):
    campaign = approved_campaign(manager)
    StepFactory(campaign=campaign, position=3, subject="edited after approval")  # no version, no review
    op = run(Operation.objects.create(kind="create_campaign", campaign=campaign, payload=launch_payload(campaign)))
    assert op.status == S.FAILED and "differs from the version that was approved" in op.last_error
    assert len(responses.calls) == 0


@responses.activate
def test_a_resume_of_an_archived_campaign_never_calls_start(manager):
    campaign = approved_campaign(manager, leads=1, remote_id="camp_R1", status=Campaign.Status.ARCHIVED)
    Lead.objects.update(status=Lead.Status.ENROLLED)
    op = run(Operation.objects.create(kind="start", campaign=campaign, payload={"resume": True}))
    assert op.status == S.FAILED and "the campaign is archived" in op.last_error
    assert len(responses.calls) == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ARCHIVED


@responses.activate
def test_create_never_runs_twice_once_the_remote_id_is_known(manager):
    campaign = approved_campaign(manager, remote_id="camp_R0")
    op = run(Operation.objects.create(kind="create_campaign", campaign=campaign, payload=launch_payload(campaign)))
    assert op.status == S.SUCCEEDED and len(responses.calls) == 0


@responses.activate
def test_enroll_sends_pending_leads_in_chunks_of_500_with_fallback_fields(manager):
    campaign = approved_campaign(manager, leads=1200, remote_id="camp_R1")
    responses.post(f"{BASE}/v1/campaigns/camp_R1/leads/bulk", json={"enrolled": 500, "updated": 0, "total": 500})
    op = run(Operation.objects.create(kind="enroll_leads", campaign=campaign, created_by=manager))
    assert [len(bulk_body(c)) for c in responses.calls] == [500, 500, 200]
    first = bulk_body(responses.calls[0])[0]
    assert first["email"] == "l00000@example.com"
    assert first["customFields"] == {"firstName_or_1": "there", "company_html": "Analytical Engines"}
    assert op.status == S.SUCCEEDED
    assert op.result["chunks"] == 3 and op.result["sent"] == 1200
    assert Lead.objects.filter(campaign=campaign, status=Lead.Status.ENROLLED).count() == 1200
    keys = {c.request.headers["Idempotency-Key"] for c in responses.calls}
    assert len(keys) == 3
    assert AuditEvent.objects.filter(action="leads.enrolled", campaign=campaign).exists()


@responses.activate
def test_enroll_resumes_after_the_last_checkpointed_chunk(manager):
    campaign = approved_campaign(manager, leads=1100, remote_id="camp_R1")
    url = f"{BASE}/v1/campaigns/camp_R1/leads/bulk"
    responses.post(url, json={"enrolled": 500, "updated": 0, "total": 500})
    responses.post(url, status=502, body="<html>Bad gateway</html>", content_type="text/html")
    responses.post(url, json={"enrolled": 500, "updated": 0, "total": 500})
    responses.post(url, json={"enrolled": 100, "updated": 0, "total": 100})
    op = run(Operation.objects.create(kind="enroll_leads", campaign=campaign))
    assert op.status == S.RETRYING and op.progress["enroll"]["chunks"] == 1
    assert "non-JSON" in op.last_error
    op = again(op)
    assert op.status == S.SUCCEEDED
    firsts = [bulk_body(c)[0]["email"] for c in responses.calls]
    assert firsts == ["l00000@example.com", "l00500@example.com", "l00500@example.com", "l01000@example.com"]
    assert (
        responses.calls[1].request.headers["Idempotency-Key"] == responses.calls[2].request.headers["Idempotency-Key"]
    ), "the resent chunk carries the same key"
    assert op.result["enrolled"] == 1100


@responses.activate
def test_enroll_marks_422_items_rejected_and_resends_the_rest(manager):
    campaign = approved_campaign(manager, leads=5, remote_id="camp_R1")
    url = f"{BASE}/v1/campaigns/camp_R1/leads/bulk"
    responses.post(
        url,
        status=422,
        json={
            "error": {"code": "validation_failed", "message": "bad"},
            "errors": [
                {"index": 1, "field": "email", "message": "is not a valid email"},
                {"index": 3, "field": "email", "message": "domain has no MX"},
            ],
        },
    )
    responses.post(url, json={"enrolled": 3, "updated": 0, "total": 3})
    op = run(Operation.objects.create(kind="enroll_leads", campaign=campaign))
    assert op.status == S.SUCCEEDED
    assert [x["email"] for x in bulk_body(responses.calls[1])] == [
        "l00000@example.com",
        "l00002@example.com",
        "l00004@example.com",
    ]
    rejected = dict(Lead.objects.filter(status=Lead.Status.REJECTED).values_list("email", "error"))
    assert rejected == {
        "l00001@example.com": "email: is not a valid email",
        "l00003@example.com": "email: domain has no MX",
    }
    assert (op.result["rejected"], op.result["enrolled"]) == (2, 3)


@responses.activate
def test_enroll_marks_suppressed_leads_skipped_and_reconciles_counts(manager):
    campaign = approved_campaign(manager, leads=4, remote_id="camp_R1")
    SuppressedEmail.objects.create(email="l00002@example.com")
    responses.post(
        f"{BASE}/v1/campaigns/camp_R1/leads/bulk", json={"enrolled": 2, "updated": 1, "total": 4, "skipped": 1}
    )
    op = run(Operation.objects.create(kind="enroll_leads", campaign=campaign))
    statuses = dict(Lead.objects.values_list("email", "status"))
    assert statuses["l00002@example.com"] == Lead.Status.SKIPPED
    assert list(statuses.values()).count(Lead.Status.ENROLLED) == 3
    assert {k: op.result[k] for k in ("enrolled", "updated", "skipped")} == {"enrolled": 2, "updated": 1, "skipped": 1}


@responses.activate
def test_a_400_on_enroll_fails_the_operation_with_leadterras_reason(manager):
    campaign = approved_campaign(manager, leads=2, remote_id="camp_R1")
    responses.post(
        f"{BASE}/v1/campaigns/camp_R1/leads/bulk",
        status=400,
        json={"error": {"code": "invalid_request", "message": "leads must be an array"}},
    )
    op = run(Operation.objects.create(kind="enroll_leads", campaign=campaign))
    assert op.status == S.FAILED and "leads must be an array" in op.last_error


def test_enroll_before_the_campaign_exists_remotely_fails_clearly(manager):
    campaign = approved_campaign(manager, leads=1)
    op = run(Operation.objects.create(kind="enroll_leads", campaign=campaign))
    assert op.status == S.FAILED and "does not exist on Leadterra yet" in op.last_error


@responses.activate
def test_start_and_pause_set_the_local_status(manager):
    campaign = approved_campaign(manager, leads=1, remote_id="camp_R1", status=Campaign.Status.PAUSED)
    Lead.objects.update(status=Lead.Status.ENROLLED)
    responses.post(
        f"{BASE}/v1/campaigns/camp_R1/start",
        json={"id": "camp_R1", "status": "running", "startedAt": "2025-06-10T14:22:07Z"},
    )
    responses.post(
        f"{BASE}/v1/campaigns/camp_R1/pause",
        json={"id": "camp_R1", "status": "paused", "pausedAt": "2025-06-10T15:22:07Z"},
    )
    run(Operation.objects.create(kind="start", campaign=campaign, created_by=manager))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING and campaign.started_at.hour == 14
    assert AuditEvent.objects.filter(action="campaign.resumed", actor=manager).exists()
    run(Operation.objects.create(kind="pause", campaign=campaign, payload={"reason": "bounces"}))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED and campaign.paused_at.hour == 15
    assert AuditEvent.objects.get(action="campaign.paused").details["reason"] == "bounces"


def test_start_without_enrolled_leads_is_refused_before_calling(manager):
    campaign = approved_campaign(manager, leads=1, remote_id="camp_R1", status=Campaign.Status.PAUSED)
    op = run(Operation.objects.create(kind="start", campaign=campaign))
    assert op.status == S.FAILED and "No lead is enrolled" in op.last_error


@responses.activate
def test_launch_creates_enrolls_and_starts_and_resumes_without_duplicates(manager):
    campaign = approved_campaign(manager, leads=600)
    created()
    url = f"{BASE}/v1/campaigns/camp_R1/leads/bulk"
    responses.post(url, json={"enrolled": 500, "updated": 0, "total": 500})
    responses.post(url, status=503, json={"error": {"code": "unavailable"}})
    responses.post(url, json={"enrolled": 100, "updated": 0, "total": 100})
    start = f"{BASE}/v1/campaigns/camp_R1/start"
    responses.post(start, status=429, headers={"Retry-After": "2"}, json={"error": {"code": "rate_limited"}})
    responses.post(start, json={"id": "camp_R1", "status": "running"})
    op = Operation.objects.create(
        kind="launch", campaign=campaign, created_by=manager, payload=launch_payload(campaign)
    )
    run(op)
    assert (op.status, op.progress["stage"]) == (S.RETRYING, "enroll")
    again(op)
    assert (op.status, op.progress["stage"]) == (S.RETRYING, "start")
    again(op)
    assert op.status == S.SUCCEEDED, op.last_error
    campaign.refresh_from_db()
    assert (campaign.status, campaign.remote_id) == (Campaign.Status.RUNNING, "camp_R1")
    assert campaign.launched_at and campaign.started_at
    paths = [c.request.url.removeprefix(BASE) for c in responses.calls]
    assert paths.count("/v1/campaigns") == 1
    assert op.result["enroll"]["enrolled"] == 600
    assert AuditEvent.objects.filter(action="campaign.launched", actor=manager).exists()


@responses.activate
def test_a_launch_that_fails_for_good_says_why_on_the_campaign(manager):
    campaign = approved_campaign(manager, leads=1)
    responses.post(f"{BASE}/v1/campaigns", status=401, json={"error": {"code": "authentication_failed"}})
    op = run(Operation.objects.create(kind="launch", campaign=campaign, payload=launch_payload(campaign)))
    campaign.refresh_from_db()
    assert op.status == S.FAILED
    assert campaign.status == Campaign.Status.LAUNCH_FAILED
    assert "LEADTERRA_API_KEY" in campaign.status_reason
    assert AuditEvent.objects.filter(action="campaign.launch_failed", campaign=campaign).exists()


@responses.activate
def test_suppress_pushes_every_unpushed_email_in_chunks_of_1000():
    SuppressedEmail.objects.bulk_create(SuppressedEmail(email=f"s{i}@x.io") for i in range(2500))
    responses.post(f"{BASE}/v1/suppression-list", json={"result": {"suppressed": 900, "alreadySuppressed": 100}})
    op = run(Operation.objects.create(kind="suppress"))
    assert [len(json.loads(c.request.body)["emails"]) for c in responses.calls] == [1000, 1000, 500]
    assert not SuppressedEmail.objects.filter(pushed_at__isnull=True).exists()
    assert op.status == S.SUCCEEDED and op.result["done"] == 2500


@responses.activate
def test_suppress_pushes_the_emails_in_its_payload():
    SuppressedEmail.objects.create(email="a@x.io")
    SuppressedEmail.objects.create(email="other@x.io")
    responses.post(f"{BASE}/v1/suppression-list", json={"suppressed": 1})
    run(Operation.objects.create(kind="suppress", payload={"emails": ["a@x.io"]}))
    assert json.loads(responses.calls[0].request.body) == {"emails": ["a@x.io"]}
    assert list(SuppressedEmail.objects.filter(pushed_at__isnull=False).values_list("email", flat=True)) == ["a@x.io"]


@responses.activate
def test_register_webhook_stores_the_webhook_in_the_result():
    responses.post(
        f"{BASE}/v1/webhooks",
        status=201,
        json={
            "webhook": {
                "id": "wh_1",
                "url": "https://ops.example.com/webhooks/leadterra/",
                "events": ["reply.received"],
                "status": "active",
            }
        },
    )
    op = run(
        Operation.objects.create(
            kind="register_webhook", payload={"url": "https://ops.example.com/webhooks/leadterra/"}
        )
    )
    assert op.result["id"] == "wh_1"
    assert json.loads(responses.calls[0].request.body)["events"] == [
        "campaign.started",
        "message.sent",
        "message.bounced",
        "reply.received",
    ]
    assert CampaignVersion.objects.count() == 0


@responses.activate
def test_refresh_pools_hands_both_lists_to_the_pools_area():
    from campaigns.models import SenderAccount, SenderPool

    responses.get(
        f"{BASE}/v1/sender-pools",
        json={
            "pools": [{"id": "pool_1", "name": "Main", "dailyCapacity": 400, "remainingVolume": 90, "senderCount": 2}]
        },
    )
    responses.get(f"{BASE}/v1/sender-accounts", json=[{"id": "sa_1", "email": "a@x.io", "status": "warming"}])
    op = run(Operation.objects.create(kind="refresh_pools"))
    assert op.status == S.SUCCEEDED, op.last_error
    assert SenderPool.objects.get().remaining == 90
    assert SenderAccount.objects.get().status == "warming"


@responses.activate
def test_a_pools_refresh_that_fails_for_good_is_recorded_for_the_health_panel():
    from campaigns.models import SyncState

    responses.get(f"{BASE}/v1/sender-pools", status=401, json={"error": {"code": "authentication_failed"}})
    op = run(Operation.objects.create(kind="refresh_pools"))
    assert op.status == S.FAILED
    assert "LEADTERRA_API_KEY" in SyncState.objects.get(name="pools").last_error
