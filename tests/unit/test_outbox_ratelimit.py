"""The shared rate budget: a token bucket in Redis for every worker, per process without it."""

import threading
import time

import pytest
import responses

from campaigns import ratelimit
from campaigns.leadterra import RateLimited, get_client


@pytest.fixture
def budget(settings):
    settings.LEADTERRA_MAX_RPS = 20
    ratelimit.reset()
    yield
    ratelimit.reset()


def rate_of(n_threads: int, calls_each: int) -> tuple[float, int]:
    """Calls per second, measured over the intervals between calls.

    The bucket starts with one token, so the first call passes at once and n calls take
    (n - 1) / rate seconds: dividing n by the elapsed time would overstate the rate.
    """

    def work():
        for _ in range(calls_each):
            ratelimit.acquire()

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = n_threads * calls_each
    return (total - 1) / (time.monotonic() - started), total


def test_without_redis_each_process_keeps_the_budget_itself(budget, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: "filesystem://")
    rps, _ = rate_of(4, 10)
    assert 14 <= rps <= 21


def test_a_429_halves_the_local_budget_for_a_while(budget, monkeypatch):
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: "filesystem://")
    ratelimit.penalize(1)
    rps, _ = rate_of(2, 10)
    assert rps <= 10.5


def test_a_long_wait_is_not_slept_in_the_worker(budget, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: "filesystem://")
    settings.LEADTERRA_MAX_RPS = 0.05  # one call every 20 s
    ratelimit.acquire()
    with pytest.raises(ratelimit.BudgetExhausted) as raised:
        ratelimit.acquire()
    assert 15 < raised.value.retry_after <= 20


@responses.activate  # any request would fail as a connection error (Transient), not RateLimited
def test_the_client_turns_an_exhausted_budget_into_a_retry_after_the_wait(budget, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: "filesystem://")
    settings.LEADTERRA_MAX_RPS = 0.05
    ratelimit.acquire()
    with pytest.raises(RateLimited) as raised:
        get_client().get_stats("c_1")
    assert raised.value.code == "local_rate_budget" and 15 < raised.value.retry_after <= 20
    assert len(responses.calls) == 0


def test_zero_turns_the_budget_off(settings):
    settings.LEADTERRA_MAX_RPS = 0
    started = time.monotonic()
    for _ in range(100):
        ratelimit.acquire()
    assert time.monotonic() - started < 0.5


@pytest.mark.integration
def test_all_workers_share_one_budget_through_redis(budget, redis_server, settings):
    ratelimit.reset()
    assert ratelimit._redis_client() is not None
    rps, _ = rate_of(6, 8)
    assert 14 <= rps <= 21
    import redis

    assert redis.Redis.from_url(redis_server.url).exists(ratelimit.BUCKET_KEY)


@pytest.mark.integration
def test_a_429_shrinks_the_shared_budget(budget, redis_server):
    ratelimit.reset()
    ratelimit.penalize(1)
    import redis

    assert float(redis.Redis.from_url(redis_server.url).get(ratelimit.PENALTY_KEY)) == 0.5
    rps, _ = rate_of(2, 10)
    assert rps <= 10.5


@pytest.mark.integration
def test_when_redis_stops_answering_the_budget_falls_back_per_process(budget, redis_server, monkeypatch):
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: "redis://127.0.0.1:1/0")
    ratelimit.reset()
    ratelimit.acquire()  # no exception: the call goes on with a local budget
    assert ratelimit._redis_client() is None
