"""The rate budget measured on a fake clock: bursts, penalties and their expiry, the Redis path.

Nothing here sleeps: `ratelimit.time` is replaced by a clock the test moves, and sleeping on
it only moves it. The Redis path talks to a recording stand-in for the client (the real
script runs in the integration tier against a real Redis).
"""

import pytest
from celery import current_app

from campaigns import ratelimit


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FakeRedis:
    """Answers `eval` with the queued waits; records every call; raises when told to."""

    def __init__(self, waits=()):
        self.waits = list(waits)
        self.calls: list[tuple] = []
        self.error: Exception | None = None

    def eval(self, *args):
        self.calls.append(("eval", *args))
        if self.error:
            raise self.error
        return self.waits.pop(0) if self.waits else "0"

    def delete(self, *keys):
        self.calls.append(("delete", *keys))
        if self.error:
            raise self.error


@pytest.fixture
def clock(monkeypatch, settings):
    fake = Clock()
    monkeypatch.setattr(ratelimit, "time", fake)
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: "filesystem://")
    monkeypatch.setattr(ratelimit, "_redis", {"url": None, "client": None, "down_until": 0.0})
    settings.LEADTERRA_MAX_RPS = 5  # not the default (10): one token every 0.2 s
    ratelimit.reset()
    return fake


@pytest.fixture
def redis_fake(clock, monkeypatch):
    """Point the budget at a 'redis://' broker whose client is a FakeRedis."""
    import redis

    fake = FakeRedis()
    made = []

    def from_url(url, **options):
        made.append((url, options))
        return fake

    monkeypatch.setattr(redis.Redis, "from_url", staticmethod(from_url))
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: "redis://broker.example:6390/3")
    fake.made = made
    return fake


def test_one_token_then_evenly_spaced_and_no_burst_after_idling(clock):
    bucket = ratelimit.LocalBucket()
    assert bucket.take(5) == 0.0
    assert bucket.take(5) == pytest.approx(0.2)  # the next slot is this caller's
    clock.now += 0.1  # half a token has come back, and it is already promised
    assert bucket.take(5) == pytest.approx(0.3)  # so the third caller queues behind the second
    clock.now += 0.5  # every promised slot has passed and a token is back
    assert bucket.take(5) == 0.0
    clock.now += 60  # a minute idle still buys one request, not a burst of 300
    assert bucket.take(5) == 0.0
    assert bucket.take(5) == pytest.approx(0.2)


def test_waiting_callers_get_slots_in_order_one_interval_apart(clock):
    bucket = ratelimit.LocalBucket()
    waits = [bucket.take(5) for _ in range(6)]
    assert waits == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_a_wait_over_max_wait_reserves_nothing(clock, settings):
    bucket = ratelimit.LocalBucket()
    rps = 1.0
    waits = [bucket.take(rps) for _ in range(13)]
    assert waits == pytest.approx([*range(11), 11, 11])  # the last two were refused: no slot taken
    clock.now += 2  # two slots have passed: the next caller's slot is the one after the 11 promised
    assert bucket.take(rps) == pytest.approx(9.0)


def test_a_penalty_halves_then_quarters_and_no_lower(clock):
    bucket = ratelimit.LocalBucket()

    def next_wait():
        bucket.tokens, bucket.ts = 0.0, clock.now  # an empty bucket, no caller waiting
        return bucket.take(5)

    bucket.shrink(10)
    assert next_wait() == pytest.approx(0.4)  # 2.5 rps
    bucket.shrink(10)
    assert next_wait() == pytest.approx(0.8)  # 1.25 rps
    bucket.shrink(10)
    assert next_wait() == pytest.approx(0.8)  # MIN_FACTOR: never below a quarter


def test_a_penalty_lasts_its_seconds_then_expires(clock):
    bucket = ratelimit.LocalBucket()
    bucket.take(5)
    bucket.shrink(7)
    clock.now += 7  # the last moment of the penalty: the rate is still halved
    bucket.tokens, bucket.ts = 0.0, clock.now
    assert bucket.take(5) == pytest.approx(0.4)
    clock.now += 0.001
    bucket.tokens, bucket.ts = 0.0, clock.now
    assert bucket.take(5) == pytest.approx(0.2)


def test_acquire_sleeps_a_wait_of_exactly_max_wait(clock, settings):
    settings.LEADTERRA_MAX_RPS = 1 / ratelimit.MAX_WAIT
    ratelimit.acquire()
    ratelimit.acquire()
    assert clock.slept == [pytest.approx(ratelimit.MAX_WAIT)]


def test_acquire_refuses_a_wait_over_max_wait_without_sleeping(clock, settings):
    settings.LEADTERRA_MAX_RPS = 0.08  # one call every 12.5 s
    ratelimit.acquire()
    with pytest.raises(ratelimit.BudgetExhausted) as raised:
        ratelimit.acquire()
    assert clock.slept == []
    assert raised.value.retry_after == pytest.approx(12.5)
    assert str(raised.value) == "The shared Leadterra rate budget is exhausted for 12.5 s."


@pytest.mark.parametrize("rps", [0, -1])
def test_a_budget_of_zero_or_less_is_off(clock, settings, redis_fake, rps):
    settings.LEADTERRA_MAX_RPS = rps
    redis_fake.waits = ["5"]
    for _ in range(3):
        ratelimit.acquire()
    assert redis_fake.calls == [] and clock.slept == []


