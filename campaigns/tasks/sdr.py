"""Tasks of the SDR area that only read Leadterra (writes are operations)."""

from celery import shared_task

from campaigns.services.sdr_inbox import sdr_inbox_refresh


# A refresh still queued a minute later is worthless: the page asks again.
@shared_task(name="campaigns.tasks.refresh_sdr_inbox", expires=60)
def refresh_sdr_inbox(user_id: int):
    """Fetch one SDR's inbox, Gmail health and follow-ups with their own key."""
    return sdr_inbox_refresh(user_id=user_id)
