"""The Leadterra client against `responses`: every endpoint × every error class, what is
retried, and what every call carries and records. The Session never retries (urllib3 is told
not to); the client's own layer does, one rate-budget token and one call-log row an attempt
(the waits against a real server are in test_client_http.py)."""

import pytest
import requests
import responses

from campaigns import leadterra
from campaigns.leadterra import AuthFailed, Invalid, LeadterraError, NotFound, RateLimited, Transient
from campaigns.models import ApiCall
from tests.unit.test_client import BASE, KEY, POOL_BARE

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(leadterra_client):
    return leadterra_client


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
# GETs: attempts made (urllib3's old policy: 3 retries on these statuses, 2 after no answer).
GET_ATTEMPTS = {"429": 4, "500": 4, "502-html": 4, "503-empty": 4, "timeout": 3, "dropped": 3}


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
    attempts = GET_ATTEMPTS.get(error, 1) if method == "GET" else 1
    assert len(responses.calls) == attempts, "GETs are retried, POSTs never"
    assert ApiCall.objects.count() == attempts, "one call-log row an attempt"
    if error == "422":
        assert raised.value.errors[0]["index"] == 0
    if error == "429":
        assert raised.value.retry_after == 7


@responses.activate
def test_a_get_is_retried_until_it_succeeds(client, retry_waits):
    responses.get(f"{BASE}/v1/sender-pools", status=503)
    responses.get(f"{BASE}/v1/sender-pools", status=429, headers={"Retry-After": "1"}, json=err("rate_limited"))
    responses.get(f"{BASE}/v1/sender-pools", json=POOL_BARE)
    assert client.list_sender_pools()[0].id == "pool_1"
    assert len(responses.calls) == 3
    assert retry_waits == [0.0, 1.0]  # no wait before the first retry; then Leadterra's Retry-After
    rows = list(ApiCall.objects.order_by("id").values_list("status_code", "error_code"))
    assert rows == [(503, "http_503"), (429, "rate_limited"), (200, "")]


@responses.activate
def test_every_attempt_takes_its_own_token_from_the_shared_budget(client, monkeypatch):
    from campaigns import ratelimit

    tokens, penalties = [], []
    monkeypatch.setattr(ratelimit, "acquire", lambda: tokens.append(1))
    monkeypatch.setattr(ratelimit, "penalize", penalties.append)
    responses.get(f"{BASE}/v1/campaigns/camp_1/stats", status=502)
    responses.get(f"{BASE}/v1/campaigns/camp_1/stats", status=429, headers={"Retry-After": "2"})
    responses.get(f"{BASE}/v1/campaigns/camp_1/stats", body=requests.exceptions.ConnectionError("reset"))
    responses.get(f"{BASE}/v1/campaigns/camp_1/stats", json={"campaignId": "camp_1", "sent": 3})
    assert client.get_stats("camp_1").sent == 3
    assert len(tokens) == len(responses.calls) == ApiCall.objects.count() == 4
    assert penalties == [2.0], "each 429 slows every worker down at once, retried or not"


@responses.activate
def test_backoff_grows_between_retries_without_retry_after(client, retry_waits):
    responses.get(f"{BASE}/v1/replies", status=500)
    with pytest.raises(Transient):
        client.list_replies()
    first, second, third = retry_waits
    assert first == 0.0 and 0.6 <= second <= 0.9 and 1.2 <= third <= 1.5


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
        *[("GET /v1/replies", None, "timeout")] * 3,  # a GET is tried three times when no answer comes
    ]


def test_each_thread_gets_its_own_session():
    import threading

    seen = []
    thread = threading.Thread(target=lambda: seen.append(leadterra._session()))
    thread.start()
    thread.join()
    assert seen[0] is not leadterra._session()
    assert leadterra._session() is leadterra._session()
