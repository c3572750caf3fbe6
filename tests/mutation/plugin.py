"""Pytest plugin loaded only inside mutant runs (see [tool.mutmut] in pyproject.toml).

mutmut runs two mutants at once, each in a process forked from the same parent, so the
file-based test database the suite normally uses would be shared between them (one run's
teardown deletes it under the other: "disk I/O error", which would count as a kill). Each
run gets its own in-memory SQLite database instead. This is a session hook, not a fixture
override: pytest-django's own fixture would win over one defined in a -p plugin.
"""

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    from django.conf import settings

    for db in settings.DATABASES.values():
        if db["ENGINE"] == "django.db.backends.sqlite3":
            db.setdefault("TEST", {})["NAME"] = None  # None = in-memory, private to this process


# Too slow to run once per mutant (about 20 s alone, minutes on a loaded machine, and it
# reaches most lifecycle, transition and launch functions). The direct tests of those modules
# (test_lifecycle*.py, test_launch.py, test_permission_*.py) kill what it would; `make test`
# still runs it.
TOO_SLOW_FOR_MUTANTS = ("tests/unit/test_lifecycle_state_machine.py::",)


def pytest_collection_modifyitems(config, items):
    slow = [item for item in items if item.nodeid.startswith(TOO_SLOW_FOR_MUTANTS)]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item not in slow]
