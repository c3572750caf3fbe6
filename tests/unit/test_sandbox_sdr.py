"""The sandbox's SDR area: who may act on what, the ICP gate, forwarding twice, inbox filters and order,
drafts, guardrails, non-idempotent sends, the follow-up rule on the accelerated clock, Gmail health."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from sandbox.models import Sdr
from sandbox.testing import ClientSandbox
from tests.sdr_helpers import FORMER_KEY, LEADS, SDR2_KEY, SDR_KEY, make_desk

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def sb(client, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    sandbox = ClientSandbox(client)
    sandbox.freeze()
    return sandbox


@pytest.fixture
def desk(sb):
    return make_desk(sb)


def inbox(desk, key=SDR_KEY, query=""):
    status, body = desk.as_sdr(key, "GET", "/sdr/inbox" + query)
    assert status == 200, body
    return body["data"]


# --- SDRs and keys ---


def test_the_seeded_sdrs_are_the_demo_users_and_only_active_ones_are_listed(desk):
    status, body = desk.sb.api("GET", "/sdrs")
    assert status == 200
    assert sorted(s["id"] for s in body["data"]) == sorted([desk.sdrs[SDR_KEY], desk.sdrs[SDR2_KEY]])
    assert desk.sdrs[FORMER_KEY] not in {s["id"] for s in body["data"]}


def test_a_personal_key_acts_only_for_its_sdr_and_only_on_sdr_calls(desk):
    assert desk.as_sdr(SDR_KEY, "GET", "/sender-pools")[0] == 401
    assert desk.as_sdr(SDR_KEY, "GET", "/sdrs")[0] == 401
    assert desk.as_sdr(FORMER_KEY, "GET", "/sdr/inbox")[0] == 401
    assert desk.as_sdr("sk_test_sdr_nobody", "GET", "/sdr/inbox")[0] == 401
    status, body = desk.sb.api("GET", "/sdr/inbox")
    assert (status, body["error"]["code"]) == (401, "authentication_failed")
    assert "personal key" in body["error"]["message"]


# --- hand-off ---


def test_assigning_opens_a_thread_in_that_sdrs_inbox_only(desk):
    thread = desk.thread("jane@acme.com", SDR2_KEY, category="A", note="Wants pricing")
    [item] = inbox(desk, SDR2_KEY)["threads"]
    assert item["id"] == thread
    assert (item["contactEmail"], item["contactName"], item["status"], item["category"]) == (
        "jane@acme.com",
        "Jane Doe",
        "new",
        "A",
    )
    assert item["subject"] == "Re: Quick question, Jane"
    assert inbox(desk, SDR_KEY)["threads"] == []


@pytest.mark.parametrize(
    "icp,reason",
    [
        ({"seniority": "intern", "employeeCount": 500}, "seniority 'intern'"),
        ({"seniority": "director", "employeeCount": 9}, "employeeCount 9 is below 10"),
        ({"employeeCount": 50}, "seniority is missing"),
        ({"seniority": "c_level"}, "employeeCount is missing"),
    ],
)
def test_the_icp_gate_refuses_with_icp_failed_and_opens_nothing(desk, icp, reason):
    status, body = desk.sb.api(
        "POST", f"/replies/{desk.replies['jane@acme.com']}/assign", {"sdrId": desk.sdrs[SDR_KEY], **icp}
    )
    assert (status, body["icpFailed"], body["error"]["code"]) == (400, True, "icp_failed")
    assert any(reason in r for r in body["icpReasons"]), body
    assert inbox(desk)["total"] == 0


@pytest.mark.parametrize(
    "icp", [{"seniority": "Manager", "employeeCount": 10}, {"seniority": "vp", "employeeCount": 10**5}]
)
def test_the_icp_gate_lets_decision_makers_of_ten_or_more_through(desk, icp):
    status, body = desk.sb.api(
        "POST", f"/replies/{desk.replies['jane@acme.com']}/assign", {"sdrId": desk.sdrs[SDR_KEY], **icp}
    )
    assert status == 200, body


def test_skip_icp_check_needs_no_icp_fields(desk):
    status, body = desk.sb.api(
        "POST", f"/replies/{desk.replies['jane@acme.com']}/assign", {"sdrId": desk.sdrs[SDR_KEY], "skipIcpCheck": True}
    )
    assert status == 200, body


@pytest.mark.parametrize(
    "body,says",
    [
        ({}, "sdrId is required"),
        ({"sdrId": ""}, "sdrId is required"),
        ({"sdrId": "sdr_NOPE"}, "not an active SDR"),
        ({"sdrId": "former"}, "not an active SDR"),
        ({"sdrId": "SDR", "category": "D"}, "category"),
        ({"sdrId": "SDR", "employeeCount": "12"}, "employeeCount"),
        ({"sdrId": "SDR", "forceForward": "yes"}, "forceForward"),
        ({"sdrId": "SDR", "cc": "a@b.c"}, "cc"),
    ],
)
def test_a_bad_assignment_is_a_400_naming_the_problem(desk, body, says):
    body = {**body, "skipIcpCheck": body.get("skipIcpCheck", True)}
    if body.get("sdrId") == "former":
        body["sdrId"] = desk.sdrs[FORMER_KEY]
    if body.get("sdrId") == "SDR":
        body["sdrId"] = desk.sdrs[SDR_KEY]
    status, answer = desk.sb.api("POST", f"/replies/{desk.replies['jane@acme.com']}/assign", body)
    assert (status, answer["error"]["code"]) == (400, "invalid_request")
    assert says in answer["error"]["message"]


def test_a_second_forward_is_409_naming_who_has_it_and_force_forward_moves_it(desk):
    first = desk.thread("jane@acme.com", SDR_KEY)
    status, body = desk.assign("jane@acme.com", SDR2_KEY)
    assert (status, body["error"]["code"]) == (409, "already_forwarded")
    assert body["assignedTo"] == {
        "sdrId": desk.sdrs[SDR_KEY],
        "name": "Sam Rivera",
        "email": body["assignedTo"]["email"],
    }
    assert "Sam Rivera" in body["error"]["message"]
    assert body["threadId"] == first
    assert inbox(desk, SDR2_KEY)["total"] == 0
    moved = desk.thread("jane@acme.com", SDR2_KEY, forceForward=True)
    assert moved != first
    assert [t["id"] for t in inbox(desk, SDR2_KEY)["threads"]] == [moved]
    assert [(t["id"], t["status"]) for t in inbox(desk, SDR_KEY)["threads"]] == [(first, "archived")]
    status, body = desk.assign("jane@acme.com", SDR_KEY)  # a third forward names the new holder
    assert body["assignedTo"]["sdrId"] == desk.sdrs[SDR2_KEY]


def test_assigning_an_unknown_reply_is_404(desk):
    status, body = desk.sb.api("POST", "/replies/rpl_NOPE/assign", {"sdrId": desk.sdrs[SDR_KEY], "skipIcpCheck": True})
    assert (status, body["error"]["code"]) == (404, "reply_not_found")


# --- inbox ---


def test_the_inbox_filters_by_status_category_and_search(desk):
    jane = desk.thread("jane@acme.com", category="A")
    omar = desk.thread("omar@globex.io", category="C")
    li = desk.thread("li@initech.com", category="B")
    desk.sb.thread(omar, status="meeting_booked")
    desk.sb.thread(li, status="won")

    def ids(query):
        return sorted(t["id"] for t in inbox(desk, query=query)["threads"])

    assert ids("?status=new&status=won") == sorted([jane, li])
    assert ids("?status=meeting_booked") == [omar]
    assert ids("?category=B") == [li]
    assert ids("?search=GLOBEX") == [omar]
    assert ids("?search=haddad") == [omar]
    assert ids("?search=question, li") == [li]
    assert ids("?status=won&category=A") == []


def test_the_inbox_orders_by_priority_by_default_and_by_time_on_request(desk):
    c = desk.thread("omar@globex.io", category="C")
    a = desk.thread("jane@acme.com", category="A")
    b = desk.thread("li@initech.com", category="B")
    assert [t["id"] for t in inbox(desk)["threads"]] == [a, b, c]
    scores = [t["priorityScore"] for t in inbox(desk)["threads"]]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 3
    assert [t["id"] for t in inbox(desk, query="?orderBy=created")["threads"]] == [b, a, c]
    draft = desk.drafts(c)[0]
    desk.sb.advance(hours=1)
    assert desk.send(draft["id"])[0] == 200
    assert inbox(desk, query="?orderBy=lastMessage")["threads"][0]["id"] == c


def test_the_inbox_pages_with_total_and_has_more(desk):
    for lead in LEADS:
        desk.thread(lead["email"])
    first = inbox(desk, query="?limit=2")
    second = inbox(desk, query="?limit=2&offset=2")
    assert (first["total"], first["hasMore"], len(first["threads"])) == (3, True, 2)
    assert (second["total"], second["hasMore"], len(second["threads"])) == (3, False, 1)
    assert {t["id"] for t in first["threads"]}.isdisjoint(t["id"] for t in second["threads"])


def test_snoozed_threads_are_found_with_snoozed_true_until_the_time_passes(desk):
    jane, omar = desk.thread("jane@acme.com"), desk.thread("omar@globex.io")
    now = datetime.fromisoformat(desk.sb.state()["now"].replace("Z", "+00:00"))
    until = now.replace(microsecond=0).timestamp() + 3 * 3600
    desk.sb.control("POST", f"threads/{omar}", {"snoozedUntil": datetime.fromtimestamp(until, tz=UTC).isoformat()})
    assert [t["id"] for t in inbox(desk, query="?snoozed=true")["threads"]] == [omar]
    assert [t["id"] for t in inbox(desk, query="?snoozed=false")["threads"]] == [jane]
    desk.sb.advance(hours=4)
    assert inbox(desk, query="?snoozed=true")["threads"] == []


@pytest.mark.parametrize(
    "query", ["?limit=101", "?limit=0", "?offset=-1", "?orderBy=oldest", "?status=open", "?category=Z", "?snoozed=1"]
)
def test_bad_inbox_parameters_are_400(desk, query):
    status, body = desk.as_sdr(SDR_KEY, "GET", "/sdr/inbox" + query)
    assert (status, body["error"]["code"]) == (400, "invalid_request"), body


def test_a_workspace_made_before_the_sdr_area_gets_its_sdrs_on_first_use_or_seed(sb, capsys):
    sb.state()  # the default workspace exists
    Sdr.objects.using("sandbox").all().delete()
    status, body = sb._call("GET", "/v1/sdr/gmail/status", headers={"Authorization": f"Bearer {SDR2_KEY}"})
    assert (status, body["data"]["healthState"]) == (200, "active")
    Sdr.objects.using("sandbox").all().delete()
    call_command("sandbox_seed")
    assert "personal key sk_test_sdr_sdr\n" in capsys.readouterr().out
    assert sorted(s["apiKey"] for s in sb.sdrs()) == sorted([SDR_KEY, SDR2_KEY, FORMER_KEY])
