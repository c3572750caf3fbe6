"""Chaos helpers for the outbox: worker subprocesses aimed at the live sandbox, a stand-in for
beat that sends `sweep_operations`, campaigns ready to launch, and the figures file."""

import contextlib
import fcntl
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
        # The budget is not what these tests are about (tests/unit/test_outbox_ratelimit.py is):
        # at 40 the injected 429s kept it at a quarter, 10 requests a second, and the fifty
        # launches spent most of their minute queuing for it.
        "LEADTERRA_MAX_RPS": "400",
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
    """Keep the figures for the closing note (test-artifacts/outbox-figures.json) and print them.
    Chaos tests run in parallel on several xdist workers: the read-modify-write holds a lock, and
    the new file replaces the old in one step, so no figure is lost and no reader sees half a file."""
    ARTIFACTS.mkdir(exist_ok=True)
    with open(FIGURES.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
        current[name] = {**data, "recorded_at": timezone.now().isoformat()}
        partial = FIGURES.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(current, indent=2))
        partial.replace(FIGURES)
    print(f"\n[outbox figures] {name}: {json.dumps(data)}")
