"""The thread page: drafts written through the outbox (HTTP faked with `responses`), edited and sent;
a guardrail block in words; an unknown outcome said plainly; and every form fed garbage."""

import json

import pytest
import responses
from django.urls import reverse

from campaigns.models import AuditEvent, Operation, ReplyHandoff, SdrDraft, SdrThread
from campaigns.services import operations as engine
from campaigns.services import sdr_inbox as inbox
from campaigns.services.operations import operation_run
from tests.inbox_helpers import KEYS, draft, followup, link, thread

BASE = "https://lt.example.test"
S = Operation.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def aimed(settings, monkeypatch):
    settings.LEADTERRA_API_BASE = BASE
    settings.LEADTERRA_API_KEY = "sk_live_workspace"
    settings.LEADTERRA_MAX_RPS = 0
    settings.SDR_KEY_ENCRYPTION_KEY = "test-secret"
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)


@pytest.fixture
def mine(sdr, sdr2, manager, client):
    link(sdr, sdr2, actor=manager)
    thread(sdr, "thr_1", contact_name="Pat Prospect")
    client.force_login(sdr)
    return client


def run(op):
    operation_run(operation_id=op.pk)
    op.refresh_from_db()
    return op


def url(name, *args):
    return reverse(name, args=args)


def last_op(kind):
    return Operation.objects.filter(kind=kind).first()


# --- writing drafts ---------------------------------------------------------------------------


@responses.activate
def test_two_drafts_are_written_with_the_sdrs_key_and_shown_with_approach_confidence_and_rationale(mine, sdr):
    call = responses.post(
        f"{BASE}/v1/sdr/drafts/generate",
        json={
            "data": {
                "drafts": [
                    {"id": "drf_a", "subject": "Re: hi", "bodyText": "Hi Pat, call Tuesday?", "bodyHtml": ""},
                    {
                        "id": "drf_b",
                        "subject": "Re: hi",
                        "bodyText": "",
                        "bodyHtml": "<p>Hi Pat,</p><p>Answer &amp; more</p>",
                    },
                ],
                "insights": [
                    {
                        "draftId": "drf_a",
                        "approach": "book_a_call",
                        "confidence": 0.82,
                        "rationale": "They asked to talk.",
                    },
                    {"draftId": "drf_b", "approach": "answer_first", "confidence": 0.7, "rationale": "Answer first."},
                ],
                "appliedRules": ["no links"],
            }
        },
    )
    response = mine.post(url("sdr_drafts_generate", "thr_1"), {"variants": "2", "instructions": "  keep it short "})
    assert response.status_code == 302
    op = run(last_op("generate_drafts"))
    assert op.status == S.SUCCEEDED, op.last_error
    sent = json.loads(call.calls[0].request.body)
    assert sent == {"threadId": "thr_1", "variantCount": 2, "instructions": "keep it short"}
    assert call.calls[0].request.headers["Authorization"] == f"Bearer {KEYS['sdr']}"
    assert SdrDraft.objects.get(draft_id="drf_b").body_text == "Hi Pat,\n\nAnswer & more"  # HTML-only draft: its text
    body = mine.get(url("sdr_thread", "thr_1")).content.decode()
    assert "Book a call" in body and "confidence 82%" in body and "Why: They asked to talk." in body
    assert "Answer first" in body and "Rules Leadterra applied: no links." in body
    assert AuditEvent.objects.filter(action="drafts.generated", actor=sdr).count() == 1
    run_again = operation_run(operation_id=op.pk)  # a finished operation is never run twice
    assert run_again == "not claimable" and SdrDraft.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"variants": "4"}, "1, 2 or 3 variants, not 4"),
        ({"variants": "0"}, "not 0"),
        ({"variants": "two"}, "Choose how many variants"),
        ({}, "Choose how many variants"),
        ({"variants": "2", "instructions": "x" * 2001}, "limited to 2,000 characters (2,001 given)"),
    ],
)
def test_a_bad_draft_request_says_what_is_wrong_and_queues_nothing(mine, data, said):
    response = mine.post(url("sdr_drafts_generate", "thr_1"), data)
    assert response.status_code == 400 and said in response.content.decode()
    assert not Operation.objects.exists()


def test_drafts_are_not_written_twice_at_once(mine):
    assert mine.post(url("sdr_drafts_generate", "thr_1"), {"variants": "1"}).status_code == 302
    response = mine.post(url("sdr_drafts_generate", "thr_1"), {"variants": "1"})
    assert response.status_code == 400 and "being written already" in response.content.decode()
    assert Operation.objects.count() == 1


