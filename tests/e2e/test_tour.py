"""The README's five-minute tour, drawn by the browser: each step's page is a screenshot in
docs/tour/ (the wall's two sizes come from test_wall_scale.py). Each page is also checked to be
the one the README describes, so a picture never shows an error page."""

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from tests.conftest import login_page
from tests.e2e.axe_world import build_world
from tests.e2e.tour import tour_shot
from tests.lifecycle_support import bouncing_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit(page, url, expect, name):
    page.goto(url)
    page.wait_for_selector(expect)
    tour_shot(page, name)


def test_the_five_minute_tour(page, live_server, sdr, manager, client):
    world = build_world(sdr, manager)
    Campaign.objects.filter(pk=world["running"].pk).update(
        sent=1840, delivered=1822, bounced=18, replied=41, queued=260, total_enrolled=1200, reply_rate=0.022,
        started_at=timezone.now(), stats_polled_at=timezone.now(),
    )  # fmt: skip
    guarded = bouncing_campaign(owner=sdr, approver=manager, stats_polled_at=timezone.now())
    base = live_server.url

    login_page(page, live_server, sdr, client)
    visit(page, f"{base}/campaigns/{world['draft'].pk}/edit/", "#editor", "2-editor")
    visit(page, f"{base}/replies/", "h1", "6-replies")

    page.context.clear_cookies()
    login_page(page, live_server, manager, client)
    visit(page, f"{base}/campaigns/", ".badge", "1-campaigns")
    visit(page, f"{base}/campaigns/{world['in_review'].pk}/review/", "h1", "3-review")
    visit(page, f"{base}/campaigns/{world['running'].pk}/", "[data-counter=sent]", "4-campaign")
    visit(page, f"{base}/pools/plan/", ".chart-scale", "5-plan")
    visit(page, f"{base}/operations/", "h1", "7-operations")
    assert "Needs attention" in page.content()

    page.goto(f"{base}/campaigns/{guarded.pk}/")
    page.fill("input[name=threshold_percent]", "5")
    page.click(".guard__form button:has-text('Save')")
    page.wait_for_selector("text=Save and pause now")
    tour_shot(page, "8-bounce-guard-confirmation", full_page=False)
