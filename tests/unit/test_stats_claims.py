"""Who polls which campaign, and when: per-campaign claims, overlapping cycles, the interval that
stretches with the fleet, the batch fan-out, and leases freed only by their holder. Every test
runs on SQLite and, with DATABASE_URL set, on PostgreSQL (the SKIP LOCKED path)."""

import threading
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from campaigns import dispatch
from campaigns.leadterra import AuthFailed
from campaigns.models import ApiCall, Campaign
from campaigns.services import stats, sync_jobs
from campaigns.services.stats import stats_batch_run, stats_poll_cycle, stats_poll_dispatch
from campaigns.services.stats_claims import CLAIM_SECONDS, stats_claim, stats_done, stats_interval
from campaigns.services.sync_jobs import lease_acquire, lease_release
from tests.factories import CampaignFactory
from tests.unit.test_stats_poller import FakeClient, make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calls_in_turn(settings):
    settings.STATS_POLL_HTTP_THREADS = 0  # in turn, on the test's thread (one test turns threads on)


# --- the interval -----------------------------------------------------------------------


@override_settings(LEADTERRA_MAX_RPS=50, STATS_BUDGET_SHARE=0.8, STATS_POLL_SECONDS=15)
def test_the_interval_stretches_to_what_the_budget_allows_for_the_fleet():
    assert stats_interval(eligible=100) == 15  # a small fleet: the configured floor
    assert stats_interval(eligible=1000) == 25  # 1,000 campaigns at 40 req/s for the poll
    assert stats_interval(eligible=4000) == 100


@override_settings(LEADTERRA_MAX_RPS=10, STATS_BUDGET_SHARE=0.5, STATS_POLL_SECONDS=7)
def test_the_interval_follows_the_budget_and_the_share_it_may_use():
    assert stats_interval(eligible=20) == 7
    assert stats_interval(eligible=100) == 20
    with override_settings(LEADTERRA_MAX_RPS=0):
        assert stats_interval(eligible=100_000) == 7  # no budget: nothing to stretch for


@override_settings(LEADTERRA_MAX_RPS=1, STATS_BUDGET_SHARE=1.0, STATS_POLL_SECONDS=2, STATS_POLL_BATCH=50)
def test_each_polled_campaign_is_due_again_one_stretched_interval_later(db):
    make(30)
    stats_poll_cycle(client=FakeClient())
    for campaign in Campaign.objects.all():
        assert campaign.stats_next_poll_at - campaign.stats_polled_at == timedelta(seconds=30)


# --- claims -------------------------------------------------------------------------------


def test_two_workers_claim_disjoint_batches_and_together_everyone(db):
    make(7)
    _, first = stats_claim(limit=3)
    _, second = stats_claim(limit=3)
    _, third = stats_claim(limit=3)
    ids = [c.remote_id for c in first + second + third]
    assert len(first) == len(second) == 3 and len(third) == 1
    assert sorted(ids) == sorted(f"camp_r{i}" for i in range(7)) and len(set(ids)) == 7
    assert stats_claim(limit=3)[1] == []


def test_only_the_claims_holder_hands_a_campaign_back(db):
    make(1)
    token, (campaign,) = stats_claim(limit=5)
    later = timezone.now() + timedelta(minutes=1)
    assert not stats_done(campaign=campaign, token="someone-else", next_at=later)
    assert stats_done(campaign=campaign, token=token, next_at=later)
    campaign.refresh_from_db()
    assert (campaign.stats_claim_token, campaign.stats_claimed_until, campaign.stats_next_poll_at) == ("", None, later)


def test_a_claim_whose_worker_died_is_taken_over_after_its_deadline(db):
    make(2)
    _, dead = stats_claim(limit=1)
    token, alive = stats_claim(limit=5)
    assert [c.remote_id for c in alive] == ["camp_r1"]
    stats_done(campaign=alive[0], token=token, next_at=timezone.now() + timedelta(hours=1))
    after_deadline = timezone.now() + timedelta(seconds=CLAIM_SECONDS + 1)
    assert [c.remote_id for c in stats_claim(limit=5, now=after_deadline)[1]] == [dead[0].remote_id]


def test_the_claim_skips_rows_other_claimers_lock_where_the_database_can(db):
    from django.test.utils import CaptureQueriesContext

    make(2)
    with CaptureQueriesContext(connection) as queries:
        stats_claim(limit=5)
    picked = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")][0]
    assert ("FOR UPDATE SKIP LOCKED" in picked) == (connection.vendor == "postgresql")


@override_settings(STATS_POLL_BATCH=2)
def test_an_overlapping_cycle_polls_nobody_twice(db):
    make(5)
    inner = FakeClient()

    class Outer(FakeClient):
        def get_stats(self, campaign_id):
            if not self.calls:  # while the first cycle waits for its first answer, beat starts another
                stats_poll_cycle(client=inner)
            return super().get_stats(campaign_id)

    outer = Outer()
    stats_poll_cycle(client=outer)
    assert sorted(outer.calls + inner.calls) == [f"camp_r{i}" for i in range(5)]
    assert outer.calls[0] == "camp_r0" and "camp_r1" in outer.calls, "the first cycle keeps its own batch"


