"""The sandbox's API: auth, errors, lifecycle, enrollment, idempotency, rate limit."""

import pytest

from sandbox.testing import ClientSandbox

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

STEPS = [
    {"subject": "Hi {{firstName}}", "bodyHtml": "<p>{{company}}</p>", "delayDays": 0},
    {"subject": "Again", "bodyHtml": "<p>bump</p>", "delayDays": 2},
]


@pytest.fixture
def sb(client, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    sandbox = ClientSandbox(client)
    sandbox.freeze()
    return sandbox


def new_campaign(sb, steps=STEPS, leads=0):
    status, body = sb.api("POST", "/campaigns", {"name": "Q3 outreach", "sequenceSteps": steps})
    assert status == 201, body
    if leads:
        people = [{"email": f"p{i}@example.com", "firstName": f"P{i}"} for i in range(leads)]
        assert sb.api("POST", f"/campaigns/{body['id']}/leads/bulk", {"leads": people})[0] == 200
    return body["id"]


# --- auth ---


def test_it_refuses_a_request_without_a_key(sb):
    status, body = sb._call("GET", "/v1/sender-pools")
    assert status == 401
    assert body["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("header", ["Bearer sk_test_wrong", "Basic abc", "Bearer", "sk_test_sandbox"])
def test_it_refuses_a_wrong_or_malformed_key(sb, header):
    status, body = sb._call("GET", "/v1/sender-pools", headers={"Authorization": header})
    assert (status, body["error"]["code"]) == (401, "authentication_failed")


def test_a_key_of_a_deleted_workspace_answers_workspace_not_found(sb):
    sb.control("POST", "workspace", {"deleted": True})
    status, body = sb.api("GET", "/sender-pools")
    assert (status, body["error"]["code"]) == (404, "workspace_not_found")


# --- create ---


def test_creating_a_campaign_answers_201_with_a_draft(sb):
    status, body = sb.api("POST", "/campaigns", {"name": "Q3", "sequenceSteps": STEPS})
    assert status == 201
    assert body["id"].startswith("camp_")
    assert body["status"] == "draft"
    assert body["sequenceSteps"] == STEPS
    assert body["createdAt"].endswith("Z")


@pytest.mark.parametrize(
    "payload",
    [
        "{not json",
        "[]",
        '"a string"',
        {"sequenceSteps": []},
        {"name": ""},
        {"name": 5},
        {"name": "x", "sequenceSteps": "nope"},
        {"name": "x", "sequenceSteps": [{"subject": "s"}]},
        {"name": "x", "sequenceSteps": [{"subject": "s", "bodyHtml": "b", "delayDays": "2"}]},
        {"name": "x", "sequenceSteps": [{"subject": "s", "bodyHtml": "b", "delayDays": True}]},
        {"name": "x", "sequenceSteps": [{"subject": "s", "bodyHtml": "b", "extra": 1}]},
        {"name": "x", "status": "running"},
    ],
)
def test_creating_with_a_bad_body_is_invalid_request(sb, payload):
    status, body = sb.api("POST", "/campaigns", payload)
    assert (status, body["error"]["code"]) == (400, "invalid_request"), body


def test_a_wrong_method_is_405_in_json(sb):
    status, body = sb.api("GET", "/campaigns")
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")


def test_an_unknown_path_is_json_404(sb):
    status, body = sb.api("GET", "/nothing/here")
    assert (status, body["error"]["code"]) == (404, "not_found")


# --- leads ---


def test_enrolling_upserts_by_email_and_reports_counts(sb):
    cid = new_campaign(sb)
    status, body = sb.api(
        "POST", f"/campaigns/{cid}/leads/bulk", {"leads": [{"email": "A@x.com"}, {"email": "b@x.com"}]}
    )
    assert (status, body) == (200, {"enrolled": 2, "updated": 0, "total": 2, "skipped": 0})
    status, body = sb.api(
        "POST",
        f"/campaigns/{cid}/leads/bulk",
        {"leads": [{"email": "a@X.com", "company": "Acme"}, {"email": "c@x.com"}]},
    )
    assert body == {"enrolled": 1, "updated": 1, "total": 2, "skipped": 0}


def test_an_update_keeps_omitted_fields_and_merges_custom_fields(sb):
    cid = new_campaign(sb)
    lead = {"email": "a@x.com", "firstName": "Ada", "customFields": {"city": "Paris", "team": "Ops"}}
    sb.api("POST", f"/campaigns/{cid}/leads/bulk", {"leads": [lead]})
    sb.api("POST", f"/campaigns/{cid}/leads/bulk", {"leads": [{"email": "a@x.com", "customFields": {"city": "Rome"}}]})
    fields = sb.leads(cid)[0]["fields"]
    assert fields["firstName"] == "Ada"
    assert fields["customFields"] == {"city": "Rome", "team": "Ops"}


def test_suppressed_addresses_are_skipped_at_enrollment(sb):
    cid = new_campaign(sb)
    sb.api("POST", "/suppression-list", {"emails": ["no@x.com"]})
    status, body = sb.api(
        "POST", f"/campaigns/{cid}/leads/bulk", {"leads": [{"email": "NO@x.com"}, {"email": "y@x.com"}]}
    )
    assert body == {"enrolled": 1, "updated": 0, "total": 2, "skipped": 1}


def test_a_bad_lead_rejects_the_whole_request_naming_each_item(sb):
    cid = new_campaign(sb)
    leads = [
        {"email": "ok@x.com"},
        {"email": "not-an-email"},
        "a string",
        {"email": "ok2@x.com", "firstName": 7},
        {"email": "ok3@x.com", "customFields": {"deep": {"x": 1}}},
        {"email": "ok4@x.com", "extra": [1, 2]},
        {"firstName": "no email"},
    ]
    status, body = sb.api("POST", f"/campaigns/{cid}/leads/bulk", {"leads": leads})
    assert status == 422
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "email"),
        (2, None),
        (3, "firstName"),
        (4, "customFields"),
        (5, "extra"),
        (6, "email"),
    ]
    assert sb.state()["campaigns"][0]["leads"] == 0


