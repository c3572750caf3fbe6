"""Counters merge webhook increments and /stats polls without ever going above Leadterra's figures.

A small Leadterra is simulated: messages are sent (some bounce, some leads reply, one of them
twice), its webhooks arrive late and out of order, sometimes twice, and polls happen in
between, with more webhooks landing while a poll's HTTP call is out. After every step the
dashboard's figures are compared with Leadterra's true ones at that moment.
"""

import random
from datetime import UTC

import pytest
from django.utils import timezone

from campaigns.leadterra import StatsData
from campaigns.models import Campaign, StatsSnapshot
from campaigns.services.stats import stats_apply, stats_poll_cycle
from campaigns.services.webhooks import webhook_receive
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
REMOTE = "camp_K"


def stamp():
    return timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Leadterra:
    """The truth, and the webhooks it owes us (a backlog that may be delivered in any order)."""

    def __init__(self, leads: int, rng: random.Random):
        self.leads, self.rng = leads, rng
        self.sent = self.bounced = 0
        self.repliers: set[int] = set()
        self.backlog: list[dict] = []
        self.delivered_once: list[dict] = []
        self.during_call = 0  # webhooks delivered while a /stats call is out

    def send(self, n: int) -> None:
        msg = self.sent
        self.sent += 1
        self._owe("message.sent", {"messageId": f"m{msg}", "sequenceStep": 1})
        if msg % 9 == 4:
            self.bounced += 1
            self._owe("message.bounced", {"messageId": f"m{msg}", "email": f"l{n}@x.io", "bounceType": "soft"})
        if msg % 7 == 2:
            self.reply(n, f"r{msg}")
            if msg % 21 == 2:  # the same lead answers again: still one lead who replied
                self.reply(n, f"r{msg}b")

    def reply(self, n: int, reply_id: str) -> None:
        self.repliers.add(n)
        reply = {"id": reply_id, "email": f"l{n}@x.io", "campaignId": REMOTE, "classification": "interested"}
        self.backlog.append({"event": "reply.received", "timestamp": stamp(), "data": {"reply": reply}})

    def _owe(self, event: str, data: dict) -> None:
        self.backlog.append({"event": event, "timestamp": stamp(), "data": {"campaignId": REMOTE, **data}})

    def deliver(self, count: int) -> None:
        """Some owed webhooks, oldest-biased but shuffled; now and then a redelivery."""
        for _ in range(min(count, len(self.backlog))):
            payload = self.backlog.pop(self.rng.randrange(min(len(self.backlog), 40)))
            webhook_receive(payload=payload)
            self.delivered_once.append(payload)
            if self.rng.random() < 0.1:
                webhook_receive(payload=self.rng.choice(self.delivered_once))

    def figures(self) -> StatsData:
        sent, bounced, replied = self.sent, self.bounced, len(self.repliers)
        queued = max(0, 2 * self.leads - sent)  # two steps a lead
        return StatsData(REMOTE, self.leads, sent, sent - bounced, bounced, replied, queued, 0.4, 0.1)

    def get_stats(self, campaign_id):
        """Answer as of now; then, while the answer travels, more is sent and more webhooks land."""
        answer = self.last_answer = self.figures()
        for _ in range(5):
            self.send(self.sent % self.leads)
        self.deliver(self.during_call)
        return answer


def sent_webhooks(numbers) -> None:
    for n in numbers:
        webhook_receive(payload={"event": "message.sent", "timestamp": stamp(),
                                 "data": {"campaignId": REMOTE, "messageId": f"m{n}"}})  # fmt: skip


