from celery import shared_task


@shared_task(name="campaigns.tasks.refresh_pools")
def refresh_pools():
    """Enqueue a refresh_pools operation (implemented by the pools work)."""
