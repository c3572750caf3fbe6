"""What an adversary (or bad luck) would try between approval and send, through the real engine.

The outbox engine runs its real `operation_run` against FakeLeadterra (no HTTP), so what
reaches "Leadterra" is exactly what the handlers send.
"""

import logging

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.models import AuditEvent, Campaign, Operation
from campaigns.services import launch, lifecycle, transitions
from campaigns.services import operations as engine
from campaigns.services.campaigns import campaign_archive, campaign_content_save
from campaigns.services.lifecycle import LifecycleError
from campaigns.services.versions import campaign_snapshot, content_hash
from tests.factories import UserFactory
from tests.lifecycle_support import FakeLeadterra, a_plan, campaign_in, fresh_pools

pytestmark = pytest.mark.django_db
S = Campaign.Status


@pytest.fixture
def leadterra(monkeypatch):
    fake = FakeLeadterra()
    monkeypatch.setattr(engine, "get_client", lambda: fake)
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)
    return fake


@pytest.fixture(autouse=True)
def ready_to_launch(monkeypatch):
    fresh_pools()
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: a_plan())


@pytest.fixture
def manager3(db):
    return UserFactory(username="manager3", role="Manager")


def edit(campaign, actor, subject):
    content = campaign_snapshot(campaign)
    content["steps"][0]["subject"] = subject
    campaign.refresh_from_db()
    campaign_content_save(campaign=campaign, actor=actor, content=content, base_version=campaign.version)
    campaign.refresh_from_db()


def run(op):
    Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)
    outcome = engine.operation_run(operation_id=op.pk)
    op.refresh_from_db()
    return outcome


# --- four-eyes ------------------------------------------------------------------


def test_a_manager_who_rewrites_an_sdrs_draft_cannot_submit_and_approve_it_alone(sdr, manager):
    campaign = campaign_in("draft", owner=sdr)
    edit(campaign, manager, "Rewritten by the manager")
    lifecycle.campaign_submit(campaign=campaign, actor=manager)
    with pytest.raises(LifecycleError, match="You edited this version, so another manager must approve it"):
        lifecycle.campaign_approve(campaign=campaign, actor=manager, reviewed_version=campaign.version)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_hash) == (S.IN_REVIEW, "")
    with pytest.raises(LifecycleError, match="cannot launch it while it is in review"):  # nothing to launch
        launch.campaign_launch(campaign=campaign, actor=manager)


def test_the_submitter_may_not_approve_but_a_third_manager_may(sdr, manager, manager2, manager3):
    campaign = campaign_in("draft", owner=sdr)
    edit(campaign, manager, "Manager A's wording")
    lifecycle.campaign_submit(campaign=campaign, actor=manager2)
    with pytest.raises(LifecycleError, match="You sent it for review, so another manager must approve it"):
        lifecycle.campaign_approve(campaign=campaign, actor=manager2, reviewed_version=campaign.version)
    with pytest.raises(LifecycleError, match="You edited this version"):
        lifecycle.campaign_approve(campaign=campaign, actor=manager, reviewed_version=campaign.version)
    lifecycle.campaign_approve(campaign=campaign, actor=manager3, reviewed_version=campaign.version)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by, campaign.submitted_by) == (S.APPROVED, manager3, manager2)
    refused = AuditEvent.objects.filter(campaign=campaign, action="approval.refused").order_by("id")
    assert [(e.actor, e.details["reason"][:12]) for e in refused] == [
        (manager2, "You sent it "),
        (manager, "You edited t"),
    ]


def test_edits_before_the_last_approval_do_not_bar_a_reviewer_but_edits_since_do(sdr, manager, manager2, manager3):
    campaign = campaign_in("draft", owner=sdr)
    edit(campaign, manager, "First round by manager")
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    lifecycle.campaign_approve(campaign=campaign, actor=manager2, reviewed_version=campaign.version)
    edit(campaign, manager3, "Second round by manager3")  # voids the approval
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_hash, campaign.approved_by) == (S.DRAFT, "", None)
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    with pytest.raises(LifecycleError, match="You edited this version"):
        lifecycle.campaign_approve(campaign=campaign, actor=manager3, reviewed_version=campaign.version)
    lifecycle.campaign_approve(campaign=campaign, actor=manager, reviewed_version=campaign.version)  # edited before
    campaign.refresh_from_db()
    assert campaign.approved_hash == content_hash(campaign_snapshot(campaign))


