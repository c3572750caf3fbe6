"""The test databases are migrated once per run, not once per xdist worker.

Migrating both databases costs a worker about 5 s of CPU, and every worker used to do it at
once, at the start, on two cores. Now the controller (which runs no tests) migrates a template
in a background thread while the workers start and collect, and each worker copies it when its
first database test asks: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL
(Django's own clone_test_db, the one its parallel runner uses). The copy then passes through
pytest-django's usual setup as an existing database (keepdb: the migrate finds nothing to do).

A run without xdist, or a controller whose template failed, leaves pytest-django's usual
per-process setup in place. Wiring: the hooks and fixtures in tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import tempfile
import threading
from pathlib import Path

READY = "ready"
# SQLite keeps a database's recent writes in "<name>-wal" beside it; one left by a process killed
# with the database open (chaos tests do that) would be replayed onto the next copy of that name.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def forget_sqlite_companions(connection, name: str) -> None:
    """Remove what a previous run left beside an SQLite file `name` (nothing to do on PostgreSQL)."""
    if connection.vendor == "sqlite" and not connection.creation.is_in_memory_db(name):
        for companion in SQLITE_COMPANIONS:
            Path(name + companion).unlink(missing_ok=True)


class Template:
    """The controller's side: builds the template, tells the workers where it is, removes it."""

    def __init__(self, blocker):
        self.blocker = blocker  # pytest-django's: the controller's database access is blocked too
        self.folder = Path(tempfile.mkdtemp(prefix="leadterra-db-template-"))
        self._lock = open(self.folder / "lock", "w")  # noqa: SIM115 (held across threads until built)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self._built: list[tuple[str, str]] = []  # (alias, the name before the test name)
        self._thread = threading.Thread(target=self._build, name="db-template", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        from django.db import connections

        try:
            with self.blocker.unblock():
                for alias in connections:
                    connection = connections[alias]
                    old_name = connection.settings_dict["NAME"]
                    forget_sqlite_companions(connection, connection.creation._get_test_db_name())
                    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
                    self._built.append((alias, old_name))
                connections.close_all()  # no session left on a PostgreSQL template; SQLite's WAL folded in
            (self.folder / READY).touch()
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    def remove(self) -> None:
        from django.db import connections

        self._thread.join()
        with self.blocker.unblock():
            for alias, old_name in self._built:
                with contextlib.suppress(Exception):  # a worker still holding it must not fail the run
                    name = connections[alias].settings_dict["NAME"]
                    connections[alias].creation.destroy_test_db(old_name, verbosity=0)
                    forget_sqlite_companions(connections[alias], name)
        self._lock.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def clone_for_worker(folder: str, worker_id: str) -> bool:
    """Copy the template into this worker's test databases (their TEST NAME from then on).
    False when there is no template: the caller sets up as usual."""
    from django.db import connections

    with open(Path(folder) / "lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits for the template; clones one at a time
        if not (Path(folder) / READY).exists():
            return False
        for alias in connections:
            connection = connections[alias]
            old_name = connection.settings_dict["NAME"]
            connection.settings_dict["NAME"] = connection.creation._get_test_db_name()  # the template
            clone = connection.creation.get_test_db_clone_settings(worker_id)["NAME"]
            forget_sqlite_companions(connection, clone)
            connection.creation.clone_test_db(suffix=worker_id, verbosity=0)
            connection.settings_dict["NAME"] = old_name
            connection.settings_dict["TEST"]["NAME"] = clone
    return True


def destroy_clones() -> None:
    from django.db import OperationalError, connections

    for alias in connections:
        connection = connections[alias]
        # By the clone's own name: an alias no test of this worker asked for was never switched
        # over to it, and its NAME is still the development database's.
        name = connection.settings_dict["TEST"]["NAME"]
        connection.close()
        try:
            connection.creation._destroy_test_db(name, verbosity=0)
        except OperationalError as exc:
            raise OperationalError(f"{exc}\n{who_holds(connection, name)}") from exc
        forget_sqlite_companions(connection, name)


def who_holds(connection, name: str) -> str:
    """The sessions still on PostgreSQL database `name`, each with the local process (and, for
    this one, the threads) behind it: DROP DATABASE only counts them."""
    import os
    import subprocess
    import threading

    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT pid, client_port, state, backend_start, left(query, 120) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        sessions = cursor.fetchall()
    server = f":{connection.settings_dict['PORT'] or 5432}"
    sockets = subprocess.run(["ss", "-tnpH"], capture_output=True, text=True).stdout.splitlines()
    lines = [f"sessions on {name}:"]
    for pid, port, state, started, query in sessions:
        owner = next((s.split()[-1] for s in sockets if f":{port} " in s and server in s), "owner not found")
        lines.append(f"  backend {pid} from port {port} ({owner}), {state} since {started}: {query}")
    lines.append(f"this process is {os.getpid()}; its threads: {[t.name for t in threading.enumerate()]}")
    return "\n".join(lines)
