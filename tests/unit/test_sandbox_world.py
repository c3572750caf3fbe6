"""The simulated world: sequences, capacity, pause, replies, bounces, suppression, warm-up, seeds."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from sandbox.testing import ClientSandbox

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

TWO_STEPS = [
    {"subject": "Hi {{firstName}} at {{company}}", "bodyHtml": "<p>{{city}} {{team}} {{missing}}</p>", "delayDays": 0},
    {"subject": "Following up", "bodyHtml": "<p>bump</p>", "delayDays": 2},
]
QUIET = {"bounceRate": 0.0, "replyRate": 0.0, "openRate": 0.0}


@pytest.fixture
def sb(client, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    sandbox = ClientSandbox(client)
    sandbox.freeze()
    return sandbox


def launch(sb, leads=10, steps=TWO_STEPS, start=True, prefix="p"):
    _, body = sb.api("POST", "/campaigns", {"name": "World", "sequenceSteps": steps})
    cid = body["id"]
    people = [{"email": f"{prefix}{i}@example.com", "firstName": f"P{i}"} for i in range(leads)]
    for i in range(0, leads, 1000):
        sb.api("POST", f"/campaigns/{cid}/leads/bulk", {"leads": people[i : i + 1000]})
    if start:
        assert sb.api("POST", f"/campaigns/{cid}/start")[0] == 200
        sb.advance(seconds=1)  # the clock is frozen: due sends go out once it moves
    return cid


def stats(sb, cid):
    status, body = sb.api("GET", f"/campaigns/{cid}/stats")
    assert status == 200
    return body


def test_step_one_goes_to_every_lead_at_start_and_step_two_after_its_delay(sb):
    sb.rates(**QUIET)
    cid = launch(sb, leads=10)
    assert stats(sb, cid)["sent"] == 10
    sb.advance(days=1, hours=23)
    assert stats(sb, cid)["sent"] == 10
    sb.advance(hours=1)
    assert stats(sb, cid)["sent"] == 20
    assert {lead["stepsSent"] for lead in sb.leads(cid)} == {2}


def test_a_draft_sends_nothing(sb):
    cid = launch(sb, leads=5, start=False)
    sb.advance(days=5)
    body = stats(sb, cid)
    assert (body["sent"], body["queued"], body["totalEnrolled"]) == (0, 0, 5)


def test_sends_stop_when_the_pools_are_spent_and_resume_after_the_daily_reset(sb):
    sb.reset(pools=1, senders=1, poolCapacity=7)
    sb.rates(**QUIET)
    cid = launch(sb, leads=10)
    body = stats(sb, cid)
    assert (body["sent"], body["queued"]) == (7, 3)
    status, pools = sb.api("GET", "/sender-pools")
    assert pools[0]["remainingVolume"] == 0
    sb.advance(days=1)
    assert stats(sb, cid)["sent"] == 10
    assert stats(sb, cid)["queued"] == 0


def test_a_paused_campaign_holds_its_queue_and_resumes_where_it_stopped(sb):
    sb.reset(pools=1, senders=1, poolCapacity=4)
    sb.rates(**QUIET)
    cid = launch(sb, leads=10)
    assert stats(sb, cid)["sent"] == 4
    sb.api("POST", f"/campaigns/{cid}/pause")
    sb.advance(days=1)
    body = stats(sb, cid)
    assert (body["sent"], body["queued"]) == (4, 6)  # queued stays non-zero while paused
    sb.advance(days=2)
    assert stats(sb, cid)["queued"] == 10  # the first four leads' step 2 fell due meanwhile
    sb.api("POST", f"/campaigns/{cid}/start")
    sb.advance(seconds=1)
    assert stats(sb, cid)["sent"] == 8


def test_new_leads_in_a_running_campaign_start_at_step_one(sb):
    sb.rates(**QUIET)
    cid = launch(sb, leads=2)
    sb.advance(days=2)
    sb.api("POST", f"/campaigns/{cid}/leads/bulk", {"leads": [{"email": "late@example.com"}]})
    assert stats(sb, cid)["sent"] == 4  # a frozen clock freezes the world
    sb.advance(seconds=1)
    assert stats(sb, cid)["sent"] == 5
    late = sb.leads(cid, email="late@example.com")[0]
    assert late["stepsSent"] == 1


def test_a_reply_ends_the_leads_sequence_and_is_listed(sb):
    sb.rates(bounceRate=0.0, replyRate=1.0, replyDelayHours=[1, 1], replyMix={"interested": 1.0})
    cid = launch(sb, leads=3)
    sb.advance(hours=2)
    body = stats(sb, cid)
    assert (body["sent"], body["replied"], body["replyRate"]) == (3, 3, 1.0)
    sb.advance(days=5)
    assert stats(sb, cid)["sent"] == 3  # nobody who replied gets step 2
    _, page = sb.api("GET", f"/replies?campaignId={cid}")
    reply = page["replies"][0]
    assert reply["id"].startswith("rpl_") and reply["classification"] == "interested"
    assert reply["threadSnippet"] and reply["campaignId"] == cid and reply["receivedAt"].endswith("Z")


def test_hard_bounces_and_unsubscribes_are_never_mailed_again_in_any_campaign(sb):
    sb.rates(bounceRate=1.0, hardBounceShare=1.0)
    first = launch(sb, leads=3)
    assert stats(sb, first)["bounced"] == 3
    sb.rates(bounceRate=0.0, replyRate=1.0, replyDelayHours=[1, 1], replyMix={"unsubscribe": 1.0})
    second = launch(sb, leads=3, prefix="u")
    sb.advance(hours=2)
    assert stats(sb, second)["replied"] == 3
    assert sb.state()["suppressed"] == 6
    sb.rates(replyRate=0.0)
    third = launch(sb, leads=0, start=False)
    people = [{"email": f"p{i}@example.com"} for i in range(3)] + [{"email": f"u{i}@example.com"} for i in range(3)]
    _, body = sb.api("POST", f"/campaigns/{third}/leads/bulk", {"leads": people + [{"email": "new@example.com"}]})
    assert (body["enrolled"], body["skipped"]) == (1, 6)


def test_an_address_suppressed_after_enrollment_is_not_mailed(sb):
    sb.rates(**QUIET)
    cid = launch(sb, leads=3)
    sb.api("POST", "/suppression-list", {"emails": ["p0@example.com"]})
    sb.advance(days=2)
    assert stats(sb, cid)["sent"] == 5
    assert sb.leads(cid, email="p0@example.com")[0]["state"] == "suppressed"


def test_merge_tokens_fill_from_top_level_fields_then_custom_fields(sb):
    sb.rates(**QUIET)
    _, body = sb.api("POST", "/campaigns", {"name": "Tokens", "sequenceSteps": TWO_STEPS})
    lead = {"email": "a@x.com", "firstName": "Ada", "city": "Top", "customFields": {"city": "Custom", "team": "Ops"}}
    sb.api("POST", f"/campaigns/{body['id']}/leads/bulk", {"leads": [lead]})
    sb.api("POST", f"/campaigns/{body['id']}/start")
    sb.advance(seconds=1)
    message = sb.leads(body["id"], email="a@x.com")[0]["messages"][0]
    assert message["subject"] == "Hi Ada at "
    assert message["bodyHtml"] == "<p>Top Ops </p>"


def test_warming_senders_turn_active_and_raise_the_pools_volume(sb):
    _, before = sb.api("GET", "/sender-accounts")
    warming = [a["id"] for a in before if a["status"] == "warming"]
    assert warming
    _, pools_before = sb.api("GET", "/sender-pools")
    sb.advance(days=10)
    _, after = sb.api("GET", "/sender-accounts")
    assert all(a["status"] == "active" for a in after if a["id"] in warming)
    _, pools_after = sb.api("GET", "/sender-pools")
    assert sum(p["remainingVolume"] for p in pools_after) > sum(p["remainingVolume"] for p in pools_before)


def test_the_same_seed_gives_the_same_world(sb):
    def run():
        sb.reset(seed=11, pools=2, senders=4, poolCapacity=50, campaigns=3, leads=40)
        sb.advance(days=4)
        return [(c["sent"], c["delivered"], c["bounced"], c["opened"], c["replied"]) for c in sb.state()["campaigns"]]

    first = run()
    assert first == run()
    assert any(c[2] for c in first) and any(c[4] for c in first)


def test_a_stats_call_costs_the_same_whatever_the_workspace_size(sb):
    def queries_for_stats(campaigns):
        sb.reset(pools=3, senders=6, poolCapacity=10000, campaigns=campaigns, leads=20)
        sb.advance(days=3)
        cid = sb.state()["campaigns"][0]["id"]
        stats(sb, cid)
        with CaptureQueriesContext(connections["sandbox"]) as captured:
            stats(sb, cid)
        return len(captured)

    assert queries_for_stats(1) == queries_for_stats(40)


def test_replies_are_paginated_newest_first(sb):
    sb.rates(bounceRate=0.0, replyRate=1.0, replyDelayHours=[0.1, 5])
    launch(sb, leads=7)
    sb.advance(days=1)
    _, first = sb.api("GET", "/replies?perPage=3")
    _, third = sb.api("GET", "/replies?perPage=3&page=3")
    assert first["pagination"] == {"total": 7, "page": 1, "perPage": 3}
    assert len(first["replies"]) == 3 and len(third["replies"]) == 1
    times = [r["receivedAt"] for r in first["replies"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("query", ["page=0", "perPage=101", "perPage=x", "page=-1", "sort=asc"])
def test_bad_reply_queries_are_invalid_request(sb, query):
    status, body = sb.api("GET", f"/replies?{query}")
    assert (status, body["error"]["code"]) == (400, "invalid_request")


def test_replies_of_an_unknown_campaign_are_campaign_not_found(sb):
    status, body = sb.api("GET", "/replies?campaignId=camp_NOPE")
    assert (status, body["error"]["code"]) == (404, "campaign_not_found")
