"""Webhook deliveries: signed, retried on the documented schedule compressed by the clock.

Events become Delivery rows inside the request's transaction; a daemon thread of the
sandbox process posts them, so no API request ever waits for a receiver.

Like Leadterra, every attempt carries the real wall-clock time it was sent in the envelope's
`timestamp`, never the simulated clock: receivers refuse deliveries that look stale or early,
and simulated time runs days ahead of the real one.
"""

import hashlib
import hmac
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from django.conf import settings
from django.db import close_old_connections, connections, transaction

from . import clock
from .models import Delivery, Webhook, Workspace
from .router import SANDBOX_DB as DB

log = logging.getLogger(__name__)

EVENTS = ("campaign.started", "message.sent", "message.bounced", "reply.received")
# After the 1st, 2nd, … failure: about 1 min, 5 min, 30 min, 2 h, 8 h (simulated).
RETRY_DELAYS = (60, 300, 1800, 7200, 28800)
TIMEOUT = (3.05, 10)
BATCH = 50

_wake = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def sign(body: bytes, secret: str | None = None) -> str:
    secret = settings.SANDBOX_WEBHOOK_SECRET if secret is None else secret
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def events_wanted(ws: Workspace) -> set:
    wanted: set = set()
    for events in Webhook.objects.using(DB).filter(workspace_id=ws.pk).values_list("events", flat=True):
        wanted.update(events)
    return wanted


def record_events(ws: Workspace, events: list, now: float) -> None:
    """Turn (event, data, at) triples into pending deliveries for every listening webhook."""
    hooks = list(Webhook.objects.using(DB).filter(workspace_id=ws.pk))
    rows = []
    for event, data, at in events:
        # `timestamp` is replaced by the real time of each attempt when it is posted.
        body = json.dumps({"event": event, "timestamp": clock.iso(at), "data": data}, separators=(",", ":"))
        rows += [Delivery(webhook=h, event=event, body=body, next_attempt_at=at) for h in hooks if event in h.events]
    Delivery.objects.using(DB).bulk_create(rows, batch_size=1000)
    if rows:
        transaction.on_commit(wake, using=DB)


def wake() -> None:
    global _thread
    with _started:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="sandbox-webhooks", daemon=True)
            _thread.start()
    _wake.set()


def _loop() -> None:
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="sandbox-webhook-post") as pool:
        while True:
            _wake.wait(timeout=_sleep_for())
            _wake.clear()
            try:
                while deliver_due(pool):
                    pass
            except Exception:  # the thread must survive a bad row or a locked database
                log.exception("webhook delivery round failed")
            finally:
                close_old_connections()
                connections[DB].close()


def _sleep_for() -> float | None:
    """Real seconds until the next retry is due, or None (sleep until woken)."""
    try:
        row = clock.control()
        nxt = (
            Delivery.objects.using(DB)
            .filter(status="pending")
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
    except Exception:  # tables gone (a test database being torn down): wait to be woken
        return None
    finally:
        connections[DB].close()
    if nxt is None:
        return None
    speed = clock.seconds_per_day(row)
    if speed <= 0:
        return 1.0  # frozen clock: only a move makes it due; look again now and then
    return min(5.0, max(0.05, (nxt - clock.sim_now(row)) * speed / clock.DAY))


def deliver_due(pool: ThreadPoolExecutor) -> int:
    now = clock.sim_now()
    due = list(
        Delivery.objects.using(DB)
        .filter(status="pending", next_attempt_at__lte=now)
        .select_related("webhook")
        .order_by("next_attempt_at", "id")[:BATCH]
    )
    for delivery, error in zip(due, pool.map(_post, due), strict=True):
        _record(delivery, error, clock.sim_now())
    return len(due)


def _post(delivery: Delivery) -> str:
    """POST one delivery; returns '' on a 2xx, else what went wrong."""
    delivery.body = stamped(delivery.body)
    body = delivery.body.encode()
    headers = {"Content-Type": "application/json", "X-Leadterra-Signature": sign(body)}
    try:
        response = requests.post(delivery.webhook.url, data=body, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def stamped(body: str, now: float | None = None) -> str:
    """The envelope with `timestamp` set to this attempt's real time (time.time(), not clock.sim_now())."""
    envelope = json.loads(body)
    envelope["timestamp"] = clock.iso(time.time() if now is None else now)
    return json.dumps(envelope, separators=(",", ":"))


def _record(delivery: Delivery, error: str, now: float) -> None:
    attempts = delivery.attempts + 1
    if not error:
        status, nxt = "delivered", delivery.next_attempt_at
    elif attempts > len(RETRY_DELAYS):
        status, nxt = "failed", delivery.next_attempt_at
    else:
        status, nxt = "pending", now + RETRY_DELAYS[attempts - 1]
    Delivery.objects.using(DB).filter(pk=delivery.pk).update(
        status=status, attempts=attempts, next_attempt_at=nxt, last_error=error, body=delivery.body
    )