def test_the_work_area_polls_while_drafts_are_written_and_stops_after(mine):
    mine.post(url("sdr_drafts_generate", "thr_1"), {"variants": "1"})
    htmx = {"HX-Request": "true"}
    response = mine.get(url("sdr_thread", "thr_1"), {"part": "work"}, headers=htmx)
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.content.decode()
    Operation.objects.update(status=S.SUCCEEDED)
    assert mine.get(url("sdr_thread", "thr_1"), {"part": "work"}, headers=htmx).status_code == 286


# --- editing and sending ----------------------------------------------------------------------------


def test_an_edit_is_kept_and_audited(mine, sdr):
    d = draft(sdr)
    response = mine.post(url("sdr_draft_edit", "thr_1", d.pk), {"text": "Hi Pat,\r\n\r\nEdited for Acme."})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.edited_text == "Hi Pat,\n\nEdited for Acme." and d.text == d.edited_text
    assert AuditEvent.objects.filter(action="draft.edited", actor=sdr).count() == 1
    assert "Edited for Acme." in mine.get(url("sdr_thread", "thr_1")).content.decode()


@responses.activate
def test_a_send_goes_out_once_with_the_final_text_and_cannot_be_replayed(mine, sdr):
    d = draft(sdr)
    call = responses.post(f"{BASE}/v1/sdr/drafts/drf_thr_1_1/send", json={"data": {"messageId": "msg_1"}})
    text = "Hi Pat,\n\nTuesday at 3 <works>?"
    assert mine.post(url("sdr_draft_send", "thr_1", d.pk), {"text": text}).status_code == 302
    replay = mine.post(url("sdr_draft_send", "thr_1", d.pk), {"text": text})  # the same form again
    assert replay.status_code == 400 and "being sent already" in replay.content.decode()
    op = run(last_op("send_draft"))
    assert op.status == S.SUCCEEDED
    body = json.loads(call.calls[0].request.body)
    assert body == {"finalBodyText": text, "finalBodyHtml": "<p>Hi Pat,</p><p>Tuesday at 3 &lt;works&gt;?</p>"}
    assert mine.post(url("sdr_draft_send", "thr_1", d.pk), {"text": text}).content.decode().count("sent already") == 1
    assert Operation.objects.filter(kind="send_draft").count() == 1 and len(call.calls) == 1
    assert SdrThread.objects.get(thread_id="thr_1").status == "awaiting_reply"
    assert list(AuditEvent.objects.filter(action__startswith="draft.").values_list("action", flat=True)) == [
        "draft.sent",
        "draft.send_requested",
    ]
    page = mine.get(url("sdr_thread", "thr_1")).content.decode()
    assert "Sent by sdr" in page and "Tuesday at 3 &lt;works&gt;?" in page


@pytest.mark.parametrize(
    ("draft_ref", "text", "said"),
    [
        ("mine", "", "The answer is empty"),
        ("mine", "   \r\n  ", "The answer is empty"),
        ("mine", "x" * (3 * 1024 * 1024), "characters long; keep it under 20,000"),
        ("mine", "Hi\x00there", "null character"),
        ("999999", "Hi Pat", "not one of this thread's drafts"),
        ("other_thread", "Hi Pat", "not one of this thread's drafts"),
    ],
)
def test_garbage_sends_are_refused_in_words_and_queue_nothing(mine, sdr, draft_ref, text, said):
    d = draft(sdr)
    thread(sdr, "thr_2")
    other = draft(sdr, "thr_2", n=5)
    pk = {"mine": d.pk, "other_thread": other.pk}.get(draft_ref, draft_ref)
    response = mine.post(url("sdr_draft_send", "thr_1", pk), {"text": text})
    assert response.status_code == 400 and said.replace("'", "&#x27;") in response.content.decode()
    assert len(response.content) < 200_000  # a 3 MB body is not echoed back
    assert not Operation.objects.filter(kind="send_draft").exists()


def test_an_unknown_variant_in_the_url_is_a_404_or_a_refusal(mine, sdr):
    assert mine.post("/sdr/threads/thr_1/drafts/abc/send/", {"text": "Hi"}).status_code == 404
    assert mine.post(url("sdr_draft_edit", "thr_1", 424242), {"text": "Hi"}).status_code == 400


