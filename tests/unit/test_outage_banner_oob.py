"""Live partials carry the outage banner out of band, only when the page shows something else."""

from datetime import timedelta

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services.health import leadterra_outage
from tests.factories import CampaignFactory
from tests.unit.test_integration_health import log

pytestmark = pytest.mark.django_db


@pytest.fixture
def stats_url(db):
    campaign = CampaignFactory(status=Campaign.Status.RUNNING, remote_id="camp_1")
    return reverse("campaign_stats", args=[campaign.pk])


def poll(client, url, shown):
    headers = {"HX-Request": "true"} | ({"X-Outage-Shown": shown} if shown is not None else {})
    return client.get(url, headers=headers).content.decode()


def away():
    log(status=200, ago=timedelta(minutes=20))
    log(status=None, ago=timedelta(minutes=6))
    return leadterra_outage().isoformat()


def test_a_poll_from_a_page_without_the_banner_brings_it_during_an_outage(sdr_client, stats_url):
    away()
    html = poll(sdr_client, stats_url, "")
    assert 'id="outage-banner"' in html and 'hx-swap-oob="true"' in html
    assert "Leadterra has been unreachable since" in html


def test_a_page_already_showing_the_banner_gets_nothing_more(sdr_client, stats_url):
    since = away()
    assert "outage-banner" not in poll(sdr_client, stats_url, since)


def test_a_page_showing_the_banner_loses_it_when_leadterra_answers_again(sdr_client, stats_url):
    since = away()
    log(status=200)
    html = poll(sdr_client, stats_url, since)
    assert 'id="outage-banner"' in html and "unreachable" not in html


def test_nothing_is_added_when_all_is_well_or_the_request_does_not_ask(sdr_client, stats_url):
    assert "outage-banner" not in poll(sdr_client, stats_url, "")
    away()
    assert "outage-banner" not in poll(sdr_client, stats_url, None)  # the wall, or a plain GET


def test_every_signed_in_page_has_the_banner_slot(sdr_client):
    html = sdr_client.get(reverse("campaign_list")).content.decode()
    assert 'id="outage-banner" data-since=""' in html
