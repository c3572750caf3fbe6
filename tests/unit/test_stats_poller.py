"""The stats poller: who gets polled, what is stored, what a failure leaves, when a run stops.
Claims, the interval and overlapping cycles are in test_stats_claims.py."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from campaigns.leadterra import AuthFailed, NotFound, RateLimited, StatsData, Transient
from campaigns.models import Campaign, StatsSnapshot, SyncState
from campaigns.services import stats
from campaigns.services.stats import stats_poll_cycle
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calls_in_turn(settings):
    """Calls made in turn on the test's thread, so their order can be asserted (the HTTP
    threads have their own test in test_stats_claims.py)."""
    settings.STATS_POLL_HTTP_THREADS = 0


class FakeClient:
    """Answers /stats from a dict; records every call (the HTTP client has its own tests)."""

    def __init__(self, numbers=None, errors=None):
        self.numbers, self.errors, self.calls = numbers or {}, errors or {}, []

    def get_stats(self, campaign_id):
        self.calls.append(campaign_id)
        if campaign_id in self.errors:
            raise self.errors[campaign_id]
        sent = self.numbers.get(campaign_id, 0)
        return StatsData(campaign_id, 100, sent, sent, 0, sent // 10, 100 - sent, 0.5, 0.1 if sent else 0.0)


def make(n, status=Campaign.Status.RUNNING, prefix="r", **fields):
    return [CampaignFactory(status=status, remote_id=f"camp_{prefix}{i}", **fields) for i in range(n)]


def next_cycle_due():
    """The interval has passed for everyone (the clock is not what these tests are about)."""
    Campaign.objects.update(stats_next_poll_at=None)


def test_it_polls_running_and_paused_but_not_drafts_or_unlaunched(db):
    make(2)
    make(1, status=Campaign.Status.PAUSED, prefix="p")
    CampaignFactory(status=Campaign.Status.DRAFT)
    CampaignFactory(status=Campaign.Status.ARCHIVED, remote_id="camp_old")
    client = FakeClient()
    stats_poll_cycle(client=client)
    assert sorted(client.calls) == ["camp_p0", "camp_r0", "camp_r1"]


def test_it_polls_a_campaign_for_a_while_after_launch(db):
    CampaignFactory(status=Campaign.Status.LAUNCHING, remote_id="camp_new", launched_at=timezone.now())
    an_hour_ago = timezone.now() - timedelta(hours=1)
    CampaignFactory(status=Campaign.Status.LAUNCH_FAILED, remote_id="camp_gone", launched_at=an_hour_ago)
    client = FakeClient()
    stats_poll_cycle(client=client)
    assert client.calls == ["camp_new"]


@override_settings(STATS_POLL_BATCH=3)
def test_a_cycle_polls_every_due_campaign_once_in_batches_running_first(db):
    make(2, status=Campaign.Status.PAUSED, prefix="p")
    make(6)
    client = FakeClient()
    summary = stats_poll_cycle(client=client)
    assert client.calls == [f"camp_r{i}" for i in range(6)] + ["camp_p0", "camp_p1"]
    assert (summary.polled, summary.claimed) == (8, 8)
    assert stats_poll_cycle(client=client).claimed == 0, "nobody is due again before the interval"
    assert not Campaign.objects.exclude(stats_claim_token="").exists(), "every claim handed back"


def test_it_stores_counters_the_poll_time_and_a_snapshot_when_something_changed(db):
    (campaign,) = make(1)
    client = FakeClient({"camp_r0": 30})
    before = timezone.now()
    stats_poll_cycle(client=client)
    campaign.refresh_from_db()
    assert (campaign.sent, campaign.delivered, campaign.replied, campaign.queued) == (30, 30, 3, 70)
    assert campaign.reply_rate == 0.1 and before <= campaign.stats_polled_at <= timezone.now()
    assert StatsSnapshot.objects.filter(campaign=campaign).count() == 1
    first_poll = campaign.stats_polled_at
    next_cycle_due()
    stats_poll_cycle(client=client)  # nothing moved: no new snapshot, but a fresh poll time
    campaign.refresh_from_db()
    assert StatsSnapshot.objects.filter(campaign=campaign).count() == 1
    assert campaign.stats_polled_at > first_poll
    client.numbers["camp_r0"] = 35
    next_cycle_due()
    stats_poll_cycle(client=client)
    assert StatsSnapshot.objects.filter(campaign=campaign).count() == 2
    assert SyncState.objects.get(name="stats").last_success_at > campaign.stats_polled_at


def test_a_failed_poll_keeps_the_last_good_numbers_and_says_why(db):
    (campaign,) = make(1, sent=12)
    stats_poll_cycle(client=FakeClient(errors={"camp_r0": NotFound("nope", code="campaign_not_found", status=404)}))
    campaign.refresh_from_db()
    assert campaign.sent == 12 and campaign.stats_failed_at is not None and campaign.stats_polled_at is None
    assert "404" in campaign.stats_error


@override_settings(STATS_POLL_BATCH=3)
def test_a_rate_limit_ends_the_run_and_the_rest_go_first_next_time(db):
    make(4)
    client = FakeClient(errors={"camp_r1": RateLimited("slow down", retry_after=3)})
    summary = stats_poll_cycle(client=client)
    assert client.calls == ["camp_r0", "camp_r1"] and summary.stopped == "rate_limited"
    assert not Campaign.objects.exclude(stats_claim_token="").exists(), "camp_r2's claim is handed back"
    del client.errors["camp_r1"]
    client.calls = []
    stats_poll_cycle(client=client)
    assert client.calls == ["camp_r2", "camp_r3"]


def test_a_refused_key_ends_the_cycle_after_one_call(db):
    make(3)
    client = FakeClient(errors={f"camp_r{i}": AuthFailed("bad key", status=401) for i in range(3)})
    stats_poll_cycle(client=client)
    assert len(client.calls) == 1
    assert "bad key" in SyncState.objects.get(name="stats").last_error


@override_settings(STATS_POLL_BATCH=20)
def test_leadterra_away_costs_at_most_three_timeouts_a_batch(db):
    make(10)
    client = FakeClient(errors={f"camp_r{i}": Transient("timeout") for i in range(10)})
    stats_poll_cycle(client=client)
    assert len(client.calls) == 3


def test_the_bounce_guard_sees_every_polled_campaign(db, monkeypatch):
    make(2)
    guarded = []
    monkeypatch.setattr(stats, "campaign_bounce_guard", lambda campaign: guarded.append(campaign.remote_id))
    stats_poll_cycle(client=FakeClient())
    assert sorted(guarded) == ["camp_r0", "camp_r1"]