@responses.activate
def test_a_guardrail_block_shows_issues_and_scores_in_words_and_the_fixed_text_goes_out(mine, sdr):
    d = draft(sdr)
    send_url = f"{BASE}/v1/sdr/drafts/drf_thr_1_1/send"
    checks = {
        "blocked": True,
        "issues": [
            {"code": "banned_phrase", "severity": "block", "message": "the phrase 'act now' reads as spam"},
            {"code": "has_links", "severity": "warn", "message": "1 link(s) in an answer lower deliverability"},
        ],
        "scores": {"overall": 41, "readability": 70, "personalization": 50, "linkQuality": 85},
    }
    responses.post(
        send_url, status=422, json={"error": {"code": "guardrails_blocked", "message": "no"}, "guardrails": checks}
    )
    mine.post(url("sdr_draft_send", "thr_1", d.pk), {"text": "Hi Pat, act now: https://x.test"})
    assert run(last_op("send_draft")).status == S.FAILED
    page = mine.get(url("sdr_thread", "thr_1")).content.decode()
    assert "pre-send checks stopped this answer. Nothing was sent." in page
    assert "Blocks sending: The phrase &#x27;act now&#x27; reads as spam." in page
    assert "Warning: 1 link(s) in an answer lower deliverability." in page
    assert (
        "Overall 41 of 100 (weak) · Readability 70 of 100 (fair) · "
        "Personalisation 50 of 100 (weak) · Links 85 of 100 (good)" in page
    )
    assert "Hi Pat, act now: https://x.test</textarea>" in page  # the blocked text, to fix
    assert AuditEvent.objects.filter(action="draft.send_blocked").count() == 1

    responses.replace(responses.POST, send_url, json={"data": {"messageId": "msg_2"}})
    assert (
        mine.post(url("sdr_draft_send", "thr_1", d.pk), {"text": "Hi Pat, would Tuesday suit Acme?"}).status_code == 302
    )
    assert run(last_op("send_draft")).status == S.SUCCEEDED
    assert json.loads(responses.calls[-1].request.body)["finalBodyText"] == "Hi Pat, would Tuesday suit Acme?"


def test_an_unknown_outcome_is_said_plainly_and_blocks_a_resend(mine, sdr, manager, client):
    d = draft(sdr)
    Operation.objects.create(
        kind="send_draft",
        status=S.OUTCOME_UNKNOWN,
        payload={"draft_id": d.draft_id, "thread_id": "thr_1", "sdr_user": sdr.pk, "final_body_text": "Hi Pat"},
        last_error="Leadterra did not answer in time.",
    )
    page = mine.get(url("sdr_thread", "thr_1")).content.decode()
    assert "Outcome unknown — check the thread." in page and "will not be sent again on its own" in page
    assert "tell a manager what you saw" in page and "Maybe sent by" in page
    refused = mine.post(url("sdr_draft_send", "thr_1", d.pk), {"text": "Hi Pat"})
    assert refused.status_code == 400 and "unknown outcome: check the thread in Gmail first" in refused.content.decode()
    client.force_login(manager)
    assert "Mark as sent" in client.get(url("sdr_thread", "thr_1")).content.decode()


# --- adversaries ------------------------------------------------------------------------------------------


def test_an_sdr_cannot_send_or_draft_on_another_sdrs_thread(mine, sdr2):
    thread(sdr2, "thr_theirs")
    theirs = draft(sdr2, "thr_theirs")
    assert mine.post(url("sdr_draft_send", "thr_theirs", theirs.pk), {"text": "Hi"}).status_code == 403
    assert mine.post(url("sdr_drafts_generate", "thr_theirs"), {"variants": "1"}).status_code == 403
    assert mine.get(url("sdr_thread", "thr_theirs")).status_code == 403
    assert not Operation.objects.exists()


def test_a_blocked_draft_cannot_be_resent_after_the_reply_was_handed_to_someone_else(mine, sdr, sdr2):
    d = draft(sdr)
    Operation.objects.create(
        kind="send_draft",
        status=S.FAILED,
        payload={"draft_id": d.draft_id, "thread_id": "thr_1"},
        progress={"guardrails": {"issues": []}},
    )
    # A manager forced the reply over to sdr2: a new thread, the old one archived in sdr's inbox.
    ReplyHandoff.objects.filter(thread_id="thr_1").update(sdr_user=sdr2, thread_id="thr_new")
    response = mine.post(url("sdr_draft_send", "thr_1", d.pk), {"text": "Hi Pat, fixed."})
    assert response.status_code == 400 and "handed to sdr2 after this draft was written" in response.content.decode()
    assert Operation.objects.filter(kind="send_draft").count() == 1


