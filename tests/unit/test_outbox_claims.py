"""The outbox claim: two workers racing for one operation, a lost claim, retries.

Worker A claims an operation and is slow; meanwhile the sweeper decides A is dead and
worker B claims the row again (status running, a later claimed_at). Whatever A's handler
then does (succeed, retry, fail, continue), A must write nothing: the row is B's. Only
the claim's timestamp tells A's claim from B's, since both see status "running".
"""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from campaigns.leadterra import AuthFailed, RateLimited, Transient
from campaigns.models import Operation
from campaigns.services import operations as engine
from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.operations import Continue, operation_run

pytestmark = pytest.mark.django_db
S = Operation.Status


@pytest.fixture(autouse=True)
def sent(monkeypatch, settings):
    settings.OPERATION_RETRY_BASE_SECONDS = 2
    settings.OPERATION_MAX_FAILURE_STREAK = 3
    messages = []
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: messages.append((pk, countdown)))
    return messages


def worker_b_takes_over(op) -> None:
    """What worker B's claim writes: running again, its own (later) claim time, one more attempt."""
    Operation.objects.filter(pk=op.pk).update(
        status=S.RUNNING, claimed_at=op.claimed_at + timedelta(seconds=400), attempts=F("attempts") + 1
    )


def install(monkeypatch, behaviour, hooked=None):
    def fn(op, client):
        worker_b_takes_over(op)
        return behaviour(op)

    monkeypatch.setitem(engine.HANDLERS, "race", fn)
    monkeypatch.setitem(engine.FAILURE_HOOKS, "race", lambda op: hooked.append(op.pk) if hooked is not None else None)


def raises(exc):
    def behaviour(op):
        raise exc

    return behaviour


def SUCCESS(op):  # noqa: N802 (a constant-like behaviour)
    return {"written_by": "A"}


@pytest.mark.parametrize(
    "behaviour",
    [
        SUCCESS,
        raises(Transient("blip")),
        raises(RateLimited("slow down", retry_after=3)),
        raises(AuthFailed("bad key")),
        raises(Continue()),
        raises(KeyError("crash")),
    ],
    ids=["success", "transient", "rate-limited", "permanent", "continue", "crash"],
)
def test_a_slow_worker_whose_claim_was_taken_over_writes_nothing(monkeypatch, sent, behaviour):
    hooked = []
    install(monkeypatch, behaviour, hooked)
    op = Operation.objects.create(kind="race", progress={"step": 1})
    outcome = operation_run(operation_id=op.pk)
    # Every path, a late success included, reports that the claim was lost.
    assert outcome == "claim lost"
    op.refresh_from_db()
    assert op.status == S.RUNNING  # still B's
    assert (op.result, op.last_error, op.retries, op.failure_streak, op.finished_at) == ({}, "", 0, 0, None)
    assert op.attempts == 2
    assert sent == [] and hooked == []  # no message sent, no failure hook for B's live row


def test_the_worker_holding_the_claim_still_writes(monkeypatch):
    monkeypatch.setitem(engine.HANDLERS, "race", lambda op, client: {"written_by": "B"})
    op = Operation.objects.create(kind="race")
    assert operation_run(operation_id=op.pk) == "succeeded"
    op.refresh_from_db()
    assert (op.status, op.result, op.attempts) == (S.SUCCEEDED, {"written_by": "B"}, 1)
    assert op.finished_at is not None and op.next_attempt_at is None


def test_a_success_clears_the_last_error_and_the_streak(monkeypatch):
    monkeypatch.setitem(engine.HANDLERS, "race", lambda op, client: None)
    op = Operation.objects.create(kind="race", status=S.RETRYING, last_error="blip", failure_streak=2)
    assert operation_run(operation_id=op.pk) == "succeeded"
    op.refresh_from_db()
    assert (op.status, op.result, op.last_error, op.failure_streak) == (S.SUCCEEDED, {}, "", 0)


def test_a_retry_is_claimable_from_one_second_before_its_time(monkeypatch):
    calls = []
    monkeypatch.setitem(engine.HANDLERS, "race", lambda op, client: calls.append(op.pk))
    soon = Operation.objects.create(
        kind="race", status=S.RETRYING, next_attempt_at=timezone.now() + timedelta(seconds=0.5)
    )
    later = Operation.objects.create(
        kind="race", status=S.RETRYING, next_attempt_at=timezone.now() + timedelta(seconds=5)
    )
    assert operation_run(operation_id=soon.pk) == "succeeded"
    assert operation_run(operation_id=later.pk) == "not claimable"
    assert calls == [soon.pk]


@pytest.mark.parametrize("status", [S.SUCCEEDED, S.FAILED, S.CANCELLED, S.RUNNING])
def test_only_queued_or_retrying_rows_are_claimed(monkeypatch, status):
    monkeypatch.setitem(engine.HANDLERS, "race", lambda op, client: None)
    op = Operation.objects.create(kind="race", status=status)
    assert operation_run(operation_id=op.pk) == "not claimable"
    op.refresh_from_db()
    assert (op.status, op.attempts) == (status, 0)


