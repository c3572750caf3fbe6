"""The client's one retry layer: which failed attempt of a call is tried again, and after how long.

urllib3 used to retry GETs underneath one request, so a retry skipped the shared rate budget
and the call log showed one row for several attempts. Now the Session never retries and the
client loops here: every attempt takes its own token and writes its own call-log row. The
policy is the one urllib3 applied: only GETs (a write is retried by the outbox, which makes the
retry safe), on 429/500/502/503/504 and on timeouts or dropped connections; at most 3 retries
(2 after connection errors); no wait before the first retry, then 0.6 s, 1.2 s … (plus up to
0.3 s of jitter, at most 4 s); a Retry-After on 413/429/503 is honoured but capped, since a
longer wait belongs to the outbox or the next poll, not to a worker thread.
"""

from __future__ import annotations

import random
import time

from campaigns.leadterra import parse

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({413, 429, 503})
RETRY_AFTER_CAP = 5.0
TOTAL_RETRIES = 3
ERROR_RETRIES = 2
BACKOFF_FACTOR, BACKOFF_JITTER, BACKOFF_MAX = 0.3, 0.3, 4.0


def sleep(seconds: float) -> None:
    """The one place the client waits between attempts (tests record it instead)."""
    time.sleep(seconds)


class Retries:
    """The retries one call has left. `after_*` return the wait before the next attempt, or None."""

    def __init__(self, method: str):
        self.enabled = method.upper() == "GET"
        self.total, self.errors, self.done = TOTAL_RETRIES, ERROR_RETRIES, 0

    def after_error(self) -> float | None:
        """A timeout or a dropped connection (no answer)."""
        if not self.enabled or self.total <= 0 or self.errors <= 0:
            return None
        self.errors -= 1
        return self._spend()

    def after_status(self, status: int, headers) -> float | None:
        if not self.enabled or self.total <= 0 or status not in RETRY_STATUSES:
            return None
        header = headers.get("Retry-After")
        wait = self._spend()
        if header and status in RETRY_AFTER_STATUSES:
            return min(parse.retry_after(header), RETRY_AFTER_CAP)
        return wait

    def _spend(self) -> float:
        self.total -= 1
        self.done += 1
        if self.done <= 1:
            return 0.0
        return min(BACKOFF_MAX, BACKOFF_FACTOR * 2 ** (self.done - 1) + random.random() * BACKOFF_JITTER)
