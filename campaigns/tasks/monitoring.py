from celery import shared_task


@shared_task(name="campaigns.tasks.poll_stats")
def poll_stats():
    """Poll /stats for running and paused campaigns (implemented by the monitoring work)."""


@shared_task(name="campaigns.tasks.poll_replies")
def poll_replies():
    """Page through /replies (implemented by the monitoring work)."""
