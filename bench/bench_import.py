"""A 100,000-row lead import against a bare csv.reader over the same file, and its memory.

The fastest of three imports is compared with the fastest of three csv.reader passes (on a
shared machine a single run measures the neighbours as much as the import); the note lists
all three.

`rows()` runs on the database the bench runner migrated (PostgreSQL), and once more in a
child process on a temporary SQLite database, so both ratios come from the same run.
Memory is traced with tracemalloc in separate runs (it slows Python down) at two file
sizes: if the import streams, the peak does not grow with the file.

Standalone: `python -m bench.bench_import` makes its own throwaway database.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.harness import bench_environment

ROWS = 100_000
SMALL_ROWS = 20_000
RUNS = 3  # imports measured, the fastest compared: the baseline is the best of three passes too
TARGET = {"postgresql": 5.0, "sqlite": 10.0}
MEMORY_TARGET_MB = 150.0
FLAT = 1.5  # the 100k-row peak may be at most this many times the 20k-row one


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
    """The baseline: the best of three bare csv.reader passes over the file."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as f:
            for _row in csv.reader(f):
                pass
        best = min(best, time.perf_counter() - started)
    return best


def import_once(path: Path, owner) -> tuple[float, dict, object]:
    """(seconds for the whole run, seconds per phase, the import) for one import of `path`."""
    from django.core.files import File

    from campaigns.models import Campaign, LeadImport
    from campaigns.services import leads
    from campaigns.services.leads import lead_import_create, lead_import_run

    campaign = Campaign.objects.create(name=f"bench {path.name} {time.time()}", owner=owner)
    with path.open("rb") as f:
        imp = lead_import_create(campaign=campaign, actor=owner, upload=File(f, name=path.name))
    # Queue it without a broker: the bench runs the task's service in this process.
    LeadImport.objects.filter(pk=imp.pk).update(status=LeadImport.Status.QUEUED)
    phases, finish = {}, leads.lead_import_finish

    def timed_finish(*args):
        started = time.perf_counter()
        finish(*args)
        phases["apply"] = time.perf_counter() - started

    leads.lead_import_finish = timed_finish
    try:
        started = time.perf_counter()
        lead_import_run(import_id=imp.pk)
        seconds = time.perf_counter() - started
    finally:
        leads.lead_import_finish = finish
    phases["read, check, stage"] = seconds - phases.get("apply", 0)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.SUCCEEDED, imp.error
    return seconds, phases, imp


