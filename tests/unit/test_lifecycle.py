"""Lifecycle services: one transition table, roles checked in the service, approval bound to content."""

import pytest
from django.core.exceptions import PermissionDenied

from campaigns.models import AuditEvent, Campaign, Operation
from campaigns.services import lifecycle, transitions
from campaigns.services.lifecycle import LifecycleError
from campaigns.services.versions import campaign_snapshot, content_hash, version_save
from tests.factories import CampaignFactory, StepFactory
from tests.lifecycle_support import campaign_in

pytestmark = pytest.mark.django_db


def actions(campaign):
    return list(AuditEvent.objects.filter(campaign=campaign).order_by("id").values_list("action", flat=True))


def test_every_transition_target_is_a_known_status():
    statuses = set(Campaign.Status.values)
    for sources, target in lifecycle.TRANSITIONS.values():
        assert sources <= statuses
        assert target is None or target in statuses


def test_an_author_submits_a_draft_for_review(sdr):
    campaign = campaign_in("draft", owner=sdr)
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    campaign.refresh_from_db()
    assert campaign.status == "in_review"
    assert actions(campaign) == ["campaign.submitted"]


def test_content_never_stored_as_a_version_is_stored_by_whoever_submits_it(sdr, manager):
    # Steps written without the editor (no version yet): the submitter's snapshot is version 1,
    # recorded as theirs, so four-eyes keeps them from approving what they put up.
    campaign = CampaignFactory(owner=sdr)
    StepFactory(campaign=campaign, position=1, subject="Hello {{firstName}}")
    lifecycle.campaign_submit(campaign=campaign, actor=manager)
    campaign.refresh_from_db()
    [version] = campaign.versions.all()
    assert (version.number, version.created_by) == (1, manager)
    assert version.content_hash == content_hash(campaign_snapshot(campaign))
    assert AuditEvent.objects.get(action="campaign.submitted").details["version"] == 1
    assert lifecycle.approval_refusal(campaign, manager).startswith("You edited this version")


def test_content_changed_since_its_last_version_is_stored_again_on_submit(sdr):
    campaign = campaign_in("draft", owner=sdr)
    StepFactory(campaign=campaign, position=9, subject="Added behind the editor's back")
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    campaign.refresh_from_db()
    latest = campaign.versions.order_by("-number").first()
    assert (latest.number, campaign.version) == (2, 2)
    assert latest.content_hash == content_hash(campaign_snapshot(campaign))
    assert "Added behind the editor's back" in str(latest.content)


def test_an_approval_without_a_comment_stores_none(sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    lifecycle.campaign_approve(campaign=campaign, actor=manager)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.review_comment) == ("approved", "")
    assert AuditEvent.objects.get(action="approval.granted").details["comment"] == ""


def test_it_refuses_to_submit_an_empty_sequence(sdr):
    campaign = CampaignFactory(owner=sdr)
    with pytest.raises(LifecycleError, match="at least one step"):
        lifecycle.campaign_submit(campaign=campaign, actor=sdr)


def test_it_rejects_another_sdrs_submission(sdr, sdr2):
    with pytest.raises(PermissionDenied):
        lifecycle.campaign_submit(campaign=campaign_in("draft", owner=sdr), actor=sdr2)


def test_approval_stores_the_version_and_hash_of_the_content(sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    lifecycle.campaign_approve(
        campaign=campaign, actor=manager, comment="Good to go", reviewed_version=campaign.version
    )
    campaign.refresh_from_db()
    assert campaign.status == "approved"
    assert campaign.approved_version == campaign.version
    assert campaign.approved_hash == content_hash(campaign_snapshot(campaign))
    assert (campaign.approved_by, campaign.review_comment) == (manager, "Good to go")
    event = AuditEvent.objects.get(action="approval.granted")
    assert event.actor == manager and event.details["hash"] == campaign.approved_hash
    assert (event.details["version"], event.details["comment"]) == (campaign.version, "Good to go")


def test_an_author_never_approves_their_own_campaign_and_the_refusal_is_audited(manager):
    campaign = campaign_in("in_review", owner=manager)
    with pytest.raises(LifecycleError, match="You edited this version, so another manager must approve it"):
        lifecycle.campaign_approve(campaign=campaign, actor=manager)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_hash, campaign.approved_by) == ("in_review", "", None)
    refused = AuditEvent.objects.get(action="approval.refused")
    assert (refused.actor, refused.details["version"]) == (manager, campaign.version)
    assert refused.details["reason"] == "You edited this version, so another manager must approve it."


def test_an_sdr_may_not_approve_at_all(sdr, sdr2):
    with pytest.raises(PermissionDenied):
        lifecycle.campaign_approve(campaign=campaign_in("in_review", owner=sdr2), actor=sdr)


CHANGED = "The sequence changed while you were reviewing it. Review the new version."


