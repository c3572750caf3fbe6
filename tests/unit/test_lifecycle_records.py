"""What each lifecycle action leaves behind: its audit event, its operation, the sentence a user
reads. Each was once free to change unnoticed (mutation testing, docs/mutation-testing.md)."""

import pytest

from campaigns.models import AuditEvent, Campaign, Operation
from campaigns.services import lifecycle
from campaigns.services.lifecycle import LifecycleError
from tests.lifecycle_support import campaign_in

pytestmark = pytest.mark.django_db


def audited(action: str) -> tuple:
    event = AuditEvent.objects.get(action=action)
    return event.actor, event.campaign, event.details


def test_a_submission_is_audited_as_the_submitters_with_the_version(sdr):
    campaign = campaign_in("draft", owner=sdr)
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    assert audited("campaign.submitted") == (sdr, campaign, {"version": campaign.version})


def test_a_campaign_without_steps_is_refused_with_the_sentence_that_says_what_to_do(sdr):
    campaign = campaign_in("draft", owner=sdr, steps=0)
    with pytest.raises(LifecycleError) as refused:
        lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    assert str(refused.value) == "Add at least one step before sending it for review."


def test_a_rejection_is_audited_with_who_the_version_and_the_trimmed_comment(sdr, manager2):
    campaign = campaign_in("in_review", owner=sdr)
    lifecycle.campaign_reject(campaign=campaign, actor=manager2, comment="  Fix step 2 ")
    assert audited("approval.rejected") == (manager2, campaign, {"version": campaign.version, "comment": "Fix step 2"})
    campaign.refresh_from_db()
    assert campaign.status_reason == "Rejected by manager2: Fix step 2"


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_a_rejection_without_a_comment_says_what_is_missing(sdr, manager2, comment):
    campaign = campaign_in("in_review", owner=sdr)
    with pytest.raises(LifecycleError) as refused:
        lifecycle.campaign_reject(campaign=campaign, actor=manager2, comment=comment)
    assert str(refused.value) == "Say what needs to change: a rejection needs a comment."
    assert not AuditEvent.objects.filter(action="approval.rejected").exists()


@pytest.mark.parametrize(
    ("status", "was"), [("approved", "approved"), ("in_review", "submitted"), ("launch_failed", "approved")]
)
def test_an_edit_voids_the_approval_and_says_who_edited_and_what_it_was(sdr, manager, status, was):
    campaign = campaign_in(status, owner=sdr, approver=manager)
    voided_hash = campaign.approved_hash
    assert lifecycle.approval_void(campaign=campaign, actor=sdr) is True
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert campaign.status_reason == f"Edited by sdr after it was {was}; it needs a new review."
    assert audited("approval.voided") == (sdr, campaign, {"previous_status": status, "hash": voided_hash})


def test_a_void_by_the_system_is_worded_as_the_systems(sdr, manager):
    campaign = campaign_in("approved", owner=sdr, approver=manager)
    assert lifecycle.approval_void(campaign=campaign, actor=None) is True
    campaign.refresh_from_db()
    assert campaign.status_reason == "Edited by the system after it was approved; it needs a new review."
    assert audited("approval.voided")[0] is None


def test_a_void_on_a_stale_copy_checks_the_row_again_and_leaves_a_draft_alone(sdr, manager):
    """The copy in hand says approved; another edit voided it meanwhile (the row is a draft)."""
    campaign = campaign_in("approved", owner=sdr, approver=manager)
    Campaign.objects.filter(pk=campaign.pk).update(status="draft", status_reason="voided before")
    assert lifecycle.approval_void(campaign=campaign, actor=sdr) is False
    assert Campaign.objects.get(pk=campaign.pk).status_reason == "voided before"
    assert not AuditEvent.objects.filter(action="approval.voided").exists()


def test_editing_a_draft_takes_no_row_lock(sdr, django_assert_num_queries):
    """Every editor save calls approval_void: a draft is told apart without a query."""
    campaign = campaign_in("draft", owner=sdr)
    with django_assert_num_queries(0):
        assert lifecycle.approval_void(campaign=campaign, actor=sdr) is False


def test_a_pause_is_audited_and_queued_with_its_reason_and_who_asked(sdr, manager):
    campaign = campaign_in("running", owner=sdr, approver=manager, queued=42)
    op = lifecycle.campaign_pause(campaign=campaign, actor=manager, reason="Wrong price")
    assert (op.kind, op.payload, op.created_by, op.campaign) == ("pause", {"reason": "Wrong price"}, manager, campaign)
    details = {"reason": "Wrong price", "queued": 42}
    assert audited("campaign.pause_requested") == (manager, campaign, details)
    campaign.refresh_from_db()
    assert (campaign.paused_by, campaign.status_reason) == (manager, "Wrong price")


def test_a_pause_by_the_bounce_guard_has_no_person_behind_it(sdr, manager):
    campaign = campaign_in("running", owner=sdr, approver=manager)
    op = lifecycle.campaign_pause(campaign=campaign, actor=None, reason="Bounces")
    campaign.refresh_from_db()
    assert (campaign.paused_by, op.created_by, audited("campaign.pause_requested")[0]) == (None, None, None)


def test_a_resume_is_audited_and_queued_as_a_resume_by_who_asked(sdr, manager, manager2):
    campaign = campaign_in("paused", owner=sdr, approver=manager, queued=17)
    op = lifecycle.campaign_resume(campaign=campaign, actor=manager2)
    assert (op.kind, op.payload, op.created_by, op.campaign) == ("start", {"resume": True}, manager2, campaign)
    assert audited("campaign.resume_requested") == (manager2, campaign, {"held": 17})


def test_a_second_resume_while_the_first_is_queued_returns_the_first(sdr, manager):
    campaign = campaign_in("paused", owner=sdr, approver=manager)
    first = lifecycle.campaign_resume(campaign=campaign, actor=manager)
    assert lifecycle.campaign_resume(campaign=campaign, actor=manager) == first
    assert Operation.objects.filter(campaign=campaign, kind="start").count() == 1
    assert AuditEvent.objects.filter(action="campaign.resume_requested").count() == 1


def test_a_resume_while_a_pause_is_on_its_way_says_to_wait(sdr, manager):
    campaign = campaign_in("running", owner=sdr, approver=manager)
    lifecycle.campaign_pause(campaign=campaign, actor=manager, reason="Hold")
    Campaign.objects.filter(pk=campaign.pk).update(status="paused")
    with pytest.raises(LifecycleError) as refused:
        lifecycle.campaign_resume(campaign=campaign, actor=manager)
    assert str(refused.value) == "A pause is still being sent to Leadterra. Resume once it is paused."
