"""Pytest plugin loaded only inside mutant runs (see [tool.mutmut] in pyproject.toml).

mutmut runs two mutants at once, each in a process forked from the same parent, so the
file-based test database the suite normally uses would be shared between them. Each
run gets its own in-memory SQLite database instead.
"""

import pytest


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    from django.conf import settings

    for db in settings.DATABASES.values():
        if db["ENGINE"] == "django.db.backends.sqlite3":
            db.setdefault("TEST", {})["NAME"] = None  # None = in-memory, private to this process