def test_it_refuses_an_approval_of_a_version_the_manager_did_not_see(sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    with pytest.raises(LifecycleError) as refused:
        lifecycle.campaign_approve(campaign=campaign, actor=manager, reviewed_version=campaign.version - 1)
    assert str(refused.value) == CHANGED


def test_it_refuses_an_approval_of_content_changed_without_a_new_version(sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    StepFactory(campaign=campaign, position=9, subject="Written straight to the database")
    with pytest.raises(LifecycleError) as refused:
        lifecycle.campaign_approve(campaign=campaign, actor=manager, reviewed_version=campaign.version)
    assert str(refused.value) == CHANGED
    campaign.refresh_from_db()
    assert campaign.status == "in_review" and not campaign.approved_hash


def test_a_rejection_returns_to_draft_with_the_comment(sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    lifecycle.campaign_reject(campaign=campaign, actor=manager, comment="Step 2 promises a discount we do not give")
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert "Step 2 promises a discount" in campaign.status_reason
    assert campaign.review_comment == "Step 2 promises a discount we do not give"


def test_a_rejection_needs_a_comment(sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    with pytest.raises(LifecycleError, match="needs a comment"):
        lifecycle.campaign_reject(campaign=campaign, actor=manager, comment="  ")


@pytest.mark.parametrize("status", ["in_review", "approved", "launch_failed"])
def test_an_edit_voids_the_approval_and_says_why(sdr, manager2, status):
    campaign = campaign_in(status, owner=sdr, approver=manager2)
    approved_version = campaign.last_approved_version
    StepFactory(campaign=campaign, position=9, subject="Late addition")
    version_save(campaign=campaign, actor=sdr)
    assert lifecycle.approval_void(campaign=campaign, actor=sdr) is True
    assert campaign.status == "draft"  # the caller's instance is updated in place
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    # nothing may treat it as approved any more; the diff still knows what was approved last
    assert (campaign.approved_version, campaign.approved_hash, campaign.approved_by, campaign.approved_at) == (
        None,
        "",
        None,
        None,
    )
    assert campaign.last_approved_version == approved_version
    assert "Edited by sdr" in campaign.status_reason and "new review" in campaign.status_reason
    assert "approval.voided" in actions(campaign)


@pytest.mark.parametrize("status", ["draft", "running", "paused"])
def test_an_edit_voids_nothing_outside_review(sdr, status):
    campaign = campaign_in(status, owner=sdr)
    assert lifecycle.approval_void(campaign=campaign, actor=sdr) is False
    campaign.refresh_from_db()
    assert campaign.status == status


def test_a_manager_pauses_a_running_campaign_with_a_reason(sdr, manager, django_capture_on_commit_callbacks):
    campaign = campaign_in("running", owner=sdr, queued=42)
    with django_capture_on_commit_callbacks() as callbacks:
        op = lifecycle.campaign_pause(campaign=campaign, actor=manager, reason="Wrong price")
    assert len(callbacks) == 1  # the operation is sent to the worker once the row is committed
    assert (op.kind, op.status, op.created_by) == ("pause", "queued", manager)
    campaign.refresh_from_db()
    assert campaign.status == "running"  # until Leadterra confirms
    assert (campaign.paused_by, campaign.status_reason) == (manager, "Wrong price")
    assert AuditEvent.objects.get(action="campaign.pause_requested").details == {"reason": "Wrong price", "queued": 42}


def test_a_second_pause_click_does_not_queue_a_second_operation(sdr, manager):
    campaign = campaign_in("running", owner=sdr)
    first = lifecycle.campaign_pause(campaign=campaign, actor=manager, reason="x")
    second = lifecycle.campaign_pause(campaign=campaign, actor=manager, reason="x")
    assert first == second
    assert Operation.objects.filter(kind="pause").count() == 1


def test_an_sdr_cannot_pause(sdr):
    with pytest.raises(PermissionDenied):
        lifecycle.campaign_pause(campaign=campaign_in("running", owner=sdr), actor=sdr, reason="x")


def test_resume_enqueues_a_start(sdr, manager):
    campaign = campaign_in("paused", owner=sdr, queued=7)
    op = lifecycle.campaign_resume(campaign=campaign, actor=manager)
    assert (op.kind, op.payload) == ("start", {"resume": True})
    assert AuditEvent.objects.get(action="campaign.resume_requested").details == {"held": 7}


def test_resume_waits_for_a_pause_still_in_flight(sdr, manager):
    campaign = campaign_in("paused", owner=sdr)
    Operation.objects.create(kind="pause", campaign=campaign)
    with pytest.raises(LifecycleError, match="still being sent"):
        lifecycle.campaign_resume(campaign=campaign, actor=manager)


def test_the_bounce_guard_pauses_above_the_threshold_as_the_system(sdr):
    campaign = campaign_in("running", owner=sdr, sent=100, delivered=90, bounced=10)
    op = lifecycle.campaign_bounce_guard(campaign)
    assert op is not None and op.kind == "pause" and op.created_by is None
    campaign.refresh_from_db()
    assert campaign.paused_by is None
    assert campaign.status_reason.startswith("Bounce guard: 10.0% of 100 sent messages bounced")
    tripped = AuditEvent.objects.get(action="bounce_guard.tripped")
    assert tripped.actor is None and tripped.details["bounce_rate"] == 0.1


def test_the_bounce_guard_waits_for_enough_deliveries(sdr):
    campaign = campaign_in("running", owner=sdr, sent=20, delivered=10, bounced=10)
    assert lifecycle.campaign_bounce_guard(campaign) is None


def test_the_bounce_guard_ignores_a_rate_at_the_threshold(sdr):
    campaign = campaign_in("running", owner=sdr, sent=100, delivered=95, bounced=5)
    assert lifecycle.campaign_bounce_guard(campaign) is None


def test_the_bounce_guard_uses_the_campaigns_own_settings(sdr):
    campaign = campaign_in(
        "running", owner=sdr, sent=30, delivered=28, bounced=2, bounce_threshold=0.05, bounce_min_delivered=20
    )
    assert lifecycle.campaign_bounce_guard(campaign) is not None


def test_the_bounce_guard_trips_once(sdr):
    campaign = campaign_in("running", owner=sdr, sent=100, delivered=90, bounced=10)
    lifecycle.campaign_bounce_guard(campaign)
    assert lifecycle.campaign_bounce_guard(campaign) is None
    assert AuditEvent.objects.filter(action="bounce_guard.tripped").count() == 1


@pytest.mark.parametrize("status", ["paused", "draft", "launching"])
def test_the_bounce_guard_only_watches_running_campaigns(sdr, status):
    campaign = campaign_in(status, owner=sdr, sent=100, delivered=90, bounced=50)
    assert lifecycle.campaign_bounce_guard(campaign) is None


def test_a_manager_tunes_the_bounce_guard(sdr, manager):
    campaign = campaign_in("running", owner=sdr)
    lifecycle.campaign_guard_update(campaign=campaign, actor=manager, threshold=0.1, min_delivered=200)
    campaign.refresh_from_db()
    assert (campaign.bounce_threshold, campaign.bounce_min_delivered) == (0.1, 200)
    with pytest.raises(PermissionDenied):
        lifecycle.campaign_guard_update(campaign=campaign, actor=sdr, threshold=0.2, min_delivered=1)


def test_allowed_actions_follow_role_and_state(sdr, sdr2, manager, manager2):
    in_review = campaign_in("in_review", owner=manager)
    assert lifecycle.allowed_actions(in_review, manager2) == {"approve", "reject"}
    # the author may still open the review and reject; the approval itself is refused, saying why
    assert lifecycle.allowed_actions(in_review, manager) == {"approve", "reject"}
    assert lifecycle.allowed_actions(in_review, sdr) == set()
    running = campaign_in("running", owner=sdr)
    assert lifecycle.allowed_actions(running, manager) == {"pause"}
    assert lifecycle.allowed_actions(running, sdr) == set()
    assert lifecycle.allowed_actions(campaign_in("draft", owner=sdr), sdr) == {"submit"}


@pytest.mark.parametrize("action", ["submit", "approve", "launch", "pause", "guard"])
def test_a_refused_role_is_told_the_action_in_words(sdr2, action):
    campaign = campaign_in("draft", owner=CampaignFactory().owner)
    with pytest.raises(PermissionDenied) as refused:
        lifecycle.check_role(action, user=sdr2, campaign=campaign)
    assert str(refused.value) == f"You may not {lifecycle.ACTION_VERBS[action]}."


def test_every_action_a_role_may_take_has_words_for_its_refusal():
    from campaigns.permissions import LIFECYCLE_ROLES

    assert set(LIFECYCLE_ROLES) <= set(lifecycle.ACTION_VERBS)


def test_an_sdr_changing_the_bounce_guard_is_told_so(sdr):
    campaign = campaign_in("running", owner=sdr)
    with pytest.raises(PermissionDenied, match=r"^You may not change its bounce guard\.$"):
        lifecycle.campaign_guard_update(campaign=campaign, actor=sdr, threshold=0.1, min_delivered=10)


def test_a_request_is_never_written_as_a_transition(sdr):
    # pause and resume have no target: their state follows Leadterra's confirmation.
    campaign = campaign_in("running", owner=sdr)
    with pytest.raises(ValueError, match=r"^'pause' is a request; its state follows a confirmation$"):
        lifecycle.transition(campaign, "pause")
    campaign.refresh_from_db()
    assert campaign.status == "running"


def test_a_status_write_stores_only_the_status_and_the_fields_named(sdr):
    # The poller stores counters with UPDATEs of its own; a status change must not write back
    # the older counters its instance holds.
    campaign = campaign_in("in_review", owner=sdr)
    Campaign.objects.filter(pk=campaign.pk).update(sent=40)
    campaign.review_comment = "kept"
    transitions.write_status(campaign, "approved", fields=["review_comment"])
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.status, stored.review_comment, stored.sent) == ("approved", "kept", 40)
