"""The Leadterra client against `responses`: every endpoint, every documented variant,
every error class. `responses` goes through requests' real HTTPAdapter, so urllib3's
Retry decides what is retried (it does not sleep: the timing is in test_client_http.py)."""

import json

import pytest
import requests
import responses

from campaigns import leadterra
from campaigns.leadterra import (
    AuthFailed,
    Invalid,
    LeadterraError,
    NotFound,
    RateLimited,
    StepData,
    Transient,
)
from campaigns.models import ApiCall

BASE = "https://lt.example.test"
KEY = "sk_live_secret_key_123"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def client_settings(settings):
    settings.LEADTERRA_API_BASE = BASE
    settings.LEADTERRA_API_KEY = KEY
    settings.LEADTERRA_MAX_RPS = 0


@pytest.fixture
def client():
    return leadterra.get_client()


POOL_BARE = [
    {"id": "pool_1", "name": "Main", "dailyCapacity": 500, "remainingVolume": 120, "senderAccountIds": ["sa_1", "sa_2"]}
]
POOL_QUICKSTART = {
    "senderPools": [{"id": "pool_1", "name": "Main", "dailyCapacity": 500, "remainingToday": 120, "senderCount": 2}]
}
POOL_GUIDE = {
    "pools": [{"id": "pool_1", "name": "Main", "dailyCapacity": 500, "remainingVolume": 120, "senderCount": 2}]
}


@responses.activate
@pytest.mark.parametrize("body", [POOL_BARE, POOL_QUICKSTART, POOL_GUIDE], ids=["bare", "senderPools", "pools"])
def test_it_reads_sender_pools_in_every_documented_shape(client, body):
    responses.get(f"{BASE}/v1/sender-pools", json=body)
    [pool] = client.list_sender_pools()
    assert (pool.id, pool.name, pool.daily_capacity, pool.remaining, pool.sender_count) == (
        "pool_1",
        "Main",
        500,
        120,
        2,
    )


@responses.activate
@pytest.mark.parametrize("wrap", [lambda x: x, lambda x: {"data": x}], ids=["bare", "data"])
def test_it_reads_sender_accounts_in_both_envelopes_and_keeps_unknown_statuses(client, wrap):
    accounts = [
        {"id": "sa_1", "email": "a@x.io", "name": "A", "status": "active"},
        {"id": "sa_2", "email": "b@x.io", "name": "B", "status": "suspended_by_ops"},
    ]
    responses.get(f"{BASE}/v1/sender-accounts", json=wrap(accounts))
    result = client.list_sender_accounts()
    assert [(a.id, a.status) for a in result] == [("sa_1", "active"), ("sa_2", "suspended_by_ops")]


CAMPAIGN = {
    "id": "camp_01HX",
    "name": "Q3",
    "status": "draft",
    "createdAt": "2025-06-10T14:22:07.123Z",
    "sequenceSteps": [{"subject": "Hi", "bodyHtml": "<p>x</p>", "delayDays": 0}],
}


@responses.activate
@pytest.mark.parametrize(
    "body", [CAMPAIGN, {"campaign": CAMPAIGN}, {**CAMPAIGN, "stepCount": 1}], ids=["flat", "wrapped", "stepCount"]
)
def test_it_creates_a_campaign_with_an_idempotency_key(client, body):
    responses.post(f"{BASE}/v1/campaigns", json=body, status=201)
    steps = [StepData(subject="Hi", body_html="<p>x</p>", delay_days=0), StepData("Again", "<p>y</p>", 3)]
    created = client.create_campaign(name="Q3", steps=steps, idempotency_key="key-1")
    assert (created.id, created.status, created.step_count) == ("camp_01HX", "draft", 1)
    assert created.created_at.year == 2025
    request = responses.calls[0].request
    assert request.headers["Idempotency-Key"] == "key-1"
    assert json.loads(request.body) == {
        "name": "Q3",
        "sequenceSteps": [
            {"subject": "Hi", "bodyHtml": "<p>x</p>", "delayDays": 0},
            {"subject": "Again", "bodyHtml": "<p>y</p>", "delayDays": 3},
        ],
    }


