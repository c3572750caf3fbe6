"""The wall sized from the viewport: a 4K TV draws the 1080p layout twice as tall, every piece of
text reads from across a room (24 px or more at 1080p), and a paused row says why."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, SenderPool, SyncState, WallToken
from tests.e2e.tour import tour_shot
from tests.factories import CampaignFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every visible text node's computed font size (the pixel size the browser draws at).
TEXT_SIZES = """
() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    out.push({text: text.slice(0, 40), size: parseFloat(style.fontSize), cls: el.className});
  }
  return out;
}
"""

NUMBER_HEIGHTS = """
() => [...document.querySelectorAll(".wall-total__n")].map((el) => el.getBoundingClientRect().height)
"""


def small_world(manager):
    now = timezone.now()
    for i, name in enumerate(["Fintech CFOs — Q4", "Logistics VPs EMEA", "Series B founders", "SaaS RevOps"]):
        CampaignFactory(
            name=name,
            status=Campaign.Status.RUNNING,
            remote_id=f"camp_{i}",
            sent=400 + 150 * i,
            delivered=390 + 150 * i,
            bounced=4 + i,
            replied=9 + 2 * i,
            queued=1600 - 150 * i,
            reply_rate=(9 + 2 * i) / (400 + 150 * i),
            stats_polled_at=now - timedelta(seconds=3),
        )
    dana = UserFactory(username="dana", first_name="Dana", last_name="Reyes", role="Manager")
    paused = {"status": Campaign.Status.PAUSED, "stats_polled_at": now}
    reason = "Bounce guard: 6.2% of 1,000 sent messages bounced (threshold 5.0% once 50 are delivered)."
    CampaignFactory(name="Healthcare IT directors", sent=1000, bounced=62, queued=800, status_reason=reason, **paused)
    CampaignFactory(name="Retail ops leaders", sent=300, bounced=3, queued=500, paused_by=dana, **paused)
    SenderPool.objects.create(remote_id="pool_1", name="Primary", daily_capacity=5000, remaining=1800, sender_count=12)
    SenderPool.objects.create(remote_id="pool_2", name="Warm-up", daily_capacity=800, remaining=90, sender_count=4)
    SyncState.objects.create(name="stats", last_success_at=now)
    return WallToken.objects.create(label="Sales floor", created_by=manager)


def open_wall(browser, live_server, token, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{live_server.url}/wall/{token.token}/")
    page.wait_for_selector("[data-wall-screen]")
    return context, page


def test_the_wall_scales_with_the_viewport_and_reads_from_across_the_room(browser, live_server, manager):
    token = small_world(manager)
    context, hd = open_wall(browser, live_server, token, 1920, 1080)
    try:
        assert hd.locator("h1").count() == 1 and "Sales floor" in hd.locator("h1").inner_text()
        reasons = hd.locator("[data-reason]").all_inner_texts()
        assert "bounce guard: 6.2% > 5.0%" in reasons
        assert "by Dana Reyes" in reasons
        small = [t for t in hd.evaluate(TEXT_SIZES) if t["size"] < 24]
        assert small == [], f"text under 24 px at 1080p: {small}"
        hd_heights = hd.evaluate(NUMBER_HEIGHTS)
        assert len(hd_heights) == 4 and min(hd_heights) >= 60
        tour_shot(hd, "wall-1080p", full_page=False)
        assert hd.evaluate("document.documentElement.scrollHeight") <= 1080, "the wall scrolls at 1080p"
    finally:
        context.close()
    context, uhd = open_wall(browser, live_server, token, 3840, 2160)
    try:
        for before, after in zip(hd_heights, uhd.evaluate(NUMBER_HEIGHTS), strict=True):
            assert 1.8 <= after / before <= 2.2, f"a main number is {after / before:.2f}x as tall at 4K"
        small = [t for t in uhd.evaluate(TEXT_SIZES) if t["size"] < 48]
        assert small == [], f"text under 48 px at 4K: {small}"
        assert uhd.evaluate("document.documentElement.scrollHeight") <= 2160
        tour_shot(uhd, "wall-4k", full_page=False)
    finally:
        context.close()
