"""Lifecycle, transitions, launch refusals and the coverage gate with non-default values."""

import pytest
from django.core.exceptions import PermissionDenied

from campaigns.models import AuditEvent, Campaign, Operation
from campaigns.services import coverage_gate, lifecycle, transitions
from campaigns.services.coverage_gate import Risk, parse_confirmations, unconfirmed
from campaigns.services.launch import confirmed_uncovered, launch_refusal
from campaigns.services.versions import campaign_snapshot
from tests.lifecycle_support import bouncing_campaign, campaign_in, launch_payload

pytestmark = pytest.mark.django_db
S = Campaign.Status


# --- the bounce guard with a manager's own threshold and minimum ---------------------------


@pytest.mark.parametrize(
    ("delivered", "bounced", "trips"),
    [
        (29, 10, False),  # one delivery short of the minimum the manager set (30)
        (30, 10, True),  # exactly the minimum: 10/40 = 25% > 20%
        (30, 7, False),  # 7/35 = 20%: at the threshold is not above it
        (30, 8, True),
    ],
)
def test_the_bounce_guard_uses_a_non_default_threshold_and_minimum(sdr, delivered, bounced, trips):
    campaign = campaign_in(
        "running",
        owner=sdr,
        sent=delivered + bounced,
        delivered=delivered,
        bounced=bounced,
        bounce_threshold=0.2,
        bounce_min_delivered=30,
    )
    assert lifecycle.bounce_guard_trips(campaign) is trips
    assert (lifecycle.campaign_bounce_guard(campaign) is not None) is trips


def test_the_bounce_guard_reason_names_the_campaigns_own_numbers(sdr):
    campaign = campaign_in(
        "running", owner=sdr, sent=40, delivered=30, bounced=10, bounce_threshold=0.2, bounce_min_delivered=30
    )
    lifecycle.campaign_bounce_guard(campaign)
    campaign.refresh_from_db()
    assert campaign.status_reason == (
        "Bounce guard: 25.0% of 40 sent messages bounced (threshold 20.0% once 30 are delivered)."
    )
    assert campaign.paused_by is None


@pytest.mark.parametrize("status", [S.PAUSED, S.LAUNCHING, S.DRAFT])
def test_the_bounce_guard_only_watches_running_campaigns(sdr, status):
    campaign = campaign_in(status, owner=sdr, sent=100, delivered=50, bounced=50)
    assert lifecycle.bounce_guard_trips(campaign) is False


@pytest.mark.parametrize(
    ("threshold", "minimum", "ok"),
    [(0.0, 10, False), (0.001, 10, True), (1.0, 10, True), (1.01, 10, False), (0.1, 0, False), (0.1, 1, True)],
)
def test_guard_settings_are_checked_at_their_edges(manager, sdr, threshold, minimum, ok):
    campaign = campaign_in("running", owner=sdr)
    values = {"threshold": threshold, "min_delivered": minimum}
    if not ok:
        with pytest.raises(lifecycle.LifecycleError, match="above 0% and at most 100%"):
            lifecycle.campaign_guard_update(campaign=campaign, actor=manager, **values)
        return
    lifecycle.campaign_guard_update(campaign=campaign, actor=manager, **values)
    campaign.refresh_from_db()
    assert (campaign.bounce_threshold, campaign.bounce_min_delivered) == (threshold, minimum)
    changed = AuditEvent.objects.get(action="bounce_guard.changed")
    assert changed.details["before"] == {"threshold": 0.05, "min_delivered": 50}
    assert changed.details["after"] == {"threshold": threshold, "min_delivered": minimum}


def test_an_sdr_cannot_tune_the_guard(sdr):
    campaign = campaign_in("running", owner=sdr)
    with pytest.raises(PermissionDenied):
        lifecycle.campaign_guard_update(campaign=campaign, actor=sdr, threshold=0.5, min_delivered=5)


OUT_OF_RANGE = "The threshold must be above 0% and at most 100%, after at least 1 delivered message."
WOULD_PAUSE = (
    "Not saved: 126 of 2,500 sent messages bounced (5.04%), above the new threshold of 5.00%, "
    "so the bounce guard would pause this campaign now. Confirm to save and pause it."
)


def test_out_of_range_guard_settings_are_refused_in_one_sentence(manager, sdr):
    campaign = campaign_in("running", owner=sdr)
    with pytest.raises(lifecycle.LifecycleError) as refused:
        lifecycle.campaign_guard_update(campaign=campaign, actor=manager, threshold=0, min_delivered=10)
    assert str(refused.value) == OUT_OF_RANGE


