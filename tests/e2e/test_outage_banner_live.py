"""The outage banner reaches a page already open through its live partial, and goes away again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import ApiCall, Campaign
from tests.conftest import login_page
from tests.e2e.axe import allow_axe, axe_violations
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def leadterra_fails_for(minutes: int, campaign):
    """The health state of a full outage: calls without an answer since `minutes` ago, and the
    failed stats polls they leave on the campaign."""
    start = timezone.now() - timedelta(minutes=minutes)
    for k in range(minutes * 2 + 1):
        call = ApiCall.objects.create(endpoint="GET /v1/campaigns/:id/stats", status_code=None, error_code="timeout")
        ApiCall.objects.filter(pk=call.pk).update(created_at=start + timedelta(seconds=30 * k))
    Campaign.objects.filter(pk=campaign.pk).update(stats_failed_at=timezone.now(), stats_error="Timed out.")


def test_an_open_campaign_page_shows_the_outage_banner_without_a_reload(page, live_server, manager, client, settings):
    settings.LIVE_REFRESH_SECONDS = 1
    now = timezone.now()
    campaign = CampaignFactory(name="Q4 fintech", status=Campaign.Status.RUNNING, remote_id="camp_1", sent=10)
    Campaign.objects.filter(pk=campaign.pk).update(stats_polled_at=now)
    answered = ApiCall.objects.create(endpoint="GET /v1/campaigns/:id/stats", status_code=200)
    ApiCall.objects.filter(pk=answered.pk).update(created_at=now - timedelta(minutes=10))
    login_page(page, live_server, manager, client)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.evaluate("window.__sameDocument = true")
    assert page.locator(".banner--error").count() == 0

    leadterra_fails_for(3, campaign)
    banner = page.wait_for_selector(".banner--error", timeout=15_000)
    assert "unreachable since" in banner.inner_text()
    assert page.evaluate("window.__sameDocument") is True
    allow_axe(page, live_server.url)
    assert axe_violations(page, live_server.url) == []

    ApiCall.objects.create(endpoint="GET /v1/campaigns/:id/stats", status_code=200)  # Leadterra is back
    Campaign.objects.filter(pk=campaign.pk).update(stats_polled_at=timezone.now(), sent=11)
    page.wait_for_selector(".banner--error", state="detached", timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True
