"""Conformance of the SDR area (leadterra-api.md §5): every endpoint's example answers its documented
shape ({"data": ...}, millisecond timestamps), and every error code the document lists is answered."""

import re

import pytest

from sandbox.openapi_sdr import SDR_PATHS
from sandbox.testing import ClientSandbox
from tests.sdr_helpers import FORMER_KEY, SDR2_KEY, SDR_KEY, make_desk
from tests.unit.test_sandbox_conformance import ISO_MILLIS, problems

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])
TIMES = re.compile(r"'(\d{4}-\d\d-\d\dT[^']*)'")


@pytest.fixture
def sb(client, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    sandbox = ClientSandbox(client)
    sandbox.freeze()
    return sandbox


@pytest.fixture
def world(sb):
    """A thread with a sent draft (so a follow-up exists) and a fresh draft, for SDR `sdr`."""
    desk = make_desk(sb)
    thread = desk.thread("jane@acme.com", category="A")
    first, second = desk.drafts(thread, count=2)
    assert desk.send(first["id"])[0] == 200
    _, due = desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due?includeUpcoming=true")
    return {"desk": desk, "thread": thread, "draft": second["id"], "followup": due["data"][0]["id"]}


def example(world: dict, path: str, status: str):
    """The documented request for each endpoint (the workspace key for sdrs and assign)."""
    desk = world["desk"]
    concrete = concrete_path(world, path)
    if path == "/v1/sdrs":
        return desk.sb.api("GET", "/sdrs")
    if path == "/v1/sdr/followups/due":  # due in two business days: move the clock past them
        desk.sb.advance(days=5)
        return desk.as_sdr(SDR_KEY, "GET", "/sdr/followups/due?limit=10")
    if path.endswith("/assign"):
        return desk.assign("omar@globex.io", SDR2_KEY, category="B", note="Pricing question", cc=["boss@acme.com"])
    if path.endswith("/schedule") and status == "201":
        other = desk.thread("li@initech.com")
        return desk.as_sdr(SDR_KEY, "POST", f"/sdr/threads/{other}/followup/schedule", {})
    bodies = {
        "/v1/sdr/drafts/generate": {
            "threadId": world["thread"],
            "instructions": "Mention the pilot",
            "variantCount": 3,
        },
        "/v1/sdr/drafts/{id}/send": {"additionalCc": ["cto@acme.com"]},
        "/v1/sdr/followups/{id}/skip": {"reason": "They booked a meeting"},
        "/v1/sdr/followups/{id}/reschedule": {"dueAt": "2030-01-07T09:00:00.000Z"},
        "/v1/sdr/threads/{id}/followup/schedule": {"dueAt": "2030-01-08T09:00:00.000Z"},
    }
    method = next(iter(SDR_PATHS[path])).upper()
    return desk.as_sdr(SDR_KEY, method, concrete, bodies.get(path, {} if method == "POST" else None))


CASES = [
    (path, method, status)
    for path, ops in SDR_PATHS.items()
    for method, operation in ops.items()
    for status in operation["responses"]
    if status.startswith("2")
]


@pytest.mark.parametrize("path,method,status", CASES)
def test_each_example_answers_its_documented_shape_with_millisecond_times(world, path, method, status):
    code, body = example(world, path, status)
    assert str(code) == status, body
    schema = SDR_PATHS[path][method]["responses"][status]["content"]["application/json"]["schema"]
    assert problems(body, schema) == []
    times = TIMES.findall(str(body))
    assert all(ISO_MILLIS.match(t) for t in times), times
    if path not in ("/v1/sdrs", "/v1/replies/{id}/assign", "/v1/sdr/drafts/generate", "/v1/sdr/drafts/{id}/send"):
        assert times, "every other answer carries a time"


def concrete_path(world: dict, path: str) -> str:
    desk = world["desk"]
    return {
        "/v1/replies/{id}/assign": f"/replies/{desk.replies['omar@globex.io']}/assign",
        "/v1/sdr/drafts/{id}/send": f"/sdr/drafts/{world['draft']}/send",
        "/v1/sdr/threads/{id}/followup/schedule": f"/sdr/threads/{world['thread']}/followup/schedule",
    }.get(path, path[3:].replace("{id}", world["followup"]))


# A valid body per endpoint, so that only the condition under test is wrong.
GOOD_BODIES = {
    "/v1/sdr/drafts/generate": {"threadId": "set below"},
    "/v1/sdr/followups/{id}/skip": {"reason": "Out of office"},
    "/v1/sdr/followups/{id}/reschedule": {"dueAt": "2030-01-01T00:00:00.000Z"},
}


def trigger(world: dict, path: str, method: str, code: str):
    desk, sb = world["desk"], world["desk"].sb
    concrete = concrete_path(world, path)
    good = dict(GOOD_BODIES.get(path, {})) if method == "post" else None
    if path.endswith("/assign"):
        good = {"sdrId": desk.sdrs[SDR2_KEY], "skipIcpCheck": True}
    if path.endswith("/generate"):
        good = {"threadId": world["thread"]}
    workspace_scoped = "sdrKey" not in str(SDR_PATHS[path][method]["security"])
    key = sb.api_key if workspace_scoped else SDR_KEY
    verb = method.upper()
    if code == "authentication_failed":  # the other kind of key: an SDR's on workspace calls and vice versa
        return desk.as_sdr(SDR_KEY if workspace_scoped else sb.api_key, verb, concrete, good)
    if code == "workspace_not_found":
        sb.control("POST", "workspace", {"deleted": True})
        return desk.as_sdr(key, verb, concrete, good)
    if code == "rate_limited":
        sb.rate_limit(0.001)
        desk.as_sdr(key, verb, concrete, good)
        return desk.as_sdr(key, verb, concrete, good)
    if code == "invalid_request":
        if verb == "GET":
            return desk.as_sdr(key, "GET", concrete + "?bogus=1")
        return desk.as_sdr(key, "POST", concrete, {"bogus": 1})
    specific = {
        "icp_failed": lambda: desk.assign("omar@globex.io", SDR2_KEY, seniority="intern", employeeCount=3),
        "reply_not_found": lambda: desk.sb.api("POST", "/replies/rpl_NOPE/assign", good),
        "already_forwarded": lambda: desk.assign("jane@acme.com", SDR2_KEY),
        "thread_not_found": lambda: desk.as_sdr(
            SDR_KEY,
            "POST",
            concrete.replace(world["thread"], "thr_NOPE"),
            {**(good or {}), "threadId": "thr_NOPE"} if path.endswith("/generate") else good,
        ),
        "draft_not_found": lambda: desk.send("drf_NOPE"),
        "followup_not_found": lambda: desk.as_sdr(
            SDR_KEY, "POST", concrete.replace(world["followup"], "fu_NOPE"), good
        ),
        "followup_closed": lambda: _closed(desk, world, concrete, good),
        "gmail_unavailable": lambda: _gmail_down(desk, world),
        "guardrails_blocked": lambda: desk.send(world["draft"], body={"finalBodyText": "Act now!"}),
    }
    return specific[code]()


def _closed(desk, world, concrete, good):
    assert desk.as_sdr(SDR_KEY, "POST", f"/sdr/followups/{world['followup']}/complete", {})[0] == 200
    return desk.as_sdr(SDR_KEY, "POST", concrete, good)


def _gmail_down(desk, world):
    desk.sb.control("POST", "sdrs/sdr/gmail", {"healthState": "needs_reauth"})
    return desk.send(world["draft"])


ERROR_CASES = [
    (path, method, status, code)
    for path, ops in SDR_PATHS.items()
    for method, operation in ops.items()
    for status, response in operation["responses"].items()
    for code in response.get("x-error-codes", [])
]


@pytest.mark.parametrize("path,method,status,code", ERROR_CASES)
def test_each_documented_error_code_is_answered_as_documented(world, path, method, status, code):
    answer, body = trigger(world, path, method, code)
    assert (str(answer), body["error"]["code"]) == (status, code), body
    schema = SDR_PATHS[path][method]["responses"][status]["content"]["application/json"]["schema"]
    assert problems(body, schema) == []


def test_every_sdr_call_refuses_the_key_of_an_sdr_who_left(world):
    for path, ops in SDR_PATHS.items():
        if "sdrKey" in str(ops):
            method = next(iter(ops)).upper()
            status, body = world["desk"].as_sdr(FORMER_KEY, method, path[3:].replace("{id}", "x"), {})
            assert (status, body["error"]["code"]) == (401, "authentication_failed"), path
