from celery import shared_task

from campaigns.services.pools import pools_refresh_enqueue


@shared_task(name="campaigns.tasks.refresh_pools")
def refresh_pools():
    """Beat: ask for fresh pool numbers (one refresh operation at a time)."""
    pools_refresh_enqueue(actor=None)
