"""The pools page and a spilling plan in a real browser, with screenshots to look at."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.leadterra import SenderAccountData, SenderPoolData
from campaigns.models import Campaign, Lead, PoolSnapshot, SenderPool
from campaigns.services.lead_counts import lead_count_refresh
from campaigns.services.pools import pools_apply
from tests.conftest import login_page, screenshot
from tests.factories import CampaignFactory, StepFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SENDERS = [
    ("sa_01", "maya@send.acme.io", "Maya Chen", "active"),
    ("sa_02", "omar@send.acme.io", "Omar Haddad", "active"),
    ("sa_03", "lena@send.acme.io", "Lena Vogel", "warming"),
    ("sa_04", "ravi@send.acme.io", "Ravi Patel", "active"),
    ("sa_05", "ines@send.acme.io", "Inès Laurent", "paused"),
    ("sa_06", "tom@send.acme.io", "Tom Berg", "suspended"),
]


def world():
    accounts = [SenderAccountData(*s) for s in SENDERS]
    pools = [
        SenderPoolData("pool_prim", "Primary outbound", 1500, 420, 4, ("sa_01", "sa_02", "sa_03", "sa_04")),
        SenderPoolData("pool_ent", "Enterprise", 400, 310, 2, ("sa_05", "sa_06")),
        SenderPoolData("pool_agency", "Agency overflow", 3000, 2750, 5),  # a count only: no ids
    ]
    now = timezone.now()
    pools_apply(pools=pools, accounts=accounts, now=now)
    # A day of history: the window reset 18 h ago; before that the previous day ran low.
    for pool in SenderPool.objects.all():
        points = []
        for i in range(96, 0, -1):
            since_reset = (96 - i) * 15 - 6 * 60
            used = since_reset / (18 * 60) if since_reset >= 0 else 0.9 + since_reset / 3600
            left = int(pool.remaining + (pool.daily_capacity - pool.remaining) * (1 - used))
            if since_reset < 0:
                left = int(pool.daily_capacity * (1 - used))
            points.append(
                PoolSnapshot(
                    pool=pool,
                    taken_at=now - timedelta(minutes=15 * i),
                    daily_capacity=pool.daily_capacity,
                    remaining=max(0, min(pool.daily_capacity, left)),
                )
            )
        PoolSnapshot.objects.bulk_create(points)


def test_the_pools_page_looks_finished(page, live_server, manager, client):
    world()
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + "/pools/")
    assert page.locator("h2", has_text="Primary outbound").is_visible()
    assert page.locator(".badge--other", has_text="suspended").is_visible()
    assert page.locator("text=Updated").first.is_visible()
    # Sent and held by inactive senders, told apart: Enterprise sent nothing, its two senders are not active.
    usage = page.locator(".pool__usage").all_inner_texts()
    assert usage == [
        "8% sent today",  # Agency overflow: 250 of 3,000, its senders' statuses unknown
        "0% sent today · 100% on 2 senders not active",  # Enterprise
        "47% sent today · 25% on 1 sender not active",  # Primary: 705 of the 1,125 its 3 active senders hold
    ]
    screenshot(page, "pools-page")


def test_a_spilling_plan_on_the_campaign_page(page, live_server, manager, client):
    world()
    running = CampaignFactory(
        name="Q4 renewals",
        status=Campaign.Status.RUNNING,
        started_at=timezone.now(),
        total_enrolled=1200,
        queued=900,
        stats_polled_at=timezone.now(),
    )
    for i, d in enumerate([0, 3]):
        StepFactory(campaign=running, position=i + 1, delay_days=d)
    campaign = CampaignFactory(name="EMEA CFO outreach", status=Campaign.Status.APPROVED)
    for i, d in enumerate([0, 2, 4]):
        StepFactory(campaign=campaign, position=i + 1, delay_days=d)
    Lead.objects.bulk_create(Lead(campaign=campaign, email=f"cfo{i}@corp{i % 97}.example") for i in range(3000))
    lead_count_refresh(campaign_id=campaign.pk)  # as the import does: pages read the stored count
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + f"/campaigns/{campaign.pk}/")
    plan = page.locator("#capacity-plan")
    assert "Spills" in plan.inner_text()
    plan.scroll_into_view_if_needed()
    screenshot(page, "plan-spills")
    page.goto(live_server.url + "/pools/plan/")
    assert page.locator("text=EMEA CFO outreach").first.is_visible()
    screenshot(page, "workspace-plan")


def test_the_wall_shows_compact_pool_gauges(page, live_server, manager):
    from campaigns.models import WallToken

    world()
    token = WallToken.objects.create(label="Sales floor", created_by=manager)
    page.goto(live_server.url + f"/wall/{token.token}/")
    gauges = page.locator(".gauge")
    assert gauges.count() == 3
    assert "2,750" in page.locator(".gauges").inner_text()
    screenshot(page, "wall-pool-gauges")
