from celery import shared_task
from django.utils import timezone

from campaigns.models import SyncState


@shared_task(name="campaigns.tasks.heartbeat")
def heartbeat():
    """Prove a worker is consuming: /healthz and the UI read its time."""
    SyncState.objects.update_or_create(name="worker", defaults={"last_success_at": timezone.now()})
