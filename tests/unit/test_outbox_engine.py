"""The outbox engine: claim, retry with backoff, fail, continue, sweep, manual retry/cancel.

Messages to the broker are recorded instead of sent (`sent`): what is tested here is the
row's life; tests/integration/test_outbox_*.py send them through a real Redis."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from campaigns.leadterra import AuthFailed, RateLimited, Transient
from campaigns.models import ApiCall, AuditEvent, Campaign, Operation
from campaigns.services import operations as engine
from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.operations import (
    Continue,
    OperationStateError,
    call_log_prune,
    checkpoint,
    operation_cancel,
    operation_enqueue,
    operation_retry,
    operation_run,
    operation_settle,
)
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
S = Operation.Status


@pytest.fixture(autouse=True)
def sent(monkeypatch, settings):
    settings.OPERATION_RETRY_BASE_SECONDS = 2
    settings.OPERATION_MAX_FAILURE_STREAK = 3
    messages = []
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: messages.append((pk, countdown)))
    return messages


@pytest.fixture
def handler(monkeypatch):
    """Register a test handler; `behaviour(op)` decides what each attempt does."""
    calls = []

    def install(behaviour, on_failure=None):
        def fn(op, client):
            calls.append(op.attempts)
            return behaviour(op)

        monkeypatch.setitem(engine.HANDLERS, "test", fn)
        if on_failure:
            monkeypatch.setitem(engine.FAILURE_HOOKS, "test", on_failure)
        return calls

    return install


def make_op(**kw):
    return Operation.objects.create(kind="test", **kw)


def run(op):
    outcome = operation_run(operation_id=op.pk)
    op.refresh_from_db()
    return outcome


def test_enqueue_sends_the_task_only_when_the_transaction_commits(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        op = operation_enqueue(kind="start", payload={"a": 1})
        assert sent == []
    assert len(callbacks) == 1
    assert sent == [(op.pk, None)]
    assert (op.status, op.payload) == (S.QUEUED, {"a": 1})


def test_it_runs_a_handler_once_and_stores_its_result(handler):
    calls = handler(lambda op: {"ok": True})
    op = make_op()
    assert run(op) == "succeeded"
    assert (op.status, op.result, op.attempts, op.finished_at is not None) == (S.SUCCEEDED, {"ok": True}, 1, True)
    assert run(op) == "not claimable"
    assert calls == [1]


def test_a_claimed_operation_cannot_be_claimed_twice(handler):
    handler(lambda op: None)
    op = make_op(status=S.RUNNING, claimed_at=timezone.now())
    assert run(op) == "not claimable"
    assert op.attempts == 0


def test_a_transient_error_schedules_a_retry_with_backoff_and_jitter(handler, sent):
    def flaky(op):
        raise Transient("Leadterra had a server error (503); it will be retried.")

    handler(flaky)
    op = make_op()
    assert run(op) == "retrying"
    assert (op.status, op.retries, op.failure_streak) == (S.RETRYING, 1, 1)
    assert "503" in op.last_error
    [(pk, countdown)] = sent
    assert pk == op.pk and 1.0 <= countdown <= 2.0
    assert op.next_attempt_at > timezone.now()


def test_the_backoff_doubles_with_each_failure_in_a_row():
    for streak, (low, high) in {1: (1, 2), 2: (2, 4), 3: (4, 8), 20: (150, 300)}.items():
        assert all(low <= engine.backoff(streak) <= high for _ in range(50))


def test_an_early_duplicate_message_does_not_run_a_retry_before_its_time(handler):
    calls = handler(lambda op: None)
    op = make_op(status=S.RETRYING, next_attempt_at=timezone.now() + timedelta(seconds=30))
    assert run(op) == "not claimable"
    assert calls == []


def test_a_429_waits_its_retry_after_as_a_countdown(handler, sent):
    def limited(op):
        raise RateLimited("slow down", retry_after=7)

    handler(limited)
    op = make_op()
    run(op)
    assert 7 <= sent[0][1] <= 7 * 1.25
    assert op.status == S.RETRYING


def test_a_permanent_error_fails_the_operation_with_its_message_and_calls_the_hook(handler):
    hooked = []

    def refused(op):
        raise AuthFailed("Leadterra refused the API key. Check LEADTERRA_API_KEY on the server.")

    handler(refused, on_failure=lambda op: hooked.append(op.last_error))
    op = make_op()
    assert run(op) == "failed"
    assert op.status == S.FAILED and "LEADTERRA_API_KEY" in op.last_error
    assert hooked == [op.last_error]


def test_it_gives_up_after_too_many_failures_in_a_row(handler):
    def flaky(op):
        raise Transient("still down")

    handler(flaky)
    op = make_op()
    for _ in range(3):
        run(op)
        Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)
    assert op.status == S.RETRYING
    run(op)
    assert op.status == S.FAILED
    assert op.last_error == "Gave up after 3 failed attempts in a row. Last error: still down"


def test_a_checkpoint_resets_the_failure_streak(handler):
    def progresses_then_fails(op):
        checkpoint(op, step=op.attempts)
        raise Transient("blip")

    handler(progresses_then_fails)
    op = make_op()
    for _ in range(5):
        run(op)
        Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)
    assert (op.status, op.failure_streak, op.retries, op.progress) == (S.RETRYING, 1, 5, {"step": 5})


def test_a_handler_that_continues_is_queued_and_sent_again_at_once(handler, sent):
    def long_job(op):
        checkpoint(op, done=10)
        raise Continue

    handler(long_job)
    op = make_op()
    assert run(op) == "continued"
    assert (op.status, op.progress) == (S.QUEUED, {"done": 10})
    assert sent == [(op.pk, None)]


def test_an_unexpected_exception_fails_with_a_readable_message(handler):
    def broken(op):
        raise KeyError("url")

    handler(broken)
    op = make_op()
    run(op)
    assert op.status == S.FAILED
    assert op.last_error == "Unexpected error in the test handler: KeyError: 'url'"


def test_a_worker_that_lost_its_claim_does_not_overwrite_the_row(handler):
    def swept_meanwhile(op):
        Operation.objects.filter(pk=op.pk).update(status=S.QUEUED)  # the sweeper took it back
        return {"late": True}

    handler(swept_meanwhile)
    op = make_op()
    run(op)
    assert (op.status, op.result) == (S.QUEUED, {})


def test_an_unknown_kind_fails_clearly():
    op = Operation.objects.create(kind="teleport")
    operation_run(operation_id=op.pk)
    op.refresh_from_db()
    assert op.status == S.FAILED and "teleport" in op.last_error


# --- the sweeper ------------------------------------------------------------------


def age(op, seconds, **fields):
    Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds), **fields)


def test_the_sweeper_resends_operations_the_broker_never_got(sent):
    lost, fresh = make_op(), make_op()
    age(lost, 60)
    assert operations_sweep()["queued"] == 1
    assert sent == [(lost.pk, None)]
    assert operations_sweep()["queued"] == 0, "not again until another grace period passed"
    assert fresh.pk not in [pk for pk, _ in sent]


def test_the_sweeper_resends_a_retry_whose_countdown_message_vanished(sent):
    overdue = make_op(status=S.RETRYING)
    waiting = make_op(status=S.RETRYING)
    age(overdue, 120, next_attempt_at=timezone.now() - timedelta(seconds=90))
    age(waiting, 120, next_attempt_at=timezone.now() + timedelta(seconds=90))
    assert operations_sweep()["retrying"] == 1
    assert sent == [(overdue.pk, None)]


def test_the_sweeper_requeues_an_operation_whose_worker_died(sent, settings):
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 60
    dead, alive = make_op(status=S.RUNNING), make_op(status=S.RUNNING)
    age(dead, 61)
    age(alive, 30)
    assert operations_sweep()["stale"] == 1
    dead.refresh_from_db()
    assert dead.status == S.QUEUED and "worker" in dead.last_error
    assert sent == [(dead.pk, None)]


def test_the_call_log_is_pruned_after_its_retention(settings):
    settings.CALL_LOG_RETENTION_HOURS = 48
    old, recent = ApiCall.objects.create(endpoint="GET /v1/replies"), ApiCall.objects.create(endpoint="GET /v1/x")
    ApiCall.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=49))
    assert call_log_prune() == 1
    assert list(ApiCall.objects.values_list("pk", flat=True)) == [recent.pk]


# --- manager actions -----------------------------------------------------------------


def test_a_manager_retries_a_failed_operation_keeping_checkpoints(manager, sent, django_capture_on_commit_callbacks):
    campaign = CampaignFactory()
    op = make_op(campaign=campaign, status=S.FAILED, failure_streak=4, progress={"enroll": {"last_lead_id": 500}})
    with django_capture_on_commit_callbacks(execute=True):
        operation_retry(operation=op, actor=manager)
    op.refresh_from_db()
    assert (op.status, op.failure_streak, op.progress) == (S.QUEUED, 0, {"enroll": {"last_lead_id": 500}})
    assert sent == [(op.pk, None)]
    retried = AuditEvent.objects.get(action="operation.retried")
    assert (retried.actor, retried.campaign) == (manager, campaign)  # it shows in the campaign's history
    assert retried.details == {"operation": op.pk, "kind": "test"}


def test_what_a_before_retry_hook_writes_to_the_row_is_kept_by_the_retry(manager, monkeypatch):
    """A hook may rewrite the row itself (the launch hook stores the pre-flight it re-ran in the
    payload): the retry then writes only the fields it resets, not its older copy of the rest."""

    def rerun_preflight(op, actor):
        Operation.objects.filter(pk=op.pk).update(payload={"preflight": "re-run"})

    monkeypatch.setitem(engine.RETRY_HOOKS, "test", rerun_preflight)
    op = make_op(status=S.FAILED, payload={"preflight": "from the launch"})
    operation_retry(operation=op, actor=manager)
    op.refresh_from_db()
    assert (op.status, op.payload) == (S.QUEUED, {"preflight": "re-run"})


def test_an_sdr_can_neither_retry_nor_cancel(sdr):
    op = make_op(status=S.FAILED)
    with pytest.raises(PermissionDenied):
        operation_retry(operation=op, actor=sdr)
    with pytest.raises(PermissionDenied):
        operation_cancel(operation=op, actor=sdr)


def test_only_a_failed_operation_can_be_retried(manager):
    with pytest.raises(OperationStateError) as refused:
        operation_retry(operation=make_op(status=S.SUCCEEDED), actor=manager)
    assert str(refused.value) == "Only a failed operation can be retried."


def test_a_running_operation_cannot_be_cancelled(manager):
    with pytest.raises(OperationStateError) as refused:
        operation_cancel(operation=make_op(status=S.RUNNING), actor=manager)
    assert str(refused.value) == "Only a failed, queued or retrying operation can be cancelled."


def test_a_before_retry_hook_can_refuse_a_retry_which_then_changes_nothing(manager, monkeypatch, sent):
    seen = []

    def refuse(op, actor):
        seen.append((op.pk, actor))
        Operation.objects.filter(pk=op.pk).update(payload={"touched": True})  # rolled back with the refusal
        raise OperationStateError("The campaign was edited since: it needs a new review.")

    monkeypatch.setitem(engine.RETRY_HOOKS, "test", refuse)
    op = make_op(status=S.FAILED, last_error="boom")
    with pytest.raises(OperationStateError, match="needs a new review"):
        operation_retry(operation=op, actor=manager)
    op.refresh_from_db()
    assert seen == [(op.pk, manager)]
    assert (op.status, op.payload, sent) == (S.FAILED, {}, [])
    assert not AuditEvent.objects.filter(action="operation.retried").exists()


def test_a_before_retry_hook_that_accepts_lets_the_retry_through(manager, monkeypatch, sent):
    monkeypatch.setitem(engine.RETRY_HOOKS, "test", lambda op, actor: None)
    op = make_op(status=S.FAILED)
    operation_retry(operation=op, actor=manager)
    op.refresh_from_db()
    assert op.status == S.QUEUED


def test_the_engine_knows_no_kind_of_campaign_operation():
    """Launch-specific rules live in the launch handler's hooks, never in the engine."""
    source = Path(engine.__file__).read_text()
    assert "Campaign" not in source and "LAUNCH" not in source and "import campaigns.services.handlers" not in source


