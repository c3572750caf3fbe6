"""The stats poll at a real team's size: 1,000 running campaigns, one full cycle.

A real Celery worker (`--pool threads -c 8`, a subprocess) on a real Redis (a throwaway
redis-server) polls a fake Leadterra that answers /stats after 50 ms and itself refuses more
than the budget (429). Beat is played by this process: it sends `poll_stats` at t=0 and again
every STATS_POLL_SECONDS while the cycle runs, so cycles overlap as they do in production.

The bound is what no scheduler can beat: max(calls × latency / threads, calls / budget).
Rows: the cycle against that bound (target ≤ 1.25×), campaigns asked twice in the cycle
(target 0), and 429s (target 0). Other campaigns in the bench database are parked (their next
poll moved a day ahead) for the run and put back afterwards, so the fleet is exactly ours.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGNS = 1000
LATENCY = 0.050
BUDGET_RPS = 50.0
THREADS = 8
TARGET = 1.25
PREFIX = "camp_bench_poll_"
STATS_PATH = re.compile(r"^/v1/campaigns/([^/]+)/stats$")


class FakeLeadterra(BaseHTTPRequestHandler):
    """/stats after LATENCY seconds; a 429 when callers go faster than the budget (a bucket of
    one second's worth, as the sandbox's); counts every call per campaign."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real API

    def do_GET(self):
        server = self.server
        match = STATS_PATH.match(self.path)
        limited = not server.take()
        with server.lock:
            if match:
                server.calls[match.group(1)] += 1
            server.limited += limited
        time.sleep(LATENCY)
        if limited:
            self.answer(429, {"error": {"code": "rate_limited", "message": "slow down"}}, {"Retry-After": "1"})
        elif match:
            figures = {"campaignId": match.group(1), "totalEnrolled": 200, "sent": 120, "delivered": 118}
            self.answer(200, figures | {"bounced": 2, "replied": 9, "queued": 80, "openRate": 0.4, "replyRate": 0.08})
        else:
            self.answer(404, {"error": {"code": "not_found", "message": self.path}})

    def answer(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, rps: float):
        super().__init__(("127.0.0.1", 0), FakeLeadterra)
        self.lock, self.calls, self.limited = threading.Lock(), Counter(), 0
        self.rps, self.burst, self.tokens, self.ts = rps, max(1.0, rps), max(1.0, rps), time.monotonic()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.ts) * self.rps)
            self.ts = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False

    def reset(self) -> None:
        with self.lock:
            self.calls, self.limited = Counter(), 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"bench_poller: timed out after {timeout:.0f} s waiting for {what}")


