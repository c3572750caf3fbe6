"""`make bench`: run every benchmark module in bench/ (never part of `make test`).

Each module exposes `run() -> list[str]` and prints its own figures, comparing
against a baseline measured in the same run.
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadterra_ui.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SANDBOX_ENABLED", "1")


def main(selected: list[str]) -> None:
    import django

    django.setup()
    names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])]
    for name in sorted(n for n in names if n.startswith("bench_")):
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}")
        module.run()


if __name__ == "__main__":
    main(sys.argv[1:])
