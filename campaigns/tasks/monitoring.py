"""Beat tasks of the monitoring area. No retries: the next cycle is the retry."""

from celery import shared_task
from django.conf import settings

from campaigns.services.replies import replies_poll_cycle
from campaigns.services.stats import stats_batch_run, stats_poll_dispatch
from campaigns.services.webhooks import webhook_prune


# A dispatch still queued when the next one is due is worthless: let it expire.
@shared_task(name="campaigns.tasks.poll_stats", expires=settings.STATS_POLL_SECONDS)
def poll_stats():
    """Beat: fan out batch tasks for the campaigns whose /stats poll is due."""
    return {"batches": stats_poll_dispatch()}


# A batch is a few seconds of calls (at worst ~2 minutes: every call timing out through its
# retries); its claims last longer (stats_claims.CLAIM_SECONDS), so a claim that runs out belongs
# to a dead worker. The time limits bind under the prefork pool only; under threads the client's
# timeouts bound a batch. Not acks_late: a batch lost with its worker is found again by the
# claims' deadline, and a redelivered batch would only claim what is due anyway.
@shared_task(
    name="campaigns.tasks.poll_stats_batch",
    acks_late=False,
    expires=settings.STATS_POLL_SECONDS,
    soft_time_limit=240,
    time_limit=270,
)
def poll_stats_batch():
    """Claim a batch of due campaigns, poll /stats for each, queue the next batch."""
    summary = stats_batch_run()
    return {"polled": summary.polled, "changed": summary.changed, "failed": summary.failed}


@shared_task(name="campaigns.tasks.poll_replies", expires=settings.REPLIES_POLL_SECONDS)
def poll_replies():
    """Page through /replies until a page brings nothing new; drop old webhook deliveries."""
    webhook_prune()
    return replies_poll_cycle()
