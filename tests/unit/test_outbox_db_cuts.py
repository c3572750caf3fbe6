"""A database connection cut while an operation runs never leaves the row claimed.

The cut is simulated on the real connection: its DB-API connection is swapped for one that
fails every query the way a server-closed connection does, so a write through it fails
exactly like the one that stranded operations in the soak. These tests run outside a test
transaction (`transactional_db`): the engine must be free to drop and reopen its connection.
"""

import pytest
from django.db import OperationalError, connection, connections

from campaigns.models import Operation
from campaigns.services import operations as engine
from campaigns.services.operations import operation_run

pytestmark = pytest.mark.django_db(transaction=True)
S = Operation.Status


class DeadConnection:
    """What is left of a connection the server closed: every use fails with the database
    driver's own OperationalError (sqlite3's or psycopg's), as a real cut does."""

    def close(self):
        pass

    def __getattr__(self, name):
        raise connection.Database.OperationalError("server closed the connection unexpectedly")


@pytest.fixture(autouse=True)
def heal_the_connection():
    """A test that fails halfway must not hand its dead connection to the next test."""
    yield
    if isinstance(connection.connection, DeadConnection):
        connection.connection = None


@pytest.fixture
def pauses(monkeypatch):
    """The waits between reconnect attempts, recorded instead of slept."""
    slept = []
    monkeypatch.setattr(engine, "DB_RECONNECT_PAUSES", (0.5, 1.0, 2.0))
    monkeypatch.setattr(engine.time, "sleep", slept.append)
    return slept


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: messages.append((pk, countdown)))
    return messages


def cut() -> None:
    connection.ensure_connection()
    real, connection.connection = connection.connection, DeadConnection()
    real.close()  # the server's side of the session ends too, as in a real cut


def install(monkeypatch, kind, handler, retry_safe=True):
    monkeypatch.setitem(engine.HANDLERS, kind, handler)
    if not retry_safe:
        monkeypatch.setattr(engine, "NOT_RETRY_SAFE", {*engine.NOT_RETRY_SAFE, kind})


def cut_mid_handler(op, client):
    op.progress["step"] = 1
    cut()
    Operation.objects.filter(pk=op.pk).update(progress=op.progress)  # the handler's checkpoint meets the cut


def test_a_cut_inside_the_handler_is_written_as_a_retry_on_a_new_connection(monkeypatch, sent, pauses):
    install(monkeypatch, "test", cut_mid_handler)
    op = Operation.objects.create(kind="test")
    assert operation_run(operation_id=op.pk) == "retrying"
    op.refresh_from_db()
    assert op.status == S.RETRYING and "OperationalError" in op.last_error
    assert op.next_attempt_at is not None and sent == [(op.pk, sent[0][1])] and sent[0][1] > 0
    assert pauses == [], "the connection was replaced before the write: no failed write, no wait"


def test_a_not_retry_safe_call_cut_off_ends_outcome_unknown_not_running(monkeypatch, sent, pauses):
    install(monkeypatch, "send_like", cut_mid_handler, retry_safe=False)
    op = Operation.objects.create(kind="send_like")
    assert operation_run(operation_id=op.pk) == "outcome unknown"
    op.refresh_from_db()
    assert op.status == S.OUTCOME_UNKNOWN and sent == []


def test_a_cut_after_the_handler_finished_still_records_the_success(monkeypatch, sent, pauses):
    def done_then_cut(op, client):
        cut()  # the handler's work is done; the connection dies before the engine writes
        return {"pushed": 3}

    install(monkeypatch, "test", done_then_cut)
    op = Operation.objects.create(kind="test")
    assert operation_run(operation_id=op.pk) == "succeeded"
    op.refresh_from_db()
    assert (op.status, op.result) == (S.SUCCEEDED, {"pushed": 3})
    assert pauses == [0.5], "one failed write, one new connection"


def test_a_database_away_for_a_while_is_waited_for_then_written(monkeypatch, sent, pauses):
    """The first two new connections are dead too (the server is restarting); the third works."""
    op = Operation.objects.create(kind="test")
    real = connection.get_new_connection
    dead_ones = [DeadConnection(), DeadConnection()]
    monkeypatch.setattr(
        connections["default"], "get_new_connection", lambda p: dead_ones.pop() if dead_ones else real(p)
    )
    install(monkeypatch, "test", cut_mid_handler)
    assert operation_run(operation_id=op.pk) == "retrying"
    assert pauses == [0.5, 1.0]
    assert Operation.objects.get(pk=op.pk).status == S.RETRYING


def test_a_database_away_longer_than_the_waits_ends_the_task_and_leaves_it_to_the_sweeper(monkeypatch, sent, pauses):
    op = Operation.objects.create(kind="test")
    real, away = connection.get_new_connection, [True]
    monkeypatch.setattr(connections["default"], "get_new_connection", lambda p: DeadConnection() if away else real(p))
    install(monkeypatch, "test", cut_mid_handler)
    with pytest.raises(OperationalError):
        operation_run(operation_id=op.pk)
    assert pauses == [0.5, 1.0, 2.0]
    away.clear()  # the database is back
    connection.close()
    assert Operation.objects.get(pk=op.pk).status == S.RUNNING  # honest limit: the sweeper reclaims it


def test_a_cut_right_after_the_claim_hands_the_row_back(monkeypatch, sent, pauses):
    ran = []
    install(monkeypatch, "test", lambda op, client: ran.append(op.pk))
    op = Operation.objects.create(kind="test")
    real = Operation.objects.select_related

    def cut_then_load(*fields):
        cut()
        return real(*fields)

    monkeypatch.setattr(Operation.objects, "select_related", cut_then_load)
    assert operation_run(operation_id=op.pk) == "retrying"
    op.refresh_from_db()
    assert (op.status, ran) == (S.QUEUED, []) and "before it started" in op.last_error
    assert sent == [(op.pk, sent[0][1])] and sent[0][1] > 0
