"""Each outcome the engine writes, in full: what it leaves on the row, what it tells the broker
and the audit log, and the rules around those writes (a claim is one row's, a cut right after
the claim hands the row back, a write on a failing connection is tried again after each pause).

An outcome is written with a queryset UPDATE, which skips `auto_now`: the engine stamps
`updated_at` itself, and the sweeper reads that stamp. "Long-running" handlers below set the
row's last change ten minutes back, as a handler that ran that long leaves it, so a write that
forgot the stamp shows. Messages to the broker are recorded, not sent.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.leadterra import AuthFailed, OutcomeUnknown, Transient
from campaigns.models import AuditEvent, Operation
from campaigns.services import operations as engine
from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.operations import UNKNOWN_NOTE, ClaimLost, Continue, checkpoint, operation_run
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
S = Operation.Status
LONG_AGO = timedelta(minutes=10)
NOTHING_SWEPT = {"queued": 0, "retrying": 0, "stale": 0, "unknown": 0}


@pytest.fixture(autouse=True)
def sent(monkeypatch, settings):
    # Not the defaults: a backoff from the default base would pass where the configured one is ignored.
    settings.OPERATION_RETRY_BASE_SECONDS = 8
    settings.OPERATION_MAX_FAILURE_STREAK = 3
    messages = []
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: messages.append((pk, countdown)))
    return messages


def install(monkeypatch, handler, *, retry_safe=True):
    monkeypatch.setitem(engine.HANDLERS, "test", lambda op, client: handler(op))
    if not retry_safe:
        monkeypatch.setattr(engine, "NOT_RETRY_SAFE", {"test"})


def long_running(then):
    """A handler that ran for ten minutes (the row's last change is its claim), then does `then`."""

    def handler(op):
        Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - LONG_AGO)
        return then(op)

    return handler


def raising(exc):
    def then(op):
        raise exc

    return then


def due_retry(**fields) -> Operation:
    """A retrying row whose next attempt is due, as its countdown message finds it."""
    due = timezone.now() - timedelta(seconds=1)
    return Operation.objects.create(kind="test", status=S.RETRYING, next_attempt_at=due, **fields)


def run(op) -> str:
    outcome = operation_run(operation_id=op.pk)
    op.refresh_from_db()
    return outcome


# --- what each outcome leaves on the row ------------------------------------------------------


def test_a_success_clears_the_schedule_and_stamps_the_change(monkeypatch):
    install(monkeypatch, long_running(lambda op: {"ok": 1}))
    op, before = due_retry(), timezone.now()
    assert run(op) == "succeeded"
    assert (op.status, op.result, op.next_attempt_at) == (S.SUCCEEDED, {"ok": 1}, None)
    assert op.finished_at >= before and op.updated_at >= before


def test_a_failure_clears_the_schedule_and_records_when_it_ended(monkeypatch):
    install(monkeypatch, long_running(raising(AuthFailed("The API key was refused."))))
    op, before = due_retry(), timezone.now()
    assert run(op) == "failed"
    assert (op.status, op.last_error, op.next_attempt_at) == (S.FAILED, "The API key was refused.", None)
    assert op.finished_at >= before and op.updated_at >= before


def test_a_retry_stamps_the_change(monkeypatch, sent):
    install(monkeypatch, long_running(raising(Transient("blip"))))
    op, before = Operation.objects.create(kind="test"), timezone.now()
    assert run(op) == "retrying"
    assert op.status == S.RETRYING and op.updated_at >= before
    [(pk, countdown)] = sent
    assert pk == op.pk and op.next_attempt_at >= before + timedelta(seconds=countdown)


def test_continuing_queues_the_row_again_with_a_clean_streak(monkeypatch, sent):
    install(monkeypatch, raising(Continue()))
    op = due_retry(failure_streak=2)
    assert run(op) == "continued"
    assert (op.status, op.failure_streak) == (S.QUEUED, 0)
    assert sent == [(op.pk, None)]


def test_a_handler_that_continues_after_a_long_run_is_not_sent_twice(monkeypatch, sent):
    # Queued again "now": the sweeper, which re-sends queued rows unchanged for its grace, must
    # not take the ten-minute-old claim for a lost message.
    install(monkeypatch, long_running(raising(Continue())))
    op = Operation.objects.create(kind="test")
    assert run(op) == "continued"
    assert operations_sweep() == NOTHING_SWEPT
    assert sent == [(op.pk, None)]