def test_numbers_that_would_pause_now_are_not_saved_without_confirmation(manager, sdr):
    """The default is to ask: the campaign's own figures, against the new threshold, both exact."""
    campaign = bouncing_campaign(owner=sdr, approver=manager)
    with pytest.raises(lifecycle.GuardWouldPause) as asked:
        lifecycle.campaign_guard_update(campaign=campaign, actor=manager, threshold=0.05, min_delivered=500)
    assert str(asked.value) == WOULD_PAUSE
    campaign.refresh_from_db()
    assert (campaign.bounce_threshold, campaign.bounce_min_delivered) == (0.08, 500)
    assert not Operation.objects.filter(campaign=campaign).exists()
    assert not AuditEvent.objects.filter(action="bounce_guard.changed").exists()


def test_confirmed_numbers_that_trip_the_guard_are_saved_and_pause_the_campaign_at_once(manager, sdr):
    campaign = bouncing_campaign(owner=sdr, approver=manager)
    lifecycle.campaign_guard_update(campaign=campaign, actor=manager, threshold=0.05, min_delivered=400, confirm=True)
    campaign.refresh_from_db()
    assert (campaign.bounce_threshold, campaign.bounce_min_delivered) == (0.05, 400)
    changed = AuditEvent.objects.get(action="bounce_guard.changed")
    assert (changed.actor, changed.campaign) == (manager, campaign)
    assert changed.details == {
        "before": {"threshold": 0.08, "min_delivered": 500},
        "after": {"threshold": 0.05, "min_delivered": 400},
    }
    [pause] = Operation.objects.filter(campaign=campaign, kind="pause")
    assert pause.payload["reason"].startswith("Bounce guard: 5.04% of 2,500 sent messages bounced")


def test_confirmed_numbers_that_do_not_trip_the_guard_pause_nothing(manager, sdr):
    campaign = bouncing_campaign(owner=sdr, approver=manager)
    lifecycle.campaign_guard_update(campaign=campaign, actor=manager, threshold=0.06, min_delivered=500, confirm=True)
    assert Campaign.objects.get(pk=campaign.pk).bounce_threshold == 0.06
    assert not Operation.objects.filter(campaign=campaign).exists()


# --- four eyes with more than one manager ---------------------------------------------------

SUBMITTED = "You sent it for review, so another manager must approve it."
EDITED = "You edited this version, so another manager must approve it."


def test_four_eyes_with_two_managers_and_an_sdr_author(sdr, manager, manager2):
    campaign = campaign_in("in_review", owner=sdr, submitted_by=manager)
    assert lifecycle.approval_refusal(campaign, manager) == SUBMITTED
    assert lifecycle.approval_refusal(campaign, manager2) is None


def test_an_edit_before_the_last_approval_does_not_bar_a_manager(sdr, manager, manager2):
    from campaigns.services.versions import version_save

    campaign = campaign_in("in_review", owner=sdr)
    version_save(campaign=campaign, actor=manager)  # the manager writes version 2
    campaign.last_approved_version = campaign.versions.order_by("-number").first().number
    campaign.save(update_fields=["last_approved_version"])
    assert lifecycle.approval_refusal(campaign, manager) is None  # that edit was approved since
    campaign.last_approved_version = campaign.last_approved_version - 1
    assert lifecycle.approval_refusal(campaign, manager) == EDITED


def test_allowed_actions_by_role_and_state(sdr, sdr2, manager):
    draft = campaign_in("draft", owner=sdr)
    assert lifecycle.allowed_actions(draft, sdr) == {"submit"}
    assert lifecycle.allowed_actions(draft, sdr2) == set()
    assert lifecycle.allowed_actions(draft, manager) == {"submit"}
    running = campaign_in("running", owner=sdr)
    assert lifecycle.allowed_actions(running, manager) == {"pause"}
    assert lifecycle.allowed_actions(running, sdr) == set()


# --- the launch guard the handler runs ------------------------------------------------------


def test_launch_refusal_names_each_reason(sdr, manager):
    campaign = campaign_in("launching", owner=sdr, approver=manager)
    content = campaign_snapshot(campaign)
    payload = launch_payload(campaign)
    assert launch_refusal(campaign, payload, content) is None
    assert "not the approved version" in launch_refusal(campaign, {**payload, "hash": "other"}, content)
    assert "no passed pre-flight" in launch_refusal(campaign, {**payload, "preflight": {"passed": False}}, content)
    assert "no passed pre-flight" in launch_refusal(campaign, {**payload, "preflight": None}, content)
    assert "content differs" in launch_refusal(campaign, payload, {**content, "name": "changed"})
    campaign.status = S.RUNNING
    assert launch_refusal(campaign, payload, content) == (
        "Stopped before calling Leadterra: the campaign is running, not launching."
    )
    campaign.status, campaign.approved_hash = S.LAUNCHING, ""
    assert "holds no approval" in launch_refusal(campaign, {**payload, "hash": ""}, content)


def test_confirmed_counts_survive_a_missing_or_partial_payload():
    assert confirmed_uncovered(None) == {}
    assert confirmed_uncovered({"preflight": None}) == {}
    assert confirmed_uncovered({"preflight": {"confirmed_uncovered": {"company": 3}}}) == {"company": 3}


