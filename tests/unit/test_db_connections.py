"""Database connections: bounded by threads in development, closed per task in the worker."""

import threading
from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.conf import settings
from django.db import connection

from leadterra_ui import settings as product_settings
from leadterra_ui.celery import app

POSTGRES = "postgres://u:p@db.internal:5432/ops"


@pytest.mark.parametrize(
    ("env", "debug", "runserver", "expected"),
    [
        ({}, False, False, 60),  # production: keep connections (gunicorn reuses its threads)
        ({"CONN_MAX_AGE": "15"}, False, False, 15),
        ({}, True, False, 0),  # development: close after each request unless asked otherwise
        ({"CONN_MAX_AGE": "30"}, True, False, 30),
        ({"CONN_MAX_AGE": "60"}, True, True, 0),  # runserver: a new thread a request, so never kept
        ({"CONN_MAX_AGE": "60"}, False, True, 0),
    ],
)
def test_connection_age_by_how_the_web_process_runs(monkeypatch, env, debug, runserver, expected):
    monkeypatch.delenv("CONN_MAX_AGE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = product_settings._database(POSTGRES, debug=debug, runserver=runserver)
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (expected, True)


def test_health_checks_are_on_for_every_database():
    assert all(db["CONN_HEALTH_CHECKS"] for db in settings.DATABASES.values())


@pytest.mark.django_db
def test_the_worker_closes_the_connection_of_the_thread_that_ran_the_task():
    """Celery's Django fixup runs on task_prerun/postrun in the thread running the task, which
    under `--pool threads` is one of the pool's threads: each task ends with its connection closed."""
    assert app.conf.get("CELERY_DB_REUSE_MAX") is None, "a reuse count would keep connections across tasks"
    fixup = DjangoWorkerFixup(app)
    task = SimpleNamespace(request=SimpleNamespace(is_eager=False))
    seen = {}

    def pool_thread():
        fixup.on_task_prerun(sender=task)
        connection.ensure_connection()
        seen["during"] = connection.connection is not None
        fixup.on_task_postrun(sender=task)
        seen["after"] = connection.connection

    connection.ensure_connection()
    mine = connection.connection
    worker = threading.Thread(target=pool_thread)
    worker.start()
    worker.join()
    assert seen == {"during": True, "after": None}
    assert connection.connection is mine, "another thread's connection is left alone"


@pytest.mark.django_db
@pytest.mark.parametrize(("max_age", "kept"), [(0, False), (60, True)])
def test_a_stats_http_thread_keeps_its_connection_only_as_long_as_conn_max_age(settings, max_age, kept):
    """A pool thread lives as long as its process: with its connection closed only before the
    next call, the last call's one stayed open for good (PostgreSQL test databases could not be
    dropped at the end of a run). One thread, so both submissions run on it."""
    from campaigns.services import stats

    class Client:
        def get_stats(self, remote_id):
            connection.ensure_connection()  # as the call log's write does
            return remote_id

    settings.STATS_POLL_HTTP_THREADS = 1
    old_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = max_age  # read by each thread's new connection
    try:
        pool = stats._http_pool()
        assert pool.submit(stats._ask_on_pool_thread, Client(), "cmp_1").result(5) == "cmp_1"
        still_open = pool.submit(lambda: connection.connection is not None).result(5)
        pool.submit(lambda: connection.close()).result(5)  # resolved on the pool thread
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = old_age
    assert still_open is kept