def test_cancelling_a_queued_launch_marks_the_campaign_launch_failed(manager):
    campaign = CampaignFactory(status=Campaign.Status.LAUNCHING)
    op = Operation.objects.create(kind="launch", campaign=campaign)
    operation_cancel(operation=op, actor=manager)
    op.refresh_from_db()
    campaign.refresh_from_db()
    assert op.status == S.CANCELLED and op.last_error == "Cancelled by manager."
    assert (campaign.status, campaign.status_reason) == (Campaign.Status.LAUNCH_FAILED, "Cancelled by manager.")
    assert operation_run(operation_id=op.pk) == "not claimable"
    cancelled = AuditEvent.objects.get(action="operation.cancelled")
    assert (cancelled.actor, cancelled.campaign) == (manager, campaign)
    assert cancelled.details == {"operation": op.pk, "kind": "launch"}


def test_the_failure_hook_runs_once_whether_an_operation_fails_or_is_cancelled(handler, manager):
    hooked = []
    handler(lambda op: None, on_failure=lambda op: hooked.append((op.pk, op.status)))
    queued, failed = make_op(), make_op(status=S.FAILED, last_error="boom")
    operation_cancel(operation=queued, actor=manager)
    operation_cancel(operation=failed, actor=manager)  # its hook ran when it failed
    assert hooked == [(queued.pk, S.CANCELLED)]