def assert_never_above(world: Leadterra, campaign: Campaign) -> None:
    campaign.refresh_from_db()
    shown = (campaign.sent, campaign.bounced, campaign.replied, campaign.delivered)
    truth = (world.sent, world.bounced, len(world.repliers), world.sent - world.bounced)
    assert all(s <= t for s, t in zip(shown, truth, strict=True)), f"shown {shown} above Leadterra's {truth}"
    assert campaign.bounced <= campaign.sent and campaign.delivered <= campaign.sent


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_backlog_of_webhooks_racing_polls_never_shows_more_than_leadterra(seed, settings):
    settings.STATS_POLL_HTTP_THREADS = 0  # the fake's webhooks land during the call, on this thread
    campaign = CampaignFactory(status=Campaign.Status.RUNNING, remote_id=REMOTE)
    world = Leadterra(leads=1728, rng=random.Random(seed))
    world.during_call = 3 + seed
    while world.sent < 1700:
        for _ in range(world.rng.randrange(1, 60)):
            world.send(world.sent % world.leads)
        world.deliver(world.rng.randrange(0, 50))  # webhooks fall behind: a backlog builds up
        assert_never_above(world, campaign)
        if world.rng.random() < 0.3:
            Campaign.objects.update(stats_next_poll_at=None)  # its interval has passed
            stats_poll_cycle(client=world)
            assert_never_above(world, campaign)
    assert len(world.backlog) > 100, "the test must leave a real backlog behind the last poll"
    world.deliver(len(world.backlog))  # the whole backlog lands after the poll counted it
    assert_never_above(world, campaign)
    world.during_call = 0
    Campaign.objects.update(stats_next_poll_at=None)
    stats_poll_cycle(client=world)  # the next poll converges on Leadterra's figures (as of its call)
    campaign.refresh_from_db()
    answer = world.last_answer
    assert (campaign.sent, campaign.bounced, campaign.replied) == (answer.sent, answer.bounced, answer.replied)
    assert campaign.delivered == answer.delivered


def test_the_soak_case_a_full_backlog_after_the_poll_stays_at_the_leads():
    """1,728 leads all sent; the poll says so; 312 late webhooks used to make it 2,040."""
    campaign = CampaignFactory(status=Campaign.Status.RUNNING, remote_id=REMOTE)
    sent_webhooks(range(1416))
    stats_apply(campaign=campaign, data=StatsData(REMOTE, 1728, 1728, 1700, 28, 40, 0, 0.4, 0.02))
    sent_webhooks(range(1416, 1728))
    campaign.refresh_from_db()
    assert (campaign.sent, campaign.sent_events) == (1728, 1728)


def test_webhooks_before_any_poll_move_the_counters_at_once():
    campaign = CampaignFactory(status=Campaign.Status.RUNNING, remote_id=REMOTE, queued=3)
    sent_webhooks(range(3))
    webhook_receive(payload={"event": "message.bounced", "timestamp": stamp(),
                             "data": {"campaignId": REMOTE, "messageId": "m9", "bounceType": "soft"}})  # fmt: skip
    campaign.refresh_from_db()
    assert (campaign.sent, campaign.bounced, campaign.queued) == (3, 1, 0)


def test_the_poll_writes_without_trusting_the_copy_it_read_before_its_call():
    """The copy says 7 and Leadterra says 7, but the row moved meanwhile: the row is written."""
    campaign = CampaignFactory(status=Campaign.Status.RUNNING, remote_id=REMOTE, sent=7, total_enrolled=20)
    stale = Campaign.objects.get(pk=campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(sent=9)  # an overshoot left by older code
    figures = StatsData(REMOTE, 20, 7, 7, 0, 0, 13, 0.0, 0.0)
    assert stats_apply(campaign=stale, data=figures) is True
    campaign.refresh_from_db()
    assert campaign.sent == 7 and stale.sent == 7
    assert StatsSnapshot.objects.get().sent == 7
    assert stats_apply(campaign=stale, data=figures) is False, "nothing moved: no second snapshot"
    assert StatsSnapshot.objects.count() == 1 and campaign.stats_polled_at is not None


def test_a_poll_never_lowers_a_figure_below_what_webhooks_proved():
    """/stats is near real time: it may lag behind webhooks that already arrived."""
    campaign = CampaignFactory(status=Campaign.Status.RUNNING, remote_id=REMOTE)
    sent_webhooks(range(12))
    stats_apply(campaign=campaign, data=StatsData(REMOTE, 50, 10, 10, 0, 0, 40, 0.0, 0.0))
    assert (campaign.sent, campaign.total_enrolled, campaign.queued) == (12, 50, 40)
