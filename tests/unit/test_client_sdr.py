"""The client's SDR area against `responses`: every call, the data envelope and bare values, millisecond
and epoch times, unknown statuses, typed errors (ICP, who already has a reply, guardrails), non-JSON
error bodies, the SDR's own key on each call, and a send that is never retried and never guessed."""

import json
from datetime import UTC, datetime

import pytest
import responses

from campaigns.leadterra import (
    AlreadyAssigned,
    AuthFailed,
    Conflict,
    GuardrailsBlocked,
    IcpFailed,
    Invalid,
    NotFound,
    Transient,
)
from campaigns.models import ApiCall

BASE = "https://lt.example.test"
KEY = "sk_live_workspace_key"
SDR_KEY = "sk_live_sdr_personal_9f3"
OTHER_KEY = "sk_live_sdr_other_77a"

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(leadterra_client):
    return leadterra_client


def err(code, message="", **extra):
    return {"error": {"code": code, "message": message}, **extra}


def sent_body(call) -> dict:
    return json.loads(call.request.body or b"{}")


def wrapped(value):
    return {"data": value}


def bare(value):
    return value


ENVELOPES = pytest.mark.parametrize("wrap", [wrapped, bare], ids=["data", "bare"])


# --- SDRs and assignment (workspace key) ---


@responses.activate
@ENVELOPES
def test_it_lists_sdrs_with_the_workspace_key(client, wrap):
    sdrs = [
        {"id": "sdr_1", "name": "Sam", "email": "sam@x.io", "gmailConnected": True, "gmailEmail": "sam@gmail.test"},
        {"id": "sdr_2", "name": "Dana", "email": "dana@x.io", "gmailConnected": False, "gmailEmail": None},
    ]
    responses.get(f"{BASE}/v1/sdrs", json=wrap(sdrs))
    found = client.list_sdrs()
    assert [(s.id, s.name, s.gmail_connected, s.gmail_email) for s in found] == [
        ("sdr_1", "Sam", True, "sam@gmail.test"),
        ("sdr_2", "Dana", False, ""),
    ]
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {KEY}"


HANDOFF = {"handoffId": "ho_1", "threadId": "thr_1", "messageId": "msg_1", "gmailThreadId": "gth_1"}


@responses.activate
@ENVELOPES
def test_assign_sends_only_the_given_fields_and_reads_the_handoff(client, wrap):
    responses.post(f"{BASE}/v1/replies/rpl_1/assign", json=wrap(HANDOFF))
    handoff = client.assign_reply(
        "rpl_1", sdr_id="sdr_2", category="B", note="Pricing", seniority="vp", employee_count=40, idempotency_key="op-7"
    )
    assert (handoff.handoff_id, handoff.thread_id, handoff.message_id, handoff.gmail_thread_id) == (
        "ho_1",
        "thr_1",
        "msg_1",
        "gth_1",
    )
    call = responses.calls[0]
    assert sent_body(call) == {
        "sdrId": "sdr_2",
        "category": "B",
        "note": "Pricing",
        "seniority": "vp",
        "employeeCount": 40,
    }
    assert call.request.headers["Idempotency-Key"] == "op-7"
    assert call.request.headers["Authorization"] == f"Bearer {KEY}"


@responses.activate
def test_assign_passes_the_overrides_and_refuses_an_unknown_category(client):
    responses.post(f"{BASE}/v1/replies/rpl_1/assign", json=wrapped(HANDOFF))
    client.assign_reply("rpl_1", sdr_id="sdr_1", skip_icp_check=True, force_forward=True, cc=["a@x.io"])
    assert sent_body(responses.calls[0]) == {
        "sdrId": "sdr_1",
        "skipIcpCheck": True,
        "forceForward": True,
        "cc": ["a@x.io"],
    }
    with pytest.raises(ValueError, match="category"):
        client.assign_reply("rpl_1", sdr_id="sdr_1", category="D")