# --- settling an outcome-unknown operation ---------------------------------------------


@pytest.mark.parametrize(
    ("sent_out", "status", "result", "said"),
    [
        (True, S.SUCCEEDED, {"draft": "d_1", "settled": "sent", "settled_by": "manager"}, "it went out"),
        (False, S.CANCELLED, {"draft": "d_1"}, "it did not go out"),
    ],
    ids=["sent", "not-sent"],
)
def test_a_settled_operation_records_who_checked_what_they_found_and_when(manager, sent_out, status, result, said):
    """The row, reloaded, and the campaign's audit say who settled it and how; the end moves to now."""
    campaign = CampaignFactory()
    unknown_since = timezone.now() - timedelta(hours=1)
    op = make_op(
        campaign=campaign,
        status=S.OUTCOME_UNKNOWN,
        result={"draft": "d_1"},
        last_error="Outcome unknown.",
        finished_at=unknown_since,
    )
    before = timezone.now()
    operation_settle(operation=op, actor=manager, sent=sent_out)
    op.refresh_from_db()
    assert (op.status, op.result) == (status, result)
    assert op.last_error == f"Checked by manager: {said}. Outcome unknown."
    assert before <= op.finished_at <= timezone.now()
    settled = AuditEvent.objects.get(action="operation.settled")
    assert (settled.actor, settled.campaign) == (manager, campaign)
    assert settled.details == {"operation": op.pk, "kind": "test", "sent": sent_out}


def test_only_an_outcome_unknown_operation_can_be_settled(manager):
    op = make_op(status=S.FAILED, last_error="boom")
    with pytest.raises(OperationStateError) as refused:
        operation_settle(operation=op, actor=manager, sent=True)
    assert str(refused.value) == "Only an operation whose outcome is unknown can be settled."
    op.refresh_from_db()
    assert (op.status, op.last_error) == (S.FAILED, "boom")
