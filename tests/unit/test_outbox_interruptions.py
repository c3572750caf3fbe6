"""The engine when a handler is interrupted (the task's time limit, the database briefly away)
and when a slow worker's claim was taken over by another worker before it finished.

Messages to the broker are recorded, not sent, as in test_outbox_engine.py."""

from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from campaigns.leadterra import AuthFailed, Transient
from campaigns.models import Operation
from campaigns.services import operations as engine
from campaigns.services.operations import Continue, checkpoint, operation_run

pytestmark = pytest.mark.django_db
S = Operation.Status
INTERRUPTIONS = [SoftTimeLimitExceeded(), OperationalError("database is locked"), InterfaceError("connection closed")]


@pytest.fixture(autouse=True)
def sent(monkeypatch, settings):
    # Not the defaults: the base and the streak limit below must come from settings.
    settings.OPERATION_RETRY_BASE_SECONDS = 8
    settings.OPERATION_MAX_FAILURE_STREAK = 2
    messages = []
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: messages.append((pk, countdown)))
    return messages


@pytest.fixture
def hook_calls(monkeypatch):
    calls = []
    monkeypatch.setitem(engine.FAILURE_HOOKS, "test", lambda op: calls.append(op.pk))
    return calls


def install(monkeypatch, behaviour):
    monkeypatch.setitem(engine.HANDLERS, "test", lambda op, client: behaviour(op))


def run(op):
    outcome = operation_run(operation_id=op.pk)
    op.refresh_from_db()
    return outcome


@pytest.mark.parametrize("interruption", INTERRUPTIONS, ids=lambda e: e.__class__.__name__)
def test_an_interrupted_handler_is_retried_with_backoff_not_failed(monkeypatch, sent, hook_calls, interruption):
    def interrupted(op):
        raise interruption

    install(monkeypatch, interrupted)
    op = Operation.objects.create(kind="test")
    assert run(op) == "retrying"
    name = interruption.__class__.__name__
    assert (op.status, op.retries, op.failure_streak, op.attempts) == (S.RETRYING, 1, 1, 1)
    assert op.last_error == f"Interrupted ({name}); it will be retried."
    [(pk, countdown)] = sent
    assert pk == op.pk and 4.0 <= countdown <= 8.0  # base 8 s with jitter in [d/2, d]
    assert hook_calls == []


@pytest.mark.parametrize("interruption", INTERRUPTIONS, ids=lambda e: e.__class__.__name__)
def test_interruptions_without_progress_give_up_at_the_configured_streak(monkeypatch, hook_calls, interruption):
    def interrupted(op):
        raise interruption

    install(monkeypatch, interrupted)
    op = Operation.objects.create(kind="test")
    outcomes = []
    for _ in range(3):
        outcomes.append(run(op))
        Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)
    assert outcomes == ["retrying", "retrying", "failed"]
    assert op.status == S.FAILED and op.last_error.startswith("Gave up after 2 failed attempts in a row.")
    assert hook_calls == [op.pk]


def test_an_interrupted_handler_that_checkpointed_keeps_its_progress_and_its_streak_low(monkeypatch):
    def slow(op):
        checkpoint(op, done=op.attempts * 100)
        raise SoftTimeLimitExceeded()

    install(monkeypatch, slow)
    op = Operation.objects.create(kind="test")
    for _ in range(4):  # more interruptions than the limit: each made progress, so none counts twice
        assert run(op) == "retrying"
        Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)
    assert (op.status, op.failure_streak, op.retries, op.progress) == (S.RETRYING, 1, 4, {"done": 400})


def taken_over(outcome):
    """A handler that, while it runs, loses its claim to a second worker, then does `outcome`."""

    def behaviour(op):
        # The sweeper re-queued the row and another worker claimed it a moment later: same
        # status (running), a newer claim. Only the claim's timestamp tells the two apart.
        Operation.objects.filter(pk=op.pk).update(
            status=S.RUNNING, claimed_at=op.claimed_at + timedelta(seconds=1), attempts=2
        )
        return outcome(op)

    return behaviour


def _raise(exc):
    def behaviour(op):
        raise exc

    return behaviour


@pytest.mark.parametrize(
    "outcome",
    [
        lambda op: {"worker": 1},
        _raise(Transient("Leadterra had a server error (503); it will be retried.")),
        _raise(AuthFailed("The API key was refused.")),
        _raise(SoftTimeLimitExceeded()),
        _raise(OperationalError("database is locked")),
        _raise(Continue()),
        _raise(KeyError("boom")),
    ],
    ids=["success", "transient", "permanent", "time-limit", "database", "continue", "crash"],
)
def test_a_worker_whose_claim_was_taken_over_writes_nothing(monkeypatch, sent, hook_calls, outcome, request):
    install(monkeypatch, taken_over(outcome))
    op = Operation.objects.create(kind="test")
    outcome_logged = operation_run(operation_id=op.pk)
    # Every path, a late success included, reports that the claim was lost.
    assert outcome_logged == "claim lost"
    second_claim = Operation.objects.get(pk=op.pk)
    # The second worker's claim stands untouched: no result, error, retry or failure from the first.
    assert (second_claim.status, second_claim.attempts) == (S.RUNNING, 2)
    assert (second_claim.result, second_claim.last_error, second_claim.retries) == ({}, "", 0)
    assert second_claim.finished_at is None and second_claim.next_attempt_at is None
    assert sent == [] and hook_calls == []
