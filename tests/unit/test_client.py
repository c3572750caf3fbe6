"""The Leadterra client against `responses`: every endpoint in every documented variant.
Errors, retries and what every call carries are in test_client_errors.py."""

import json

import pytest
import responses

from campaigns.leadterra import StepData

BASE = "https://lt.example.test"
KEY = "sk_live_secret_key_123"

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(leadterra_client):
    return leadterra_client


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
