"""A manager lowers the bounce guard under a running campaign's rate: the page asks before it pauses."""

import pytest

from campaigns.models import Operation
from tests.conftest import login_page, screenshot
from tests.lifecycle_support import bouncing_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_threshold_under_the_current_rate_asks_then_pauses(page, live_server, sdr, manager, client):
    campaign = bouncing_campaign(owner=sdr, approver=manager)
    login_page(page, live_server, manager, client)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.fill("input[name=threshold_percent]", "5")
    page.click(".guard__form button:has-text('Save')")
    page.wait_for_selector("text=Save and pause now")
    assert "bounced (5.04%), above the new threshold of 5.00%" in page.locator(".alert--warn").inner_text()
    assert not Operation.objects.filter(kind="pause").exists()
    screenshot(page, "bounce-guard-confirmation")

    page.click("button:has-text('Save and pause now')")
    page.wait_for_url(f"**/campaigns/{campaign.pk}/")
    assert "being paused now" in page.content()
    assert Operation.objects.filter(kind="pause", campaign=campaign, created_by=None).count() == 1
    assert page.csp_violations == []
