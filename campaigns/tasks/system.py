from celery import shared_task

from campaigns.services import sync_jobs


@shared_task(name="campaigns.tasks.heartbeat")
def heartbeat():
    """Prove a worker is consuming: /healthz and the UI read its time."""
    sync_jobs.sync_success(name=sync_jobs.WORKER)