# --- the launch guard ------------------------------------------------------------------


def failed_launch(sdr, manager, manager2, leadterra):
    """An approved campaign whose launch failed for good before anything existed remotely."""
    campaign = campaign_in("approved", owner=sdr, approver=manager2)
    op = launch.campaign_launch(campaign=campaign, actor=manager)
    leadterra.outcome = "permanent"
    assert run(op) == "failed"
    campaign.refresh_from_db()
    assert campaign.status == S.LAUNCH_FAILED
    return campaign, op


def test_a_void_then_a_retry_from_the_operations_page_fails_with_a_sentence_and_sends_nothing(
    client, sdr, manager, manager2, leadterra
):
    campaign, op = failed_launch(sdr, manager, manager2, leadterra)
    edit(campaign, sdr, "Changed after the approval")
    assert campaign.status == S.DRAFT
    leadterra.outcome = "ok"
    client.force_login(manager)
    response = client.post(reverse("operation_retry", args=[op.pk]), {"next": reverse("operations")})
    errors = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert errors == ["You cannot retry the launch while it is draft."]
    op.refresh_from_db()
    campaign.refresh_from_db()
    assert (op.status, campaign.status) == (Operation.Status.FAILED, S.DRAFT)
    assert engine.operation_run(operation_id=op.pk) == "not claimable"
    assert leadterra.created == {} and leadterra.calls == []


def test_a_launch_requeued_behind_the_lifecycles_back_is_stopped_by_the_handler(sdr, manager, manager2, leadterra):
    """Whatever re-queues it (an old engine, a hand-edited row), the handler checks again."""
    campaign, op = failed_launch(sdr, manager, manager2, leadterra)
    edit(campaign, sdr, "Changed after the approval")
    Operation.objects.filter(pk=op.pk).update(status=Operation.Status.QUEUED)
    leadterra.outcome = "ok"
    assert run(op) == "failed"
    assert op.last_error == "Stopped before calling Leadterra: the campaign is draft, not launching."
    assert leadterra.calls == []
    campaign.refresh_from_db()
    assert campaign.status == S.DRAFT  # the failure hook's launch_failed does not fit a draft: not applied


def test_a_retry_of_an_operation_from_before_a_new_approval_is_refused(sdr, manager, manager2, manager3, leadterra):
    campaign, old = failed_launch(sdr, manager, manager2, leadterra)
    edit(campaign, sdr, "New wording")
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    lifecycle.campaign_approve(campaign=campaign, actor=manager3, reviewed_version=campaign.version)
    new = launch.campaign_launch(campaign=campaign, actor=manager)
    assert run(new) == "failed"  # still "permanent": launch_failed again, now bound to the new hash
    with pytest.raises(engine.OperationStateError, match="not the approved version"):
        engine.operation_retry(operation=old, actor=manager)
    leadterra.outcome = "ok"
    engine.operation_retry(operation=new, actor=manager)
    assert run(new) == "succeeded"
    [sent] = leadterra.created.values()
    assert sent["steps"][0]["subject"].startswith("New wording")


def test_a_retry_from_the_operations_page_reruns_the_preflight(sdr, manager, manager2, leadterra):
    campaign, op = failed_launch(sdr, manager, manager2, leadterra)
    campaign.leads.all().delete()
    with pytest.raises(engine.OperationStateError, match="There are no leads to enroll"):
        engine.operation_retry(operation=op, actor=manager)
    campaign.refresh_from_db()
    assert campaign.status == S.LAUNCH_FAILED


def test_a_launch_without_a_recorded_preflight_is_never_sent(sdr, manager2, leadterra):
    campaign = campaign_in("launching", owner=sdr, approver=manager2)
    op = engine.operation_enqueue(
        kind="launch", campaign=campaign, payload={"version": campaign.approved_version, "hash": campaign.approved_hash}
    )
    assert run(op) == "failed"
    assert "no passed pre-flight is recorded" in op.last_error and leadterra.calls == []
    campaign.refresh_from_db()
    assert campaign.status == S.LAUNCH_FAILED


