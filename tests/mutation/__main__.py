"""`make mutants`: run mutmut over the critical modules and print the survivors and scores.

    python -m tests.mutation                      # every module in tests/mutation/modules.py
    python -m tests.mutation campaigns/ratelimit.py campaigns/services/webhooks.py
    python -m tests.mutation --survivors          # after adding tests: rerun only the survivors
    python -m tests.mutation --unchecked MODULE   # finish a run that was stopped: only mutants not checked yet
    python -m tests.mutation --report             # only print the last results again

A mutant is killed when a test fails against it (a timeout counts as killed: the tests
noticed). Survivors include mutants no selected test reaches ("no tests"). Results are kept
in mutants/: a run over every module retests only mutants whose function changed; naming
modules retests every mutant of those modules.
"""

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.mutation.modules import MODULES, dotted, module_of

KILLED = {"killed", "timeout", "caught by type check"}
NOT_RUN = {"not checked", "skipped", "check was interrupted by user"}


def run_mutmut(names: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "mutmut", "run", *names])


def survivors_of(results: dict[str, str]) -> list[str]:
    return sorted(n for n, s in results.items() if s not in KILLED | NOT_RUN)


def load_results(paths: list[str]) -> dict[str, str]:
    """Mutant name -> status, read from mutmut's per-file results in mutants/."""
    from mutmut.stats import status_by_exit_code

    results = {}
    for path in paths:
        meta = Path("mutants") / f"{path}.meta"
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        results.update({name: status_by_exit_code[code] for name, code in codes.items()})
    return results


def score_line(statuses) -> tuple[str, int, int]:
    counted = [s for s in statuses if s not in NOT_RUN]
    killed = sum(s in KILLED for s in counted)
    total = len(counted)
    percent = 100.0 * killed / total if total else 100.0
    return f"killed {killed} of {total} mutants ({percent:.1f}%)", killed, total


def report(paths: list[str]) -> int:
    results = load_results(paths)
    survivors = survivors_of(results)
    if survivors:
        print("\nSurvivors (see one with: .venv/bin/mutmut show NAME):")
        for name in survivors:
            print(f"  {name}: {results[name]}")
    unrun = Counter(s for s in results.values() if s in NOT_RUN)
    if unrun:
        print(f"\nNot run: {dict(unrun)}")
    print()
    for path in paths:
        statuses = [s for n, s in results.items() if module_of(n) == path]
        counted = score_line(statuses)[2]  # "killed 0 of 0 (100%)" would read as a pass
        print(f"{path:40} {score_line(statuses)[0] if counted else 'not run yet'}")
    line, _, _ = score_line(results.values())
    print(line)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths (default: all in tests/mutation/modules.py)")
    parser.add_argument("--survivors", action="store_true", help="rerun only the last run's survivors")
    parser.add_argument("--unchecked", action="store_true", help="run only mutants not checked yet (a stopped run)")
    parser.add_argument("--report", action="store_true", help="print the last results without running")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"not under mutation testing: {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    paths = args.modules or list(MODULES)
    if args.survivors or args.unchecked:
        results = load_results(paths)
        names = survivors_of(results) if args.survivors else []
        if args.unchecked:
            names += sorted(n for n, s in results.items() if s in NOT_RUN or s == "suspicious")
        if not names:
            return report(paths)
    else:
        names = [f"{dotted(path)}.*" for path in args.modules]  # none: every module, cached results stand
    if not args.report:
        started = time.monotonic()
        code = run_mutmut(names)
        if code:
            print(f"mutmut stopped with exit code {code}", file=sys.stderr)
            return code
        print(f"\nmutation run took {time.monotonic() - started:.0f} s")
    return report(paths)


if __name__ == "__main__":
    sys.exit(main())
