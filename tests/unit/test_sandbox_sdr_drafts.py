"""The sandbox's SDR drafts, guardrails, sends, follow-ups and Gmail health; faults and rate limits
reach the SDR calls like every other."""

from datetime import UTC, datetime

import pytest

from sandbox.sdr_drafts import guardrails
from sandbox.sdr_followups import business_days_after
from sandbox.testing import ClientSandbox
from tests.sdr_helpers import SDR2_KEY, SDR_KEY, make_desk

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
GOOD = (
    "Hi Jane, thanks for the quick answer. Acme sounds like a good fit for a short pilot; "
    "would Tuesday at ten or Thursday at two work for a twenty-minute call with your team?"
)


@pytest.fixture
def sb(client, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    sandbox = ClientSandbox(client)
    sandbox.freeze()
    return sandbox


@pytest.fixture
def desk(sb):
    return make_desk(sb)


@pytest.fixture
def jane(desk):
    return desk.thread("jane@acme.com", category="A")


# --- drafts ---


@pytest.mark.parametrize("count", [1, 2, 3])
def test_generate_makes_that_many_variants_each_with_its_insight(desk, jane, count):
    status, body = desk.as_sdr(SDR_KEY, "POST", "/sdr/drafts/generate", {"threadId": jane, "variantCount": count})
    drafts, insights = body["data"]["drafts"], body["data"]["insights"]
    assert status == 200 and len(drafts) == count
    assert [i["draftId"] for i in insights] == [d["id"] for d in drafts]
    assert len({i["approach"] for i in insights}) == count
    for draft in drafts:  # personalised from the lead, and each passes the guardrails as written
        assert "Jane" in draft["bodyText"] and "Acme" in draft["bodyText"] and "Sam Rivera" in draft["bodyText"]
        assert draft["bodyHtml"].startswith("<p>Hi Jane,</p>")
        assert not guardrails(draft["bodyText"], "Jane", "Acme")["blocked"]


def test_generate_defaults_to_one_variant_and_records_the_instructions(desk, jane):
    _, body = desk.as_sdr(SDR_KEY, "POST", "/sdr/drafts/generate", {"threadId": jane, "instructions": "Mention SOC 2"})
    assert len(body["data"]["drafts"]) == 1
    assert "followed the instructions: Mention SOC 2" in body["data"]["appliedRules"]
    assert "Mention SOC 2" in body["data"]["insights"][0]["rationale"]


@pytest.mark.parametrize(
    "body",
    [
        {"threadId": ""},
        {"threadId": 5},
        {"variantCount": 4},
        {"variantCount": 0},
        {"variantCount": True},
        {"instructions": 3},
    ],
)
def test_generate_with_a_bad_body_is_400(desk, jane, body):
    status, answer = desk.as_sdr(SDR_KEY, "POST", "/sdr/drafts/generate", {"threadId": jane, **body})
    assert (status, answer["error"]["code"]) == (400, "invalid_request"), answer


def test_an_sdr_cannot_draft_on_or_send_from_another_sdrs_thread(desk, jane):
    status, body = desk.as_sdr(SDR2_KEY, "POST", "/sdr/drafts/generate", {"threadId": jane})
    assert (status, body["error"]["code"]) == (404, "thread_not_found")
    draft = desk.drafts(jane)[0]
    status, body = desk.send(draft["id"], SDR2_KEY)
    assert (status, body["error"]["code"]) == (404, "draft_not_found")
    assert desk.sends(SDR_KEY) == desk.sends(SDR2_KEY) == 0


# --- guardrails and sending ---


@pytest.mark.parametrize(
    "text,code",
    [
        ("Hi Jane, ok.", "too_short"),
        (GOOD + " word" * 240, "too_long"),
        (GOOD.replace("Jane", "there").replace("Acme", "your company"), "not_personal"),
        (GOOD + " Act now, this is a limited time offer.", "banned_phrase"),
        (GOOD + " See https://bit.ly/xyz", "link_shortener"),
        (GOOD + " https://a.example https://b.example https://c.example", "too_many_links"),
    ],
)
def test_each_blocking_rule_answers_422_with_the_guardrails_and_sends_nothing(desk, jane, text, code):
    draft = desk.drafts(jane)[0]
    status, body = desk.send(draft["id"], body={"finalBodyText": text})
    assert (status, body["error"]["code"]) == (422, "guardrails_blocked")
    assert body["guardrails"]["blocked"] is True
    assert code in [i["code"] for i in body["guardrails"]["issues"] if i["severity"] == "block"]
    assert desk.sends() == 0
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due?includeUpcoming=true")[1]["data"] == []


def test_warnings_lower_the_scores_without_blocking():
    clean = guardrails(GOOD, "Jane", "Acme")
    assert clean == {
        "blocked": False,
        "issues": [],
        "scores": {"overall": 100, "readability": 100, "personalization": 100, "linkQuality": 100},
    }
    linked = guardrails(GOOD + " https://acme.example/case", "Jane", "Acme")
    assert not linked["blocked"] and linked["scores"]["linkQuality"] == 85
    unnamed = guardrails(GOOD.replace("Jane", "there"), "Jane", "Acme")
    assert not unnamed["blocked"] and unnamed["scores"]["personalization"] == 50
    assert [i["code"] for i in unnamed["issues"]] == ["not_personal"]


def test_a_blocked_send_fixed_and_sent_again_goes_out_once(desk, jane):
    draft = desk.drafts(jane)[0]
    assert desk.send(draft["id"], body={"finalBodyHtml": "<p>Hi, click here</p>"})[0] == 422
    status, body = desk.send(draft["id"], body={"finalBodyHtml": f"<p>{GOOD}</p>", "additionalCc": ["cto@acme.com"]})
    assert status == 200, body
    assert body["data"]["messageId"].startswith("msg_") and body["data"]["guardrails"]["blocked"] is False
    assert desk.sends() == 1


def test_send_is_not_idempotent_even_with_an_idempotency_key(desk, jane):
    draft = desk.drafts(jane)[0]
    first = desk.send(draft["id"], **{"Idempotency-Key": "same"})
    second = desk.send(draft["id"], **{"Idempotency-Key": "same"})
    assert first[0] == second[0] == 200
    assert first[1]["data"]["messageId"] != second[1]["data"]["messageId"]
    assert desk.sends() == 2


def test_a_send_marks_the_thread_awaiting_reply(desk, jane):
    desk.send(desk.drafts(jane)[0]["id"])
    _, body = desk.as_sdr(SDR_KEY, "GET", "/sdr/inbox")
    assert body["data"]["threads"][0]["status"] == "awaiting_reply"


@pytest.mark.parametrize("state", ["needs_reauth", "disconnected"])
def test_gmail_that_needs_reauthorisation_refuses_sends_until_fixed(desk, jane, state):
    draft = desk.drafts(jane)[0]
    desk.sb.control("POST", "sdrs/sdr/gmail", {"healthState": state})
    status, body = desk.send(draft["id"])
    assert (status, body["error"]["code"]) == (409, "gmail_unavailable") and state in body["error"]["message"]
    desk.sb.control("POST", "sdrs/sdr/gmail", {"healthState": "active"})
    assert desk.send(draft["id"])[0] == 200
    assert desk.sends() == 1


# --- Gmail health ---


def test_gmail_health_is_switched_per_sdr_from_the_control_surface(desk):
    desk.sb.control(
        "POST", f"sdrs/{desk.sdrs[SDR2_KEY]}/gmail", {"healthState": "rate_limited", "lastSyncError": "429"}
    )
    _, mine = desk.as_sdr(SDR_KEY, "GET", "/sdr/gmail/status")
    _, theirs = desk.as_sdr(SDR2_KEY, "GET", "/sdr/gmail/status")
    assert (mine["data"]["healthState"], "lastSyncError" in mine["data"]) == ("active", False)
    assert (theirs["data"]["healthState"], theirs["data"]["lastSyncError"]) == ("rate_limited", "429")
    assert theirs["data"]["connected"] is True
    desk.sb.gmail("sdr2", "disconnected")
    _, sdrs = desk.sb.api("GET", "/sdrs")
    assert {s["id"]: s["gmailConnected"] for s in sdrs["data"]}[desk.sdrs[SDR2_KEY]] is False


@pytest.mark.parametrize("body", [{"healthState": "sleepy"}, {}, {"healthState": "active", "lastSyncError": 5}])
def test_the_gmail_switch_refuses_unknown_states(desk, body):
    status, answer = desk.sb._call("POST", "/_control/sdrs/sdr/gmail", body, {"X-Sandbox-Control-Token": desk.sb.token})
    assert status == 400 and answer["error"]


# --- follow-ups ---


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_business_days_skip_the_weekend():
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=UTC).timestamp()
    assert datetime.fromtimestamp(business_days_after(friday), tz=UTC) == datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC).timestamp()
    assert datetime.fromtimestamp(business_days_after(monday, 3), tz=UTC) == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def test_a_send_opens_a_follow_up_due_on_the_clock_and_the_thread_then_needs_one(desk, jane):
    desk.send(desk.drafts(jane)[0]["id"])
    now = when(desk.sb.state()["now"])
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due")[1]["data"] == []
    [upcoming] = desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due?includeUpcoming=true")[1]["data"]
    assert (upcoming["threadId"], upcoming["sdrId"], upcoming["status"]) == (jane, desk.sdrs[SDR_KEY], "pending")
    assert when(upcoming["dueAt"]).timestamp() == pytest.approx(business_days_after(now.timestamp()), abs=1)
    desk.sb.advance(days=5)
    [due] = desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due")[1]["data"]
    assert due["id"] == upcoming["id"]
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/inbox")[1]["data"]["threads"][0]["status"] == "needs_followup"
    assert desk.as_sdr(SDR2_KEY, "GET", "/sdr/followups/due?includeUpcoming=true")[1]["data"] == []
    status, body = desk.as_sdr(SDR_KEY, "POST", f"/sdr/followups/{due['id']}/complete")
    assert (status, body["data"]["status"]) == (200, "completed")
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/inbox")[1]["data"]["threads"][0]["status"] == "awaiting_reply"
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due?includeUpcoming=true")[1]["data"] == []


