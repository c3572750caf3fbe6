"""Live partials in a browser: numbers change without a reload and nothing typed is lost."""

import pytest
from django.utils import timezone

from campaigns.models import Campaign, StatsSnapshot
from tests.conftest import login_page
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast(settings):
    settings.LIVE_REFRESH_SECONDS = 1


def running(name):
    now = timezone.now()
    campaign = CampaignFactory(
        name=name, status=Campaign.Status.RUNNING, remote_id=f"camp_{name}", sent=10, stats_polled_at=now
    )
    StatsSnapshot.objects.create(campaign=campaign, taken_at=now, sent=10)
    return campaign


def test_the_campaign_list_rows_follow_the_numbers_and_keep_the_search_box(page, live_server, manager, client, fast):
    campaign = running("Q4 fintech")
    running("Q4 logistics")
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + "/campaigns/")
    page.evaluate("window.__sameDocument = true")
    page.fill("input[name=q]", "Q4")
    page.wait_for_url("**q=Q4**")
    assert page.locator("#rows-updated .updated").is_visible()

    Campaign.objects.filter(pk=campaign.pk).update(sent=4321, stats_polled_at=timezone.now())
    page.wait_for_selector("text=4,321", timeout=10_000)
    assert page.input_value("input[name=q]") == "Q4"
    assert page.evaluate("window.__sameDocument") is True

    Campaign.objects.filter(pk=campaign.pk).update(stats_failed_at=timezone.now(), stats_error="Timed out.")
    page.wait_for_selector("#rows-updated .updated.is-stale", timeout=10_000)


def test_the_campaign_page_counters_follow_the_numbers(page, live_server, manager, client, fast):
    campaign = running("Q4 fintech")
    login_page(page, live_server, manager, client)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.evaluate("window.__sameDocument = true")
    Campaign.objects.filter(pk=campaign.pk).update(sent=777, queued=5, stats_polled_at=timezone.now())
    page.wait_for_selector('[data-counter="sent"]:has-text("777")', timeout=10_000)
    assert page.inner_text('[data-counter="queued"]') == "5"
    assert page.evaluate("window.__sameDocument") is True
