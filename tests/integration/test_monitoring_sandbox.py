"""The poller, the replies poller and the webhook receiver against the sandbox, over HTTP."""

import pytest

from campaigns.leadterra import get_client
from campaigns.models import Campaign, Reply, StatsSnapshot, SuppressedEmail, WebhookEvent
from campaigns.services.replies import replies_poll_cycle
from campaigns.services.stats import stats_poll_cycle
from tests.conftest import wait_until
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]
# sandbox state key -> Campaign field
COUNTERS = {
    "sent": "sent",
    "delivered": "delivered",
    "bounced": "bounced",
    "replied": "replied",
    "leads": "total_enrolled",
}


def mirror(state):
    """Local rows for the sandbox's running campaigns, as a launch would have left them."""
    return {
        c["id"]: CampaignFactory(name=c["name"], status=Campaign.Status.RUNNING, remote_id=c["id"])
        for c in state["campaigns"]
    }


def assert_counts_match(sandbox):
    truth = {c["id"]: c for c in sandbox.state()["campaigns"]}
    for campaign in Campaign.objects.filter(remote_id__in=truth):
        expected = {local: truth[campaign.remote_id][remote] for remote, local in COUNTERS.items()}
        assert {local: getattr(campaign, local) for local in expected} == expected, campaign.remote_id


def test_the_poller_stores_the_sandboxs_counts_and_follows_them(sandbox):
    sandbox.reset(seed=5, campaigns=3, leads=60, steps=2, poolCapacity=10_000)
    sandbox.rates(bounceRate=0.05, replyRate=0.2, replyDelayHours=[1, 4])
    mirror(sandbox.state())
    sandbox.advance(days=1)
    Campaign.objects.update(stats_next_poll_at=None)  # the interval has passed
    summary = stats_poll_cycle()
    assert (summary.polled, summary.failed) == (3, 0)
    assert_counts_match(sandbox)
    assert sum(c.sent for c in Campaign.objects.all()) > 0
    snapshots = StatsSnapshot.objects.count()
    sandbox.advance(days=3)  # step 2 goes out, replies arrive
    Campaign.objects.update(stats_next_poll_at=None)  # the interval has passed
    stats_poll_cycle()
    assert_counts_match(sandbox)
    assert StatsSnapshot.objects.count() > snapshots
    assert all(c.stats_polled_at and not c.stats_error for c in Campaign.objects.all())


def test_a_sandbox_outage_leaves_the_last_good_numbers_marked_failed(sandbox):
    sandbox.reset(seed=6, campaigns=2, leads=20, steps=1, poolCapacity=10_000)
    mirror(sandbox.state())
    sandbox.advance(days=1)
    Campaign.objects.update(stats_next_poll_at=None)  # the interval has passed
    stats_poll_cycle()
    before = {c.pk: c.sent for c in Campaign.objects.all()}
    sandbox.faults(errorRate=1.0, errorStatuses=[503], paths="stats")
    Campaign.objects.update(stats_next_poll_at=None)  # the interval has passed
    summary = stats_poll_cycle()
    assert summary.failed >= 1 and summary.polled == 0
    for campaign in Campaign.objects.all():
        assert campaign.sent == before[campaign.pk]
        assert campaign.stats_failed_at and campaign.stats_failed_at > campaign.stats_polled_at
    sandbox.clear_faults()
    Campaign.objects.update(stats_next_poll_at=None)  # the interval has passed
    stats_poll_cycle()
    assert_counts_match(sandbox)


def test_replies_are_pulled_once_each_and_unsubscribes_suppressed(sandbox):
    sandbox.reset(seed=7, campaigns=2, leads=80, steps=1, poolCapacity=10_000)
    sandbox.rates(replyRate=0.5, replyDelayHours=[1, 2], replyMix={"interested": 1, "unsubscribe": 1})
    campaigns = mirror(sandbox.state())
    sandbox.advance(days=2)
    sandbox.shapes(replies="paginated")
    new = replies_poll_cycle()
    replied = sum(c["replied"] for c in sandbox.state()["campaigns"])
    assert new == replied == Reply.objects.count() > 0
    assert set(Reply.objects.values_list("campaign__remote_id", flat=True)) <= set(campaigns)
    assert replies_poll_cycle() == 0  # nothing new: nothing stored twice
    unsubscribed = Reply.objects.filter(classification="unsubscribe").values_list("email", flat=True)
    assert set(unsubscribed) <= set(SuppressedEmail.objects.values_list("email", flat=True))


def test_sandbox_webhook_deliveries_reach_the_receiver_and_move_counters(sandbox, live_server):
    sandbox.reset(seed=8, campaigns=1, leads=30, steps=1, poolCapacity=10_000)
    sandbox.rates(replyRate=0.3, replyDelayHours=[1, 2])
    mirror(sandbox.state())
    get_client().register_webhook(
        url=live_server.url + "/webhooks/leadterra", events=["message.sent", "message.bounced", "reply.received"]
    )
    sandbox.advance(days=2)
    # Deliveries are posted one by one by a thread of the sandbox: slow when the machine is busy.
    wait_until(lambda: WebhookEvent.objects.filter(event="message.sent").exists(), 60, message="a signed delivery")
    truth = sandbox.state()["campaigns"][0]

    def caught_up():
        local = Campaign.objects.get()
        return (local.sent, Reply.objects.count()) == (truth["sent"], truth["replied"])

    wait_until(caught_up, 90, 0.5, message=f"counters and replies to reach {truth} through webhooks")
    assert WebhookEvent.objects.filter(processed_at__isnull=True).count() == 0


def test_a_cycle_on_a_real_worker_asks_each_campaign_exactly_once(sandbox, celery_worker, settings):
    """Beat's dispatch fans out batch tasks on the worker's threads; a second beat run lands
    while the first cycle is under way, and still every campaign costs exactly one /stats call."""
    from campaigns import ratelimit
    from campaigns.models import ApiCall
    from leadterra_ui.celery import app

    settings.LEADTERRA_MAX_RPS, settings.STATS_POLL_BATCH = 40, 3
    ratelimit.reset()
    sandbox.reset(seed=9, campaigns=13, leads=10, steps=1, poolCapacity=10_000)
    mirror(sandbox.state())
    stats_calls = ApiCall.objects.filter(endpoint="GET /v1/campaigns/:id/stats")
    app.send_task("campaigns.tasks.poll_stats")
    wait_until(lambda: stats_calls.exists(), 30, message="the first batch")
    app.send_task("campaigns.tasks.poll_stats")  # an overlapping cycle
    wait_until(lambda: not Campaign.objects.filter(stats_polled_at=None).exists(), 60, message="every campaign polled")
    wait_until(lambda: not Campaign.objects.exclude(stats_claim_token="").exists(), 30, message="claims handed back")
    assert stats_calls.count() == 13
    assert set(Campaign.objects.values_list("stats_error", flat=True)) == {""}
    assert_counts_match(sandbox)
