"""Liveness: a worker proves it still holds its operations; the sweeper reclaims the silent ones.

The stale limit replaces a fixed 330 s: a row whose holder stopped beating is reclaimed after
OPERATION_HEARTBEAT_STALE_SECONDS; a claim held past OPERATION_MAX_CLAIM_SECONDS (a stuck
handler in a process that still beats) is reclaimed too.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.models import Operation
from campaigns.services import operation_liveness as liveness
from campaigns.services import operations as engine
from campaigns.services.operation_liveness import PULSE, Pulse, is_alive
from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.operations import checkpoint, operation_run

S = Operation.Status


@pytest.fixture(autouse=True)
def sent(monkeypatch, settings):
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 20
    settings.OPERATION_MAX_CLAIM_SECONDS = 300
    messages = []
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: messages.append(pk))
    return messages


def install(monkeypatch, behaviour):
    monkeypatch.setitem(engine.HANDLERS, "test", lambda op, client: behaviour(op))


def running(*, beat_age: float | None, claim_age: float = 30, kind: str = "test") -> Operation:
    now = timezone.now()
    op = Operation.objects.create(kind=kind, status=S.RUNNING)
    beat = None if beat_age is None else now - timedelta(seconds=beat_age)
    Operation.objects.filter(pk=op.pk).update(
        claimed_at=now - timedelta(seconds=claim_age), heartbeat_at=beat, updated_at=now - timedelta(seconds=claim_age)
    )
    op.refresh_from_db()
    return op


@pytest.mark.django_db
def test_the_claim_is_the_first_sign_of_life(monkeypatch):
    seen = []
    install(monkeypatch, lambda op: seen.append(Operation.objects.get(pk=op.pk).heartbeat_at))
    op = Operation.objects.create(kind="test")
    assert operation_run(operation_id=op.pk) == "succeeded"
    op.refresh_from_db()
    assert seen == [op.claimed_at]


@pytest.mark.django_db
def test_the_sweeper_reclaims_a_row_silent_past_the_stale_limit_and_leaves_one_that_beat(sent):
    silent, beating = running(beat_age=21), running(beat_age=5, claim_age=200)
    assert operations_sweep()["stale"] == 1
    silent.refresh_from_db(), beating.refresh_from_db()
    assert (silent.status, beating.status) == (S.QUEUED, S.RUNNING)
    assert sent == [silent.pk]


@pytest.mark.django_db
def test_the_stale_limit_is_the_configured_one(sent, settings):
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 4
    op = running(beat_age=5)
    assert operations_sweep()["stale"] == 1 and sent == [op.pk]


@pytest.mark.django_db
def test_a_row_never_beaten_is_judged_by_its_last_change(sent):
    old, recent = running(beat_age=None, claim_age=25), running(beat_age=None, claim_age=10)
    assert operations_sweep()["stale"] == 1 and sent == [old.pk]
    recent.refresh_from_db()
    assert recent.status == S.RUNNING


@pytest.mark.django_db
def test_a_claim_held_past_the_limit_is_reclaimed_even_while_its_process_beats(sent, settings):
    settings.OPERATION_MAX_CLAIM_SECONDS = 100
    stuck, fine = running(beat_age=1, claim_age=101), running(beat_age=1, claim_age=99)
    assert operations_sweep()["stale"] == 1 and sent == [stuck.pk]
    fine.refresh_from_db()
    assert fine.status == S.RUNNING


@pytest.mark.django_db
def test_the_sweeper_leaves_a_row_that_beat_between_its_read_and_its_write(sent, monkeypatch):
    op = running(beat_age=30)
    real = liveness.dead_claims

    def read_then_beat(now):
        rows = list(real(now).values_list("pk", "kind", "updated_at", "heartbeat_at"))
        Operation.objects.filter(pk=op.pk).update(heartbeat_at=timezone.now())
        return FrozenRows(rows)

    monkeypatch.setattr("campaigns.services.operation_sweeper.dead_claims", read_then_beat)
    assert operations_sweep()["stale"] == 0 and sent == []


class FrozenRows:
    def __init__(self, rows):
        self.rows = rows

    def values_list(self, *fields):
        return self.rows


@pytest.mark.django_db
def test_a_beat_stamps_only_the_rows_still_held_by_this_process():
    pulse = Pulse()
    mine, taken = running(beat_age=30), running(beat_age=30)
    pulse._held = {mine.pk: mine.claimed_at, taken.pk: taken.claimed_at}
    Operation.objects.filter(pk=taken.pk).update(claimed_at=timezone.now())  # the sweeper gave it to another
    assert pulse.beat() == 1
    mine.refresh_from_db(), taken.refresh_from_db()
    assert mine.heartbeat_at > timezone.now() - timedelta(seconds=5)
    assert taken.heartbeat_at < timezone.now() - timedelta(seconds=25)


@pytest.mark.django_db
def test_a_slow_worker_whose_claim_was_taken_over_stops_at_its_next_checkpoint(monkeypatch):
    def slow(op):
        checkpoint(op, chunks=1)
        # Meanwhile the sweeper reclaimed it and another worker claimed it and checkpointed.
        Operation.objects.filter(pk=op.pk).update(claimed_at=timezone.now(), progress={"chunks": 5})
        checkpoint(op, chunks=2)
        raise AssertionError("never reached")

    install(monkeypatch, slow)
    op = Operation.objects.create(kind="test")
    assert operation_run(operation_id=op.pk) == "claim lost"
    op.refresh_from_db()
    assert (op.status, op.progress) == (S.RUNNING, {"chunks": 5}), "the new holder's checkpoint stands"


@pytest.mark.django_db
def test_a_database_that_refuses_even_the_outcome_write_leaves_the_row_reclaimable(monkeypatch, sent, settings):
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 8
    monkeypatch.setattr(engine, "DB_RECONNECT_PAUSES", ())
    install(monkeypatch, lambda op: {"ok": True})

    def refuse(op, **fields):
        raise connection.Database.OperationalError("the server is gone")

    monkeypatch.setattr(engine, "_claim_update", refuse)
    op = Operation.objects.create(kind="test")
    with pytest.raises(connection.Database.OperationalError):
        operation_run(operation_id=op.pk)
    assert PULSE.held() == {}, "the heartbeat stopped with the task"
    assert operations_sweep(now=timezone.now() + timedelta(seconds=7))["stale"] == 0
    assert operations_sweep(now=timezone.now() + timedelta(seconds=9))["stale"] == 1 and sent == [op.pk]


@pytest.mark.django_db
def test_a_dead_workers_send_ends_outcome_unknown_after_the_stale_limit(sent, monkeypatch):
    monkeypatch.setattr(engine, "NOT_RETRY_SAFE", {"send_draft"})
    monkeypatch.setattr("campaigns.services.operation_sweeper.NOT_RETRY_SAFE", {"send_draft"})
    op = running(beat_age=21, kind="send_draft")
    assert operations_sweep()["unknown"] == 1 and sent == []
    op.refresh_from_db()
    assert op.status == S.OUTCOME_UNKNOWN


@pytest.mark.django_db
def test_is_alive_reads_the_last_sign_of_life():
    assert is_alive(running(beat_age=5))
    assert not is_alive(running(beat_age=25))
    assert is_alive(Operation(status=S.QUEUED))
    assert not is_alive(Operation(status=S.RETRYING))


@pytest.mark.django_db(transaction=True)
def test_the_process_beats_while_a_handler_runs_longer_than_the_interval(monkeypatch, settings):
    settings.OPERATION_HEARTBEAT_SECONDS = 0.2
    pulse = Pulse()  # its own: the process's one may still be asleep on an earlier test's interval
    monkeypatch.setattr(engine, "PULSE", pulse)
    seen = []
    done = threading.Event()

    def long_handler(op):
        first = Operation.objects.get(pk=op.pk).heartbeat_at
        done.wait(1.0)
        seen.extend([first, Operation.objects.get(pk=op.pk).heartbeat_at])

    install(monkeypatch, long_handler)
    op = Operation.objects.create(kind="test")
    assert operation_run(operation_id=op.pk) == "succeeded"
    assert seen[1] > seen[0], "the heartbeat thread stamped the row while the handler ran"
    assert pulse.held() == {}


# --- the limits' exact edges, and a beat that stamps only what it still holds -----------------


@pytest.mark.django_db
def test_a_row_seen_exactly_at_the_stale_limit_is_still_alive():
    op = running(beat_age=5)
    assert is_alive(op, now=op.heartbeat_at + timedelta(seconds=20))
    assert not is_alive(op, now=op.heartbeat_at + timedelta(seconds=20, microseconds=1))


@pytest.mark.django_db
def test_a_finished_row_claimed_long_ago_is_not_a_dead_claim():
    # A sweep reads at most 500 dead claims: finished rows must not crowd out the dead one.
    finished, dead = running(beat_age=400, claim_age=400), running(beat_age=400, claim_age=400)
    Operation.objects.filter(pk=finished.pk).update(status=S.SUCCEEDED)
    assert list(liveness.dead_claims(timezone.now())) == [dead]


@pytest.mark.django_db
def test_a_beat_with_nothing_held_stamps_nothing():
    assert Pulse().beat() == 0


@pytest.mark.django_db
def test_a_beat_leaves_a_held_row_whose_outcome_is_already_written():
    pulse = Pulse()
    finished = running(beat_age=30)
    pulse._held = {finished.pk: finished.claimed_at}  # the handler's block has not been left yet
    Operation.objects.filter(pk=finished.pk).update(status=S.SUCCEEDED)
    assert pulse.beat() == 0
    finished.refresh_from_db()
    assert finished.heartbeat_at < timezone.now() - timedelta(seconds=25)


@pytest.mark.django_db
def test_a_beat_stamps_only_its_own_row_among_claims_made_in_the_same_instant():
    pulse = Pulse()
    mine, other = running(beat_age=30), running(beat_age=30)
    Operation.objects.filter(pk=other.pk).update(claimed_at=mine.claimed_at)  # another process's claim
    pulse._held = {mine.pk: mine.claimed_at}
    assert pulse.beat() == 1
    other.refresh_from_db()
    assert other.heartbeat_at < timezone.now() - timedelta(seconds=25)


def test_the_heartbeat_thread_closes_its_connection_when_nothing_is_held(monkeypatch, settings):
    settings.OPERATION_HEARTBEAT_SECONDS = 0  # nothing is held, so it ends at its first look
    closed = []

    class Connection:  # this thread's connection, as the heartbeat thread sees it
        def close(self):
            closed.append(1)

    monkeypatch.setattr(liveness, "connection", Connection())
    pulse = Pulse()
    pulse._thread = threading.current_thread()  # this thread plays the heartbeat thread
    pulse._run()
    assert closed == [1] and pulse._thread is None