@responses.activate
@pytest.mark.parametrize(
    "body, expected",
    [
        ({"enrolled": 3, "updated": 1, "total": 4}, (3, 1, 4, 0)),
        ({"enrolled": 2, "updated": 0, "total": 3, "skipped": 1}, (2, 0, 3, 1)),
    ],
    ids=["reference", "guide-with-skipped"],
)
def test_it_enrolls_leads_and_reads_the_counts(client, body, expected):
    responses.post(f"{BASE}/v1/campaigns/camp_1/leads/bulk", json=body)
    result = client.enroll_leads("camp_1", [{"email": "a@x.io"}], idempotency_key="chunk-1")
    assert (result.enrolled, result.updated, result.total, result.skipped) == expected
    assert json.loads(responses.calls[0].request.body) == {"leads": [{"email": "a@x.io"}]}
    assert responses.calls[0].request.headers["Idempotency-Key"] == "chunk-1"


@responses.activate
def test_it_starts_and_pauses_a_campaign(client):
    responses.post(
        f"{BASE}/v1/campaigns/camp_1/start",
        json={"id": "camp_1", "status": "running", "startedAt": "2025-06-10T14:22:07Z"},
    )
    responses.post(
        f"{BASE}/v1/campaigns/camp_1/pause",
        json={"id": "camp_1", "status": "paused", "pausedAt": "2025-06-10T15:00:00Z"},
    )
    started, paused = client.start_campaign("camp_1"), client.pause_campaign("camp_1")
    assert (started.status, started.at.hour) == ("running", 14)
    assert (paused.status, paused.at.hour) == ("paused", 15)


@responses.activate
def test_it_reads_stats(client):
    responses.get(
        f"{BASE}/v1/campaigns/camp_1/stats",
        json={
            "campaignId": "camp_1",
            "totalEnrolled": 10,
            "sent": 8,
            "delivered": 7,
            "bounced": 1,
            "replied": 2,
            "queued": 2,
            "openRate": 0.5,
            "replyRate": 0.28,
        },
    )
    stats = client.get_stats("camp_1")
    assert (stats.total_enrolled, stats.sent, stats.delivered, stats.bounced, stats.replied, stats.queued) == (
        10,
        8,
        7,
        1,
        2,
        2,
    )
    assert (stats.open_rate, stats.reply_rate) == (0.5, 0.28)


REPLY = {
    "id": "rpl_1",
    "email": "a@x.io",
    "campaignId": "camp_1",
    "classification": "referral",
    "receivedAt": "2025-06-10T14:22:07Z",
    "threadSnippet": "Talk to Bob",
}


@responses.activate
@pytest.mark.parametrize(
    "body, total, has_more",
    [
        ([REPLY], None, False),
        ({"data": [REPLY]}, None, False),
        ({"replies": [REPLY], "pagination": {"total": 3, "page": 1, "perPage": 1}}, 3, True),
    ],
    ids=["bare", "data", "paginated"],
)
def test_it_reads_replies_in_every_envelope_and_keeps_unknown_classifications(client, body, total, has_more):
    responses.get(f"{BASE}/v1/replies", json=body)
    page = client.list_replies(campaign_id="camp_1", page=1, per_page=1 if total else 50)
    [reply] = page.replies
    assert (reply.id, reply.classification, reply.snippet, reply.campaign_id) == (
        "rpl_1",
        "referral",
        "Talk to Bob",
        "camp_1",
    )
    assert (page.total, page.has_more) == (total, has_more)
    assert responses.calls[0].request.params["campaignId"] == "camp_1"
    assert responses.calls[0].request.params["perPage"] == ("1" if total else "50")


@responses.activate
@pytest.mark.parametrize(
    "body, expected",
    [
        ({"suppressed": 2}, (2, None, None)),
        ({"result": {"suppressed": 1, "alreadySuppressed": 1, "total": 2}}, (1, 1, 2)),
    ],
    ids=["count", "result"],
)
def test_it_suppresses_emails_in_both_answer_shapes(client, body, expected):
    responses.post(f"{BASE}/v1/suppression-list", json=body)
    result = client.suppress(["a@x.io", "b@x.io"])
    assert (result.suppressed, result.already_suppressed, result.total) == expected


def test_it_refuses_more_than_a_thousand_emails_in_one_request(client):
    with pytest.raises(ValueError, match="1,000"):
        client.suppress([f"{i}@x.io" for i in range(1001)])


WEBHOOK = {
    "id": "wh_1",
    "url": "https://ops.example.com/hooks",
    "events": ["reply.received"],
    "status": "active",
    "createdAt": "2025-06-10T14:22:07Z",
}


