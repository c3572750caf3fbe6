"""The SDR desk's whole journey in a real browser, with a real worker and the sandbox: an
interested reply arrives by signed webhook, is on the desk within 2 s and on the wall within one
wall refresh; the SDR claims it, opens its thread from the desk, has two drafts written, edits
one and sends it; a second answer is blocked by the guardrails, fixed and sent; a follow-up is
scheduled and completed. A reply the manager hands over is answered from its thread, and that
send is its first answer (a claim is not). The manager's speed to lead follows each step. The demo's own linking
(`demo_link_sdrs`, what `make run` does) connects the SDRs to the sandbox's."""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.management.demo import demo_link_sdrs
from campaigns.models import Operation, SdrFollowUp, WallToken
from tests.conftest import login_page, screenshot, wait_until
from tests.e2e.test_desk_browser import SECRET, deliver, speed_cell
from tests.factories import CampaignFactory, LeadFactory
from tests.sdr_helpers import SDR2_KEY, SDR_KEY, make_desk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]
NOBODY = "Nobody yet (on the desk)"


@pytest.fixture(autouse=True)
def knobs(settings):
    settings.LEADTERRA_WEBHOOK_SECRET = SECRET
    settings.WALL_REFRESH_SECONDS = 2
    settings.REPLY_SLA_MINUTES = 15
    settings.LEADTERRA_MAX_RPS = 40
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    settings.SDR_KEY_ENCRYPTION_KEY = "browser-secret"
    settings.INBOX_STALE_SECONDS = 2
    settings.INBOX_REQUEST_SECONDS = 1


def linked_like_make_run(manager):
    """The demo's linking, run as the worker would: fetch the SDR list, then link with the keys."""
    keys = {"sdr": SDR_KEY, "sdr2": SDR2_KEY}
    if not demo_link_sdrs(keys=keys, manager=manager):
        wait_until(lambda: demo_link_sdrs(keys=keys, manager=manager), message="the SDR list to arrive")


def hand_over(card, to=None) -> None:
    """Fill the hand-off form on `card` (ICP fields the sandbox's gate accepts) and send it."""
    if to:
        card.locator("select[name=sdr]").select_option(str(to.pk))
    card.locator("select[name=category]").select_option("A")
    card.locator("select[name=seniority]").select_option("vp")
    card.locator("input[name=employee_count]").fill("250")
    card.get_by_role("button", name="Hand it over").click()


def open_thread(page, email: str) -> str:
    """From the desk's "Yours" table to the reply's thread page; returns the thread id."""
    row = page.locator("#desk-queue table tr", has_text=email)
    link = row.get_by_role("link", name="Open thread")
    expect(link).to_be_visible(timeout=15_000)  # the hand-off is answered; the queue refreshes itself
    link.click()
    page.wait_for_url("**/sdr/threads/*/")
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def answer(page, n: int, text: str) -> None:
    draft = page.locator("article.draft").nth(n)
    draft.locator("textarea").fill(text)
    draft.locator("button:has-text('Send')").click()


def sent(page, n: int):
    return page.locator("article.draft").nth(n).locator(".badge", has_text="sent")