def test_a_shared_slot_is_slept_once_and_a_long_wait_refused(clock, redis_fake):
    redis_fake.waits = ["4"]  # the script reserved the slot 4 s ahead for this caller
    ratelimit.acquire()
    assert clock.slept == [4.0] and len(redis_fake.calls) == 1
    clock.slept.clear()
    redis_fake.waits = ["10.5"]  # further than MAX_WAIT: the script reserved nothing
    with pytest.raises(ratelimit.BudgetExhausted) as raised:
        ratelimit.acquire()
    assert clock.slept == [] and raised.value.retry_after == 10.5


def test_the_shared_bucket_gets_the_keys_and_the_budget(clock, redis_fake):
    ratelimit.acquire()
    assert redis_fake.calls == [
        ("eval", ratelimit.TAKE, 2, ratelimit.BUCKET_KEY, ratelimit.PENALTY_KEY, 5.0, ratelimit.MAX_WAIT),
    ]
    assert redis_fake.made == [("redis://broker.example:6390/3", {"socket_timeout": 1, "socket_connect_timeout": 1})]


@pytest.mark.parametrize(
    ("url", "shared"),
    [("redis://h:6379/0", True), ("rediss://h:6380/0", True), ("filesystem://", False), ("amqp://h//", False)],
)
def test_only_a_redis_broker_is_shared(clock, redis_fake, monkeypatch, url, shared):
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: url)
    ratelimit.acquire()
    assert bool(redis_fake.calls) is shared


def test_the_client_is_made_once_per_broker_url(clock, redis_fake, monkeypatch):
    ratelimit.acquire()
    clock.now += 1
    ratelimit.acquire()
    assert len(redis_fake.made) == 1
    monkeypatch.setattr(ratelimit, "_broker_url", lambda: "redis://other.example:6379/0")
    ratelimit.acquire()
    assert [url for url, _ in redis_fake.made] == ["redis://broker.example:6390/3", "redis://other.example:6379/0"]


def test_a_failing_redis_falls_back_and_is_retried_after_five_seconds(clock, redis_fake):
    redis_fake.error = ConnectionError("refused")
    ratelimit.acquire()  # falls back to the local bucket, which has its token
    assert len(redis_fake.calls) == 1
    redis_fake.error = None
    clock.now += ratelimit.REDIS_RETRY_SECONDS - 0.5
    ratelimit.acquire()  # still local: 4.5 s later the local bucket has a token again
    assert len(redis_fake.calls) == 1 and clock.slept == []
    clock.now += 1
    ratelimit.acquire()
    assert len(redis_fake.calls) == 2


def test_a_429_shrinks_the_shared_budget_for_at_least_ten_seconds(clock, redis_fake):
    ratelimit.penalize(3)
    ratelimit.penalize(42.9)
    assert redis_fake.calls == [
        ("eval", ratelimit.SHRINK, 1, ratelimit.PENALTY_KEY, 10, ratelimit.MIN_FACTOR),
        ("eval", ratelimit.SHRINK, 1, ratelimit.PENALTY_KEY, 42, ratelimit.MIN_FACTOR),
    ]


def test_a_429_without_redis_shrinks_the_local_budget(clock, redis_fake):
    redis_fake.error = ConnectionError("refused")
    ratelimit.penalize(3)
    assert ratelimit._redis["down_until"] == clock.now + ratelimit.REDIS_RETRY_SECONDS
    assert ratelimit._local_bucket.take(5) == 0.0
    assert ratelimit._local_bucket.take(5) == pytest.approx(0.4)  # halved, for max(10, 3) s
    clock.now += 9.9
    ratelimit._local_bucket.tokens = 0.0
    ratelimit._local_bucket.ts = clock.now
    assert ratelimit._local_bucket.take(5) == pytest.approx(0.4)


def test_reset_forgets_the_shared_bucket_and_the_outage(clock, redis_fake):
    ratelimit._redis["down_until"] = clock.now + 100
    ratelimit.reset()
    assert redis_fake.calls == [("delete", ratelimit.BUCKET_KEY, ratelimit.PENALTY_KEY)]
    redis_fake.error = ConnectionError("refused")
    ratelimit.reset()
    assert ratelimit._redis["down_until"] == clock.now + ratelimit.REDIS_RETRY_SECONDS


def test_reset_gives_a_fresh_local_bucket(clock):
    ratelimit.penalize(30)
    ratelimit.acquire()
    ratelimit.reset()
    assert ratelimit._local_bucket.factor == 1.0 and ratelimit._local_bucket.tokens == 1.0


def test_the_broker_url_is_celerys_or_the_settings(monkeypatch, settings):
    monkeypatch.setattr(current_app.conf, "broker_url", "redis://celery.example:1/0")
    assert ratelimit._broker_url() == "redis://celery.example:1/0"
    monkeypatch.setattr(current_app.conf, "broker_url", None)
    settings.CELERY_BROKER_URL = "redis://settings.example:2/0"
    assert ratelimit._broker_url() == "redis://settings.example:2/0"


def test_redis_is_tried_again_at_exactly_five_seconds(clock, redis_fake):
    redis_fake.error = ConnectionError("refused")
    ratelimit.acquire()
    redis_fake.error = None
    clock.now += ratelimit.REDIS_RETRY_SECONDS
    ratelimit.acquire()
    assert len(redis_fake.calls) == 2