@override_settings(STATS_POLL_BATCH=2)
def test_a_campaign_that_finishes_mid_cycle_is_not_polled_and_does_not_hold_the_cycle(db):
    make(5)
    client = FakeClient()
    archived = Campaign.objects.get(remote_id="camp_r3")

    class Finishing(FakeClient):
        def get_stats(self, campaign_id):
            if campaign_id == "camp_r0":  # archived while the first batch runs
                Campaign.objects.filter(pk=archived.pk).update(status=Campaign.Status.ARCHIVED)
            if campaign_id == "camp_r1":  # a claimed one is archived between its claim and its call
                Campaign.objects.filter(remote_id="camp_r1").update(status=Campaign.Status.ARCHIVED)
            return client.get_stats(campaign_id)

    summary = stats_poll_cycle(client=Finishing())
    assert client.calls == ["camp_r0", "camp_r1", "camp_r2", "camp_r4"]
    assert summary.polled == 4 and not Campaign.objects.exclude(stats_claim_token="").exists()


@pytest.mark.django_db(transaction=True)
@override_settings(STATS_POLL_BATCH=3)
def test_workers_racing_on_threads_poll_each_campaign_exactly_once(transactional_db):
    make(40)
    clients = [FakeClient() for _ in range(4)]
    errors = []

    def worker(client):
        try:
            stats_poll_cycle(client=client)
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    calls = [call for c in clients for call in c.calls]
    assert not errors
    assert sorted(calls) == sorted(f"camp_r{i}" for i in range(40))
    assert sum(1 for c in clients if c.calls) >= 2, "the work was shared, not done by one thread"


@pytest.mark.django_db(transaction=True)
@override_settings(STATS_POLL_BATCH=6)
def test_on_http_threads_every_campaign_is_asked_once_and_a_stop_keeps_answers_under_way(transactional_db, settings):
    settings.STATS_POLL_HTTP_THREADS = 3
    make(12)
    client = FakeClient(errors={"camp_r7": AuthFailed("bad key", status=401)})
    summary = stats_poll_cycle(client=client)
    assert summary.stopped and len(client.calls) == len(set(client.calls))
    asked = set(client.calls)
    assert Campaign.objects.filter(remote_id__in=asked).exclude(stats_polled_at=None).count() == len(asked) - 1
    assert not Campaign.objects.exclude(stats_claim_token="").exists()
    del client.errors["camp_r7"]
    stats_poll_cycle(client=client)  # the ones never asked are still due, and only they
    assert sorted(client.calls) == sorted(f"camp_r{i}" for i in range(12))


# --- fan-out ---------------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    queued = []
    monkeypatch.setattr(dispatch, "send", lambda name, *args, **kw: queued.append(name))
    return queued


@override_settings(STATS_POLL_BATCH=4, STATS_POLL_FANOUT=3)
def test_beat_sends_a_batch_task_per_batch_due_up_to_the_fan_out(db, sent):
    make(5)
    assert stats_poll_dispatch() == 2 and sent == [dispatch.POLL_STATS_BATCH] * 2
    make(20, prefix="x")
    assert stats_poll_dispatch() == 3
    Campaign.objects.update(stats_next_poll_at=timezone.now() + timedelta(seconds=30))
    assert stats_poll_dispatch() == 0


@override_settings(STATS_POLL_BATCH=2)
def test_a_batch_task_passes_the_baton_while_full_batches_come(db, sent, monkeypatch):
    make(3)
    monkeypatch.setattr(stats, "get_client", FakeClient)
    assert stats_batch_run().polled == 2 and len(sent) == 1
    assert stats_batch_run().polled == 1 and len(sent) == 1, "a short batch: nobody else is due"


# --- one token and one call-log row per attempt, retries included ---------------------------


@responses.activate
@override_settings(LEADTERRA_API_BASE="https://lt.test", STATS_POLL_BATCH=5)
def test_a_cycle_over_n_campaigns_with_a_retry_takes_n_plus_one_tokens_and_log_rows(db, monkeypatch):
    from campaigns import ratelimit
    from campaigns.leadterra import retry

    tokens = []
    monkeypatch.setattr(ratelimit, "acquire", lambda: tokens.append(1))
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)
    make(6)
    for i in range(6):
        url = f"https://lt.test/v1/campaigns/camp_r{i}/stats"
        if i == 2:
            responses.get(url, status=503)
        responses.get(url, json={"campaignId": f"camp_r{i}", "sent": i})
    assert stats_poll_cycle().polled == 6
    assert len(tokens) == len(responses.calls) == ApiCall.objects.count() == 7
    assert ApiCall.objects.filter(status_code=503).count() == 1


# --- leases ----------------------------------------------------------------------------------


def test_a_lease_is_freed_only_by_the_token_that_holds_it(db):
    token = lease_acquire(name=sync_jobs.REPLIES, seconds=60)
    assert token and lease_acquire(name=sync_jobs.REPLIES, seconds=60) is None
    assert not lease_release(name=sync_jobs.REPLIES, token="not-mine")
    assert not lease_release(name=sync_jobs.REPLIES, token="")
    assert lease_acquire(name=sync_jobs.REPLIES, seconds=60) is None, "still held"
    assert lease_release(name=sync_jobs.REPLIES, token=token)
    assert lease_acquire(name=sync_jobs.REPLIES, seconds=60)


def test_a_holder_that_outlived_its_lease_does_not_free_its_successors(db):
    from campaigns.models import SyncState

    slow = lease_acquire(name="job", seconds=60)
    SyncState.objects.filter(name="job").update(lease_until=timezone.now() - timedelta(seconds=1))  # ran out
    successor = lease_acquire(name="job", seconds=60)
    assert successor and successor != slow
    assert not lease_release(name="job", token=slow)
    assert lease_acquire(name="job", seconds=60) is None, "the successor still holds it"


def test_a_paused_campaign_still_counts_in_the_fleet(db):
    make(1, status=Campaign.Status.PAUSED, prefix="p")
    CampaignFactory(status=Campaign.Status.DRAFT)
    stats_poll_cycle(client=FakeClient())
    assert Campaign.objects.exclude(stats_next_poll_at=None).count() == 1
