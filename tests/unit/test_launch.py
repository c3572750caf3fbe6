"""Launch pre-flight: approval still matches, steps, leads, fresh pools, a plan that fits or a confirmed spill."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from campaigns.models import AuditEvent, Operation, SequenceStep
from campaigns.planner import CANNOT_START, SPILLS
from campaigns.services import launch, sync_jobs
from campaigns.services.lifecycle import LifecycleError
from tests.lifecycle_support import a_plan, campaign_in, fresh_pools

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(monkeypatch):
    """The planner's answer for these tests (the planner has its own tests)."""
    holder = {"plan": a_plan()}
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: holder["plan"])
    return holder


@pytest.fixture
def approved(sdr, manager2, plan):
    fresh_pools()
    return campaign_in("approved", owner=sdr, approver=manager2)


def test_a_ready_campaign_launches_as_one_operation(approved, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        op = launch.campaign_launch(campaign=approved, actor=manager)
    assert len(callbacks) == 1
    assert (op.kind, op.created_by) == ("launch", manager)
    assert (op.payload["version"], op.payload["hash"]) == (approved.approved_version, approved.approved_hash)
    assert op.payload["preflight"]["passed"] is True
    assert op.payload["preflight"]["checks"] == ["approval", "steps", "leads", "coverage", "pools", "plan"]
    approved.refresh_from_db()
    assert approved.status == "launching"
    requested = AuditEvent.objects.get(action="campaign.launch_requested")
    assert (requested.actor, requested.campaign) == (manager, approved)
    assert requested.details == {"version": approved.approved_version, "hash": approved.approved_hash}


def test_an_sdr_cannot_launch(approved, sdr):
    with pytest.raises(PermissionDenied):
        launch.campaign_launch(campaign=approved, actor=sdr)


def test_it_refuses_content_that_is_not_what_was_approved(approved, manager):
    SequenceStep.objects.filter(campaign=approved, position=1).update(subject="Sneaky change")
    with pytest.raises(LifecycleError, match="not the version that was approved"):
        launch.campaign_launch(campaign=approved, actor=manager)
    assert not Operation.objects.filter(kind="launch").exists()


def test_it_refuses_a_campaign_without_leads(sdr, manager, manager2, plan):
    fresh_pools()
    campaign = campaign_in("approved", owner=sdr, approver=manager2, leads=0)
    with pytest.raises(LifecycleError, match="no leads"):
        launch.campaign_launch(campaign=campaign, actor=manager)


def test_a_launch_refused_for_several_reasons_says_each_sentence_in_turn(sdr, manager, manager2, plan):
    """The manager reads every failed check at once, as separate sentences, not just the first."""
    fresh_pools()
    campaign = campaign_in("approved", owner=sdr, approver=manager2, steps=0, leads=0)
    with pytest.raises(LifecycleError) as refused:
        launch.campaign_launch(campaign=campaign, actor=manager)
    assert str(refused.value) == "The sequence has no steps. There are no leads to enroll."
    assert not Operation.objects.filter(kind="launch").exists()


def test_it_refuses_stale_pool_numbers(approved, manager):
    sync_jobs.sync_success(name=sync_jobs.POOLS, now=timezone.now() - timedelta(minutes=11))
    with pytest.raises(LifecycleError, match="out of date: refresh them"):
        launch.campaign_launch(campaign=approved, actor=manager)


def test_it_refuses_when_the_last_pool_refresh_failed(approved, manager):
    sync_jobs.sync_failure(name=sync_jobs.POOLS, error="401 authentication_failed")
    with pytest.raises(LifecycleError, match="401 authentication_failed"):
        launch.campaign_launch(campaign=approved, actor=manager)


def test_a_spilling_plan_needs_an_explicit_confirmation_which_is_audited(approved, manager, plan):
    plan["plan"] = a_plan(SPILLS, spill_days=2)
    with pytest.raises(LifecycleError) as refused:
        launch.campaign_launch(campaign=approved, actor=manager)
    assert str(refused.value) == "The plan runs 2 days past its schedule: confirm the spill to launch."
    launch.campaign_launch(campaign=approved, actor=manager, confirm_spill=True)
    event = AuditEvent.objects.get(action="launch.spill_confirmed")
    assert (event.actor, event.campaign) == (manager, approved)
    assert event.details == {"spill_days": 2, "plan": "The plan spills."}  # the plan the manager was shown


def test_a_plan_that_cannot_start_blocks_the_launch(approved, manager, plan):
    plan["plan"] = a_plan(CANNOT_START)
    with pytest.raises(LifecycleError, match="cannot_start"):
        launch.campaign_launch(campaign=approved, actor=manager, confirm_spill=True)


def test_preflight_lists_every_check_with_a_sentence(approved):
    result = launch.campaign_preflight(approved)
    assert [c.key for c in result.checks] == ["approval", "steps", "leads", "coverage", "pools", "plan"]
    assert result.ready and not result.spills


def test_preflight_refresh_enqueues_one_pool_refresh(approved, manager):
    first = launch.campaign_preflight_refresh(campaign=approved, actor=manager)
    second = launch.campaign_preflight_refresh(campaign=approved, actor=manager)
    assert first == second and first.kind == "refresh_pools"
    assert first.created_by == manager  # the Operations page says who asked for it


@pytest.fixture
def failed_launch(sdr, manager2, plan):
    fresh_pools()
    campaign = campaign_in("launch_failed", owner=sdr, approver=manager2)
    op = Operation.objects.create(kind="launch", campaign=campaign, status="failed", last_error="boom")
    return campaign, op


def test_a_failed_launch_is_retried_with_a_new_launch_operation(failed_launch, manager):
    campaign, failed = failed_launch
    op = launch.campaign_launch_retry(campaign=campaign, actor=manager)
    assert op.kind == "launch" and op.payload["retry_of"] == failed.pk and op.created_by == manager
    assert op.payload["hash"] == campaign.approved_hash and op.payload["preflight"]["passed"] is True
    campaign.refresh_from_db()
    assert campaign.status == "launching" and campaign.status_reason == ""
    retried = AuditEvent.objects.get(action="campaign.launch_retried")
    assert (retried.actor, retried.campaign) == (manager, campaign)
    assert retried.details == {"failure": "Leadterra said: no_sequence_steps"}


def test_a_second_retry_click_while_the_first_runs_reuses_it(failed_launch, manager, manager2):
    campaign, _failed = failed_launch
    first = launch.campaign_launch_retry(campaign=campaign, actor=manager)
    assert launch.campaign_launch_retry(campaign=campaign, actor=manager2) == first
    assert Operation.objects.filter(kind="launch", status="queued").count() == 1


def test_a_retry_while_an_earlier_launch_is_still_retrying_names_it_and_where_to_cancel_it(failed_launch, manager):
    """Leadterra reported the launch failed while its operation still backs off: a retry would
    queue a second launch of the same campaign, so the manager is told which one to wait for."""
    campaign, _failed = failed_launch
    pending = Operation.objects.create(kind="launch", campaign=campaign, status="retrying")
    with pytest.raises(LifecycleError) as refused:
        launch.campaign_launch_retry(campaign=campaign, actor=manager)
    assert str(refused.value) == (
        f"Launch #{pending.pk} of this campaign is still queued: wait for it or cancel it on the Operations page."
    )
    campaign.refresh_from_db()
    assert campaign.status == "launch_failed"
    assert Operation.objects.filter(kind="launch").count() == 2


def test_a_retry_reruns_the_preflight_and_refuses_stale_pool_numbers(failed_launch, manager):
    campaign, _failed = failed_launch
    sync_jobs.sync_success(name=sync_jobs.POOLS, now=timezone.now() - timedelta(minutes=11))
    with pytest.raises(LifecycleError, match="out of date: refresh them"):
        launch.campaign_launch_retry(campaign=campaign, actor=manager)
    campaign.refresh_from_db()
    assert campaign.status == "launch_failed"
    assert Operation.objects.filter(kind="launch").count() == 1


def test_a_retry_refuses_content_changed_since_the_approval(failed_launch, manager):
    campaign, _failed = failed_launch
    SequenceStep.objects.filter(campaign=campaign, position=2).update(body_html="<p>Changed behind the review</p>")
    with pytest.raises(LifecycleError, match="not the version that was approved"):
        launch.campaign_launch_retry(campaign=campaign, actor=manager)
    assert Operation.objects.filter(kind="launch").count() == 1