def start_redis(folder: str) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers():
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False

    wait_for(answers, 10, "redis-server")
    return proc, f"redis://127.0.0.1:{port}/0"


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(redis_url: str, api_base: str) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "BROKER_FALLBACK": "0",
        "LEADTERRA_API_BASE": api_base,
        "LEADTERRA_API_KEY": "sk_test_bench",
        "LEADTERRA_MAX_RPS": str(BUDGET_RPS),
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 30),
        "SANDBOX_ENABLED": "0",
        "DJANGO_SETTINGS_MODULE": "leadterra_ui.settings",
    }
    command = [sys.executable, "-m", "celery", "-A", "leadterra_ui", "worker", "--pool", "threads"]
    command += ["--concurrency", str(THREADS), "--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def seed() -> dict:
    """Our 1,000 running campaigns, due now; everyone else's parked (returned, to put back)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from campaigns.models import Campaign
    from campaigns.services.stats_claims import stats_eligible

    Campaign.objects.filter(remote_id__startswith=PREFIX).delete()
    others = stats_eligible(now=timezone.now())
    parked = dict(others.values_list("pk", "stats_next_poll_at"))
    others.update(stats_next_poll_at=timezone.now() + timedelta(days=1))
    owner, _ = get_user_model().objects.get_or_create(username="bench-poller")
    Campaign.objects.bulk_create(
        Campaign(name=f"Poll bench {i}", owner=owner, status=Campaign.Status.RUNNING, remote_id=f"{PREFIX}{i:04d}")
        for i in range(CAMPAIGNS)
    )
    return parked


def unseed(parked: dict) -> None:
    from campaigns.models import Campaign

    Campaign.objects.filter(remote_id__startswith=PREFIX).delete()
    for pk, next_at in parked.items():
        Campaign.objects.filter(pk=pk).update(stats_next_poll_at=next_at)


def cycle(server: FakeServer, app, beat_seconds: float) -> dict:
    """Beat at t=0 and every `beat_seconds` until every campaign has been polled once."""
    from django.db.models import Avg, Max
    from django.utils import timezone

    from campaigns.models import ApiCall, Campaign

    ours = Campaign.objects.filter(remote_id__startswith=PREFIX)
    ApiCall.objects.filter(endpoint="GET /v1/campaigns/:id/stats").delete()
    server.reset()
    started_at, started = timezone.now(), time.monotonic()
    app.send_task("campaigns.tasks.poll_stats")
    beats = 1
    while ours.filter(stats_polled_at=None).exists():
        if time.monotonic() - started > 300:
            raise RuntimeError("bench_poller: the cycle did not finish in 300 s")
        if time.monotonic() - started >= beats * beat_seconds:
            app.send_task("campaigns.tasks.poll_stats")  # an overlapping beat, as in production
            beats += 1
        time.sleep(0.1)
    last = ours.aggregate(last=Max("stats_polled_at"))["last"]
    calls = dict(server.calls)
    log = ApiCall.objects.filter(endpoint="GET /v1/campaigns/:id/stats")
    return {
        "seconds": (last - started_at).total_seconds(),
        "calls": sum(calls.values()),
        "twice": sum(1 for n in calls.values() if n > 1),
        "limited": server.limited,
        "beats": beats,
        "log_rows": log.count(),
        "http_ms": log.aggregate(ms=Avg("latency_ms"))["ms"] or 0.0,
    }


def measure() -> dict:
    from django.conf import settings

    from leadterra_ui.celery import app

    server = FakeServer(rps=BUDGET_RPS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api_base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as folder:
        redis_proc, redis_url = start_redis(folder)
        saved = app.conf.broker_url
        app.conf.broker_url = redis_url
        app._pool, app.amqp._producer_pool = None, None
        worker, parked = None, seed()
        try:
            worker = start_worker(redis_url, api_base)
            wait_for(lambda: worker_ready(app), 60, "the worker")
            result = cycle(server, app, beat_seconds=float(settings.STATS_POLL_SECONDS))
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(30)
            unseed(parked)
            redis_proc.terminate()
            redis_proc.wait(10)
            app.conf.broker_url = saved
            app._pool, app.amqp._producer_pool = None, None
            server.shutdown()
            server.server_close()
    return result


def worker_ready(app) -> bool:
    from campaigns.models import SyncState

    SyncState.objects.filter(name="worker").delete()
    app.send_task("campaigns.tasks.heartbeat")
    time.sleep(0.5)
    return SyncState.objects.filter(name="worker", last_success_at__isnull=False).exists()


def rows() -> list[dict]:
    r = measure()
    bound = max(CAMPAIGNS * LATENCY / THREADS, CAMPAIGNS / BUDGET_RPS)
    ratio = r["seconds"] / bound
    rate = r["calls"] / r["seconds"] if r["seconds"] else 0.0
    from django.conf import settings

    http_threads = settings.STATS_POLL_HTTP_THREADS  # the worker reads the same environment
    raw = (
        f"cycle {r['seconds']:.1f} s, bound {bound:.1f} s ({CAMPAIGNS:,} calls, {LATENCY * 1000:.0f} ms, "
        f"{THREADS} worker threads + {http_threads} HTTP threads, {BUDGET_RPS:.0f} req/s); "
        f"{r['calls']:,} calls at {rate:.1f}/s, "
        f"{r['log_rows']:,} call-log rows, HTTP {r['http_ms']:.0f} ms avg, {r['beats']} beat runs, {r['limited']}×429"
    )
    what = f"stats poll, {CAMPAIGNS:,} running campaigns"
    return [
        row(f"{what}: one full cycle", ratio, TARGET, "× bound", ratio <= TARGET, raw),
        row(f"{what}: polled twice in a cycle", r["twice"], 0, "campaigns", r["twice"] == 0, raw),
        row(f"{what}: 429 answers", r["limited"], 0, "429s", r["limited"] == 0, raw),
    ]


def row(what: str, measured: float, target: float, unit: str, ok: bool, note: str) -> dict:
    return {"what": what, "measured": round(float(measured), 2), "target": target, "unit": unit, "ok": ok, "note": note}


def run() -> list[str]:
    """For a runner that prints lines (the older `python -m bench`)."""
    lines = [f"{r['what']}: {r['measured']} {r['unit']} (target {r['target']}) {r['note']}" for r in rows()]
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    # A developer's loop on its own database: BENCH_DATABASE_URL (default: leadterra_bench).
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leadterra_bench"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadterra_ui.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 30)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    for r in rows():
        print(json.dumps(r))
