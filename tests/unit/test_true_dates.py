"""Dates that are true: an event is never dated after we heard of it, relative dates of past
events never say "from now", and a campaign Leadterra has finished is not planned again."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone

from campaigns.leadterra import ReplyData
from campaigns.models import Campaign, SenderPool
from campaigns.services.planning import campaign_work
from campaigns.services.replies import reply_store
from campaigns.wording import happened_at
from tests.factories import CampaignFactory, StepFactory

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
# Relative dates of things still to come: the only ones allowed without |happened.
FUTURE = {"pool.resets_at", "op.next_attempt_at"}


def test_a_reported_time_ahead_of_now_is_now():
    now = timezone.now()
    assert happened_at(now + timedelta(days=12), now) == now
    assert happened_at(now - timedelta(hours=1), now) == now - timedelta(hours=1)
    assert happened_at(None, now) == now


def test_every_relative_date_in_the_templates_is_clamped_to_the_past():
    """The check: naturaltime of anything but a known future moment goes through |happened."""
    unclamped = []
    for path in TEMPLATES.rglob("*.html"):
        for value in re.findall(r"\{\{\s*([\w.]+(?:\|[\w]+(?::[^|}]+)?)*)\|naturaltime", path.read_text()):
            if not value.endswith("|happened") and value not in FUTURE:
                unclamped.append(f"{path.relative_to(TEMPLATES)}: {value}|naturaltime")
    assert unclamped == []


def test_naturaltime_of_a_future_event_reads_now_not_from_now():
    html = Template("{% load humanize %}{% load happened from live %}{{ at|happened|naturaltime }}").render(
        Context({"at": timezone.now() + timedelta(days=12)})
    )
    assert "from now" not in html and html == "now"


@pytest.mark.django_db
def test_a_reply_dated_ahead_by_an_accelerated_clock_is_stored_as_received_now():
    ahead = timezone.now() + timedelta(days=14)
    reply = reply_store(
        data=ReplyData(id="rpl_1", email="a@x.io", campaign_id="", classification="", received_at=ahead, snippet="")
    )
    assert reply.received_at <= timezone.now()


@pytest.mark.django_db
def test_a_campaign_leadterra_has_finished_is_not_planned():
    campaign = CampaignFactory(
        status=Campaign.Status.RUNNING,
        started_at=timezone.now() - timedelta(hours=2),  # by our clock, step 2 is days away
        stats_polled_at=timezone.now(),
        total_enrolled=100,
        replied=10,
        sent=180,  # 90 leads still in the sequence x 2 steps
        queued=0,
    )
    StepFactory(campaign=campaign, position=1, delay_days=0)
    StepFactory(campaign=campaign, position=2, delay_days=3)
    assert campaign_work(campaign).cohorts == ()
    campaign.sent = 120  # step 2 not sent yet: still planned
    assert campaign_work(campaign).cohorts != ()


@pytest.mark.django_db
def test_a_pool_reset_from_the_sandbox_calendar_is_labelled_simulated(manager_client, settings):
    settings.SANDBOX_ENABLED, settings.LEADTERRA_API_BASE = True, "http://127.0.0.1:8001/sandbox"
    SenderPool.objects.create(
        remote_id="p1", name="Main", daily_capacity=10, resets_at=timezone.now() + timedelta(days=3)
    )
    assert "(sandbox calendar, simulated)" in manager_client.get("/pools/").content.decode()
    settings.LEADTERRA_API_BASE = "https://app.leadterra.co"
    assert "simulated" not in manager_client.get("/pools/").content.decode()