@pytest.mark.parametrize("payload", [{"leads": "x"}, {"people": []}, {"leads": [{"email": "a@x.com"}] * 1001}, "[1]"])
def test_a_malformed_enrollment_is_invalid_request(sb, payload):
    cid = new_campaign(sb)
    status, body = sb.api("POST", f"/campaigns/{cid}/leads/bulk", payload)
    assert (status, body["error"]["code"]) == (400, "invalid_request")


@pytest.mark.parametrize(
    "method,path", [("POST", "/leads/bulk"), ("POST", "/start"), ("POST", "/pause"), ("GET", "/stats")]
)
def test_an_unknown_campaign_is_campaign_not_found(sb, method, path):
    status, body = sb.api(method, f"/campaigns/camp_NOPE{path}", {"leads": []} if "bulk" in path else None)
    assert (status, body["error"]["code"]) == (404, "campaign_not_found")


# --- start / pause ---


def test_start_checks_steps_before_leads(sb):
    cid = new_campaign(sb, steps=[])
    status, body = sb.api("POST", f"/campaigns/{cid}/start")
    assert (status, body["error"]["code"]) == (400, "no_sequence_steps")


def test_start_refuses_a_campaign_without_leads(sb):
    cid = new_campaign(sb)
    status, body = sb.api("POST", f"/campaigns/{cid}/start")
    assert (status, body["error"]["code"]) == (400, "no_leads_enrolled")


def test_start_runs_and_a_second_start_is_a_no_op(sb):
    cid = new_campaign(sb, leads=3)
    status, first = sb.api("POST", f"/campaigns/{cid}/start")
    assert status == 200 and first["status"] == "running" and first["id"] == cid
    sb.advance(hours=1)
    status, again = sb.api("POST", f"/campaigns/{cid}/start")
    assert status == 200 and again == first


def test_pause_of_a_draft_or_paused_campaign_is_a_no_op(sb):
    cid = new_campaign(sb, leads=1)
    status, body = sb.api("POST", f"/campaigns/{cid}/pause")
    assert (status, body["status"], body["pausedAt"]) == (200, "draft", None)
    sb.api("POST", f"/campaigns/{cid}/start")
    _, paused = sb.api("POST", f"/campaigns/{cid}/pause")
    assert paused["status"] == "paused" and paused["pausedAt"]
    sb.advance(hours=1)
    assert sb.api("POST", f"/campaigns/{cid}/pause")[1] == paused


def test_start_and_pause_refuse_a_body_with_fields(sb):
    cid = new_campaign(sb, leads=1)
    status, body = sb.api("POST", f"/campaigns/{cid}/start", {"force": True})
    assert (status, body["error"]["code"]) == (400, "invalid_request")


# --- idempotency and rate limit ---


def test_a_repeated_idempotency_key_replays_the_first_answer(sb):
    payload = {"name": "once", "sequenceSteps": STEPS}
    first = sb.api("POST", "/campaigns", payload, **{"Idempotency-Key": "k-1"})
    second = sb.api("POST", "/campaigns", payload, **{"Idempotency-Key": "k-1"})
    assert first == second
    assert sb.state()["campaignCount"] == 1
    third = sb.api("POST", "/campaigns", payload, **{"Idempotency-Key": "k-2"})
    assert third[1]["id"] != first[1]["id"]


def test_a_replayed_answer_is_marked(sb):
    headers = {"Authorization": "Bearer sk_test_sandbox", "Idempotency-Key": "k-9"}
    sb.raw("POST", "/v1/campaigns", {"name": "x"}, headers)
    replay = sb.raw("POST", "/v1/campaigns", {"name": "x"}, headers)
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"


def test_the_rate_limit_answers_429_with_retry_after(sb, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 3
    statuses = [
        sb.raw("GET", "/v1/sender-accounts", headers={"Authorization": "Bearer sk_test_sandbox"}) for _ in range(6)
    ]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert int(limited[0]["Retry-After"]) >= 1
    assert limited[0].json()["error"]["code"] == "rate_limited"
