"""The rate budget: every worker on every host together stays under LEADTERRA_MAX_RPS.

A token bucket lives in Redis (the broker) and is updated by one Lua script, so the
check-and-take is atomic across processes and uses Redis's clock, not each host's. A 429
from Leadterra halves the budget for ten seconds (repeated 429s down to a quarter). When the broker is not
Redis (the filesystem fallback of `make run`) or Redis does not answer, each process
keeps its own bucket: the product keeps working, less precisely.

The bucket holds one token, so requests are spaced evenly and no burst can pass the
limit within any second. A caller that finds no token reserves the next free slot (the
bucket goes into debt, one token per waiting caller) and sleeps until it, once: slots are
handed out in order, so no token is lost between the moment it comes back and the moment
a waiter wakes to take it (with eight threads on a busy machine that lag cost ~10% of the
budget when waiters competed for each token). A wait longer than MAX_WAIT reserves
nothing and is not slept in the worker: it raises BudgetExhausted, which the client turns
into its RateLimited error so the outbox reschedules the operation.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

BUCKET_KEY = "leadterra:ratelimit:bucket"
PENALTY_KEY = "leadterra:ratelimit:penalty"
PENALTY_SECONDS = 10
MIN_FACTOR = 0.25
MAX_WAIT = 10.0
REDIS_RETRY_SECONDS = 5.0


class BudgetExhausted(Exception):  # noqa: N818 (named for the state, like the client's RateLimited)
    """The next token is further away than MAX_WAIT; try again in `retry_after` seconds."""

    def __init__(self, *, retry_after: float):
        super().__init__(f"The shared Leadterra rate budget is exhausted for {retry_after:.1f} s.")
        self.retry_after = retry_after


TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1]) * tonumber(redis.call('GET', KEYS[2]) or '1')
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or 1
local ts = tonumber(b[2]) or now
tokens = math.min(1, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate end
if wait <= tonumber(ARGV[2]) then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 60)
return tostring(wait)
"""

SHRINK = """
local f = tonumber(redis.call('GET', KEYS[1]) or '1') * 0.5
if f < tonumber(ARGV[2]) then f = tonumber(ARGV[2]) end
redis.call('SET', KEYS[1], tostring(f), 'EX', tonumber(ARGV[1]))
return tostring(f)
"""


class LocalBucket:
    """The same bucket, per process, for when there is no Redis to share."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tokens, self.ts = 1.0, time.monotonic()
        self.factor, self.factor_until = 1.0, 0.0

    def take(self, rps: float) -> float:
        with self.lock:
            now = time.monotonic()
            if now > self.factor_until:
                self.factor = 1.0
            rate = rps * self.factor
            self.tokens = min(1.0, self.tokens + (now - self.ts) * rate)
            self.ts = now
            wait = 0.0 if self.tokens >= 1 else (1 - self.tokens) / rate
            if wait <= MAX_WAIT:  # the slot is this caller's: take it now or in debt
                self.tokens -= 1
            return wait

    def shrink(self, seconds: float) -> None:
        with self.lock:
            self.factor = max(MIN_FACTOR, self.factor * 0.5)
            self.factor_until = time.monotonic() + seconds


_local_bucket = LocalBucket()
_redis = {"url": None, "client": None, "down_until": 0.0}
_redis_lock = threading.Lock()


def _broker_url() -> str:
    from celery import current_app

    return str(current_app.conf.broker_url or settings.CELERY_BROKER_URL)


def _redis_client():
    """The shared Redis, or None (filesystem broker, or Redis down: retry in a few seconds)."""
    url = _broker_url()
    if not url.startswith(("redis://", "rediss://")) or time.monotonic() < _redis["down_until"]:
        return None
    with _redis_lock:
        if _redis["url"] != url:
            import redis

            _redis["client"] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
            _redis["url"] = url
        return _redis["client"]


def _redis_down(exc: Exception) -> None:
    _redis["down_until"] = time.monotonic() + REDIS_RETRY_SECONDS
    logger.warning("rate budget: Redis unavailable (%s); using a per-process budget", exc.__class__.__name__)


def _take(rps: float) -> float:
    client = _redis_client()
    if client is not None:
        try:
            return float(client.eval(TAKE, 2, BUCKET_KEY, PENALTY_KEY, rps, MAX_WAIT))
        except Exception as exc:  # redis errors of every kind: fall back, never fail the call
            _redis_down(exc)
    return _local_bucket.take(rps)


def acquire() -> None:
    """Block until this caller's slot comes (short waits only; see MAX_WAIT)."""
    rps = float(settings.LEADTERRA_MAX_RPS)
    if rps <= 0:
        return  # 0 turns the budget off
    wait = _take(rps)
    if wait > MAX_WAIT:  # nothing was reserved
        raise BudgetExhausted(retry_after=wait)
    if wait > 0:
        time.sleep(wait)


def penalize(retry_after: float) -> None:
    """Leadterra said 429: halve the budget of every worker for a while."""
    seconds = int(max(PENALTY_SECONDS, retry_after))
    client = _redis_client()
    if client is not None:
        try:
            client.eval(SHRINK, 1, PENALTY_KEY, seconds, MIN_FACTOR)
            return
        except Exception as exc:
            _redis_down(exc)
    _local_bucket.shrink(seconds)


def reset() -> None:
    """Forget the budget and any penalty (tests, and after changing LEADTERRA_MAX_RPS)."""
    global _local_bucket
    _local_bucket = LocalBucket()
    _redis["down_until"] = 0.0
    client = _redis_client()
    if client is not None:
        try:
            client.delete(BUCKET_KEY, PENALTY_KEY)
        except Exception as exc:
            _redis_down(exc)
