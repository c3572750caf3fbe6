"""`make bench`: every benchmark module in bench/ against its own baseline, in one run.

Runs on PostgreSQL with DEBUG off in its own database (BENCH_DATABASE_URL, default
leadterra_bench on the local server), migrates it, calls each `bench_*.py` module's
`rows()`, prints one table, writes bench/results/latest.json and exits 1 when a target is
missed. `python -m bench bench_web` runs only the modules named.
"""

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path

from bench import harness


def module_names(selected: list[str]) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    unknown = [s for s in selected if s not in names]
    if unknown:
        raise SystemExit(f"unknown bench module(s): {', '.join(unknown)}; known: {', '.join(names)}")
    return [n for n in names if not selected or n in selected]


def run_module(name: str) -> list[dict]:
    module = importlib.import_module(f"bench.{name}")
    if not hasattr(module, "rows"):
        print(f"== {name}: no rows(), skipped", flush=True)
        return []
    print(f"== {name}", flush=True)
    try:
        return module.rows()
    except Exception as error:  # one module's crash is a failed row, the others still run
        traceback.print_exc()
        return [harness.failed_row(name, error)]


def main(selected: list[str]) -> int:
    names = module_names(selected)
    env = harness.apply_environment()
    harness.database_create(env["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="sandbox", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    rows = [r for name in names for r in run_module(name)]
    info = harness.machine()
    print()
    print(harness.table(rows))
    print(f"\nmachine: {info['cpus']} × {info['cpu_model']}, Python {info['python']}, PostgreSQL {info['postgresql']}")
    harness.write_results(rows, info)
    missed = [r["what"] for r in rows if not r["ok"]]
    if missed:
        print(f"missed {len(missed)} target(s): {'; '.join(missed)}")
    return 1 if missed or not rows else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