def test_an_interested_reply_goes_from_webhook_to_desk_to_answered_thread_and_speed_to_lead(
    page, browser, live_server, sandbox, celery_worker, sdr, sdr2, manager
):
    world = make_desk(sandbox)
    campaign = CampaignFactory(name="Fintech CFOs — Q4", remote_id="camp_desk")
    for first, last, email, company in [
        ("Jane", "Doe", "jane@acme.com", "Acme"),
        ("Omar", "Haddad", "omar@globex.io", "Globex"),
    ]:
        LeadFactory(campaign=campaign, email=email, first_name=first, last_name=last, company=company, job_title="CFO")
    token = WallToken.objects.create(label="Sales floor")
    linked_like_make_run(manager)

    login_page(page, live_server, sdr, Client())
    page.goto(live_server.url + "/desk/")
    expect(page.locator(".empty__title")).to_have_text("Nobody is waiting")
    expect(page.get_by_role("link", name="Desk", exact=True)).to_have_attribute("aria-current", "page")
    wall = browser.new_page(viewport={"width": 1920, "height": 1080})
    wall.goto(f"{live_server.url}/wall/{token.token}/")
    boss = browser.new_page(viewport={"width": 1366, "height": 900})
    login_page(boss, live_server, manager, Client())
    boss.goto(live_server.url + "/desk/speed/")
    assert boss.locator(f"th:text-is('{NOBODY}')").count() == 0  # nobody waits yet

    # The reply arrives by signed webhook (Leadterra's reply id, so the hand-off can find it).
    arrived = deliver(live_server.url, world.replies["jane@acme.com"], "jane@acme.com")
    page.locator("#desk-queue h3:has-text('Jane Doe')").wait_for(timeout=2000)
    assert time.monotonic() - arrived < 2.0
    expect(wall.locator("[data-wall-waiting] li")).to_have_count(1, timeout=4000)
    assert time.monotonic() - arrived < 2 + 2.0  # within one wall refresh (2 s), and its request
    deliver(live_server.url, world.replies["omar@globex.io"], "omar@globex.io", minutes_ago=9)
    expect(wall.locator("[data-wall-waiting] li")).to_have_count(2, timeout=4500)
    page.locator("#desk-queue h3:has-text('Omar Haddad')").wait_for(timeout=3000)
    screenshot(page, "journey-desk")
    screenshot(wall, "journey-wall")
    boss.reload()
    assert speed_cell(boss, NOBODY, "waiting") == "2"

    # The SDR claims Jane's reply, opens it in Leadterra from "Yours", then its thread.
    page.locator(".desk-card", has_text="Jane Doe").get_by_role("button", name="Claim for me").click()
    page.wait_for_url("**/desk/")
    assert "is yours" in page.locator("#toasts").inner_text()
    mine = page.locator("#desk-queue table tr", has_text="jane@acme.com")
    mine.locator("summary", has_text="Open it in Leadterra").click()
    hand_over(mine)
    boss.reload()
    assert speed_cell(boss, NOBODY, "waiting") == "1"  # Omar still waits
    assert speed_cell(boss, "sdr", "waiting") == "1"  # claimed, not answered: Jane now waits on sdr
    thread_id = open_thread(page, "jane@acme.com")
    expect(page.get_by_role("link", name="My inbox", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator(".message--in")).to_contain_text("pricing")

    # Two drafts; the first edited and sent; the second blocked by the guardrails, fixed, sent.
    page.select_option("select[name=variants]", "2")
    page.fill("input[name=instructions]", "Mention the pricing sheet")
    page.click("button:has-text('Write drafts')")
    expect(page.locator("article.draft")).to_have_count(2, timeout=15_000)
    expect(page.locator("article.draft").first).to_contain_text("confidence")
    screenshot(page, "journey-thread-drafts")
    first = page.locator("article.draft").first
    first.locator("textarea").fill(
        "Hi Jane,\n\nI will send the pricing sheet for Acme today. Tuesday for a call?\n\nSam"
    )
    first.locator("button:has-text('Save edit')").click()
    expect(page.locator("article.draft").first.locator(".badge", has_text="edited")).to_be_visible()
    answer(page, 0, "Hi Jane,\n\nI will send the pricing sheet for Acme today. Tuesday for a call?\n\nSam")
    expect(sent(page, 0)).to_be_visible(timeout=15_000)
    answer(page, 1, "Act now: this offer is risk-free and only for a limited time.")
    blocked = page.locator("article.draft").nth(1).locator(".guardrails")
    expect(blocked).to_contain_text("Blocks sending", timeout=15_000)
    answer(page, 1, "Hi Jane, the Acme team can try it free for two weeks. Shall I set that up?")
    expect(sent(page, 1)).to_be_visible(timeout=15_000)
    assert world.sends(SDR_KEY) == 2  # the blocked one never went out
    boss.reload()
    today = speed_cell(boss, "sdr", "today")
    assert today.endswith("(1)") and " s" in today  # the first send is Jane's first answer, in seconds

    # A follow-up scheduled for tomorrow, then completed from the thread.
    page.fill(".thread-side input[name=due_date]:not([id])", (timezone.localdate() + timedelta(days=1)).isoformat())
    page.click(".thread-side button:has-text('Schedule')")
    wait_until(lambda: SdrFollowUp.objects.filter(user=sdr, thread_id=thread_id, listed=True).exists())
    page.goto(f"{live_server.url}/sdr/threads/{thread_id}/")
    row = page.locator(".thread-side tr[id^=followup-]")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Complete").click()
    wait_until(lambda: not SdrFollowUp.objects.filter(user=sdr, thread_id=thread_id, listed=True).exists())
    page.goto(f"{live_server.url}/sdr/threads/{thread_id}/")
    expect(page.locator(".thread-side")).to_contain_text("None pending.")

    # The manager hands Omar's reply to sdr2; sdr2 answers from the thread: that send is its first answer.
    boss.goto(live_server.url + "/desk/")
    omar = boss.locator(".desk-card", has_text="Omar Haddad")
    omar.locator("summary", has_text="Hand to an SDR").click()
    hand_over(omar, to=sdr2)
    other = browser.new_page(viewport={"width": 1366, "height": 900})
    login_page(other, live_server, sdr2, Client())
    other.goto(live_server.url + "/desk/")
    open_thread(other, "omar@globex.io")
    other.select_option("select[name=variants]", "1")
    other.click("button:has-text('Write drafts')")
    expect(other.locator("article.draft")).to_have_count(1, timeout=15_000)
    answer(other, 0, "Hi Omar, happy to walk Globex through it. Does Wednesday suit you?")
    expect(sent(other, 0)).to_be_visible(timeout=15_000)
    boss.goto(live_server.url + "/desk/speed/")
    assert boss.locator(f"th:text-is('{NOBODY}')").count() == 0  # nobody waits any more
    assert speed_cell(boss, "sdr2", "today").endswith("(1)")
    screenshot(boss, "journey-speed")
    expect(wall.locator("[data-wall-waiting]")).to_have_count(0, timeout=4500)  # the panel leaves the wall
    assert Operation.objects.filter(kind="send_draft", status="succeeded").count() == 3
    assert page.csp_violations == []
    for extra in (wall, boss, other):
        extra.close()
