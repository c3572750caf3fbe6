"""A task travels through a real Redis to a real worker process and changes the database."""

import pytest
from django.utils import timezone

from campaigns.models import SyncState
from campaigns.tasks import heartbeat
from tests.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_task_sent_through_redis_runs_in_a_worker_process(worker_process):
    assert not SyncState.objects.filter(name="worker").exists()
    sent_at = timezone.now()
    heartbeat.delay()
    state = wait_until(
        lambda: SyncState.objects.filter(name="worker", last_success_at__isnull=False).first(),
        timeout=60,
        message="the worker process to record its heartbeat",
    )
    assert sent_at <= state.last_success_at <= timezone.now()
