"""The sweeper against rows that change under it, and a dead worker's send settled in full.

The sweeper reads the rows it may re-send or reclaim, then changes each with a conditional
UPDATE on what it read. These tests change a row in that gap (another sweep, a worker's claim,
a heartbeat) and check the sweeper's write does not go through. Messages to the broker are
recorded, not sent.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import AuditEvent, Operation
from campaigns.services import operation_sweeper as sweeper
from campaigns.services import operations as engine
from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.operations import UNKNOWN_NOTE

pytestmark = pytest.mark.django_db
S = Operation.Status
NOTHING_SWEPT = {"queued": 0, "retrying": 0, "stale": 0, "unknown": 0}


@pytest.fixture(autouse=True)
def sent(monkeypatch, settings):
    settings.OPERATIONS_SWEEP_GRACE_SECONDS = 30
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 20
    settings.OPERATION_MAX_CLAIM_SECONDS = 300
    messages = []
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: messages.append(pk))
    return messages


def lost(seconds: float = 60) -> Operation:
    """A queued row whose message never reached a worker, last changed `seconds` ago."""
    op = Operation.objects.create(kind="test")
    Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))
    return op


def in_the_gap(monkeypatch, change):
    """Run `change(pk)` once, just before the sweeper's first conditional update of a row."""
    real_filter, done = Operation.objects.filter, []

    def filter_after_change(*args, **kwargs):
        if "pk" in kwargs and not done:
            done.append(kwargs["pk"])
            change(kwargs["pk"])
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Operation.objects, "filter", filter_after_change)
    return done


def test_two_sweeps_racing_send_a_lost_row_once(monkeypatch, sent):
    op = lost()
    inner = []
    done = in_the_gap(monkeypatch, lambda pk: inner.append(operations_sweep()))
    assert operations_sweep() == NOTHING_SWEPT  # the other sweep re-sent it between this one's read and write
    assert done == [op.pk] and inner == [{**NOTHING_SWEPT, "queued": 1}]
    assert sent == [op.pk]


def test_a_row_claimed_between_the_read_and_the_write_is_left_to_its_worker(monkeypatch, sent, settings):
    # The write checks the status it read, not only the age: a worker whose clock runs two
    # minutes behind stamps a claim that still looks older than the grace.
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 600  # its heartbeat is not in question here
    op = lost()
    behind = timezone.now() - timedelta(minutes=2)

    def claim(pk):
        Operation.objects.filter(pk=pk).update(
            status=S.RUNNING, claimed_at=behind, heartbeat_at=behind, updated_at=behind, attempts=1
        )

    done = in_the_gap(monkeypatch, claim)
    assert operations_sweep() == NOTHING_SWEPT and done == [op.pk] and sent == []
    op.refresh_from_db()
    assert (op.status, op.updated_at) == (S.RUNNING, behind)


# --- a dead worker's send ---------------------------------------------------------------------


@pytest.fixture
def sends(monkeypatch):
    """`send_draft` is a kind whose call must never be repeated on its own."""
    monkeypatch.setattr(sweeper, "NOT_RETRY_SAFE", {"send_draft"})


def dead_send(beat_age: float = 30) -> Operation:
    """A running send whose holder last beat `beat_age` s ago; its schedule is left from a retry."""
    now = timezone.now()
    op = Operation.objects.create(kind="send_draft", status=S.RUNNING)
    Operation.objects.filter(pk=op.pk).update(
        claimed_at=now - timedelta(seconds=60),
        heartbeat_at=now - timedelta(seconds=beat_age),
        updated_at=now - timedelta(seconds=60),
        next_attempt_at=now - timedelta(seconds=61),
    )
    return op


def test_every_dead_send_is_settled_unknown_in_full_and_audited(sends, sent):
    one, two = dead_send(), dead_send()
    now = timezone.now()
    assert operations_sweep(now=now) == {**NOTHING_SWEPT, "unknown": 2}
    for op in (one, two):
        op.refresh_from_db()
        assert (op.status, op.next_attempt_at, op.finished_at, op.updated_at) == (S.OUTCOME_UNKNOWN, None, now, now)
        assert op.last_error == f"The worker running it stopped mid-call. {UNKNOWN_NOTE}"
    events = AuditEvent.objects.filter(action="operation.outcome_unknown")
    assert sorted(((e.actor, e.details) for e in events), key=lambda e: e[1]["operation"]) == [
        (None, {"operation": one.pk, "kind": "send_draft"}),
        (None, {"operation": two.pk, "kind": "send_draft"}),
    ]
    assert sent == []


def test_a_send_whose_worker_beat_between_the_read_and_the_write_is_not_counted(monkeypatch, sends, sent):
    op = dead_send()
    real = sweeper.dead_claims

    def read_then_beat(now):
        rows = list(real(now).values_list("pk", "kind", "updated_at", "heartbeat_at"))
        Operation.objects.filter(pk=op.pk).update(heartbeat_at=timezone.now())
        return Rows(rows)

    monkeypatch.setattr(sweeper, "dead_claims", read_then_beat)
    assert operations_sweep() == NOTHING_SWEPT
    op.refresh_from_db()
    assert op.status == S.RUNNING
    assert not AuditEvent.objects.filter(action="operation.outcome_unknown").exists()


class Rows:
    """What the sweeper read, whatever changed since."""

    def __init__(self, rows):
        self.rows = rows

    def values_list(self, *fields):
        return self.rows


def test_the_sweeper_reclaims_at_most_500_dead_claims_a_run(sent):
    past = timezone.now() - timedelta(minutes=5)
    Operation.objects.bulk_create([Operation(kind="test", status=S.RUNNING) for _ in range(501)])
    Operation.objects.update(updated_at=past, heartbeat_at=past, claimed_at=past)
    assert operations_sweep()["stale"] == 500 and len(sent) == 500