def floor_seconds(path: Path, lead_import) -> float:
    """The least any import of `path` can cost on this database: its rows read and written as
    one campaign's leads in one statement, nothing checked, numbered or staged, no report.

    The bench file's columns are known (see write_csv). On PostgreSQL the file is COPYed into
    a temporary table and inserted from there, and the deferred foreign-key checks an import
    pays at its commit are run (the leads name `lead_import` as their source, as an import's
    do); on SQLite csv reads it and one executemany writes it. Rolled back: nothing stays.
    """
    from django.db import transaction

    from campaigns.models import Campaign

    columns = "campaign_id, email, first_name, last_name, company, job_title, custom_fields, status, error, "
    columns += "is_role_address, source_import_id, created_at, updated_at"
    with transaction.atomic():
        campaign = Campaign.objects.create(name=f"bench floor {time.time()}", owner=lead_import.uploaded_by)
        started = time.perf_counter()
        _write_leads(path, campaign, lead_import, columns)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def _write_leads(path: Path, campaign, lead_import, columns: str) -> None:
    """floor_seconds' work: the file's rows as `campaign`'s leads, in one statement."""
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TEMP TABLE bench_floor (n bigint GENERATED ALWAYS AS IDENTITY, "
                "e text, f text, l text, c text, j text, x text) ON COMMIT DROP"
            )
            with cursor.cursor.copy("COPY bench_floor (e, f, l, c, j, x) FROM STDIN (FORMAT csv, HEADER true)") as copy:
                copy.write(path.read_bytes())
            cursor.execute(
                f"INSERT INTO campaigns_lead ({columns}) SELECT %s, lower(e), f, l, c, j, "  # noqa: S608
                "jsonb_build_object('favouriteColour', x), 'pending', '', false, %s, now(), now() FROM bench_floor "
                "ORDER BY n ON CONFLICT (campaign_id, email) DO NOTHING",
                [campaign.pk, lead_import.pk],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            now = timezone.now()
            fixed = ("pending", "", False, lead_import.pk, now, now)
            with path.open(newline="", encoding="utf-8") as f:
                records = csv.reader(f)
                next(records)
                rows = [
                    (campaign.pk, e.lower(), *cells, json.dumps({"favouriteColour": x}), *fixed)
                    for e, *cells, x in records
                ]
                marks = ", ".join(["%s"] * 13)
                cursor.executemany(f"INSERT OR IGNORE INTO campaigns_lead ({columns}) VALUES ({marks})", rows)  # noqa: S608


def traced_peak(path: Path, owner) -> int:
    tracemalloc.start()
    try:
        import_once(path, owner)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _measure(tmp: Path, *, memory: bool) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    settings.DEBUG = False  # as in production: with DEBUG on, Django keeps every query's SQL
    settings.MEDIA_ROOT = tmp / "media"
    owner, _ = get_user_model().objects.get_or_create(username="bench-import")
    big, small = tmp / "big.csv", tmp / "small.csv"
    write_csv(big, ROWS)
    baseline = csv_reader_seconds(big)
    runs = [import_once(big, owner) for _ in range(RUNS)]
    seconds, phases, imp = min(runs, key=lambda run: run[0])
    result = {
        "vendor": connection.vendor,
        "baseline": baseline,
        "floor": floor_seconds(big, imp),
        "seconds": seconds,
        "runs": [run[0] for run in runs],
        "phases": phases,
        "counts": imp.counts,
        "megabytes": big.stat().st_size / 1e6,
    }
    if memory:
        write_csv(small, SMALL_ROWS)
        result["peak_small"], result["peak_big"] = traced_peak(small, owner), traced_peak(big, owner)
    return result


def _ratio_row(m: dict) -> dict:
    ratio, c = m["seconds"] / m["baseline"], m["counts"]
    name = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[m["vendor"]]
    phases = ", ".join(f"{k} {v:.2f} s" for k, v in m["phases"].items())
    return {
        "what": f"100,000-row CSV import, {name}",
        "measured": round(ratio, 1),
        "target": TARGET[m["vendor"]],
        "unit": "× csv.reader",
        "ok": ratio <= TARGET[m["vendor"]],
        "note": f"import {m['seconds']:.2f} s ({phases}; best of {' / '.join(f'{s:.2f}' for s in m['runs'])} s); "
        f"csv.reader {m['baseline']:.3f} s; "
        f"floor (the file read and written as leads by the database, nothing checked or staged) "
        f"{m['floor']:.2f} s = {m['floor'] / m['baseline']:.1f}×; "
        f"{m['megabytes']:.1f} MB; new {c['new']:,}, invalid {c['invalid']:,}, duplicate {c['duplicate']:,}",
    }


def _memory_row(m: dict) -> dict:
    small, big = m["peak_small"] / 1e6, m["peak_big"] / 1e6
    return {
        "what": "100,000-row CSV import, memory",
        "measured": round(big, 1),
        "target": MEMORY_TARGET_MB,
        "unit": "MB",
        "ok": big <= MEMORY_TARGET_MB and big <= small * FLAT,
        "note": f"peak traced (tracemalloc) {small:.1f} MB at {SMALL_ROWS:,} rows, {big:.1f} MB at {ROWS:,} "
        f"(ratio {big / small:.2f}; flat = streaming)",
    }


def _sqlite_child(tmp: Path) -> dict:
    """The same measurement in a child process on a temporary SQLite database."""
    # DEBUG off, as in production, needs a SECRET_KEY: a standalone run (DEBUG=1) has none of its own.
    secret = os.environ.get("SECRET_KEY") or bench_environment()["SECRET_KEY"]
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}", "DEBUG": "0", "SECRET_KEY": secret}
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_import", "--child", str(tmp)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def rows() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as name:
        tmp = Path(name)
        main = _measure(tmp, memory=True)
        table = [_ratio_row(main), _memory_row(main)]
        (tmp / "sqlite").mkdir()
        try:
            table.insert(1, _ratio_row(_sqlite_child(tmp / "sqlite")))
        except subprocess.CalledProcessError as exc:
            table.append({**_ratio_row(main), "what": "100,000-row CSV import, SQLite", "ok": False,
                          "note": f"the SQLite run failed: {exc.stderr[-300:]}"})  # fmt: skip
    return table


def _with_throwaway_database(work):
    """Run `work()` on a migrated test database of the configured engine, dropped afterwards."""
    import django
    from django.db import connection

    django.setup()
    old_name = connection.settings_dict["NAME"]
    sqlite = connection.vendor == "sqlite"
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-db-"))
    connection.settings_dict["TEST"]["NAME"] = str(tmp / "bench.sqlite3") if sqlite else "bench_import"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return work()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> list[str]:
    """For the older runner that calls run(): the rows, printed, on a throwaway database."""
    lines = [json.dumps(row, ensure_ascii=False) for row in _with_throwaway_database(rows)]
    for line in lines:
        print("  " + line)
    return lines


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadterra_ui.settings")
    if sys.argv[1:2] == ["--child"]:
        result = _with_throwaway_database(lambda: _measure(Path(sys.argv[2]), memory=False))
        print(json.dumps(result))
    else:
        for row in _with_throwaway_database(rows):
            print(json.dumps(row, ensure_ascii=False))