@responses.activate
@pytest.mark.parametrize("body", [WEBHOOK, {"webhook": WEBHOOK}], ids=["flat", "wrapped"])
def test_it_registers_a_webhook(client, body):
    responses.post(f"{BASE}/v1/webhooks", json=body, status=201)
    hook = client.register_webhook(url=WEBHOOK["url"], events=["reply.received"])
    assert (hook.id, hook.status, hook.events) == ("wh_1", "active", ("reply.received",))


# --- every endpoint × every error class ------------------------------------------

ENDPOINTS = {
    "pools": ("GET", "/v1/sender-pools", lambda c: c.list_sender_pools()),
    "accounts": ("GET", "/v1/sender-accounts", lambda c: c.list_sender_accounts()),
    "create": ("POST", "/v1/campaigns", lambda c: c.create_campaign(name="x", steps=[], idempotency_key="k")),
    "enroll": ("POST", "/v1/campaigns/camp_1/leads/bulk", lambda c: c.enroll_leads("camp_1", [{"email": "a@x"}])),
    "start": ("POST", "/v1/campaigns/camp_1/start", lambda c: c.start_campaign("camp_1")),
    "pause": ("POST", "/v1/campaigns/camp_1/pause", lambda c: c.pause_campaign("camp_1")),
    "stats": ("GET", "/v1/campaigns/camp_1/stats", lambda c: c.get_stats("camp_1")),
    "replies": ("GET", "/v1/replies", lambda c: c.list_replies()),
    "suppress": ("POST", "/v1/suppression-list", lambda c: c.suppress(["a@x.io"])),
    "webhook": ("POST", "/v1/webhooks", lambda c: c.register_webhook(url="https://x", events=[])),
}


def err(code, message="nope", **extra):
    return {"error": {"code": code, "message": message}, **extra}


ERRORS = {
    "401": (
        dict(status=401, json=err("authentication_failed", "Invalid API key")),
        AuthFailed,
        "authentication_failed",
        "LEADTERRA_API_KEY",
    ),
    "404-workspace": (
        dict(status=404, json=err("workspace_not_found")),
        NotFound,
        "workspace_not_found",
        "belongs to no workspace",
    ),
    "404-campaign": (
        dict(status=404, json=err("campaign_not_found")),
        NotFound,
        "campaign_not_found",
        "no longer exists",
    ),
    "400": (
        dict(status=400, json=err("invalid_request", "name is required")),
        Invalid,
        "invalid_request",
        "name is required",
    ),
    "400-no-leads": (
        dict(status=400, json=err("no_leads_enrolled", "Enroll leads first")),
        Invalid,
        "no_leads_enrolled",
        "Enroll leads first",
    ),
    "422": (
        dict(
            status=422,
            json=err("validation_failed", errors=[{"index": 0, "field": "email", "message": "not an email"}]),
        ),
        Invalid,
        "validation_failed",
        "item 0 (email): not an email",
    ),
    "429": (
        dict(status=429, json=err("rate_limited"), headers={"Retry-After": "7"}),
        RateLimited,
        "rate_limited",
        "retried in 7 s",
    ),
    "500": (dict(status=500, json=err("internal_error")), Transient, "internal_error", "server error (500)"),
    "502-html": (
        dict(status=502, body="<html><body>Bad Gateway</body></html>", content_type="text/html"),
        Transient,
        "http_502",
        "non-JSON body (text/html)",
    ),
    "503-empty": (dict(status=503, body=""), Transient, "http_503", "server error (503)"),
    "403-other": (
        dict(status=403, json=err("forbidden", "Plan does not allow this")),
        LeadterraError,
        "forbidden",
        "Plan does not allow this",
    ),
    "timeout": (dict(body=requests.exceptions.ReadTimeout("read timed out")), Transient, "timeout", "in time"),
    "dropped": (
        dict(body=requests.exceptions.ConnectionError("Connection aborted")),
        Transient,
        "connection_error",
        "Could not reach",
    ),
}
GET_RETRIED = {"429", "500", "502-html", "503-empty"}


@responses.activate
@pytest.mark.parametrize("error", ERRORS, ids=list(ERRORS))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=list(ENDPOINTS))
def test_every_endpoint_turns_every_failure_into_its_typed_error(client, endpoint, error):
    method, path, call = ENDPOINTS[endpoint]
    mock, error_class, code, words = ERRORS[error]
    responses.add(method, BASE + path, **mock)
    with pytest.raises(error_class) as raised:
        call(client)
    assert type(raised.value) is error_class
    assert raised.value.code == code
    assert words in raised.value.message
    assert KEY not in str(raised.value)
    retried = method == "GET" and error in GET_RETRIED
    assert len(responses.calls) == (4 if retried else 1), "GETs are retried by urllib3, POSTs never"
    if error == "422":
        assert raised.value.errors[0]["index"] == 0
    if error == "429":
        assert raised.value.retry_after == 7


