"""pools_apply: the local mirror of sender pools and accounts, from every response variant."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from campaigns.leadterra import SenderAccountData, SenderPoolData
from campaigns.models import Operation, PoolSnapshot, SenderAccount, SenderPool, SyncState
from campaigns.services import sync_jobs
from campaigns.services.pools import pools_apply, pools_freshness

pytestmark = pytest.mark.django_db

ACCOUNTS = [
    SenderAccountData(id="sa_1", email="ana@out.example", name="Ana", status="active"),
    SenderAccountData(id="sa_2", email="bo@out.example", name="Bo", status="warming"),
    SenderAccountData(id="sa_3", email="cy@out.example", name="Cy", status="suspended"),
]


def pool(pid="pool_a", *, remaining=300, count=0, ids=(), capacity=500):
    return SenderPoolData(
        id=pid,
        name=pid.upper(),
        daily_capacity=capacity,
        remaining=remaining,
        sender_count=count,
        sender_account_ids=tuple(ids),
    )


def test_it_links_accounts_when_the_pool_lists_their_ids():
    pools_apply(pools=[pool(ids=["sa_1", "sa_2"], count=2)], accounts=ACCOUNTS)
    p = SenderPool.objects.get()
    assert (p.daily_capacity, p.remaining, p.sender_count) == (500, 300, 2)
    assert sorted(p.senders.values_list("remote_id", flat=True)) == ["sa_1", "sa_2"]
    assert SenderAccount.objects.get(remote_id="sa_3").pool is None
    assert SenderAccount.objects.get(remote_id="sa_3").status == "suspended"  # kept as is


def test_a_count_only_variant_keeps_the_last_known_links():
    pools_apply(pools=[pool(ids=["sa_1"], count=1)], accounts=ACCOUNTS)
    pools_apply(pools=[pool(count=4)], accounts=ACCOUNTS)
    p = SenderPool.objects.get()
    assert p.sender_count == 4
    assert list(p.senders.values_list("remote_id", flat=True)) == ["sa_1"]


def test_a_count_only_variant_never_invents_links():
    pools_apply(pools=[pool(count=3)], accounts=ACCOUNTS)
    assert SenderPool.objects.get().sender_count == 3
    assert not SenderAccount.objects.filter(pool__isnull=False).exists()


def test_ids_move_an_account_between_pools_and_unlink_dropped_ones():
    pools_apply(pools=[pool("pool_a", ids=["sa_1", "sa_2"]), pool("pool_b", ids=["sa_3"])], accounts=ACCOUNTS)
    pools_apply(pools=[pool("pool_a", ids=["sa_1"]), pool("pool_b", ids=["sa_3", "sa_2"])], accounts=ACCOUNTS)
    assert SenderAccount.objects.get(remote_id="sa_2").pool.remote_id == "pool_b"
    assert SenderPool.objects.get(remote_id="pool_b").sender_count == 2  # from the ids when no count


def test_pools_and_accounts_leadterra_no_longer_lists_are_removed():
    pools_apply(pools=[pool("pool_a"), pool("pool_b")], accounts=ACCOUNTS)
    pools_apply(pools=[pool("pool_b")], accounts=ACCOUNTS[:1])
    assert list(SenderPool.objects.values_list("remote_id", flat=True)) == ["pool_b"]
    assert list(SenderAccount.objects.values_list("remote_id", flat=True)) == ["sa_1"]


def test_remaining_is_clamped_to_the_window():
    pools_apply(pools=[pool(remaining=900, capacity=500), pool("pool_z", remaining=-3)], accounts=[])
    assert sorted(SenderPool.objects.values_list("remaining", flat=True)) == [0, 500]


def test_it_keeps_a_thin_history_of_snapshots():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        pools_apply(pools=[pool(remaining=300)], accounts=[])
        pools_apply(pools=[pool(remaining=300)], accounts=[])  # same numbers: no new point
        pools_apply(pools=[pool(remaining=250)], accounts=[])  # changed: a point
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        pools_apply(pools=[pool(remaining=250)], accounts=[])  # old enough: a point
    assert list(PoolSnapshot.objects.values_list("remaining", flat=True)) == [300, 250, 250]


def test_success_is_recorded_and_makes_the_data_fresh():
    before = timezone.now()
    pools_apply(pools=[pool()], accounts=[])
    state = SyncState.objects.get(name="pools")
    assert before <= state.last_success_at <= timezone.now()
    fresh = pools_freshness()
    assert not fresh.stale and fresh.error == ""


def test_data_is_stale_when_old_or_when_the_last_refresh_failed():
    assert pools_freshness().stale  # never refreshed
    pools_apply(pools=[pool()], accounts=[])
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert pools_freshness().stale
    sync_jobs.sync_failure(name=sync_jobs.POOLS, error="Leadterra answered 503")
    fresh = pools_freshness()
    assert fresh.stale and "503" in fresh.error


def test_a_failed_refresh_operation_after_the_last_success_marks_it_stale():
    pools_apply(pools=[pool()], accounts=[])
    Operation.objects.create(kind="refresh_pools", status="failed", last_error="401 authentication_failed")
    fresh = pools_freshness()
    assert fresh.stale and "401" in fresh.error


def test_the_beat_task_enqueues_one_refresh_at_a_time(django_capture_on_commit_callbacks):
    from campaigns.tasks import refresh_pools

    with django_capture_on_commit_callbacks() as callbacks:
        refresh_pools()
        refresh_pools()
    assert Operation.objects.filter(kind="refresh_pools").count() == 1
    assert len(callbacks) == 1
    Operation.objects.update(status="succeeded")
    with django_capture_on_commit_callbacks():
        refresh_pools()
    assert Operation.objects.filter(kind="refresh_pools").count() == 2
