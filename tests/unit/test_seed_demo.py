"""The live demo of `make run`: seeded through the normal review and launch path, idempotently."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.management import demo
from campaigns.management.commands import seed_demo
from campaigns.models import Campaign, Operation, SenderAccount, SenderPool, WallToken
from campaigns.services import sync_jobs

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def demo_setup(settings):
    settings.DEBUG = True  # seed_demo refuses to run without it (tests/unit/test_hardening_checks.py)


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(seed_demo, "_queue_launch", lambda: calls.append("demo_launch"))
    return calls


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_seed_approves_demo_campaigns_queues_their_launch_and_prints_a_wall_link(queued):
    output = seed()
    campaigns = Campaign.objects.filter(name__startswith=demo.PREFIX)
    assert campaigns.count() == len(demo.CAMPAIGNS)
    assert set(campaigns.values_list("status", flat=True)) == {Campaign.Status.APPROVED}
    assert all(c.approved_hash and c.leads.count() and c.steps.count() == 3 for c in campaigns)
    token = WallToken.objects.get(label=demo.WALL_LABEL)
    assert f"/wall/{token.token}/" in output
    assert queued == ["demo_launch"]
    assert Operation.objects.filter(kind=Operation.Kind.REGISTER_WEBHOOK).count() == 1


def test_seeding_again_changes_nothing(queued):
    first = seed()
    second = seed()
    assert Campaign.objects.filter(name__startswith=demo.PREFIX).count() == len(demo.CAMPAIGNS)
    assert WallToken.objects.count() == 1
    assert first.splitlines()[-1] == second.splitlines()[-1]  # the same wall link
    assert Operation.objects.filter(kind=Operation.Kind.REGISTER_WEBHOOK).count() == 1


def test_the_worker_waits_for_fresh_pools_then_launches_like_a_manager(queued):
    seed()
    assert demo.demo_launch() is False  # no pool numbers yet: a refresh is asked for
    assert Operation.objects.filter(kind=Operation.Kind.REFRESH_POOLS).exists()
    pool = SenderPool.objects.create(remote_id="pool_1", name="Primary", daily_capacity=100_000, remaining=100_000)
    SenderAccount.objects.create(remote_id="sa_1", pool=pool, email="sender@ops.example.com", status="active")
    sync_jobs.sync_success(name=sync_jobs.POOLS)
    assert demo.demo_launch() is True
    launched = Campaign.objects.filter(name__startswith=demo.PREFIX, status=Campaign.Status.LAUNCHING)
    assert launched.count() == len(demo.CAMPAIGNS)
    assert Operation.objects.filter(kind=Operation.Kind.LAUNCH).count() == len(demo.CAMPAIGNS)
    assert demo.demo_launch() is True  # nothing left to launch
    assert Operation.objects.filter(kind=Operation.Kind.LAUNCH).count() == len(demo.CAMPAIGNS)