def test_schedule_creates_then_moves_the_one_pending_follow_up(desk, jane):
    status, created = desk.as_sdr(SDR_KEY, "POST", f"/sdr/threads/{jane}/followup/schedule", {})
    assert status == 201
    status, moved = desk.as_sdr(
        SDR_KEY, "POST", f"/sdr/threads/{jane}/followup/schedule", {"dueAt": "2030-03-04T10:00:00.000Z"}
    )
    assert status == 200 and moved["data"]["id"] == created["data"]["id"]
    assert moved["data"]["dueAt"] == "2030-03-04T10:00:00.000Z"
    assert len(desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due?includeUpcoming=true")[1]["data"]) == 1


def test_skip_needs_a_reason_and_a_closed_follow_up_cannot_be_acted_on_again(desk, jane):
    _, created = desk.as_sdr(SDR_KEY, "POST", f"/sdr/threads/{jane}/followup/schedule")
    fid = created["data"]["id"]
    for body in ({}, {"reason": "  "}, {"reason": 3}):
        assert desk.as_sdr(SDR_KEY, "POST", f"/sdr/followups/{fid}/skip", body)[0] == 400
    status, skipped = desk.as_sdr(SDR_KEY, "POST", f"/sdr/followups/{fid}/skip", {"reason": "Booked already"})
    assert (status, skipped["data"]["status"]) == (200, "skipped")
    for action, body in (
        ("complete", {}),
        ("skip", {"reason": "x"}),
        ("reschedule", {"dueAt": "2030-01-01T00:00:00Z"}),
    ):
        status, answer = desk.as_sdr(SDR_KEY, "POST", f"/sdr/followups/{fid}/{action}", body)
        assert (status, answer["error"]["code"]) == (409, "followup_closed")


def test_reschedule_moves_the_due_time_and_refuses_a_bad_time(desk, jane):
    _, created = desk.as_sdr(SDR_KEY, "POST", f"/sdr/threads/{jane}/followup/schedule")
    fid = created["data"]["id"]
    for body in ({}, {"dueAt": "next tuesday"}, {"dueAt": 1700000000}):
        status, answer = desk.as_sdr(SDR_KEY, "POST", f"/sdr/followups/{fid}/reschedule", body)
        assert status == 400 and "dueAt" in answer["error"]["message"]
    status, body = desk.as_sdr(SDR_KEY, "POST", f"/sdr/followups/{fid}/reschedule", {"dueAt": "2031-05-06T07:08:09Z"})
    assert (status, body["data"]["dueAt"]) == (200, "2031-05-06T07:08:09.000Z")
    status, answer = desk.as_sdr(SDR2_KEY, "POST", f"/sdr/followups/{fid}/complete", {})
    assert (status, answer["error"]["code"]) == (404, "followup_not_found")


def test_the_due_list_is_limited_and_oldest_first(desk):
    threads = [desk.thread(e) for e in ("jane@acme.com", "omar@globex.io", "li@initech.com")]
    for day, thread in zip((3, 1, 2), threads, strict=True):
        desk.as_sdr(SDR_KEY, "POST", f"/sdr/threads/{thread}/followup/schedule", {"dueAt": f"2030-01-0{day}T09:00:00Z"})
    _, body = desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due?includeUpcoming=true&limit=2")
    assert [f["threadId"] for f in body["data"]] == [threads[1], threads[2]]
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due?limit=201")[0] == 400


# --- faults and rate limits reach the SDR calls ---


def test_scripted_faults_and_rate_limits_apply_to_sdr_calls(desk, jane, settings):
    desk.sb.script(["503", "502"])
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/inbox")[0] == 503
    status, body = desk.as_sdr(SDR_KEY, "GET", "/sdr/inbox")
    assert status == 502 and "Bad Gateway" in body
    desk.sb.rate_limit(0.001)
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/inbox")[0] == 200
    assert desk.as_sdr(SDR_KEY, "GET", "/sdr/inbox")[0] == 429
    assert desk.as_sdr(SDR2_KEY, "GET", "/sdr/inbox")[0] == 200  # one bucket per key