@responses.activate
@pytest.mark.parametrize(
    "body",
    [
        err("icp_failed", "outside", icpFailed=True, icpReasons=["employeeCount 4 is below 10"]),
        {"error": {"code": "invalid_request", "message": "ICP", "icpFailed": True, "icpReasons": ["employeeCount 4"]}},
        {"error": {"code": "", "message": "ICP check failed"}, "icpFailed": "true"},
    ],
    ids=["top-level", "inside-error", "no-reasons"],
)
def test_an_icp_refusal_is_icp_failed_and_says_why(client, body):
    responses.post(f"{BASE}/v1/replies/rpl_1/assign", status=400, json=body)
    with pytest.raises(IcpFailed) as raised:
        client.assign_reply("rpl_1", sdr_id="sdr_1", seniority="vp", employee_count=4)
    assert isinstance(raised.value, Invalid)
    assert "ICP" in raised.value.message
    reasons = body.get("icpReasons") or body["error"].get("icpReasons") or []
    assert raised.value.reasons == reasons
    assert all(r in raised.value.message for r in reasons)


@responses.activate
def test_another_400_on_assign_is_plain_invalid(client):
    responses.post(f"{BASE}/v1/replies/rpl_1/assign", status=400, json=err("invalid_request", "sdrId is required"))
    with pytest.raises(Invalid) as raised:
        client.assign_reply("rpl_1", sdr_id="")
    assert not isinstance(raised.value, IcpFailed)
    assert "sdrId is required" in raised.value.message


@responses.activate
def test_a_second_forward_says_who_already_has_it(client):
    holder = {"sdrId": "sdr_9", "name": "Dana Okafor", "email": "dana@x.io"}
    body = err("already_forwarded", "Already forwarded", assignedTo=holder, threadId="thr_9")
    responses.post(f"{BASE}/v1/replies/rpl_1/assign", status=409, json=body)
    with pytest.raises(AlreadyAssigned) as raised:
        client.assign_reply("rpl_1", sdr_id="sdr_1", skip_icp_check=True)
    e = raised.value
    assert (e.sdr_id, e.sdr_name, e.sdr_email, e.thread_id, e.status) == (
        "sdr_9",
        "Dana Okafor",
        "dana@x.io",
        "thr_9",
        409,
    )
    assert "Dana Okafor (dana@x.io)" in e.message


@responses.activate
def test_a_409_that_names_nobody_is_still_already_assigned(client):
    responses.post(f"{BASE}/v1/replies/rpl_1/assign", status=409, json=err("already_forwarded", "Taken"))
    with pytest.raises(AlreadyAssigned, match="another SDR") as raised:
        client.assign_reply("rpl_1", sdr_id="sdr_1")
    assert raised.value.sdr_name == ""


@responses.activate
@pytest.mark.parametrize(
    "status,kind",
    [(400, Invalid), (401, AuthFailed), (404, NotFound), (409, Conflict), (422, Invalid), (502, Transient)],
)
def test_non_json_error_bodies_still_give_the_right_type(client, status, kind):
    page = "<html><body><h1>Oops</h1></body></html>"
    responses.post(f"{BASE}/v1/replies/rpl_1/assign", status=status, body=page, content_type="text/html")
    with pytest.raises(kind) as raised:
        client.assign_reply("rpl_1", sdr_id="sdr_1")
    assert not isinstance(raised.value, IcpFailed | AlreadyAssigned | GuardrailsBlocked)
    assert "non-JSON" in raised.value.message
    assert len(responses.calls) == 1  # a POST is never retried by the HTTP layer


@responses.activate
def test_assigning_a_missing_reply_is_not_found(client):
    responses.post(f"{BASE}/v1/replies/rpl_X/assign", status=404, json=err("reply_not_found", "No reply"))
    with pytest.raises(NotFound) as raised:
        client.assign_reply("rpl_X", sdr_id="sdr_1")
    assert raised.value.code == "reply_not_found"


# --- the inbox (an SDR's key) ---

THREAD = {
    "id": "thr_1",
    "contactEmail": "jane@acme.com",
    "contactName": "Jane Doe",
    "subject": "Re: Quick question",
    "status": "negotiating_terms",  # not in the documented list: kept as is
    "category": "A",
    "priorityScore": 95,
    "lastMessageAt": "2026-06-10T14:22:07.123Z",
}