def test_progress_made_inside_a_nested_checkpoint_resets_the_streak(monkeypatch):
    def append_then_blip(op):
        op.progress["done"].append(2)  # in place, as a handler extends its list of done chunks
        raise Transient("blip")

    install(monkeypatch, append_then_blip)
    op = due_retry(failure_streak=2, progress={"done": [1]})
    assert run(op) == "retrying"
    assert op.failure_streak == 1  # progress was made: this failure starts a new streak


# --- outcome unknown: final, said in full, audited ------------------------------------------


def test_an_unknown_outcome_is_final_said_in_full_and_audited(monkeypatch, sent, sdr):
    campaign = CampaignFactory(owner=sdr)
    install(monkeypatch, long_running(raising(OutcomeUnknown("Leadterra may or may not have sent it."))))
    op, before = due_retry(campaign=campaign), timezone.now()
    assert run(op) == "outcome unknown"
    assert op.status == S.OUTCOME_UNKNOWN and op.next_attempt_at is None
    assert op.last_error == f"Leadterra may or may not have sent it. {UNKNOWN_NOTE}"
    assert op.finished_at >= before and op.updated_at >= before
    assert sent == []
    event = AuditEvent.objects.get(action="operation.outcome_unknown")
    assert (event.actor, event.campaign, event.details) == (None, campaign, {"operation": op.pk, "kind": "test"})


def test_a_message_that_already_carries_the_note_is_not_told_twice(monkeypatch):
    install(monkeypatch, raising(OutcomeUnknown(f"Timed out. {UNKNOWN_NOTE}")))
    op = Operation.objects.create(kind="test")
    assert run(op) == "outcome unknown"
    assert op.last_error == f"Timed out. {UNKNOWN_NOTE}"


def test_an_unknown_outcome_after_the_claim_was_taken_over_writes_nothing(monkeypatch):
    def taken_over_then_unknown(op):
        Operation.objects.filter(pk=op.pk).update(claimed_at=op.claimed_at + timedelta(seconds=1))
        raise OutcomeUnknown("Leadterra may or may not have sent it.")

    install(monkeypatch, taken_over_then_unknown)
    op = Operation.objects.create(kind="test")
    assert run(op) == "claim lost"
    assert (op.status, op.last_error) == (S.RUNNING, "")
    assert not AuditEvent.objects.filter(action="operation.outcome_unknown").exists()


@pytest.mark.parametrize(
    "interruption", [SoftTimeLimitExceeded(), OperationalError("gone")], ids=lambda e: e.__class__.__name__
)
def test_a_call_that_must_not_repeat_interrupted_ends_unknown_in_words(monkeypatch, interruption):
    install(monkeypatch, raising(interruption), retry_safe=False)
    op = Operation.objects.create(kind="test")
    assert run(op) == "outcome unknown"
    name = interruption.__class__.__name__
    assert op.last_error == f"Interrupted while it ran ({name}). {UNKNOWN_NOTE}"


def test_a_call_that_must_not_repeat_crashed_ends_unknown_naming_the_kind_and_the_error(monkeypatch):
    install(monkeypatch, raising(KeyError("draft")), retry_safe=False)
    op = Operation.objects.create(kind="test")
    assert run(op) == "outcome unknown"
    assert op.last_error == f"The test handler crashed while it ran (KeyError). {UNKNOWN_NOTE}"


# --- the connection: dropped after a database error, never inside a transaction --------------


@pytest.mark.parametrize(
    ("interruption", "drops"),
    [(OperationalError("gone"), 1), (InterfaceError("closed"), 1), (SoftTimeLimitExceeded(), 0)],
    ids=["operational", "interface", "time-limit"],
)
def test_a_database_error_drops_the_connection_and_a_time_limit_does_not(monkeypatch, interruption, drops):
    dropped = []
    monkeypatch.setattr(engine, "_drop_connection", lambda: dropped.append(1))
    install(monkeypatch, raising(interruption))
    op = Operation.objects.create(kind="test")
    assert run(op) == "retrying"
    assert len(dropped) == drops