# --- the coverage gate's confirmations ------------------------------------------------------


def test_confirmations_parse_token_and_count_and_ignore_the_rest():
    values = ["company:12", "firstName:0", "bad token:3", "city:", "city:x", "title:4:5", "{{x}}:1"]
    assert parse_confirmations(values) == {"company": 12, "firstName": 0}
    assert parse_confirmations(None) == {}


def test_a_confirmation_holds_at_its_count_or_above_and_not_below():
    risk = Risk("company", missing=7, total=20)
    assert unconfirmed([risk], {"company": 7}) == []
    assert unconfirmed([risk], {"company": 8}) == []
    [grown] = unconfirmed([risk], {"company": 6})
    assert grown.startswith("{{company}} is now empty for 7 of 20 leads, not the 6 you confirmed")
    [missing] = unconfirmed([risk], {"city": 7})
    assert missing.startswith("{{company}} empty for 7 of 20 leads, no fallback")


def test_risk_sentences_use_one_lead_and_thousands():
    one = Risk("city", missing=1, total=1)
    many = Risk("city", missing=1234, total=5000)
    assert one.summary == "{{city}} empty for 1 of 1 lead, no fallback"
    assert one.override_label == "Send anyway: 1 lead will get an empty {{city}}"
    assert many.summary == "{{city}} empty for 1,234 of 5,000 leads, no fallback"
    assert many.confirmation == "city:1234"
    assert coverage_gate.coverage_message([one, many]) == (
        "{{city}} empty for 1 of 1 lead, no fallback; {{city}} empty for 1,234 of 5,000 leads, no fallback. "
        "Add a fallback, fill those leads, or send anyway below."
    )


# --- confirmations the table refuses --------------------------------------------------------


def test_a_confirmation_from_a_state_the_table_does_not_allow_is_audited_not_applied(sdr):
    campaign = campaign_in("draft", owner=sdr)
    assert transitions.confirm(campaign.pk, "confirm_launched", operation=None) is None
    campaign.refresh_from_db()
    assert campaign.status == S.DRAFT
    refused = AuditEvent.objects.get(action="campaign.confirmation_refused")
    assert refused.details["confirmation"] == "confirm_launched" and refused.details["status"] == "draft"


def test_a_confirmation_stores_the_reason_and_stamps(sdr):
    campaign = campaign_in("launching", owner=sdr)
    changed = transitions.confirm(
        campaign.pk, "confirm_launch_failed", reason="Leadterra said no", stamps=lambda c: {"queued": 5}
    )
    assert changed is not None
    campaign.refresh_from_db()
    assert (campaign.status, campaign.status_reason, campaign.queued) == (S.LAUNCH_FAILED, "Leadterra said no", 5)
    assert transitions.may_confirm(campaign, "confirm_launch_failed")  # already there: accepted
    assert not transitions.may_confirm(campaign, "confirm_launched")


def test_a_tripped_guard_is_audited_with_the_campaigns_numbers(sdr):
    campaign = campaign_in(
        "running", owner=sdr, sent=45, delivered=30, bounced=15, bounce_threshold=0.3, bounce_min_delivered=30
    )
    lifecycle.campaign_bounce_guard(campaign)
    tripped = AuditEvent.objects.get(action="bounce_guard.tripped")
    assert tripped.actor is None and tripped.campaign_id == campaign.pk
    assert tripped.details == {"bounce_rate": 0.3333, "threshold": 0.3, "delivered": 30, "bounced": 15}


def test_a_refused_confirmation_names_the_operation(sdr):
    from campaigns.models import Operation

    campaign = campaign_in("draft", owner=sdr)
    op = Operation.objects.create(kind="launch", campaign=campaign)
    transitions.confirm(campaign.pk, "confirm_launched", operation=op)
    assert AuditEvent.objects.get(action="campaign.confirmation_refused").details["operation"] == op.pk


def test_a_merge_tag_problem_without_a_suggestion_ends_plainly():
    sentence = coverage_gate._issue_sentence("syntax", "{{first", "Unclosed braces.", None, ["step 1 body"])
    assert sentence == "“{{first” (step 1 body): Unclosed braces."
    hinted = coverage_gate._issue_sentence("syntax", "{{first", "Unclosed braces.", "{{first}}", ["step 2 subject"])
    assert hinted == "“{{first” (step 2 subject): Unclosed braces — did you mean “{{first}}”?"


def test_no_user_may_take_no_action(sdr):
    campaign = campaign_in("draft", owner=sdr)
    assert lifecycle.allowed_actions(campaign, None) == set()


def test_an_approved_version_that_is_gone_gives_no_approved_content(sdr):
    campaign = campaign_in("approved", owner=sdr)
    approved = campaign.versions.get(number=campaign.last_approved_version)
    assert lifecycle.approved_content(campaign) == approved.content
    campaign.last_approved_version = 99
    assert lifecycle.approved_content(campaign) is None
