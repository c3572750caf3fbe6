"""Beat tasks of the monitoring area. No retries: the next cycle is the retry."""

from celery import shared_task
from django.conf import settings

from campaigns.services.replies import replies_poll_cycle
from campaigns.services.stats import stats_poll_cycle
from campaigns.services.webhooks import webhook_prune


# A cycle still queued when the next one is due is worthless: let it expire.
@shared_task(name="campaigns.tasks.poll_stats", expires=settings.STATS_POLL_SECONDS)
def poll_stats():
    """Poll /stats for running, recently launched and paused campaigns, within the rate budget."""
    summary = stats_poll_cycle()
    return {"polled": summary.polled, "changed": summary.changed, "failed": summary.failed}


@shared_task(name="campaigns.tasks.poll_replies", expires=settings.REPLIES_POLL_SECONDS)
def poll_replies():
    """Page through /replies until a page brings nothing new; drop old webhook deliveries."""
    webhook_prune()
    return replies_poll_cycle()