class Connection:
    """The engine's view of its connection: whether a transaction is open, and closes asked for."""

    def __init__(self, in_atomic_block: bool):
        self.in_atomic_block, self.closed = in_atomic_block, 0

    def close(self):
        self.closed += 1


def test_the_connection_is_closed_only_outside_a_transaction(monkeypatch):
    for in_transaction, closes in ((True, 0), (False, 1)):
        conn = Connection(in_transaction)
        monkeypatch.setattr(engine, "connection", conn)
        engine._drop_connection()
        assert conn.closed == closes  # only a transaction's owner may end it


def failing_writes(monkeypatch, failures: int):
    """The outcome write fails `failures` times with a connection error, then goes through."""
    real, left = engine._mine, [failures]

    def mine(op):
        if left[0]:
            left[0] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return real(op)

    monkeypatch.setattr(engine, "_mine", mine)
    slept = []
    monkeypatch.setattr(engine.time, "sleep", slept.append)
    return slept


@pytest.mark.parametrize(("failures", "waits"), [(2, [0.5, 1.0]), (4, [0.5, 1.0, 2.0, 4.0])])
def test_an_outcome_write_on_a_failing_connection_is_tried_again_after_each_pause(monkeypatch, failures, waits):
    conn = Connection(in_atomic_block=False)
    monkeypatch.setattr(engine, "connection", conn)
    slept = failing_writes(monkeypatch, failures)
    install(monkeypatch, lambda op: {"ok": 1})
    op = Operation.objects.create(kind="test")
    assert run(op) == "succeeded"  # the fourth failure leaves one last try, which goes through
    assert (slept, conn.closed) == (waits, failures)


def test_an_outcome_write_inside_a_transaction_fails_at_once(monkeypatch):
    conn = Connection(in_atomic_block=True)
    monkeypatch.setattr(engine, "connection", conn)
    slept = failing_writes(monkeypatch, 1)
    install(monkeypatch, lambda op: {"ok": 1})
    op = Operation.objects.create(kind="test")
    with pytest.raises(OperationalError):
        operation_run(operation_id=op.pk)
    assert (slept, conn.closed) == ([], 0)


# --- a cut right after the claim: the row is handed back ------------------------------------


def cut_after_the_claim(monkeypatch, meanwhile):
    """The read that follows the claim fails (the connection was cut), after `meanwhile(pk)`."""
    real = Operation.objects.select_related

    def select_related(*fields):
        monkeypatch.setattr(Operation.objects, "select_related", real)  # once

        class Cut:
            def get(self, pk):
                meanwhile(pk)
                raise OperationalError("server closed the connection unexpectedly")

        return Cut()

    monkeypatch.setattr(Operation.objects, "select_related", select_related)


def test_a_cut_right_after_the_claim_hands_the_row_back_with_a_backoff(monkeypatch, sent):
    # The read hung for minutes before it failed: the hand-back is the row's last change, so
    # the sweeper does not also re-send it.
    def hung(pk):
        Operation.objects.filter(pk=pk).update(updated_at=timezone.now() - LONG_AGO)

    cut_after_the_claim(monkeypatch, hung)
    op = Operation.objects.create(kind="test")
    assert run(op) == "retrying"
    assert (op.status, op.attempts) == (S.QUEUED, 1)
    assert op.last_error == "Interrupted (OperationalError) before it started; it will be run again."
    [(pk, countdown)] = sent
    assert pk == op.pk and 4.0 <= countdown <= 8.0  # the first backoff step of the configured 8 s
    assert operations_sweep() == NOTHING_SWEPT and len(sent) == 1


def test_a_cut_after_the_claim_hands_back_nothing_another_worker_claimed_since(monkeypatch, sent):
    def taken_over(pk):
        Operation.objects.filter(pk=pk).update(claimed_at=timezone.now() + timedelta(seconds=1))

    cut_after_the_claim(monkeypatch, taken_over)
    op = Operation.objects.create(kind="test")
    assert run(op) == "claim lost"
    assert (op.status, op.last_error, sent) == (S.RUNNING, "", [])


# --- a claim is one row's --------------------------------------------------------------------


