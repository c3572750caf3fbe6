"""The sandbox under load: the stats call, and advancing one simulated day with 1,000 running
campaigns × 200 leads, each next to a baseline measured in the same run (a small world).

Runs on a throwaway SQLite file (never the developer's sandbox.sqlite3), through Django's
test client (the whole view stack, no sockets).
"""

import statistics
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections

BIG = {"campaigns": 1000, "leads": 200}
SMALL = {"campaigns": 10, "leads": 200}
STATS_CALLS = 200


def use_scratch_database(folder: Path) -> None:
    """Point the `sandbox` alias at a fresh file before anything connects to it."""
    name = str(folder / "bench-sandbox.sqlite3")
    settings.DATABASES["sandbox"]["NAME"] = name
    connections["sandbox"].close()
    connections["sandbox"].settings_dict["NAME"] = name
    call_command("migrate", database="sandbox", verbosity=0)


def build(size: dict):
    from sandbox import clock, seeding

    clock.set_speed(0)  # frozen: only the benchmark moves time
    started = time.perf_counter()
    ws = seeding.reset(seed=7, pools=3, senders=12, pool_capacity=150_000, steps=3, **size)
    return ws, time.perf_counter() - started


def advance_one_day(ws) -> tuple[float, int]:
    """Seconds to simulate the next day, and how many messages that day sent."""
    from sandbox import clock, world
    from sandbox.models import Campaign

    sent_before = sum(Campaign.objects.using("sandbox").values_list("sent", flat=True))
    clock.move_forward(clock.DAY)
    started = time.perf_counter()
    world.advance(ws.pk)
    elapsed = time.perf_counter() - started
    return elapsed, sum(Campaign.objects.using("sandbox").values_list("sent", flat=True)) - sent_before


def stats_latency(ws) -> list[float]:
    from django.test import Client

    from sandbox.models import Campaign

    client = Client(HTTP_AUTHORIZATION=f"Bearer {ws.api_key}", HTTP_HOST="127.0.0.1")
    ids = list(Campaign.objects.using("sandbox").values_list("public_id", flat=True)[:50])
    timings = []
    for i in range(STATS_CALLS):
        started = time.perf_counter()
        response = client.get(f"/sandbox/v1/campaigns/{ids[i % len(ids)]}/stats")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content
    return timings


def measure(size: dict) -> dict:
    ws, seed_seconds = build(size)
    day1 = advance_one_day(ws)  # step 1 to every lead, replies start arriving
    day2 = advance_one_day(ws)  # step 2 (delayDays 2 after step 1) to everyone still in sequence
    day3 = advance_one_day(ws)  # only replies: step 3 waits three more days
    return {"seed": seed_seconds, "days": [day1, day2, day3], "stats": stats_latency(ws)}


def rows() -> list[dict]:
    """The sandbox's stats call and its day advance stay flat from 10 to 1,000 campaigns."""
    from bench.harness import row

    settings.SANDBOX_RATE_LIMIT_RPS = 0
    with tempfile.TemporaryDirectory() as folder:
        use_scratch_database(Path(folder))
        small, big = measure(SMALL), measure(BIG)
    stats = statistics.median(big["stats"]) / statistics.median(small["stats"])
    stats_note = (
        f"median {statistics.median(big['stats']) * 1000:.2f} ms vs {statistics.median(small['stats']) * 1000:.2f} ms "
        f"({STATS_CALLS} calls each; seeded in {big['seed']:.1f} s)"
    )
    per_send = [(r["days"][0][0] / r["days"][0][1]) if r["days"][0][1] else 0 for r in (small, big)]
    send_note = f"day 1: {per_send[1] * 1e6:.1f} µs/send vs {per_send[0] * 1e6:.1f} µs/send"
    return [
        row("sandbox stats call, 1,000 vs 10 campaigns", stats, 2.0, "× small world", stats_note),
        row(
            "sandbox day advance per send, 1,000 vs 10 campaigns",
            per_send[1] / per_send[0],
            2.0,
            "× small world",
            send_note,
        ),  # fmt: skip
    ]