@responses.activate
def test_a_get_is_retried_until_it_succeeds(client):
    responses.get(f"{BASE}/v1/sender-pools", status=503)
    responses.get(f"{BASE}/v1/sender-pools", status=429, headers={"Retry-After": "1"}, json=err("rate_limited"))
    responses.get(f"{BASE}/v1/sender-pools", json=POOL_BARE)
    assert client.list_sender_pools()[0].id == "pool_1"
    assert len(responses.calls) == 3


@responses.activate
def test_a_post_that_failed_is_not_replayed_by_the_http_layer(client):
    responses.post(f"{BASE}/v1/campaigns/camp_1/start", status=503)
    responses.post(f"{BASE}/v1/campaigns/camp_1/start", json={"id": "camp_1", "status": "running"})
    with pytest.raises(Transient):
        client.start_campaign("camp_1")
    assert len(responses.calls) == 1


@responses.activate
def test_a_2xx_that_is_not_json_is_a_clear_transient_error(client):
    responses.get(f"{BASE}/v1/sender-pools", body="<html>Login to the Wi-Fi</html>", content_type="text/html")
    with pytest.raises(Transient, match="non-JSON body"):
        client.list_sender_pools()


@responses.activate
def test_an_unknown_shape_is_a_permanent_error_that_names_the_setting(client):
    responses.get(f"{BASE}/v1/sender-pools", json={"surprise": True})
    with pytest.raises(LeadterraError, match="LEADTERRA_API_BASE") as raised:
        client.list_sender_pools()
    assert not isinstance(raised.value, Transient)


@responses.activate
def test_every_request_carries_auth_user_agent_and_timeouts(client, settings):
    settings.LEADTERRA_CONNECT_TIMEOUT, settings.LEADTERRA_READ_TIMEOUT = 1.5, 4.0
    responses.get(f"{BASE}/v1/sender-pools", json=[])
    client.list_sender_pools()
    request = responses.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["User-Agent"].startswith("leadterra-ops/")
    assert request.req_kwargs["timeout"] == (1.5, 4.0)


@responses.activate
def test_settings_are_read_at_call_time(client, settings):
    responses.get("https://elsewhere.test/sandbox/v1/sender-pools", json=[])
    settings.LEADTERRA_API_BASE = "https://elsewhere.test/sandbox/"
    assert client.list_sender_pools() == []


@responses.activate
def test_the_api_key_is_redacted_even_when_leadterra_echoes_it(client, caplog):
    responses.post(f"{BASE}/v1/campaigns/camp_1/start", status=401, json=err("authentication_failed", f"bad {KEY}"))
    with pytest.raises(AuthFailed) as raised:
        client.start_campaign("camp_1")
    assert KEY not in raised.value.message
    assert "[redacted]" in raised.value.message
    assert KEY not in caplog.text


@responses.activate
def test_every_call_is_written_to_the_call_log_with_its_endpoint_template(client):
    responses.post(f"{BASE}/v1/campaigns/camp_9/start", json={"id": "camp_9", "status": "running"})
    responses.post(f"{BASE}/v1/campaigns/camp_9/pause", status=404, json=err("campaign_not_found"))
    responses.get(f"{BASE}/v1/replies", body=requests.exceptions.ConnectTimeout("slow"))
    client.start_campaign("camp_9")
    with pytest.raises(NotFound):
        client.pause_campaign("camp_9")
    with pytest.raises(Transient):
        client.list_replies()
    rows = list(ApiCall.objects.order_by("id").values_list("endpoint", "status_code", "error_code"))
    assert rows == [
        ("POST /v1/campaigns/:id/start", 200, ""),
        ("POST /v1/campaigns/:id/pause", 404, "campaign_not_found"),
        ("GET /v1/replies", None, "timeout"),
    ]


def test_each_thread_gets_its_own_session():
    import threading

    seen = []
    thread = threading.Thread(target=lambda: seen.append(leadterra._session()))
    thread.start()
    thread.join()
    assert seen[0] is not leadterra._session()
    assert leadterra._session() is leadterra._session()