def frozen_clock(monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(engine, "timezone", SimpleNamespace(now=lambda: now))
    return now


def test_running_one_operation_claims_no_other(monkeypatch):
    install(monkeypatch, lambda op: None)
    op, other = Operation.objects.create(kind="test"), Operation.objects.create(kind="test")
    assert run(op) == "succeeded"
    other.refresh_from_db()
    assert (other.status, other.attempts) == (S.QUEUED, 0)


def test_two_claims_made_in_the_same_instant_write_only_their_own_row(monkeypatch):
    now = frozen_clock(monkeypatch)
    other = Operation.objects.create(kind="test", status=S.RUNNING, claimed_at=now)  # another worker's
    install(monkeypatch, lambda op: {"ok": 1})
    op = Operation.objects.create(kind="test")
    assert run(op) == "succeeded"
    other.refresh_from_db()
    assert (other.status, other.result) == (S.RUNNING, {})


@pytest.mark.parametrize(("due_in", "outcome"), [(1.0, "succeeded"), (1.5, "not claimable")])
def test_a_retry_is_claimable_from_exactly_one_second_before_it_is_due(monkeypatch, due_in, outcome):
    now = frozen_clock(monkeypatch)
    install(monkeypatch, lambda op: None)
    op = Operation.objects.create(kind="test", status=S.RETRYING, next_attempt_at=now + timedelta(seconds=due_in))
    assert run(op) == outcome


def test_a_handler_reads_its_campaign_and_creator_without_a_query(monkeypatch, sdr):
    queries = []

    def reads(op):
        with CaptureQueriesContext(connection) as captured:
            names = (op.campaign.name, op.created_by.username)
        queries.append(len(captured))
        return {"names": list(names)}

    install(monkeypatch, reads)
    campaign = CampaignFactory(owner=sdr)
    op = Operation.objects.create(kind="test", campaign=campaign, created_by=sdr)
    assert run(op) == "succeeded"
    assert (op.result, queries) == ({"names": [campaign.name, "sdr"]}, [0])


# --- checkpoints -----------------------------------------------------------------------------


def test_a_checkpoint_is_a_sign_of_life(monkeypatch):
    seen = {}

    def checkpoints_after_a_long_run(op):
        Operation.objects.filter(pk=op.pk).update(
            updated_at=timezone.now() - LONG_AGO, heartbeat_at=timezone.now() - LONG_AGO
        )
        seen["before"] = timezone.now()
        checkpoint(op, chunks=1)
        row = Operation.objects.get(pk=op.pk)
        seen["row"] = (row.progress, row.heartbeat_at >= seen["before"], row.updated_at >= seen["before"])

    install(monkeypatch, checkpoints_after_a_long_run)
    assert run(Operation.objects.create(kind="test")) == "succeeded"
    assert seen["row"] == ({"chunks": 1}, True, True)


def test_a_checkpoint_after_the_claim_was_taken_over_says_which_operation():
    now = timezone.now()
    op = Operation.objects.create(kind="test", status=S.RUNNING, claimed_at=now)
    Operation.objects.filter(pk=op.pk).update(claimed_at=now + timedelta(seconds=1))
    with pytest.raises(ClaimLost, match=rf"^operation {op.pk} was taken over$"):
        checkpoint(op, chunks=1)


def test_a_checkpoint_outside_the_engine_saves_the_progress_and_stamps_the_change():
    op = Operation.objects.create(kind="test", progress={"chunks": 1})  # a shell or a test: no claim
    Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - LONG_AGO)
    before = timezone.now()
    checkpoint(op, chunks=2)
    op.refresh_from_db()
    assert op.progress == {"chunks": 2} and op.updated_at >= before


# --- registering kinds, enqueueing -----------------------------------------------------------


def test_only_a_kind_registered_as_not_retry_safe_is_kept_from_repeating(monkeypatch):
    monkeypatch.setattr(engine, "HANDLERS", {})
    monkeypatch.setattr(engine, "NOT_RETRY_SAFE", set())
    engine.handles("send", retry_safe=False)(lambda op, client: None)
    engine.handles("plain")(lambda op, client: None)
    assert {"send"} == engine.NOT_RETRY_SAFE and set(engine.HANDLERS) == {"send", "plain"}


def test_an_anonymous_actor_is_not_recorded_as_the_creator(sdr):
    assert engine.operation_enqueue(kind="test", actor=AnonymousUser()).created_by is None
    assert engine.operation_enqueue(kind="test", actor=None).created_by is None
    assert engine.operation_enqueue(kind="test", actor=sdr).created_by == sdr