# --- archive and launch racing ------------------------------------------------------------


def test_an_archive_that_read_the_campaign_before_a_launch_was_queued_is_refused(sdr, manager, manager2, leadterra):
    campaign = campaign_in("approved", owner=sdr, approver=manager2)
    seen_by_archive = Campaign.objects.get(pk=campaign.pk)  # the archive request read it as approved
    op = launch.campaign_launch(campaign=campaign, actor=manager)
    with pytest.raises(LifecycleError, match="cannot archive it while it is launching"):
        campaign_archive(campaign=seen_by_archive, actor=manager)
    assert run(op) == "succeeded"
    campaign.refresh_from_db()
    assert campaign.status == S.RUNNING and not AuditEvent.objects.filter(action="campaign.archived").exists()


def test_a_launch_that_read_the_campaign_before_it_was_archived_is_refused(sdr, manager, manager2):
    campaign = campaign_in("approved", owner=sdr, approver=manager2)
    seen_by_launch = Campaign.objects.get(pk=campaign.pk)
    campaign_archive(campaign=campaign, actor=sdr)
    with pytest.raises(LifecycleError, match="cannot launch it while it is archived"):
        launch.campaign_launch(campaign=seen_by_launch, actor=manager)
    assert not Operation.objects.filter(kind="launch").exists()


def test_a_paused_campaign_with_a_resume_queued_cannot_be_archived_and_never_restarts(
    client, sdr, manager, manager2, leadterra
):
    campaign = campaign_in("paused", owner=sdr, approver=manager2)
    resume = lifecycle.campaign_resume(campaign=campaign, actor=manager)
    client.force_login(manager)
    response = client.post(reverse("campaign_archive", args=[campaign.pk]))
    errors = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert errors == [f"Start #{resume.pk} is still being sent to Leadterra: archive it once that ends."]
    campaign.refresh_from_db()
    assert campaign.status == S.PAUSED


# --- confirmations arriving in the wrong state -------------------------------------------


@pytest.mark.parametrize(
    ("status", "confirmation"),
    [
        ("draft", "confirm_paused"),
        ("archived", "confirm_resumed"),
        ("archived", "confirm_launched"),
        ("approved", "confirm_launch_failed"),
        ("paused", "confirm_launched"),
    ],
)
def test_a_confirmation_that_does_not_fit_the_state_is_logged_and_not_applied(sdr, status, confirmation, caplog):
    campaign = campaign_in(status, owner=sdr)
    with caplog.at_level(logging.WARNING, logger="campaigns.services.transitions"):
        assert transitions.confirm(campaign.pk, confirmation) is None
    campaign.refresh_from_db()
    assert campaign.status == status
    assert f"{confirmation} refused in state {status}" in caplog.text
    event = AuditEvent.objects.get(action="campaign.confirmation_refused", campaign=campaign)
    assert event.details == {"confirmation": confirmation, "status": status, "operation": None}


def test_a_repeated_confirmation_is_a_quiet_no_op(sdr):
    campaign = campaign_in("paused", owner=sdr)
    assert transitions.confirm(campaign.pk, "confirm_paused") is None
    assert not AuditEvent.objects.filter(action="campaign.confirmation_refused").exists()


def test_a_pause_confirmed_after_the_campaign_left_running_is_not_applied(sdr, manager, leadterra):
    campaign = campaign_in("running", owner=sdr)
    op = lifecycle.campaign_pause(campaign=campaign, actor=manager, reason="Typo")
    Campaign.objects.filter(pk=campaign.pk).update(status=S.LAUNCH_FAILED)  # the state moved on somehow
    assert run(op) == "succeeded"  # Leadterra paused it; the local status is not forced
    campaign.refresh_from_db()
    assert campaign.status == S.LAUNCH_FAILED
    assert AuditEvent.objects.filter(action="campaign.confirmation_refused", campaign=campaign).exists()


def test_every_status_write_is_an_edge_of_the_table(sdr):
    campaign = campaign_in("running", owner=sdr)
    with pytest.raises(LifecycleError, match="No transition leads from running to draft"):
        transitions.write_status(campaign, S.DRAFT)
    assert Campaign.objects.get(pk=campaign.pk).status == S.RUNNING
