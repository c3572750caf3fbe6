"""A 100,000-row lead import against a bare csv.reader over the same file, and its peak memory.

Runs on a throwaway test database (migrated here, dropped at the end) and a temporary
media folder, so `make bench` never touches the development data. Memory is traced in a
second run (tracemalloc slows Python down) for two file sizes: if the import streams, the
peak does not grow with the file.
"""

from __future__ import annotations

import csv
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

ROWS = 100_000
SMALL_ROWS = 20_000


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Realistic enough: standard columns, a custom one, ~1% invalid and ~1% duplicate rows."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Email", "First Name", "Last Name", "Company", "Job Title", "Favourite colour"])
        for i in range(rows):
            roll = rng.random()
            email = f"person{i}@company{i % 977}.example.com"
            if roll < 0.01:
                email = f"broken{i}.example.com"
            elif roll < 0.02:
                email = f"person{max(0, i - 5)}@company{max(0, i - 5) % 977}.example.com"
            writer.writerow([email, f"First{i}", f"Last{i}", f"Company {i % 977}", "Head of Sales", "teal"])


def csv_reader_seconds(path: Path) -> float:
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as f:
        for _row in csv.reader(f):
            pass
    return time.perf_counter() - started


def import_once(path: Path, owner) -> tuple[float, object]:
    from django.core.files import File

    from campaigns.models import Campaign, LeadImport
    from campaigns.services.leads import lead_import_create, lead_import_run

    campaign = Campaign.objects.create(name=f"bench {path.name}", owner=owner)
    with path.open("rb") as f:
        imp = lead_import_create(campaign=campaign, actor=owner, upload=File(f, name=path.name))
    # Queue it without a broker: the bench runs the task's service in this process.
    LeadImport.objects.filter(pk=imp.pk).update(status=LeadImport.Status.QUEUED)
    started = time.perf_counter()
    lead_import_run(import_id=imp.pk)
    seconds = time.perf_counter() - started
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.SUCCEEDED, imp.error
    return seconds, imp


def table_milliseconds(campaign) -> dict[str, float]:
    """The leads table's queries over the imported campaign (best of 3, in ms)."""
    from campaigns.services.lead_queries import lead_page, lead_status_counts

    cases = {
        "first page": lambda: lead_page(campaign=campaign),
        "page deep in the list": lambda: lead_page(campaign=campaign, after=campaign.leads.order_by("-pk")[100].pk),
        "status counts": lambda: lead_status_counts(campaign=campaign),
        "search": lambda: lead_page(campaign=campaign, search="person9999"),
        "missing a custom token": lambda: lead_page(campaign=campaign, missing="nickname"),
    }
    timings = {}
    for name, case in cases.items():
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            case()
            best = min(best, time.perf_counter() - started)
        timings[name] = best * 1000
    return timings


def traced_peak(path: Path, owner) -> int:
    tracemalloc.start()
    try:
        import_once(path, owner)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run() -> list[str]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    # As in production: with DEBUG on, Django keeps the last 9,000 queries' SQL in memory.
    settings.DEBUG = False
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    settings.MEDIA_ROOT = tmp / "media"
    old_name = connection.settings_dict["NAME"]
    # Its own database, never the one a concurrent pytest run uses.
    sqlite = connection.vendor == "sqlite"
    connection.settings_dict["TEST"]["NAME"] = str(tmp / "bench.sqlite3") if sqlite else "bench_import"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner = get_user_model().objects.create(username="bench")
        big, small = tmp / "big.csv", tmp / "small.csv"
        write_csv(big, ROWS)
        write_csv(small, SMALL_ROWS)
        baseline = csv_reader_seconds(big)
        seconds, imp = import_once(big, owner)
        table = table_milliseconds(imp.campaign)
        peak_small, peak_big = traced_peak(small, owner), traced_peak(big, owner)
        maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        c = imp.counts
        lines = [
            f"file: {ROWS:,} rows, {big.stat().st_size / 1e6:.1f} MB",
            f"csv.reader over the same file: {baseline:.3f} s",
            f"import (count, validate, stage, apply): {seconds:.2f} s = {ROWS / seconds:,.0f} rows/s",
            f"ratio import / csv.reader: {seconds / baseline:.0f}x",
            f"counts: new {c['new']:,}, invalid {c['invalid']:,}, duplicate {c['duplicate']:,}",
            f"peak traced memory: {peak_small / 1e6:.1f} MB at {SMALL_ROWS:,} rows, "
            f"{peak_big / 1e6:.1f} MB at {ROWS:,} rows (ratio {peak_big / peak_small:.2f}; flat = streaming)",
            f"process max RSS: {maxrss_mb:.0f} MB",
            "leads table at 100,000 leads: " + ", ".join(f"{k} {v:.0f} ms" for k, v in table.items()),
        ]
        for line in lines:
            print("  " + line)
        return lines
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
