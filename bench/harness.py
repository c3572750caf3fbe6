"""The bench runner's plumbing: its own PostgreSQL database, the environment of a production
process (DEBUG off), the table every module's rows() feeds, and the machine it ran on.

The environment is set before Django is imported: settings are read from it once.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/leadterra_bench"
RESULTS = Path(__file__).parent / "results" / "latest.json"
KEYS = ("what", "measured", "target", "unit", "ok", "note")


def bench_environment() -> dict[str, str]:
    """What a production web process sees, minus TLS (the bench talks plain HTTP on 127.0.0.1)."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SANDBOX_ENABLED": "1",  # bench_sandbox measures the simulator in-process
        "LEADTERRA_WEBHOOK_SECRET": "whsec_bench",
        "SDR_KEY_ENCRYPTION_KEY": "bench-only-sdr-key",
        "LOG_LEVEL": "WARNING",
    }


def apply_environment() -> dict[str, str]:
    env = bench_environment()
    os.environ.update(env)
    return env


def database_create(url: str) -> None:
    """CREATE DATABASE when it is missing (the bench never touches another database)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def row(what: str, measured: float, target: float, unit: str, note: str, *, lower_is_better: bool = True) -> dict:
    """One table row in the shape every bench module returns."""
    ok = measured <= target if lower_is_better else measured >= target
    return {"what": what, "measured": round(measured, 3), "target": target, "unit": unit, "ok": ok, "note": note}


def failed_row(module: str, error: BaseException) -> dict:
    return row(f"{module} (crashed)", float("nan"), 0.0, "", f"{type(error).__name__}: {error}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "postgresql": pg,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
    }


def _cell(value) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.2f}"
    return "yes" if value is True else "NO" if value is False else str(value)


def table(rows: list[dict]) -> str:
    """A Markdown table: it prints readably and pastes into the README as is."""
    head = ["what", "measured", "target", "unit", "ok", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        target = ("≤ " if r.get("target") is not None else "") + _cell(r.get("target"))
        cells = [r["what"], _cell(r["measured"]), target, r["unit"], _cell(r["ok"]), r.get("note", "")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_results(rows: list[dict], info: dict, path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    clean = [{k: (None if isinstance(r.get(k), float) and r[k] != r[k] else r.get(k)) for k in KEYS} for r in rows]
    path.write_text(json.dumps({"machine": info, "rows": clean}, indent=2, ensure_ascii=False) + "\n")
