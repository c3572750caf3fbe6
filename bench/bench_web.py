"""The web tier at a real team's size (issue 14): pages and live partials against a bare view
behind the same middleware, the campaign page and editor against themselves at 10 campaigns,
304s for unchanged partials, a webhook's change reaching an open page, 10 concurrent users.

gunicorn with the production configuration (gunicorn.conf.py: gthread workers), PostgreSQL,
DEBUG off; the runner (bench/__main__.py) sets the environment and migrates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import statistics
import threading
import time
import uuid

import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from bench import seed
from bench.harness import row
from bench.server import Browser, gunicorn, medians, p95, session_cookie

ROUNDS = 25


def ratio_row(what: str, value: float, base: float, target: float, base_name: str = "bare") -> dict:
    note = f"{value * 1000:.1f} ms vs {base_name} {base * 1000:.1f} ms (medians of {ROUNDS})"
    return row(what, value / base, target, f"× {base_name}", note)


def pages(world: dict) -> dict[str, dict]:
    draft, running, token = world["draft"], world["running"], world["token"]
    return {
        "bare": {"path": "/_bench/bare/"},
        "page": {"path": reverse("campaign_detail", args=[draft.pk])},
        "editor": {"path": reverse("campaign_edit", args=[draft.pk])},
        "list": {"path": reverse("campaign_list")},
        "rows": {"path": reverse("campaign_rows"), "htmx": True, "conditional": True},
        "rows_full": {"path": reverse("campaign_rows") + "?full", "htmx": True},
        "stats": {"path": reverse("campaign_stats", args=[running.pk]), "htmx": True, "conditional": True},
        "stats_full": {"path": reverse("campaign_stats", args=[running.pk]) + "?full", "htmx": True},
        "wall": {"path": reverse("wall_screen", args=[token]) + "?page=2", "htmx": True, "conditional": True},
        "wall_full": {"path": reverse("wall_screen", args=[token]) + "?page=3", "htmx": True},
    }


def status_row(what: str, got: int, want: int, note: str) -> dict:
    return {"what": what, "measured": float(got), "target": float(want), "unit": "HTTP status",
            "ok": got == want, "note": note}  # fmt: skip


def webhook(base: str, remote_id: str) -> None:
    body = json.dumps({
        "event": "message.sent", "timestamp": timezone.now().isoformat(),
        "data": {"campaignId": remote_id, "messageId": f"msg_{uuid.uuid4().hex}"},
    }).encode()  # fmt: skip
    signature = hmac.new(settings.LEADTERRA_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Leadterra-Signature": signature, "Content-Type": "application/json"}
    response = requests.post(base + "/webhooks/leadterra", data=body, headers=headers, timeout=30)
    response.raise_for_status()


def conditional_checks(browser: Browser, base: str, world: dict) -> list[dict]:
    """Unchanged -> 304; a webhook moves one number -> 200 with it."""
    specs = pages(world)
    stats, wall = specs["stats"]["path"], specs["wall"]["path"]
    browser.get(stats, htmx=True)
    browser.get(wall, htmx=True)
    unchanged = browser.get(stats, htmx=True, conditional=True)[1].status_code
    wall_unchanged = browser.get(wall, htmx=True, conditional=True)[1].status_code
    webhook(base, world["running"].remote_id)
    changed = browser.get(stats, htmx=True, conditional=True)[1].status_code
    return [
        status_row("live stats partial, unchanged", unchanged, 304, f"after a webhook: {changed} (want 200)"),
        status_row("wall refresh, unchanged screen", wall_unchanged, 304, "the TV's browser revalidates its page"),
    ] + ([] if changed == 200 else [status_row("live stats partial, one number changed", changed, 200, "")])


def freshness(base: str, cookie: str, world: dict, trials: int = 6) -> dict:
    """Seconds from a signed webhook to the changed partial in a browser that polls it every
    LIVE_REFRESH_SECONDS with its ETag (as htmx does), the webhook at a random moment."""
    interval = settings.LIVE_REFRESH_SECONDS
    path = reverse("campaign_stats", args=[world["running"].pk])
    browser, delays = Browser(base, cookie), []
    for _ in range(trials):
        browser.get(path, htmx=True)
        posted: dict[str, float] = {}
        timer = threading.Timer(random.uniform(0, interval), _post_webhook, args=(base, world, posted))
        started = time.perf_counter()
        timer.start()
        k = 0
        while True:
            k += 1
            time.sleep(max(0.0, started + k * interval - time.perf_counter()))
            _, response = browser.get(path, htmx=True, conditional=True)
            if response.status_code == 200 and "at" in posted:
                delays.append(time.perf_counter() - posted["at"])
                break
        timer.join()
    note = f"{trials} webhooks, polled every {interval} s with If-None-Match: median {statistics.median(delays):.2f} s"
    return row("a webhook's change visible in an open page", max(delays), 2.0, "s (worst)", note)


def _post_webhook(base: str, world: dict, posted: dict) -> None:
    webhook(base, world["running"].remote_id)
    posted["at"] = time.perf_counter()


def user_session(base: str, cookie: str, loops: int, loads: list, polls: list) -> None:
    """A person on the campaign list: the page, then its rows partial polling every second."""
    browser = Browser(base, cookie)
    list_path, rows_path = reverse("campaign_list"), reverse("campaign_rows")
    time.sleep(random.uniform(0, 1))
    for _ in range(loops):
        loads.append(browser.get(list_path)[0])
        for _ in range(2):
            time.sleep(1)
            polls.append(browser.get(rows_path, htmx=True, conditional=True)[0])


def concurrency(base: str, cookie: str) -> dict:
    def run(users: int, loops: int) -> tuple[list, list]:
        loads, polls = [], []
        threads = [
            threading.Thread(target=user_session, args=(base, cookie, loops, loads, polls)) for _ in range(users)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return loads, polls

    single, single_polls = run(1, 10)
    many, many_polls = run(10, 8)
    note = (f"list page p95 {p95(many) * 1000:.0f} ms with 10 users vs {p95(single) * 1000:.0f} ms alone "
            f"({len(many)} loads); rows polls p95 {p95(many_polls) * 1000:.0f} vs {p95(single_polls) * 1000:.0f} ms; "
            f"gunicorn gthread {settings_workers()}")  # fmt: skip
    return row("10 concurrent users, p95 vs single user", p95(many) / p95(single), 3.0, "× single", note)


def settings_workers() -> str:
    import os

    return f"{os.environ.get('WEB_CONCURRENCY', os.cpu_count())} workers × {os.environ.get('WEB_THREADS', '8')} threads"


def rows() -> list[dict]:
    results = []
    world = seed.grow(10)
    cookie = session_cookie(world["owner"])
    with gunicorn() as base:
        browser = Browser(base, cookie)
        small = medians(browser, {k: v for k, v in pages(world).items() if k in ("bare", "page", "editor")}, ROUNDS)
        world = seed.grow(500)
        print(f"   world: {world['campaigns']} campaigns, {world['leads']:,} leads", flush=True)
        big = medians(browser, pages(world), ROUNDS)
        results += [
            ratio_row("campaign list page, 500 campaigns + 200k leads", big["list"], big["bare"], 5.0),
            ratio_row("live rows partial, unchanged (polled)", big["rows"], big["bare"], 2.0),
            ratio_row("live rows partial, full render", big["rows_full"], big["bare"], 5.0),
            ratio_row("campaign page at 500 vs at 10 campaigns", big["page"], small["page"], 1.5, "own@10"),
            ratio_row("campaign page, 500 campaigns", big["page"], big["bare"], 8.0),
            ratio_row("editor at 500 vs at 10 campaigns", big["editor"], small["editor"], 1.5, "own@10"),
            ratio_row("editor, 500 campaigns", big["editor"], big["bare"], 8.0),
            ratio_row("wall refresh, 500 campaigns (revalidated)", big["wall"], big["bare"], 3.0),
            ratio_row("wall refresh, changed screen (full render)", big["wall_full"], big["bare"], 3.0),
            ratio_row("live stats partial, unchanged (polled)", big["stats"], big["bare"], 2.0),
            ratio_row("live stats partial, full render", big["stats_full"], big["bare"], 2.0),
        ]
        results += conditional_checks(browser, base, world)
        results.append(freshness(base, cookie, world))
        results.append(concurrency(base, cookie))
    return results


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main(["bench_web"]))
