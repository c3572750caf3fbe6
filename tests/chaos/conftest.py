"""Chaos helpers for the outbox: worker subprocesses aimed at the live sandbox, a stand-in for
beat that sends `sweep_operations`, campaigns ready to launch, and the figures file."""

import contextlib
import json
import os
import threading

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Lead, Operation
from campaigns.services.versions import version_save
from tests.conftest import ARTIFACTS, WorkerProcess, database_url
from tests.factories import CampaignFactory, StepFactory

FIGURES = ARTIFACTS / "outbox-figures.json"


@pytest.fixture
def workers(redis_server, live_server, transactional_db):
    """A factory of worker subprocesses on the test databases, aimed at the live sandbox."""
    started = []
    env = os.environ | {
        "DATABASE_URL": database_url("default"),
        "SANDBOX_DATABASE_URL": database_url("sandbox"),
        "REDIS_URL": redis_server.url,
        "BROKER_FALLBACK": "0",
        "LEADTERRA_API_BASE": live_server.url + "/sandbox",
        "LEADTERRA_READ_TIMEOUT": "3",
        "LEADTERRA_MAX_RPS": "40",
        "OPERATION_RETRY_BASE_SECONDS": "0.5",
        "OPERATION_RETRY_MAX_SECONDS": "8",
        "OPERATION_MAX_FAILURE_STREAK": "20",
        "OPERATION_HEARTBEAT_SECONDS": "1",
        "OPERATION_HEARTBEAT_STALE_SECONDS": "3",
        "OPERATIONS_SWEEP_GRACE_SECONDS": "3",
    }

    def start(concurrency: int = 8, module: str = "celery", **extra_env) -> WorkerProcess:
        worker = WorkerProcess(env | extra_env, concurrency, module).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def beat():
    """Stands in for `celery beat`: sends sweep_operations every second (the real one: every 5 s).
    Like beat, it just tries again next time when the broker is down."""
    from campaigns.tasks import sweep_operations

    stop = threading.Event()

    def tick():
        while not stop.wait(1):
            with contextlib.suppress(Exception):  # the broker is down: beat would log and carry on
                sweep_operations.apply_async(retry=False)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)


def launchable(owner, leads: int, name: str) -> Campaign:
    """An approved two-step campaign with `leads` pending leads, in `launching`."""
    campaign = CampaignFactory(name=name, owner=owner)
    StepFactory(campaign=campaign, position=1, subject="Hi {{firstName|there}}", body_html="<p>{{company}}</p>")
    StepFactory(campaign=campaign, position=2, subject="Following up", body_html="<p>bump</p>", delay_days=2)
    version = version_save(campaign=campaign, actor=owner)
    campaign.approved_version, campaign.approved_hash = version.number, version.content_hash
    campaign.status = Campaign.Status.LAUNCHING
    campaign.save()
    Lead.objects.bulk_create(
        Lead(
            campaign=campaign,
            email=f"lead{i:05}.{campaign.pk}@example.com",
            first_name="Ada" if i % 3 else "",
            company="Analytical Engines",
        )
        for i in range(leads)
    )
    return campaign


def figures(ops) -> dict:
    ops = list(Operation.objects.filter(pk__in=[op.pk for op in ops]))
    return {
        "operations": len(ops),
        "succeeded": sum(op.status == Operation.Status.SUCCEEDED for op in ops),
        "attempts": sum(op.attempts for op in ops),
        "retries": sum(op.retries for op in ops),
    }


def record(name: str, data: dict) -> None:
    """Keep the figures for the closing note (test-artifacts/outbox-figures.json) and print them."""
    ARTIFACTS.mkdir(exist_ok=True)
    current = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    current[name] = {**data, "recorded_at": timezone.now().isoformat()}
    FIGURES.write_text(json.dumps(current, indent=2))
    print(f"\n[outbox figures] {name}: {json.dumps(data)}")
