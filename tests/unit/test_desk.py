"""The desk's rules as services: what is on the queue, in which order, with which wait and
SLA level; claim, hand-off, snooze, lost; refusals by role and for stale forms; the audit trail."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from campaigns.models import AuditEvent, Operation, Reply, ReplyHandoff, WebhookEvent
from campaigns.services import desk_actions as actions
from campaigns.services import operations as engine
from campaigns.services.desk import desk_etag, desk_read, queue_query, sla_level
from campaigns.services.desk_actions import DeskRefusal
from tests.desk_helpers import a_reply, link_sdrs
from tests.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet(settings, monkeypatch):
    settings.SDR_KEY_ENCRYPTION_KEY = "test-secret"
    settings.REPLY_SLA_MINUTES = 10  # not the default, so the rule is tested, not the constant
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)


def queue_ids():
    return [r.pk for r in queue_query(now=timezone.now())]


@pytest.mark.parametrize(
    ("seconds", "level"), [(0, "ok"), (299, "ok"), (300, "late"), (599, "late"), (600, "over"), (10_000, "over")]
)
def test_sla_levels_turn_at_half_the_target_and_at_the_target(seconds, level):
    assert sla_level(seconds, 600) == level


def test_only_waiting_interested_replies_are_queued_oldest_first(sdr, manager):
    newer = a_reply(1, minutes_ago=2)
    older = a_reply(2, minutes_ago=9)
    for n, kind in enumerate(["unsubscribe", "bounce", "not_interested", "out_of_office"], 10):
        a_reply(n, classification=kind, minutes_ago=30)
    a_reply(20, minutes_ago=40, handled_at=timezone.now())
    a_reply(21, minutes_ago=40, lost_at=timezone.now())
    a_reply(22, minutes_ago=40, claimed_by=sdr, first_answer_at=timezone.now())
    a_reply(23, minutes_ago=40, snoozed_until=timezone.now() + timedelta(hours=1))
    assert queue_ids() == [older.pk, newer.pk]


def test_the_wait_is_true_minutes_and_its_level_follows_the_setting(sdr):
    a_reply(1, minutes_ago=7)
    row = desk_read(user=sdr).rows[0]
    assert 7 * 60 - 2 <= row.waited <= 7 * 60 + 2
    assert row.level == "late"  # 7 of 10 minutes


def test_a_received_time_ahead_of_our_clock_waits_from_when_we_stored_it(sdr):
    reply = a_reply(1, minutes_ago=3)
    Reply.objects.filter(pk=reply.pk).update(received_at=timezone.now() + timedelta(days=2))  # a fast clock
    assert 170 <= desk_read(user=sdr).rows[0].waited <= 190


def test_a_snoozed_reply_comes_back_when_its_time_is_up(sdr):
    reply = a_reply(1, minutes_ago=1)
    actions.reply_snooze(reply_pk=reply.pk, actor=sdr, version=0, until=timezone.now() + timedelta(minutes=30))
    assert queue_ids() == []
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert queue_ids() == [reply.pk]


def test_the_context_names_the_lead_and_the_step_answered(sdr):
    campaign = CampaignFactory(remote_id="camp_9")
    LeadFactory(campaign=campaign, email="p1@prospect.test", first_name="Jane", company="Acme")
    a_reply(1, campaign=campaign)
    for step in (1, 2):
        WebhookEvent.objects.create(
            dedupe_key=f"sent:{step}",
            event="message.sent",
            payload={"data": {"campaignId": "camp_9", "email": "p1@prospect.test", "sequenceStep": step}},
        )
    row = desk_read(user=sdr).rows[0]
    assert (row.lead.first_name, row.lead.company, row.step) == ("Jane", "Acme", 2)


def test_claiming_takes_it_off_the_queue_but_is_not_its_first_answer(sdr):
    reply = a_reply(1, minutes_ago=4)
    claimed = actions.reply_claim(reply_pk=reply.pk, actor=sdr, version=0)
    assert claimed.claimed_by == sdr and claimed.first_answer_at is None  # still waiting, on sdr
    assert queue_ids() == []
    assert [r.pk for r in desk_read(user=sdr).mine] == [reply.pk]
    event = AuditEvent.objects.get(action="reply.claimed")
    assert event.actor == sdr and event.details["reply"] == reply.pk


def test_a_second_claim_by_another_sdr_names_who_has_it(sdr, sdr2):
    reply = a_reply(1)
    actions.reply_claim(reply_pk=reply.pk, actor=sdr, version=0)
    with pytest.raises(PermissionDenied, match="sdr already has this reply"):
        actions.reply_claim(reply_pk=reply.pk, actor=sdr2, version=1)


def test_a_stale_form_is_refused_and_says_who_acted(sdr, manager):
    reply = a_reply(1)
    actions.reply_claim(reply_pk=reply.pk, actor=sdr, version=0)
    with pytest.raises(DeskRefusal, match="changed since your page was loaded. sdr has it now"):
        actions.reply_lose(reply_pk=reply.pk, actor=manager, version=0, reason="timing")
    assert Reply.objects.get(pk=reply.pk).lost_at is None


def test_a_manager_may_take_over_a_claim_and_the_audit_says_from_whom(sdr, manager):
    reply = a_reply(1)
    actions.reply_claim(reply_pk=reply.pk, actor=sdr, version=0)
    actions.reply_claim(reply_pk=reply.pk, actor=manager, version=1)
    assert AuditEvent.objects.filter(action="reply.claimed").latest("pk").details["taken_from"] == "sdr"


def test_an_sdr_may_not_snooze_or_lose_another_sdrs_reply(sdr, sdr2):
    reply = a_reply(1)
    actions.reply_claim(reply_pk=reply.pk, actor=sdr, version=0)
    with pytest.raises(PermissionDenied):
        actions.reply_snooze(reply_pk=reply.pk, actor=sdr2, version=1, until=timezone.now() + timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        actions.reply_lose(reply_pk=reply.pk, actor=sdr2, version=1, reason="timing")


@pytest.mark.parametrize(
    ("until", "said"),
    [(timedelta(minutes=-1), "in the future"), (timedelta(days=15), "at most 14 days")],
)
def test_snooze_times_out_of_range_are_refused(sdr, until, said):
    reply = a_reply(1)
    with pytest.raises(DeskRefusal, match=said):
        actions.reply_snooze(reply_pk=reply.pk, actor=sdr, version=0, until=timezone.now() + until)


def test_lost_needs_a_known_reason_and_a_note_for_other(sdr):
    reply = a_reply(1)
    with pytest.raises(DeskRefusal, match="Pick why"):
        actions.reply_lose(reply_pk=reply.pk, actor=sdr, version=0, reason="bored")
    with pytest.raises(DeskRefusal, match="few words"):
        actions.reply_lose(reply_pk=reply.pk, actor=sdr, version=0, reason="other", note="   ")
    lost = actions.reply_lose(reply_pk=reply.pk, actor=sdr, version=0, reason="competitor", note="Chose X")
    assert lost.lost_reason == "Went with a competitor: Chose X" and lost.first_answer_at is None
    assert AuditEvent.objects.filter(action="reply.lost", details__reason=lost.lost_reason).exists()


@pytest.mark.parametrize("kind", ["bounce", "unsubscribe", "not_interested"])
def test_desk_actions_refuse_replies_that_are_not_interested(sdr, kind):
    reply = a_reply(1, classification=kind)
    with pytest.raises(DeskRefusal, match="only interested"):
        actions.reply_claim(reply_pk=reply.pk, actor=sdr, version=0)


def test_a_hand_off_queues_one_assign_and_refuses_a_second_while_it_runs(sdr, sdr2, manager):
    link_sdrs(manager, sdr, sdr2)
    reply = a_reply(1)
    op = actions.reply_forward(reply_pk=reply.pk, actor=sdr, version=0, sdr_user=sdr2, seniority="vp")
    assert op.kind == Operation.Kind.ASSIGN_REPLY and op.payload["sdr_id"] == "sdr_2"
    with pytest.raises(DeskRefusal, match="already on its way"):
        actions.reply_forward(reply_pk=reply.pk, actor=sdr, version=1, sdr_user=sdr2)
    assert AuditEvent.objects.filter(action="reply.assign_requested").count() == 1


def test_a_refused_hand_off_stays_on_the_queue_with_leadterras_words(sdr, sdr2, manager):
    link_sdrs(manager, sdr, sdr2)
    reply = a_reply(1)
    op = actions.reply_forward(reply_pk=reply.pk, actor=sdr, version=0, sdr_user=sdr2)
    Operation.objects.filter(pk=op.pk).update(
        status=Operation.Status.FAILED, last_error="Already forwarded to Ana Lopez (ana@x.test)."
    )
    row = desk_read(user=sdr).rows[0]
    assert row.reply.pk == reply.pk and row.refused == "Already forwarded to Ana Lopez (ana@x.test)."


def test_an_sdr_may_not_hand_off_a_reply_handed_to_someone_else(sdr, sdr2, manager):
    reply = a_reply(1)
    ReplyHandoff.objects.create(reply=reply, sdr_user=sdr2, sdr_id="sdr_2", thread_id="thr_1")
    with pytest.raises(PermissionDenied, match="sdr2 already has this reply"):
        actions.reply_forward(reply_pk=reply.pk, actor=sdr, version=0, sdr_user=sdr)


def test_an_answer_sent_on_a_thread_is_its_replys_first_answer_once(sdr):
    reply = a_reply(1, minutes_ago=5)
    ReplyHandoff.objects.create(reply=reply, sdr_user=sdr, sdr_id="sdr_1", thread_id="thr_1")
    assert actions.reply_answered(thread_id="thr_1") == 1
    first = Reply.objects.get(pk=reply.pk).first_answer_at
    assert actions.reply_answered(thread_id="thr_1") == 0
    assert Reply.objects.get(pk=reply.pk).first_answer_at == first
    assert actions.reply_answered(thread_id="") == 0


def test_the_etag_changes_with_a_new_reply_an_action_and_a_snooze_running_out(sdr, sdr2):
    tag = desk_etag(user=sdr)
    assert desk_etag(user=sdr) == tag and desk_etag(user=sdr2) != tag
    reply = a_reply(1)
    assert desk_etag(user=sdr) != tag
    tag = desk_etag(user=sdr)
    actions.reply_snooze(reply_pk=reply.pk, actor=sdr, version=0, until=timezone.now() + timedelta(minutes=5))
    snoozed = desk_etag(user=sdr)
    assert snoozed != tag
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert desk_etag(user=sdr) != snoozed


def test_the_desk_reads_in_a_constant_number_of_queries(sdr, django_assert_max_num_queries):
    campaign = CampaignFactory(remote_id="camp_1")
    for n in range(12):
        a_reply(n, campaign=campaign, minutes_ago=n)
    with django_assert_max_num_queries(8):
        desk = desk_read(user=sdr)
    assert len(desk.rows) == 12
