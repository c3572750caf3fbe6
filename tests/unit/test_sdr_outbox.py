"""The SDR operations through the engine and the real client, HTTP faked with `responses`:
assign (workspace key), follow-up actions and send (the SDR's key), and a send whose outcome
is unknown, which nothing repeats on its own."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from campaigns.models import AuditEvent, LeadterraSdr, Operation, Reply, ReplyHandoff
from campaigns.services import operations as engine
from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.operations import OperationStateError, operation_retry, operation_run, operation_settle
from campaigns.services.sdr_actions import draft_send_enqueue, followup_enqueue, reply_assign_enqueue
from campaigns.services.sdr_keys import sdr_link_save

BASE = "https://lt.example.test"
KEYS = {"sdr": "sk_live_sdr_personal_sdr_111", "sdr2": "sk_live_sdr_personal_sdr2_222"}
S = Operation.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet(settings, monkeypatch):
    settings.LEADTERRA_API_BASE = BASE
    settings.LEADTERRA_API_KEY = "sk_live_workspace"
    settings.LEADTERRA_MAX_RPS = 0
    settings.SDR_KEY_ENCRYPTION_KEY = "test-secret"
    sent = []
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: sent.append(pk))
    return sent


@pytest.fixture
def linked(sdr, sdr2, manager):
    now = timezone.now()
    for n, user in enumerate((sdr, sdr2), 1):
        LeadterraSdr.objects.create(
            sdr_id=f"sdr_{n}", name=f"{user.username} Name", email=f"{user}@x.test", refreshed_at=now
        )
        sdr_link_save(user=user, sdr_id=f"sdr_{n}", key=KEYS[user.username], actor=manager)


def reply(n=1):
    return Reply.objects.create(
        remote_id=f"rep_{n}", email=f"p{n}@prospect.test", classification="interested", received_at=timezone.now()
    )


def run(op):
    operation_run(operation_id=op.pk)
    op.refresh_from_db()
    return op


def bearer(call):
    return call.request.headers["Authorization"]


# --- assign ---------------------------------------------------------------------


@responses.activate
def test_assign_hands_the_reply_over_with_the_workspace_key_and_records_whose_thread_it_is(sdr, sdr2, linked):
    target = reply(2)
    call = responses.post(
        f"{BASE}/v1/replies/rep_2/assign",
        json={"data": {"handoffId": "h_9", "threadId": "thr_9", "messageId": "m", "gmailThreadId": "g"}},
    )
    op = run(reply_assign_enqueue(reply=target, sdr_user=sdr2, actor=sdr, category="B", note="hot"))
    assert op.status == S.SUCCEEDED, op.last_error
    body = json.loads(call.calls[0].request.body)
    assert body == {"sdrId": "sdr_2", "category": "B", "note": "hot"}
    assert bearer(call.calls[0]) == "Bearer sk_live_workspace"
    assert call.calls[0].request.headers["Idempotency-Key"] == str(op.idempotency_key)
    handoff = ReplyHandoff.objects.get(reply=target)
    assert (handoff.sdr_user, handoff.thread_id, handoff.assigned_by) == (sdr2, "thr_9", sdr)
    assert AuditEvent.objects.filter(action="reply.assigned", actor=sdr, details__to="sdr2").count() == 1


@responses.activate
def test_a_second_forward_fails_saying_who_already_has_it(sdr, linked):
    responses.post(
        f"{BASE}/v1/replies/rep_1/assign",
        status=409,
        json={
            "error": {"code": "already_forwarded", "message": "Reply already forwarded"},
            "assignedTo": {"sdrId": "sdr_2", "name": "Ria Roe", "email": "ria@acme.test"},
            "threadId": "thr_1",
        },
    )
    op = run(reply_assign_enqueue(reply=reply(), sdr_user=sdr, actor=sdr))
    assert op.status == S.FAILED and op.last_error == "Already forwarded to Ria Roe (ria@acme.test)."
    assert len(responses.calls) == 1 and not ReplyHandoff.objects.exists()


@responses.activate
def test_an_icp_refusal_fails_in_words(sdr, manager, linked):
    responses.post(
        f"{BASE}/v1/replies/rep_1/assign",
        status=400,
        json={"error": {"code": "icp_failed", "message": "ICP"}, "icpFailed": True, "icpReasons": ["seniority intern"]},
    )
    op = run(reply_assign_enqueue(reply=reply(), sdr_user=sdr, actor=manager, seniority="intern", employee_count=4))
    assert op.status == S.FAILED
    assert op.last_error == "Leadterra's ICP check refused the hand-off: seniority intern."


def test_who_may_assign_a_reply(sdr, sdr2, manager, linked):
    held = reply(1)
    ReplyHandoff.objects.create(reply=held, sdr_user=sdr2, sdr_id="sdr_2", thread_id="thr_1")
    with pytest.raises(PermissionDenied, match="already sdr2's"):
        reply_assign_enqueue(reply=held, sdr_user=sdr, actor=sdr)
    with pytest.raises(PermissionDenied, match="Only a manager can force"):
        reply_assign_enqueue(reply=reply(2), sdr_user=sdr, actor=sdr, force_forward=True)
    reply_assign_enqueue(reply=held, sdr_user=sdr, actor=manager, force_forward=True)
    assert Operation.objects.filter(kind="assign_reply", created_by=manager).count() == 1
    assert AuditEvent.objects.filter(action="reply.assign_requested").count() == 1


def test_assigning_to_someone_without_a_key_is_refused(sdr, manager):
    with pytest.raises(ValueError, match="sdr is not linked to a Leadterra SDR"):
        reply_assign_enqueue(reply=reply(), sdr_user=sdr, actor=manager)


# --- follow-ups -------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(
    ("action", "path", "extra", "body"),
    [
        ("complete", "followups/fu_1/complete", {}, {}),
        ("skip", "followups/fu_1/skip", {"reason": "  Out of office  "}, {"reason": "Out of office"}),
        (
            "reschedule",
            "followups/fu_1/reschedule",
            {"due_at": datetime(2026, 12, 3, 9, 30, tzinfo=UTC)},
            {"dueAt": "2026-12-03T09:30:00.000Z"},
        ),
        ("schedule", "threads/thr_4/followup/schedule", {"thread_id": "thr_4"}, {}),
    ],
)
def test_each_followup_action_uses_the_key_of_the_sdr_it_acts_for(sdr2, manager, linked, action, path, extra, body):
    call = responses.post(f"{BASE}/v1/sdr/{path}", json={"data": {"id": "fu_1", "status": "done", "dueAt": None}})
    followup_id = "" if action == "schedule" else "fu_1"
    op = run(followup_enqueue(action=action, sdr_user=sdr2, actor=manager, followup_id=followup_id, **extra))
    assert op.status == S.SUCCEEDED, op.last_error
    assert bearer(call.calls[0]) == f"Bearer {KEYS['sdr2']}"
    assert json.loads(call.calls[0].request.body) == body
    assert KEYS["sdr2"] not in json.dumps(op.payload) + json.dumps(op.result)
    assert AuditEvent.objects.filter(action__startswith=f"followup.{action}", actor=manager).count() == 2


def test_followup_refusals_say_why(sdr, sdr2, linked):
    with pytest.raises(PermissionDenied, match="own threads"):
        followup_enqueue(action="complete", sdr_user=sdr2, actor=sdr, followup_id="fu_1")
    with pytest.raises(ValueError, match="why the follow-up is skipped"):
        followup_enqueue(action="skip", sdr_user=sdr, actor=sdr, followup_id="fu_1", reason="  ")
    with pytest.raises(ValueError, match="new due date"):
        followup_enqueue(action="reschedule", sdr_user=sdr, actor=sdr, followup_id="fu_1")
    ReplyHandoff.objects.create(reply=reply(), sdr_user=sdr2, sdr_id="sdr_2", thread_id="thr_2")
    with pytest.raises(PermissionDenied, match="belongs to sdr2"):
        followup_enqueue(action="schedule", sdr_user=sdr, actor=sdr, thread_id="thr_2")
    assert not Operation.objects.exists()


@responses.activate
def test_a_followup_for_an_sdr_whose_key_was_removed_fails_with_a_sentence(sdr, manager, linked):
    from campaigns.services.sdr_keys import sdr_link_remove

    op = followup_enqueue(action="complete", sdr_user=sdr, actor=sdr, followup_id="fu_1")
    sdr_link_remove(user=sdr, actor=manager)
    op = run(op)
    assert op.status == S.FAILED and "not linked to a Leadterra SDR" in op.last_error and not responses.calls


# --- send -----------------------------------------------------------------------

SEND_URL = f"{BASE}/v1/sdr/drafts/drf_1/send"


def send(sdr_user, actor=None, **kw):
    return draft_send_enqueue(draft_id="drf_1", thread_id="thr_1", sdr_user=sdr_user, actor=actor or sdr_user, **kw)


@responses.activate
def test_a_send_goes_out_with_the_sdrs_key_and_is_audited(sdr, linked):
    call = responses.post(SEND_URL, json={"data": {"messageId": "msg_7", "guardrails": {"blocked": False}}})
    op = run(send(sdr, final_body_text="Hi Jane, Tuesday works."))
    assert op.status == S.SUCCEEDED and op.result == {"message_id": "msg_7"}
    assert bearer(call.calls[0]) == f"Bearer {KEYS['sdr']}"
    assert "Idempotency-Key" not in call.calls[0].request.headers
    actions = list(AuditEvent.objects.filter(actor=sdr).values_list("action", flat=True).order_by("pk"))
    assert actions[-2:] == ["draft.send_requested", "draft.sent"]


@responses.activate
def test_a_confirmed_send_is_the_first_answer_of_the_threads_reply_and_a_blocked_one_is_not(sdr, linked):
    answered = reply(1)
    ReplyHandoff.objects.create(reply=answered, sdr_user=sdr, sdr_id="sdr_1", thread_id="thr_1")
    blocked = {"error": {"code": "guardrails_blocked"}, "guardrails": {"blocked": True}}
    responses.post(SEND_URL, status=422, json=blocked)
    assert run(send(sdr)).status == S.FAILED
    assert Reply.objects.get(pk=answered.pk).first_answer_at is None
    responses.replace(responses.POST, SEND_URL, json={"data": {"messageId": "msg_8"}})
    assert run(send(sdr)).status == S.SUCCEEDED
    assert Reply.objects.get(pk=answered.pk).first_answer_at is not None


@responses.activate
def test_a_blocked_send_fails_with_the_issues_kept(sdr, linked):
    responses.post(
        SEND_URL,
        status=422,
        json={
            "error": {"code": "guardrails_blocked", "message": "blocked"},
            "guardrails": {
                "blocked": True,
                "issues": [{"code": "link", "severity": "block", "message": "Too many links"}],
                "scores": {"overall": 41},
            },
        },
    )
    op = run(send(sdr))
    assert op.status == S.FAILED and "Too many links" in op.last_error and "Nothing was sent" in op.last_error
    assert op.progress["guardrails"]["issues"][0]["code"] == "link"


@responses.activate
@pytest.mark.parametrize(
    "lost", [requests.ReadTimeout("slow"), requests.ConnectionError("reset by peer")], ids=["timeout", "dropped"]
)
def test_a_send_whose_answer_is_lost_is_outcome_unknown_and_never_retried(sdr, linked, quiet, lost):
    responses.post(SEND_URL, body=lost)
    op = run(send(sdr))
    assert op.status == S.OUTCOME_UNKNOWN and "check the thread" in op.last_error
    assert op.get_status_display() == "Outcome unknown — check the thread"
    assert op.next_attempt_at is None and op.retries == 0 and op.finished_at
    assert quiet == [], "no retry is handed to the broker (the first send waits for a commit that never comes here)"
    assert run(op).status == S.OUTCOME_UNKNOWN and len(responses.calls) == 1, "a redelivered message claims nothing"
    assert operations_sweep(now=timezone.now() + timedelta(hours=2)) == {
        "queued": 0,
        "retrying": 0,
        "stale": 0,
        "unknown": 0,
    }
    with pytest.raises(OperationStateError):
        operation_retry(operation=op, actor=_manager())
    assert AuditEvent.objects.filter(action="operation.outcome_unknown", details__operation=op.pk).count() == 1


@responses.activate
def test_an_interrupted_send_is_outcome_unknown_but_an_interrupted_followup_retries(sdr, linked, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    from campaigns.leadterra import LeadterraClient

    def cut_off(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(LeadterraClient, "send_draft", cut_off)
    monkeypatch.setattr(LeadterraClient, "complete_followup", cut_off)
    assert run(send(sdr)).status == S.OUTCOME_UNKNOWN
    assert run(followup_enqueue(action="complete", sdr_user=sdr, actor=sdr, followup_id="fu_1")).status == S.RETRYING


def test_the_sweeper_marks_a_dead_workers_send_unknown_and_requeues_other_kinds(sdr, linked, quiet, settings):
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 60
    dead_send, dead_followup = send(sdr), followup_enqueue(action="complete", sdr_user=sdr, actor=sdr, followup_id="f")
    long_ago = timezone.now() - timedelta(seconds=120)
    Operation.objects.filter(pk__in=[dead_send.pk, dead_followup.pk]).update(status=S.RUNNING, updated_at=long_ago)
    quiet.clear()
    counts = operations_sweep()
    assert (counts["stale"], counts["unknown"]) == (1, 1)
    dead_send.refresh_from_db()
    dead_followup.refresh_from_db()
    assert dead_send.status == S.OUTCOME_UNKNOWN and "stopped mid-call" in dead_send.last_error
    assert dead_followup.status == S.QUEUED
    assert quiet == [dead_followup.pk], "the send is never handed to a worker again"


def _manager():
    from tests.factories import UserFactory

    return UserFactory(username="boss", role="Manager")


@pytest.mark.parametrize(("sent", "status"), [(True, S.SUCCEEDED), (False, S.CANCELLED)])
def test_a_manager_settles_an_unknown_send_after_checking_the_thread(sdr, linked, sent, status):
    op = send(sdr)
    Operation.objects.filter(pk=op.pk).update(status=S.OUTCOME_UNKNOWN, last_error="Outcome unknown")
    with pytest.raises(PermissionDenied):
        operation_settle(operation=op, actor=sdr, sent=sent)
    boss = _manager()
    op = operation_settle(operation=op, actor=boss, sent=sent)
    assert op.status == status and "Checked by boss" in op.last_error
    assert AuditEvent.objects.filter(action="operation.settled", actor=boss, details__sent=sent).count() == 1
    with pytest.raises(OperationStateError, match="outcome is unknown"):
        operation_settle(operation=op, actor=boss, sent=sent)


def test_an_sdr_sends_only_as_themselves(sdr, sdr2, manager, linked):
    with pytest.raises(PermissionDenied):
        send(sdr2, actor=sdr)
    assert send(sdr2, actor=manager).payload["sdr_user"] == sdr2.pk
