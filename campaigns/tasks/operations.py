"""Outbox tasks. Retries are not Celery's: the Operation row holds the retry state, and the
engine re-sends `run_operation` with a countdown, so a lost message is found by the sweeper
and a retry never depends on a worker staying alive."""

from celery import shared_task

from campaigns.services.operation_sweeper import operations_sweep
from campaigns.services.operations import call_log_prune, operation_run


@shared_task(name="campaigns.tasks.run_operation", acks_late=True, reject_on_worker_lost=True)
def run_operation(operation_id: int):
    return operation_run(operation_id=operation_id)


@shared_task(name="campaigns.tasks.sweep_operations")
def sweep_operations():
    return operations_sweep()


@shared_task(name="campaigns.tasks.prune_call_log")
def prune_call_log():
    return call_log_prune()
