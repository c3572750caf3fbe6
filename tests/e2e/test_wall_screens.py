"""Screenshots of the wall (1920x1080, 12 running campaigns) and of a campaign page with sparklines."""

import math
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, Reply, SenderPool, StatsSnapshot, SyncState, WallToken
from tests.conftest import login_page, screenshot
from tests.factories import CampaignFactory, LeadFactory, StepFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = [
    "Fintech CFOs — Q4",
    "Logistics VPs EMEA",
    "Series B founders",
    "Healthcare IT directors",
    "Retail ops leaders",
    "SaaS RevOps",
    "Manufacturing COOs",
    "Insurance CIOs",
    "EdTech partnerships",
    "Nordic e-commerce",
    "Legal tech buyers",
    "Agency owners UK",
]


def demo_world():
    now = timezone.now()
    campaigns = []
    for i, name in enumerate(NAMES):
        sent = 300 + 137 * i
        campaign = CampaignFactory(
            name=name,
            status=Campaign.Status.PAUSED if i == 5 else Campaign.Status.RUNNING,
            remote_id=f"camp_{i}",
            total_enrolled=2000,
            sent=sent,
            delivered=sent - 6 * i,
            bounced=[4, 9, 31, 2, 12, 40, 6, 3, 18, 7, 1, 25][i] * (3 if i in (0, 11) else 1),
            replied=8 + 3 * i,
            queued=2000 - sent,
            open_rate=0.41,
            reply_rate=(8 + 3 * i) / max(1, sent),
            stats_polled_at=now - timedelta(seconds=4),
        )
        for k in range(24):  # a day of snapshots, a little uneven like real sending
            t = now - timedelta(hours=24 - k)
            progress = (k + 1) / 24
            StatsSnapshot.objects.create(
                campaign=campaign,
                taken_at=t,
                sent=int(sent * progress * (0.9 + 0.1 * math.sin(k))),
                replied=int((8 + 3 * i) * progress**1.5),
            )
        campaigns.append(campaign)
    for n, (cls, hours) in enumerate([("interested", 2), ("interested", 0.2), ("not_interested", 1)]):
        Reply.objects.create(
            remote_id=f"rpl_{n}",
            campaign=campaigns[0],
            email=f"r{n}@example.com",
            classification=cls,
            received_at=now - timedelta(hours=hours),
        )
    SenderPool.objects.create(remote_id="pool_1", name="Primary", daily_capacity=5000, remaining=1800, sender_count=12)
    SenderPool.objects.create(remote_id="pool_2", name="Warm-up", daily_capacity=800, remaining=90, sender_count=4)
    SyncState.objects.create(name="stats", last_success_at=now)
    return campaigns


def test_the_wall_at_1080p_with_twelve_running_campaigns(browser, live_server, manager):
    demo_world()
    token = WallToken.objects.create(label="Sales floor", created_by=manager)
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{live_server.url}/wall/{token.token}/")
    page.wait_for_selector("[data-wall-screen]")
    html = page.content()
    assert re.findall(r"[\w.+-]+@[\w-]+\.[\w.-]+", html) == []
    assert page.locator(".wall__table tbody tr").count() == 4  # two waiting replies take two rows' room
    page.screenshot(path=str(screenshot_path("wall-1080p")))
    # The waits tick in the browser between refreshes (static/js/desk.js), as the desk's do: the
    # screen's ETag leaves them out. The 12-minute wait shows its seconds; the refresh is 10 s away.
    wait = page.locator("[data-wall-waiting] li [data-desk-wait-text]").last
    expect(wait).not_to_have_text(wait.inner_text(), timeout=3000)
    context.close()


def test_the_campaign_page_with_sparklines(page, live_server, manager, client):
    campaigns = demo_world()
    for position, delay in enumerate([0, 2, 4], start=1):  # a believable campaign behind the numbers
        StepFactory(campaign=campaigns[3], position=position, delay_days=delay, subject=f"Step {position}")
    LeadFactory.create_batch(20, campaign=campaigns[3], status="enrolled")
    login_page(page, live_server, manager, client)
    page.goto(f"{live_server.url}/campaigns/{campaigns[3].pk}/")
    page.wait_for_selector(".spark-card .chart__line")
    assert page.locator(".spark-card svg").count() == 2
    screenshot(page, "campaign-sparklines")


def screenshot_path(name):
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