def test_nothing_is_sent_on_an_archived_thread(mine, sdr):
    d = draft(sdr)
    SdrThread.objects.filter(thread_id="thr_1").update(status="archived")
    response = mine.post(url("sdr_draft_send", "thr_1", d.pk), {"text": "Hi Pat"})
    assert response.status_code == 400 and "archived" in response.content.decode()


def test_a_manager_acts_for_the_sdr_with_the_sdrs_key(mine, sdr, manager, client):
    d = draft(sdr)
    client.force_login(manager)
    assert "You act for <strong>sdr</strong>" in client.get(url("sdr_thread", "thr_1")).content.decode()
    assert client.post(url("sdr_draft_send", "thr_1", d.pk), {"text": "Hi Pat"}).status_code == 302
    op = last_op("send_draft")
    assert (op.payload["sdr_user"], op.created_by) == (sdr.pk, manager)


def test_an_unknown_thread_is_a_404(mine):
    assert mine.get(url("sdr_thread", "thr_nobody")).status_code == 404
    assert mine.post(url("sdr_drafts_generate", "thr_nobody"), {"variants": "1"}).status_code == 404


# --- follow-ups ---------------------------------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(
    ("action", "data", "sent", "audit"),
    [
        ("complete", {}, {}, "followup.completed"),
        ("skip", {"reason": "They booked already"}, {"reason": "They booked already"}, "followup.skipped"),
        ("reschedule", {"due_date": "2026-12-24"}, {"dueAt": "2026-12-24T09:00:00.000Z"}, "followup.rescheduled"),
    ],
)
def test_followup_actions_go_through_the_outbox_and_are_audited(mine, sdr, action, data, sent, audit):
    followup(sdr, "fu_1")
    call = responses.post(
        f"{BASE}/v1/sdr/followups/fu_1/{action}", json={"data": {"id": "fu_1", "status": "x", "dueAt": None}}
    )
    response = mine.post(url(f"sdr_followup_{action}", "fu_1"), {**data, "next": "/sdr/threads/thr_1/"})
    assert response.status_code == 302 and response["Location"] == "/sdr/threads/thr_1/"
    assert run(last_op("followup")).status == S.SUCCEEDED
    assert json.loads(call.calls[0].request.body or "{}") == sent
    assert AuditEvent.objects.filter(action=audit, actor=sdr).count() == 1


@pytest.mark.parametrize(
    ("action", "data", "said"),
    [
        ("skip", {"reason": "   "}, "Say why the follow-up is skipped."),
        ("skip", {"reason": "x" * 501}, "under 500 characters"),
        ("reschedule", {}, "Give the new due date"),
        ("reschedule", {"due_date": "next tuesday"}, "is not a date"),
        ("reschedule", {"due_date": "1066-10-14"}, "between the years 2000 and 2100"),
    ],
)
def test_followup_garbage_is_refused_in_words(mine, sdr, action, data, said):
    followup(sdr, "fu_1")
    response = mine.post(url(f"sdr_followup_{action}", "fu_1"), data, follow=True)
    assert said in response.content.decode()
    assert not Operation.objects.exists()


def test_another_sdrs_followup_is_refused_and_an_unknown_one_is_a_404(mine, sdr2):
    followup(sdr2, "fu_theirs", "thr_theirs")
    assert mine.post(url("sdr_followup_complete", "fu_theirs")).status_code == 403
    assert mine.post(url("sdr_followup_complete", "fu_nope")).status_code == 404
    assert not Operation.objects.exists()


def test_scheduling_a_followup_on_a_thread(mine, sdr):
    assert mine.post(url("sdr_followup_schedule", "thr_1"), {"due_date": ""}).status_code == 302
    op = last_op("followup")
    assert (op.payload["action"], op.payload["thread_id"], op.payload["due_at"]) == ("schedule", "thr_1", None)
    bad = mine.post(url("sdr_followup_schedule", "thr_1"), {"due_date": "31/12/2026"})
    assert bad.status_code == 400 and "give it as YYYY-MM-DD" in bad.content.decode()
