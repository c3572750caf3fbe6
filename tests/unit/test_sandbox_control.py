"""The control surface: its guard, switches, reset, state, and the management commands."""

import json

import pytest
from django.core.management import call_command

from sandbox.models import Campaign, Lead, Pool, Workspace
from sandbox.testing import ClientSandbox

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def sb(client, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    sandbox = ClientSandbox(client)
    sandbox.freeze()
    return sandbox


@pytest.mark.parametrize(
    "headers", [{}, {"X-Sandbox-Control-Token": "wrong"}, {"Authorization": "Bearer sk_test_sandbox"}]
)
def test_the_control_surface_refuses_a_missing_or_wrong_token(sb, headers):
    status, body = sb._call("GET", "/_control/state", headers=headers)
    assert status == 403


def test_the_control_token_also_works_as_a_bearer_token(sb, settings):
    headers = {"Authorization": f"Bearer {settings.SANDBOX_CONTROL_TOKEN}"}
    assert sb._call("GET", "/_control/state", headers=headers)[0] == 200


def test_an_empty_control_token_setting_disables_the_surface(sb, settings):
    settings.SANDBOX_CONTROL_TOKEN = ""
    assert sb._call("GET", "/_control/state", headers={"X-Sandbox-Control-Token": ""})[0] == 403


@pytest.mark.parametrize(
    "path,body",
    [
        ("faults", {"errorRat": 0.5}),
        ("faults", {"script": ["boom"]}),
        ("faults", {"script": "503"}),
        ("shapes", {"replies": "xml"}),
        ("shapes", {"nothing": "array"}),
        ("rates", {"replyRatio": 0.1}),
        ("clock", {"advanceDays": -1}),
        ("clock", {"advanceDays": "2"}),
        ("rate-limit", {"rps": "fast"}),
        ("reset", {"campaigns": -1}),
        ("reset", {"planets": 3}),
        ("faults", "not json"),
        ("faults", [1, 2]),
    ],
)
def test_bad_control_input_is_refused_with_a_reason(sb, path, body):
    status, answer = sb._call("POST", f"/_control/{path}", body, {"X-Sandbox-Control-Token": sb.token})
    assert status == 400
    assert answer["error"]


def test_shapes_merge_and_reset(sb):
    assert sb.shapes(replies="array")["shapes"]["replies"] == "array"
    merged = sb.shapes(sender_pools="guide")["shapes"]
    assert (merged["replies"], merged["sender-pools"]) == ("array", "guide")
    _, body = sb.api("GET", "/sender-pools")
    assert set(body) == {"pools"} and "senderCount" in body["pools"][0]
    cleared = sb.control("DELETE", "shapes")["shapes"]
    assert cleared["replies"] == "paginated"


def test_error_rate_one_fails_every_api_call_but_not_the_control_surface(sb):
    sb.faults(errorRate=1.0, errorStatuses=[503])
    assert sb.api("GET", "/sender-accounts")[0] == 503
    assert sb.state()["campaignCount"] == 0
    sb.clear_faults()
    assert sb.api("GET", "/sender-accounts")[0] == 200


def test_faults_can_target_some_paths_only(sb):
    sb.faults(errorRate=1.0, errorStatuses=[500], paths=r"/stats$")
    assert sb.api("GET", "/sender-accounts")[0] == 200
    assert sb.api("GET", "/campaigns/camp_X/stats")[0] == 500


def test_injected_429_carries_retry_after(sb):
    sb.faults(rateLimitRate=1.0, retryAfter=7)
    response = sb.raw("GET", "/v1/sender-accounts", headers={"Authorization": "Bearer sk_test_sandbox"})
    assert response.status_code == 429
    assert response["Retry-After"] == "7"


def test_a_dropped_answer_lies_about_its_length(sb):
    sb.script(["drop"])
    response = sb.raw("POST", "/v1/campaigns", {"name": "x"}, {"Authorization": "Bearer sk_test_sandbox"})
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) > len(body)
    assert sb.state()["campaignCount"] == 1


def test_the_script_is_consumed_in_order_then_the_dice_decide(sb):
    sb.script(["503", "ok", "500"])
    statuses = [sb.api("GET", "/sender-accounts")[0] for _ in range(4)]
    assert statuses == [503, 200, 500, 200]
    assert sb.control("GET", "faults")["script"] == []


def test_the_clock_moves_forward_and_its_speed_can_change(sb):
    before = sb.state()["now"]
    moved = sb.advance(days=2)
    assert moved["now"] > before
    assert sb.speed(120)["secondsPerDay"] == 120


def test_reset_seeds_pools_senders_and_running_campaigns(sb):
    state = sb.reset(seed=3, pools=4, senders=10, poolCapacity=500, campaigns=5, leads=20, steps=2)
    assert len(state["pools"]) == 4
    assert sum(len(p["senders"]) for p in state["pools"]) == 10
    assert [(c["status"], c["leads"], c["steps"]) for c in state["campaigns"]] == [("running", 20, 2)] * 5
    _, pools = sb.api("GET", "/sender-pools")
    assert all(p["dailyCapacity"] == 500 for p in pools)


def test_an_empty_reset_restores_the_default_workspace(sb):
    sb.reset(pools=1, senders=1, campaigns=2, leads=3)
    state = sb.reset()
    assert (state["campaignCount"], len(state["pools"])) == (0, 3)


