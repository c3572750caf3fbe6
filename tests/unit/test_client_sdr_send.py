"""The client's SDR drafts, sends, Gmail status and follow-ups against `responses`; a send whose answer
is lost is OutcomeUnknown (never Transient, never retried), checked also against a real HTTP server."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
import responses

from campaigns import leadterra
from campaigns.leadterra import (
    Conflict,
    GuardrailsBlocked,
    Invalid,
    NotFound,
    OutcomeUnknown,
    Transient,
)
from tests.unit.test_client_http import Script, server  # noqa: F401 (the fixture and its handler)

BASE = "https://lt.example.test"
SDR_KEY = "sk_live_sdr_personal_9f3"
SEND_URL = f"{BASE}/v1/sdr/drafts/drf_1/send"

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(settings):
    settings.LEADTERRA_API_BASE = BASE
    settings.LEADTERRA_API_KEY = "sk_live_workspace_key"
    settings.LEADTERRA_MAX_RPS = 0
    return leadterra.get_client()


def err(code, message="", **extra):
    return {"error": {"code": code, "message": message}, **extra}


def sent_body(call) -> dict:
    return json.loads(call.request.body or b"{}")


# --- drafts ---

DRAFTS = {
    "drafts": [
        {"id": "drf_1", "subject": "Re: hi", "bodyText": "Hi Jane", "bodyHtml": "<p>Hi Jane</p>"},
        {"id": "drf_2", "subject": "Re: hi", "bodyText": "Hello Jane", "bodyHtml": "<p>Hello Jane</p>"},
    ],
    "insights": [  # out of order, and one draft without an insight
        {"draftId": "drf_2", "approach": "qualify", "confidence": 0.66, "rationale": "Ask first"},
    ],
    "appliedRules": ["greet by first name"],
}


@responses.activate
@pytest.mark.parametrize("wrap", [lambda x: {"data": x}, lambda x: x], ids=["data", "bare"])
def test_generate_matches_insights_to_drafts_by_id(client, wrap):
    responses.post(f"{BASE}/v1/sdr/drafts/generate", json=wrap(DRAFTS))
    result = client.generate_drafts(api_key=SDR_KEY, thread_id="thr_1", instructions="Be brief", variant_count=2)
    first, second = result.drafts
    assert (first.id, first.approach, first.confidence, first.rationale) == ("drf_1", "", None, "")
    assert (second.id, second.approach, second.confidence, second.body_html) == (
        "drf_2",
        "qualify",
        0.66,
        "<p>Hello Jane</p>",
    )
    assert result.applied_rules == ["greet by first name"]
    call = responses.calls[0]
    assert sent_body(call) == {"threadId": "thr_1", "variantCount": 2, "instructions": "Be brief"}
    assert call.request.headers["Authorization"] == f"Bearer {SDR_KEY}"


def test_generate_refuses_a_variant_count_outside_one_to_three(client):
    for count in (0, 4):
        with pytest.raises(ValueError, match="variant_count"):
            client.generate_drafts(api_key=SDR_KEY, thread_id="thr_1", variant_count=count)


@responses.activate
def test_generate_on_a_missing_thread_is_not_found(client):
    responses.post(f"{BASE}/v1/sdr/drafts/generate", status=404, json=err("thread_not_found", "No thread"))
    with pytest.raises(NotFound) as raised:
        client.generate_drafts(api_key=SDR_KEY, thread_id="thr_X")
    assert raised.value.code == "thread_not_found"


# --- send ---

GUARDRAILS = {
    "blocked": False,
    "issues": [{"code": "has_links", "severity": "warn", "message": "1 link"}],
    "scores": {"overall": 88, "readability": 100, "personalization": 100, "linkQuality": 85},
}


@responses.activate
def test_a_send_reads_the_message_id_and_the_scores_and_sends_no_idempotency_key(client):
    responses.post(SEND_URL, json={"data": {"messageId": "msg_1", "guardrails": GUARDRAILS}})
    result = client.send_draft("drf_1", api_key=SDR_KEY, final_body_text="Hi Jane", additional_cc=["cto@acme.com"])
    assert result.message_id == "msg_1"
    g = result.guardrails
    assert (g.blocked, g.overall, g.readability, g.personalization, g.link_quality) == (False, 88, 100, 100, 85)
    assert [(i.code, i.severity) for i in g.issues] == [("has_links", "warn")]
    call = responses.calls[0]
    assert sent_body(call) == {"finalBodyText": "Hi Jane", "additionalCc": ["cto@acme.com"]}
    assert "Idempotency-Key" not in call.request.headers


@responses.activate
@pytest.mark.parametrize(
    "guardrails",
    [
        {
            **GUARDRAILS,
            "blocked": True,
            "issues": [{"code": "banned_phrase", "severity": "block", "message": "act now"}],
        },
        {"blocked": True, "issues": ["Contains the phrase act now"], "scores": {}},  # bare strings, no scores
    ],
    ids=["objects", "strings"],
)
def test_a_blocked_send_carries_the_guardrails(client, guardrails):
    responses.post(SEND_URL, status=422, json=err("guardrails_blocked", "Blocked", guardrails=guardrails))
    with pytest.raises(GuardrailsBlocked) as raised:
        client.send_draft("drf_1", api_key=SDR_KEY, final_body_text="Act now")
    g = raised.value.guardrails
    assert g.blocked is True and "act now" in g.issues[0].message.lower()
    assert "act now" in raised.value.message.lower() and "Nothing was sent" in raised.value.message
    assert isinstance(raised.value, Invalid) and raised.value.status == 422


@responses.activate
def test_a_422_without_guardrails_is_plain_invalid(client):
    responses.post(SEND_URL, status=422, json=err("validation_failed", "bad", errors=[{"index": 0, "message": "x"}]))
    with pytest.raises(Invalid) as raised:
        client.send_draft("drf_1", api_key=SDR_KEY)
    assert not isinstance(raised.value, GuardrailsBlocked)


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [
        requests.ReadTimeout("read timed out"),
        requests.ConnectionError("Connection aborted: RemoteDisconnected"),
        requests.exceptions.ChunkedEncodingError("IncompleteRead"),
    ],
    ids=["timeout", "dropped", "half-body"],
)
def test_a_send_whose_answer_is_lost_is_outcome_unknown_and_sent_once(client, answer):
    responses.post(SEND_URL, body=answer)
    with pytest.raises(OutcomeUnknown) as raised:
        client.send_draft("drf_1", api_key=SDR_KEY)
    assert not isinstance(raised.value, Transient)  # the outbox retries Transient: this must not be one
    assert "check the thread" in raised.value.message
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize(
    "status,body,content_type,kind",
    [
        (504, "<html>Gateway Timeout</html>", "text/html", OutcomeUnknown),
        (200, "<html>captive portal</html>", "text/html", OutcomeUnknown),  # it went out; unreadable
        (503, '{"error": {"code": "unavailable"}}', "application/json", Transient),  # refused before handling
        (502, "<html>Bad Gateway</html>", "text/html", Transient),
        (
            409,
            '{"error": {"code": "gmail_unavailable", "message": "Gmail is needs_reauth"}}',
            "application/json",
            Conflict,
        ),
    ],
)
def test_send_answers_map_to_what_the_outbox_may_do(client, status, body, content_type, kind):
    responses.post(SEND_URL, status=status, body=body, content_type=content_type)
    with pytest.raises(kind):
        client.send_draft("drf_1", api_key=SDR_KEY)
    assert len(responses.calls) == 1


@responses.activate
def test_a_send_that_never_connected_is_transient(client):
    responses.post(SEND_URL, body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(Transient) as raised:
        client.send_draft("drf_1", api_key=SDR_KEY)
    assert not isinstance(raised.value, OutcomeUnknown)


def test_a_send_dropped_by_a_real_server_is_sent_once_and_outcome_unknown(server, settings):  # noqa: F811
    server.script = ["drop", (200, {}, b'{"data": {"messageId": "msg_2"}}')]
    with pytest.raises(OutcomeUnknown):
        leadterra.get_client().send_draft("drf_1", api_key=SDR_KEY)
    assert server.seen == [("POST", "/v1/sdr/drafts/drf_1/send")]


def test_a_send_to_a_closed_port_is_transient(settings):
    from tests.conftest import free_port

    settings.LEADTERRA_API_BASE = f"http://127.0.0.1:{free_port()}"
    settings.LEADTERRA_MAX_RPS = 0
    with pytest.raises(Transient) as raised:
        leadterra.get_client().send_draft("drf_1", api_key=SDR_KEY)
    assert not isinstance(raised.value, OutcomeUnknown)


# --- Gmail ---


@responses.activate
@pytest.mark.parametrize(
    "body,state,attention,error",
    [
        (
            {
                "connected": True,
                "email": "s@g.test",
                "healthState": "active",
                "lastSyncedAt": "2026-06-10T14:22:07.123Z",
            },
            "active",
            False,
            "",
        ),
        (
            {"connected": True, "email": "s@g.test", "healthState": "needs_reauth", "lastSyncError": "invalid_grant"},
            "needs_reauth",
            True,
            "invalid_grant",
        ),
        ({"connected": False, "email": "s@g.test"}, "disconnected", True, ""),
        ({"connected": True, "healthState": "quota_exhausted"}, "quota_exhausted", True, ""),
    ],
)
def test_gmail_status_in_every_state(client, body, state, attention, error):
    responses.get(f"{BASE}/v1/sdr/gmail/status", json={"data": body})
    status = client.gmail_status(api_key=SDR_KEY)
    assert (status.health_state, status.needs_attention, status.last_sync_error) == (state, attention, error)


# --- follow-ups ---

FOLLOWUP = {
    "id": "fu_1",
    "threadId": "thr_1",
    "sdrId": "sdr_1",
    "status": "pending",
    "dueAt": "2026-06-12T09:00:00.000Z",
}


@responses.activate
@pytest.mark.parametrize("wrap", [lambda x: {"data": x}, lambda x: x], ids=["data", "bare"])
def test_due_followups_are_read_and_upcoming_ones_asked_for(client, wrap):
    responses.get(
        f"{BASE}/v1/sdr/followups/due", json=wrap([FOLLOWUP, {**FOLLOWUP, "id": "fu_2", "status": "snoozed"}])
    )
    found = client.due_followups(api_key=SDR_KEY, limit=200, include_upcoming=True)
    assert [(f.id, f.status, f.thread_id, f.sdr_id) for f in found] == [
        ("fu_1", "pending", "thr_1", "sdr_1"),
        ("fu_2", "snoozed", "thr_1", "sdr_1"),
    ]
    assert found[0].due_at == datetime(2026, 6, 12, 9, tzinfo=UTC)
    assert "includeUpcoming=true" in responses.calls[0].request.url and "limit=200" in responses.calls[0].request.url
    with pytest.raises(ValueError, match="limit"):
        client.due_followups(api_key=SDR_KEY, limit=201)


@responses.activate
def test_followup_actions_send_their_bodies_and_read_the_answer(client):
    for action in ("complete", "skip", "reschedule"):
        responses.post(
            f"{BASE}/v1/sdr/followups/fu_1/{action}", json={"data": {"id": "fu_1", "status": action, "dueAt": None}}
        )
    paris = timezone(timedelta(hours=2))
    assert client.complete_followup("fu_1", api_key=SDR_KEY, idempotency_key="k1").status == "complete"
    assert client.skip_followup("fu_1", api_key=SDR_KEY, reason="  Booked  ").status == "skip"
    client.reschedule_followup("fu_1", api_key=SDR_KEY, due_at=datetime(2026, 6, 12, 11, 0, 0, 250000, tzinfo=paris))
    bodies = [sent_body(c) for c in responses.calls]
    assert bodies == [{}, {"reason": "Booked"}, {"dueAt": "2026-06-12T09:00:00.250Z"}]
    assert responses.calls[0].request.headers["Idempotency-Key"] == "k1"
    assert all(c.request.headers["Authorization"] == f"Bearer {SDR_KEY}" for c in responses.calls)


def test_followup_actions_refuse_bad_arguments(client):
    with pytest.raises(ValueError, match="why"):
        client.skip_followup("fu_1", api_key=SDR_KEY, reason=" ")
    with pytest.raises(ValueError, match="time zone"):
        client.reschedule_followup("fu_1", api_key=SDR_KEY, due_at=datetime(2026, 6, 12, 9))


@responses.activate
@pytest.mark.parametrize(
    "due_at,body", [(None, {}), (datetime(2026, 6, 15, 8, tzinfo=UTC), {"dueAt": "2026-06-15T08:00:00.000Z"})]
)
def test_schedule_sends_due_at_only_when_given(client, due_at, body):
    responses.post(
        f"{BASE}/v1/sdr/threads/thr_1/followup/schedule", status=201, json={"data": {**FOLLOWUP, "sdrId": None}}
    )
    found = client.schedule_followup("thr_1", api_key=SDR_KEY, due_at=due_at)
    assert (found.id, found.thread_id, found.status) == ("fu_1", "thr_1", "pending")
    assert sent_body(responses.calls[0]) == body


@responses.activate
@pytest.mark.parametrize(
    "status,code,kind",
    [(404, "followup_not_found", NotFound), (409, "followup_closed", Conflict), (400, "invalid_request", Invalid)],
)
def test_followup_errors_are_typed(client, status, code, kind):
    responses.post(f"{BASE}/v1/sdr/followups/fu_1/complete", status=status, json=err(code, "no"))
    with pytest.raises(kind) as raised:
        client.complete_followup("fu_1", api_key=SDR_KEY)
    assert raised.value.code == code
    assert len(responses.calls) == 1


@responses.activate
def test_a_followup_answer_without_an_id_is_refused_as_unexpected(client):
    responses.post(f"{BASE}/v1/sdr/followups/fu_1/complete", json={"data": {"status": "completed"}})
    with pytest.raises(leadterra.LeadterraError, match="shape"):
        client.complete_followup("fu_1", api_key=SDR_KEY)
