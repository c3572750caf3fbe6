"""The live demo of `make run`: seeded through the normal review and launch path, idempotently."""

import logging
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from campaigns.management import demo
from campaigns.management.commands import seed_demo
from campaigns.models import AuditEvent, Campaign, Operation, SdrLink, SenderAccount, SenderPool, WallToken
from campaigns.services import sync_jobs
from campaigns.services.sdr_keys import sdr_key_for, sdr_link_save, sdrs_apply

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def demo_setup(settings):
    settings.DEBUG = True  # seed_demo refuses to run without it (tests/unit/test_hardening_checks.py)
    settings.SANDBOX_ENABLED = True  # the dashboard talks to the sandbox's default workspace, as in make run
    settings.LEADTERRA_API_KEY = settings.SANDBOX_API_KEY
    settings.SDR_KEY_ENCRYPTION_KEY = "seed-test-secret"


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(seed_demo, "_queue_launch", lambda: calls.append("demo_launch"))
    monkeypatch.setattr(seed_demo, "_queue_sdr_links", lambda: calls.append("demo_link_sdrs"))
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
    assert queued == ["demo_link_sdrs", "demo_launch"]
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


# What GET /v1/sdrs lists for the sandbox's default workspace (sandbox/README.md, "Seeded SDRs").
SANDBOX_SDRS = [
    SimpleNamespace(id=f"sdr_{name}01", name=display, email=f"{name}@leadterra-ops.example.com", gmail_connected=True)
    for name, display in [("sdr", "Sam Rivera"), ("sdr2", "Dana Okafor")]
]


def list_fetched(sdrs=SANDBOX_SDRS):
    """What the worker's refresh_sdrs operation does once it has Leadterra's answer."""
    sdrs_apply(sdrs)
    Operation.objects.filter(kind=Operation.Kind.REFRESH_SDRS).update(status=Operation.Status.SUCCEEDED)


def test_the_demo_sdrs_are_linked_with_their_keys_encrypted_once_the_worker_has_the_sdr_list(queued, caplog):
    caplog.set_level(logging.DEBUG)
    output = seed()
    assert "demo_link_sdrs" in queued and "linked to the sandbox's SDRs by the worker" in output
    assert demo.demo_link_sdrs() is False  # no SDR list yet: the worker asks Leadterra for it
    assert Operation.objects.filter(kind=Operation.Kind.REFRESH_SDRS).count() == 1
    assert not SdrLink.objects.exists()

    list_fetched()
    assert demo.demo_link_sdrs() is True
    links = {link.user.username: link for link in SdrLink.objects.select_related("user")}
    assert {u: (link.sdr_id, link.sdr_name) for u, link in links.items()} == {
        "sdr": ("sdr_sdr01", "Sam Rivera"),
        "sdr2": ("sdr_sdr201", "Dana Okafor"),
    }
    assert sdr_key_for(links["sdr"].user) == "sk_test_sdr_sdr"
    assert sdr_key_for(links["sdr2"].user) == "sk_test_sdr_sdr2"
    assert all("sk_test_sdr" not in link.key_encrypted for link in links.values())  # encrypted at rest
    events = AuditEvent.objects.filter(action="sdr_key.set")
    assert events.count() == 2 and all(e.actor.username == "manager" for e in events)
    said = output + caplog.text + str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert "sk_test_sdr" not in said  # the key is in no output, log line or audit event


def test_linking_the_demo_sdrs_again_changes_nothing_and_keeps_a_key_a_manager_replaced(queued):
    seed()
    demo.demo_link_sdrs()
    list_fetched()
    assert demo.demo_link_sdrs() is True
    sdr = SdrLink.objects.get(user__username="sdr")
    sdr_link_save(user=sdr.user, sdr_id=sdr.sdr_id, key="sk_test_replaced_by_hand", actor=sdr.key_saved_by)
    events = AuditEvent.objects.count()
    queued.clear()
    seed()
    assert "demo_link_sdrs" not in queued  # everyone is linked: nothing for the worker to do
    assert demo.demo_link_sdrs() is True
    assert AuditEvent.objects.count() == events
    assert sdr_key_for(sdr.user) == "sk_test_replaced_by_hand"


def test_a_demo_user_missing_from_the_sdr_list_is_left_for_a_manager(queued, caplog):
    seed()
    demo.demo_link_sdrs()
    list_fetched(SANDBOX_SDRS[:1])
    assert demo.demo_link_sdrs() is True  # no endless retries for an SDR that is not there
    assert list(SdrLink.objects.values_list("user__username", flat=True)) == ["sdr"]
    assert "no SDR sdr2@leadterra-ops.example.com" in caplog.text


def test_no_demo_links_when_the_dashboard_talks_to_another_workspace(queued, settings):
    settings.LEADTERRA_API_KEY = "sk_live_someone_else"
    output = seed()
    assert demo.demo_sdr_keys() == {} and "demo_link_sdrs" not in queued
    assert "Demo SDRs" not in output and not SdrLink.objects.exists()