@responses.activate
def test_the_inbox_uses_the_sdrs_key_and_repeats_status(client):
    page = {"threads": [THREAD], "total": 7, "hasMore": True}
    responses.get(f"{BASE}/v1/sdr/inbox", json=wrapped(page))
    result = client.sdr_inbox(
        api_key=SDR_KEY, statuses=["new", "needs_followup"], category="A", search="acme", snoozed=False, limit=1
    )
    request = responses.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {SDR_KEY}"
    assert "status=new&status=needs_followup" in request.url
    for part in ("category=A", "search=acme", "snoozed=false", "limit=1", "offset=0", "orderBy=priority"):
        assert part in request.url
    [thread] = result.threads
    assert (thread.id, thread.status, thread.category, thread.priority_score) == ("thr_1", "negotiating_terms", "A", 95)
    assert thread.last_message_at == datetime(2026, 6, 10, 14, 22, 7, 123000, tzinfo=UTC)
    assert (result.total, result.has_more) == (7, True)


@responses.activate
@pytest.mark.parametrize(
    "body,total,has_more",
    [
        ({"threads": [THREAD]}, 21, False),  # no total: what was seen
        ([THREAD], 21, False),  # a bare list of threads
        ({"data": {"threads": [THREAD], "total": 30}}, 30, True),  # no hasMore: worked out
    ],
)
def test_the_inbox_tolerates_missing_counts(client, body, total, has_more):
    responses.get(f"{BASE}/v1/sdr/inbox", json=body)
    result = client.sdr_inbox(api_key=SDR_KEY, offset=20, order_by="created")
    assert (len(result.threads), result.total, result.has_more) == (1, total, has_more)


@responses.activate
@pytest.mark.parametrize(
    "value,expected",
    [
        (1781101327123, datetime(2026, 6, 10, 14, 22, 7, 123000, tzinfo=UTC)),  # epoch milliseconds
        ("2026-06-10T14:22:07Z", datetime(2026, 6, 10, 14, 22, 7, tzinfo=UTC)),
        ("2026-06-10T16:22:07.500+02:00", datetime(2026, 6, 10, 14, 22, 7, 500000, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
    ],
)
def test_thread_times_in_every_form(client, value, expected):
    responses.get(f"{BASE}/v1/sdr/inbox", json=wrapped({"threads": [{**THREAD, "lastMessageAt": value}]}))
    assert client.sdr_inbox(api_key=SDR_KEY).threads[0].last_message_at == expected


def test_the_inbox_refuses_bad_arguments_before_calling(client):
    with pytest.raises(ValueError, match="personal key"):
        client.sdr_inbox(api_key="")
    with pytest.raises(ValueError, match="limit"):
        client.sdr_inbox(api_key=SDR_KEY, limit=101)
    with pytest.raises(ValueError, match="order_by"):
        client.sdr_inbox(api_key=SDR_KEY, order_by="oldest")


@responses.activate
def test_a_refused_sdr_key_says_so_and_never_shows_the_key(client, caplog):
    body = err("authentication_failed", f"key {SDR_KEY} is revoked")
    responses.get(f"{BASE}/v1/sdr/inbox", status=401, json=body)
    with pytest.raises(AuthFailed) as raised:
        client.sdr_inbox(api_key=SDR_KEY)
    assert "personal key" in raised.value.message
    assert SDR_KEY not in str(raised.value) and SDR_KEY not in caplog.text
    assert ApiCall.objects.get().error_code == "authentication_failed"


@responses.activate
def test_a_get_is_retried_on_503_with_the_same_key(client):
    responses.get(f"{BASE}/v1/sdr/gmail/status", status=503, json=err("unavailable"))
    responses.get(f"{BASE}/v1/sdr/gmail/status", json=wrapped({"connected": True, "healthState": "active"}))
    assert client.gmail_status(api_key=OTHER_KEY).health_state == "active"
    assert [c.request.headers["Authorization"] for c in responses.calls] == [f"Bearer {OTHER_KEY}"] * 2