def test_the_streak_limit_a_manager_set_is_used_not_the_default(monkeypatch, settings):
    settings.OPERATION_MAX_FAILURE_STREAK = 1

    def flaky(op, client):
        raise Transient("down")

    monkeypatch.setitem(engine.HANDLERS, "race", flaky)
    op = Operation.objects.create(kind="race")
    assert operation_run(operation_id=op.pk) == "retrying"
    Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)
    assert operation_run(operation_id=op.pk) == "failed"
    op.refresh_from_db()
    assert op.last_error == "Gave up after 1 failed attempts in a row. Last error: down"


def test_a_tiny_retry_after_still_waits_half_a_second(monkeypatch, sent):
    def limited(op, client):
        raise RateLimited("slow down", retry_after=0.01)

    monkeypatch.setitem(engine.HANDLERS, "race", limited)
    op = Operation.objects.create(kind="race")
    operation_run(operation_id=op.pk)
    [(_, countdown)] = sent
    assert 0.5 <= countdown <= 0.625


def test_backoff_uses_the_configured_base_and_cap(settings):
    settings.OPERATION_RETRY_BASE_SECONDS = 3
    settings.OPERATION_RETRY_MAX_SECONDS = 20
    for streak, (low, high) in {0: (1.5, 3), 1: (1.5, 3), 2: (3, 6), 3: (6, 12), 9: (10, 20)}.items():
        waits = [engine.backoff(streak) for _ in range(40)]
        assert all(low <= w <= high for w in waits), (streak, waits)


def test_the_sweeper_uses_the_configured_grace(sent, settings):
    settings.OPERATIONS_SWEEP_GRACE_SECONDS = 100
    op = Operation.objects.create(kind="race")
    Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - timedelta(seconds=60))
    assert operations_sweep() == {"queued": 0, "retrying": 0, "stale": 0, "unknown": 0}
    Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - timedelta(seconds=101))
    assert operations_sweep() == {"queued": 1, "retrying": 0, "stale": 0, "unknown": 0}
    assert sent == [(op.pk, None)]


def test_the_sweeper_leaves_a_worker_that_showed_life_since_it_looked(sent, settings):
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 60
    op = Operation.objects.create(kind="race", status=S.RUNNING)
    old = timezone.now() - timedelta(seconds=120)
    Operation.objects.filter(pk=op.pk).update(updated_at=old)
    real_filter = Operation.objects.filter
    seen = []

    def filter_then_checkpoint(*args, **kwargs):
        # Between the sweeper's read and its conditional update, the worker checkpoints.
        if kwargs.get("updated_at") == old and not seen:
            seen.append(True)
            real_filter(pk=op.pk).update(updated_at=timezone.now())
        return real_filter(*args, **kwargs)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(Operation.objects, "filter", filter_then_checkpoint)
    try:
        counts = operations_sweep()
    finally:
        monkeypatch.undo()
    assert seen and counts["stale"] == 0 and sent == []
    op.refresh_from_db()
    assert op.status == S.RUNNING


REAL_SEND = engine._send  # the autouse fixture replaces it; these tests check the real one


class Connection:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_message_is_published_once_with_no_publish_retries(monkeypatch):
    from celery import current_app

    connection, opened, published = Connection(), [], []
    monkeypatch.setattr(current_app, "connection_for_write", lambda **kw: opened.append(kw) or connection)
    monkeypatch.setattr(current_app, "send_task", lambda name, **kw: published.append((name, kw)))
    REAL_SEND(41, 7.5)
    REAL_SEND(42)
    assert opened == [{"transport_options": {"max_retries": 0}}] * 2
    task = "campaigns.tasks.run_operation"
    assert published == [
        (task, {"args": (41,), "countdown": 7.5, "retry": False, "connection": connection}),
        (task, {"args": (42,), "countdown": None, "retry": False, "connection": connection}),
    ]


def test_a_dead_broker_leaves_the_row_queued_and_says_so(monkeypatch, caplog):
    from campaigns.tasks import run_operation

    def refuse(**kw):
        raise ConnectionRefusedError("no broker")

    monkeypatch.setattr(run_operation.app, "connection_for_write", refuse)
    REAL_SEND(43)  # no exception: the sweeper sends it later
    assert "operation 43 stays queued: broker unavailable (ConnectionRefusedError)" in caplog.text


# --- a manager's retry and cancel, with every field they reset --------------------------------


def test_a_retry_clears_the_schedule_and_the_end(manager, sent, django_capture_on_commit_callbacks):
    from campaigns.models import AuditEvent
    from campaigns.services.operations import operation_retry

    done = timezone.now() - timedelta(minutes=5)
    op = Operation.objects.create(
        kind="race", status=S.FAILED, failure_streak=3, next_attempt_at=done, finished_at=done, last_error="boom"
    )
    with django_capture_on_commit_callbacks(execute=True):
        operation_retry(operation=op, actor=manager)
    op.refresh_from_db()
    assert (op.status, op.failure_streak, op.next_attempt_at, op.finished_at) == (S.QUEUED, 0, None, None)
    assert sent == [(op.pk, None)]
    retried = AuditEvent.objects.get(action="operation.retried")
    assert (retried.actor, retried.details["operation"], retried.details["kind"]) == (manager, op.pk, "race")