def test_state_reports_pools_campaigns_and_deliveries(sb):
    sb.api("POST", "/campaigns", {"name": "A"})
    state = sb.state()
    assert state["campaignCount"] == 1
    assert state["campaigns"][0]["status"] == "draft"
    statuses = [s["status"] for p in state["pools"] for s in p["senders"]]
    assert {"active", "warming", "paused"} <= set(statuses)
    assert state["deliveries"] == {"pending": 0, "delivered": 0, "failed": 0}


def test_the_leads_view_needs_a_campaign_of_the_workspace(sb):
    status, body = sb._call(
        "GET", "/_control/leads?campaignId=camp_NOPE", headers={"X-Sandbox-Control-Token": sb.token}
    )
    assert status == 400


def test_the_leads_view_renders_every_step_for_a_lead_on_demand_as_it_sends_it(sb):
    steps = [
        {"subject": "Hi {{firstName}} {{ missing }}", "bodyHtml": "<p>{{company_html}} {{note}}</p>", "delayDays": 0},
        {"subject": "Again {{email}}", "bodyHtml": "<p>{{firstName}}</p>", "delayDays": 2},
    ]
    status, created = sb.api("POST", "/campaigns", {"name": "R", "sequenceSteps": steps})
    cid = (created.get("campaign") or created)["id"]
    lead = {"email": "A.B+x@Example.com", "firstName": "{{note}}", "customFields": {"company_html": "A &amp; B"}}
    lead["customFields"]["note"] = "<b>"
    assert sb.api("POST", f"/campaigns/{cid}/leads/bulk", {"leads": [lead]})[0] == 200
    [nothing_sent] = sb.leads(cid, email="a.b+x@example.com")
    assert nothing_sent["messages"] == []  # not started: nothing went out
    [rendered] = sb.leads(cid, email="a.b+x@example.com", every_step=True)
    assert rendered["messages"] == [
        {"subject": "Hi {{note}} ", "bodyHtml": "<p>A &amp; B <b></p>"},
        {"subject": "Again a.b+x@example.com", "bodyHtml": "<p>{{note}}</p>"},
    ]


# --- webhooks registration ---


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://ops.example.com/hook", True),
        ("http://127.0.0.1:9000/hook", True),
        ("http://localhost/hook", True),
        ("http://ops.example.com/hook", False),
        ("ftp://ops.example.com/hook", False),
        ("not a url", False),
    ],
)
def test_webhooks_need_https_except_on_loopback(sb, url, ok):
    status, body = sb.api("POST", "/webhooks", {"url": url, "events": ["message.sent"]})
    assert status == (201 if ok else 422), body
    if not ok:
        assert body["errors"][0]["field"] == "url"


@pytest.mark.parametrize(
    "payload", [{"url": "https://x.com"}, {"url": 5, "events": []}, {"url": "https://x.com", "events": [1]}, "[]"]
)
def test_a_malformed_webhook_is_invalid_request(sb, payload):
    status, body = sb.api("POST", "/webhooks", payload)
    assert (status, body["error"]["code"]) == (400, "invalid_request")


def test_a_webhook_needs_known_events(sb):
    status, body = sb.api("POST", "/webhooks", {"url": "https://x.com", "events": []})
    assert status == 422 and body["errors"][0]["field"] == "events"


# --- suppression ---


def test_suppression_counts_new_and_known_addresses(sb):
    _, first = sb.api("POST", "/suppression-list", {"emails": ["a@x.com", "B@x.com"]})
    assert first == {"result": {"suppressed": 2, "alreadySuppressed": 0, "total": 2}}
    sb.shapes(suppression_list="count")
    _, again = sb.api("POST", "/suppression-list", {"emails": ["b@x.com", "c@x.com"]})
    assert again == {"suppressed": 1}


@pytest.mark.parametrize("payload", [{"emails": "a@x.com"}, {"emails": ["a@x.com"] * 1001}, {"email": ["a@x.com"]}])
def test_a_malformed_suppression_is_invalid_request(sb, payload):
    status, body = sb.api("POST", "/suppression-list", payload)
    assert (status, body["error"]["code"]) == (400, "invalid_request")


def test_bad_addresses_are_named_by_index(sb):
    status, body = sb.api("POST", "/suppression-list", {"emails": ["ok@x.com", 5, "nope"]})
    assert status == 422
    assert [e["index"] for e in body["errors"]] == [1, 2]


# --- management commands ---


def test_sandbox_seed_creates_the_workspace_once(settings, capsys):
    call_command("sandbox_seed")
    call_command("sandbox_seed")
    assert Workspace.objects.using("sandbox").filter(api_key=settings.SANDBOX_API_KEY).count() == 1
    assert Pool.objects.using("sandbox").count() == 3
    assert "exists" in capsys.readouterr().out


def test_sandbox_reset_seeds_running_campaigns():
    call_command("sandbox_reset", "--seed", "7", "--campaigns", "3", "--leads", "4", "--pools", "2", "--senders", "5")
    assert Campaign.objects.using("sandbox").filter(status="running").count() == 3
    assert Lead.objects.using("sandbox").count() == 12
    assert Pool.objects.using("sandbox").count() == 2


def test_the_openapi_document_needs_no_login(client):
    response = client.get("/sandbox/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.")
