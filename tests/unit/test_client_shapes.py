"""Every "unexpected response" refusal of the client, one per shape: a wrong envelope, a missing
field, a wrong type. Each is permanent (retrying cannot change the shape) and names what it got."""

import pytest
import responses

from campaigns import leadterra
from campaigns.leadterra import LeadterraError, StepData, Transient

BASE = "https://lt.example.test"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def client_settings(settings):
    settings.LEADTERRA_API_BASE = BASE
    settings.LEADTERRA_API_KEY = "sk_live_shapes"
    settings.LEADTERRA_MAX_RPS = 0


def create(client):
    return client.create_campaign(name="Q4", steps=[StepData("Hi", "<p>x</p>", 0)], idempotency_key="k1")


CALLS = {
    "pools": ("GET", "/v1/sender-pools", lambda c: c.list_sender_pools()),
    "accounts": ("GET", "/v1/sender-accounts", lambda c: c.list_sender_accounts()),
    "replies": ("GET", "/v1/replies", lambda c: c.list_replies()),
    "create": ("POST", "/v1/campaigns", create),
    "start": ("POST", "/v1/campaigns/camp_1/start", lambda c: c.start_campaign("camp_1")),
    "stats": ("GET", "/v1/campaigns/camp_1/stats", lambda c: c.get_stats("camp_1")),
    "enroll": ("POST", "/v1/campaigns/camp_1/leads/bulk", lambda c: c.enroll_leads("camp_1", [{"email": "a@x.io"}])),
    "suppress": ("POST", "/v1/suppression-list", lambda c: c.suppress(["a@x.io"])),
    "webhook": ("POST", "/v1/webhooks", lambda c: c.register_webhook(url="https://x.io/h", events=["reply"])),
}


@pytest.mark.parametrize(
    "call, answer, named",
    [
        # wrong envelope: a list under a key the API never uses, or no list at all
        ("pools", {"items": [{"id": "pool_1"}]}, "sender pools"),
        ("accounts", {"pools": [{"id": "sa_1"}]}, "sender accounts"),
        ("replies", {"pagination": {"page": 1}}, "replies"),
        # wrong type: the envelope key is there but holds no list; the body is not an object
        ("pools", {"pools": {"pool_1": {"id": "pool_1"}}}, "sender pools"),
        ("replies", "no replies today", "replies"),
        ("start", [{"id": "camp_1"}], "campaign"),
        ("stats", 42, "stats"),
        ("enroll", [{"enrolled": 1}], "the enrollment"),
        ("suppress", ["a@x.io"], "the suppression"),
        # missing field: an object without the id everything later hangs on
        ("create", {"campaign": {"name": "Q4"}}, "the created campaign without an id"),
        ("create", {"campaign": "camp_1"}, "the created campaign without an id"),
        ("webhook", {"webhook": {"url": "https://x.io/h"}}, "the webhook without an id"),
    ],
)
@responses.activate
def test_an_unexpected_shape_is_refused_permanently_naming_what_came_back(call, answer, named):
    method, path, act = CALLS[call]
    responses.add(method, f"{BASE}{path}", json=answer, status=200)
    with pytest.raises(LeadterraError) as raised:
        act(leadterra.get_client())
    error = raised.value
    assert not isinstance(error, Transient)
    assert error.code == "unexpected_response"
    assert str(error).startswith(f"Leadterra answered {named} in a shape this dashboard does not know")
    assert "LEADTERRA_API_BASE" in str(error)
    assert len(responses.calls) == 1  # permanent: not retried


@pytest.mark.parametrize(
    "call, answer, check",
    [
        # entries that are not objects are skipped, not refused
        ("pools", {"senderPools": [{"id": "pool_1"}, "junk", 3]}, lambda r: [x.id for x in r] == ["pool_1"]),
        ("create", {"id": "camp_9", "name": "Q4"}, lambda r: r.id == "camp_9"),  # no envelope
        ("enroll", {"result": {"enrolled": 2}}, lambda r: (r.enrolled, r.total) == (2, 2)),
        ("suppress", {"suppressed": 1}, lambda r: r.suppressed == 1),
    ],
)
@responses.activate
def test_the_documented_variants_next_to_each_refusal_are_accepted(call, answer, check):
    method, path, act = CALLS[call]
    responses.add(method, f"{BASE}{path}", json=answer, status=200)
    assert check(act(leadterra.get_client()))