@pytest.mark.parametrize("status", [S.QUEUED, S.RETRYING, S.FAILED])
def test_a_cancel_closes_the_row_and_keeps_the_last_error(manager, monkeypatch, status):
    from campaigns.models import AuditEvent
    from campaigns.services.operations import operation_cancel

    hooked = []
    monkeypatch.setitem(engine.FAILURE_HOOKS, "race", lambda op: hooked.append(op.status))
    later = timezone.now() + timedelta(minutes=5)
    op = Operation.objects.create(kind="race", status=status, next_attempt_at=later, last_error="Leadterra said 503.")
    operation_cancel(operation=op, actor=manager)
    op.refresh_from_db()
    assert (op.status, op.next_attempt_at) == (S.CANCELLED, None) and op.finished_at is not None
    assert op.last_error == "Cancelled by manager. Leadterra said 503."
    assert hooked == ([] if status == S.FAILED else [S.CANCELLED])
    cancelled = AuditEvent.objects.get(action="operation.cancelled")
    assert (cancelled.details["operation"], cancelled.details["kind"]) == (op.pk, "race")


@pytest.mark.parametrize("status", [S.SUCCEEDED, S.CANCELLED, S.RUNNING])
def test_a_finished_or_running_row_cannot_be_cancelled(manager, status):
    from campaigns.services.operations import OperationStateError, operation_cancel

    op = Operation.objects.create(kind="race", status=status)
    with pytest.raises(OperationStateError, match="Only a failed, queued or retrying operation"):
        operation_cancel(operation=op, actor=manager)


def test_a_crashing_failure_hook_does_not_undo_the_failure(monkeypatch):
    def crash(op):
        raise RuntimeError("hook bug")

    monkeypatch.setitem(engine.FAILURE_HOOKS, "race", crash)
    monkeypatch.setitem(engine.HANDLERS, "race", lambda op, client: (_ for _ in ()).throw(AuthFailed("bad key")))
    op = Operation.objects.create(kind="race")
    assert operation_run(operation_id=op.pk) == "failed"
    op.refresh_from_db()
    assert (op.status, op.last_error) == (S.FAILED, "bad key")


def test_handles_registers_the_handler_and_its_hooks(monkeypatch):
    for table in ("HANDLERS", "FAILURE_HOOKS", "RETRY_HOOKS"):
        monkeypatch.setattr(engine, table, {})

    def handler(op, client):
        return None

    def failed(op):
        return None

    def retried(op, actor):
        return None

    assert engine.handles("k", on_failure=failed, before_retry=retried)(handler) is handler
    engine.handles("plain")(handler)
    assert {"k": handler, "plain": handler} == engine.HANDLERS
    assert {"k": failed} == engine.FAILURE_HOOKS and {"k": retried} == engine.RETRY_HOOKS


# --- the sweeper with more than one row -----------------------------------------------------


def aged(seconds, **fields):
    op = Operation.objects.create(kind="race", **fields)
    Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))
    return op


def test_the_sweeper_resends_every_lost_row_once(sent):
    one, two = aged(60), aged(60)
    assert operations_sweep()["queued"] == 2
    assert sorted(sent) == sorted([(one.pk, None), (two.pk, None)])


def test_the_sweeper_resends_at_most_500_rows_a_run(sent):
    past = timezone.now() - timedelta(minutes=5)
    Operation.objects.bulk_create([Operation(kind="race") for _ in range(501)])
    Operation.objects.update(updated_at=past)
    assert operations_sweep()["queued"] == 500


def test_the_sweeper_leaves_finished_rows_with_an_old_schedule(sent):
    old = timezone.now() - timedelta(minutes=5)
    for status in (S.FAILED, S.SUCCEEDED, S.CANCELLED):
        aged(600, status=status, next_attempt_at=old)
    assert operations_sweep() == {"queued": 0, "retrying": 0, "stale": 0, "unknown": 0} and sent == []


def test_two_dead_workers_seen_at_the_same_moment_are_both_requeued_once(sent, settings):
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 60
    one, two = aged(120, status=S.RUNNING), aged(120, status=S.RUNNING)
    Operation.objects.filter(pk=two.pk).update(updated_at=Operation.objects.get(pk=one.pk).updated_at)
    assert operations_sweep()["stale"] == 2
    one.refresh_from_db()
    assert one.last_error == "The worker running it stopped; it was queued again."
    assert operations_sweep() == {"queued": 0, "retrying": 0, "stale": 0, "unknown": 0}  # requeued rows count as fresh
    assert len(sent) == 2
