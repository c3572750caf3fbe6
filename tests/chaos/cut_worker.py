"""`celery worker` whose database connections the test can cut, as a server restart or a network
cut does: `python -m tests.chaos.cut_worker -A leadterra_ui worker …` (celery's own arguments).

A cut is the file named by DB_CUT_FLAG being written: every connection this process opened
before that moment is dead from then on. Each of its queries fails with OperationalError and
`is_usable()` says no (what psycopg does with a closed socket), until the code closes it; the
next connection, opened after the cut, works. Both backends behave alike, so the same test runs
on SQLite (`make test`) and PostgreSQL (CI).
"""

import os
import sys
import time

from django.db.backends.signals import connection_created
from django.db.utils import OperationalError

FLAG = os.environ.get("DB_CUT_FLAG", "")


def cut_at() -> float:
    try:
        return os.stat(FLAG).st_mtime
    except (FileNotFoundError, OSError):
        return 0.0


def is_cut(connection) -> bool:
    return getattr(connection, "chaos_born", float("inf")) < cut_at()


def refuse_when_cut(execute, sql, params, many, context):
    if is_cut(context["connection"]):
        raise OperationalError("server closed the connection unexpectedly (cut by the chaos test)")
    return execute(sql, params, many, context)


def born(sender, connection, **kwargs):
    connection.chaos_born = time.time()
    if refuse_when_cut not in connection.execute_wrappers:
        connection.execute_wrappers.append(refuse_when_cut)
    backend = type(connection)
    if not getattr(backend, "chaos_patched", False):
        usable = backend.is_usable
        backend.is_usable = lambda self: not is_cut(self) and usable(self)
        backend.chaos_patched = True


if __name__ == "__main__":
    connection_created.connect(born, weak=False)
    from celery.__main__ import main

    sys.argv = ["celery", *sys.argv[1:]]
    main()
