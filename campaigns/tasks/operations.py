from celery import shared_task


@shared_task(name="campaigns.tasks.run_operation")
def run_operation(operation_id: int):
    """Run one outbox Operation (implemented by the client/outbox work)."""


@shared_task(name="campaigns.tasks.sweep_operations")
def sweep_operations():
    """Re-enqueue operations left queued or running too long."""


@shared_task(name="campaigns.tasks.prune_call_log")
def prune_call_log():
    """Delete call-log rows past their retention."""
