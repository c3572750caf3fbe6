"""In a real browser, with a real worker and the sandbox: an SDR opens a thread from their inbox,
has two drafts written, edits one and sends it; a second answer is blocked by the pre-send checks,
fixed and sent; the follow-up Leadterra opened is rescheduled, falls due and is completed."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Operation, SdrFollowUp
from tests.conftest import login_page, screenshot, wait_until
from tests.factories import CampaignFactory, LeadFactory
from tests.integration.test_sdr_inbox_sandbox import handed_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]


@pytest.fixture(autouse=True)
def knobs(settings):
    settings.LEADTERRA_MAX_RPS = 40
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    settings.SDR_KEY_ENCRYPTION_KEY = "browser-secret"
    settings.INBOX_STALE_SECONDS = 2
    settings.INBOX_REQUEST_SECONDS = 1


def ops_done(kind):
    return lambda: not Operation.objects.filter(kind=kind, status__in=Operation.ACTIVE_STATES).exists()


def test_an_sdr_answers_a_thread_fixes_a_blocked_answer_and_completes_a_followup(
    page, live_server, sandbox, celery_worker, client, sdr, manager
):
    campaign = CampaignFactory(name="Fintech CFOs, Q1", owner=sdr)
    LeadFactory(campaign=campaign, email="jane@acme.com", first_name="Jane", last_name="Doe", company="Acme")
    thread_id = handed_thread(sandbox, sdr, manager, campaign=campaign)
    login_page(page, live_server, sdr, client)

    page.goto(live_server.url + "/sdr/inbox/")
    expect(page.locator("#inbox-list a", has_text="Jane Doe")).to_be_visible(timeout=15_000)  # the worker's refresh
    expect(page.locator("#inbox-list")).to_contain_text("Refreshed")
    # While nothing it shows changes, the list answers 304 and stays as it is (what has the focus
    # keeps it); its "Refreshed … ago" ticks in the browser, moved on by each refresh's time.
    page.evaluate("document.getElementById('inbox-list').dataset.kept = 'yes'")
    age = page.locator("#inbox-list [data-live-age]")
    expect(age).not_to_have_text(age.inner_text(), timeout=4000)
    assert page.evaluate("document.getElementById('inbox-list').dataset.kept") == "yes"
    with page.expect_response(lambda answer: "part=list" in answer.url, timeout=15_000):
        pass  # one poll of the list (every LIVE_REFRESH_SECONDS): whatever it answers, never a nested page
    expect(page.locator("header.topbar")).to_have_count(1)
    screenshot(page, "sdr-inbox")
    page.click("#inbox-list a:has-text('Jane Doe')")
    page.wait_for_url(f"**/sdr/threads/{thread_id}/")
    expect(page.locator(".message--in")).to_contain_text("pricing")

    # Two drafts, each with its approach, confidence and rationale.
    page.select_option("select[name=variants]", "2")
    page.fill("input[name=instructions]", "Mention the pricing sheet")
    page.click("button:has-text('Write drafts')")
    expect(page.locator("article.draft")).to_have_count(2, timeout=15_000)
    expect(page.locator("article.draft").first).to_contain_text("confidence")
    expect(page.locator("article.draft").first).to_contain_text("Why:")
    screenshot(page, "sdr-thread-drafts")

    # Edit the first and send it.
    first = page.locator("article.draft").first
    first.locator("textarea").fill(
        "Hi Jane,\n\nThanks! I will send the pricing sheet for Acme today. "
        "Would Tuesday suit you for a call?\n\nBest, Sam"
    )
    first.locator("button:has-text('Save edit')").click()
    expect(page.locator("article.draft").first.locator(".badge", has_text="edited")).to_be_visible()
    page.locator("article.draft").first.locator("button:has-text('Send')").click()
    expect(page.locator("article.draft").first.locator(".badge", has_text="sent")).to_be_visible(timeout=15_000)
    expect(page.locator(".message--out")).to_contain_text("pricing sheet for Acme")

    # The second answer trips the guardrails: the issues and scores in words, then fixed and sent.
    second = page.locator("article.draft").nth(1)
    second.locator("textarea").fill("Act now: this offer is risk-free and only for a limited time.")
    second.locator("button:has-text('Send')").click()
    blocked = page.locator("article.draft").nth(1).locator(".guardrails")
    expect(blocked).to_contain_text("Nothing was sent", timeout=15_000)
    expect(blocked).to_contain_text("Blocks sending")
    expect(blocked).to_contain_text("Overall")
    screenshot(page, "sdr-guardrail-block")
    second = page.locator("article.draft").nth(1)
    second.locator("textarea").fill(
        "Hi Jane, one more thing: the Acme team can try it free for two weeks. Shall I set that up?"
    )
    second.locator("button:has-text('Send')").click()
    expect(page.locator("article.draft").nth(1).locator(".badge", has_text="sent")).to_be_visible(timeout=15_000)
    assert Operation.objects.filter(kind="send_draft", status="succeeded").count() == 2

    # Leadterra opened a follow-up two business days out: reschedule it, let it fall due, complete it.
    wait_until(lambda: SdrFollowUp.objects.filter(user=sdr, listed=True).exists(), message="the follow-up to arrive")
    page.goto(live_server.url + f"/sdr/threads/{thread_id}/")
    row = page.locator(".thread-side tr[id^=followup-]")
    expect(row).to_have_count(1)
    new_day = (timezone.localdate() + timedelta(days=5)).isoformat()
    row.locator("input[type=date]").fill(new_day)
    row.locator("button:has-text('Reschedule')").click()
    expect(page.locator(".thread-side .op-status")).to_contain_text("Succeeded", timeout=15_000)
    wait_until(ops_done("followup"))
    moved = SdrFollowUp.objects.get(user=sdr, listed=True)
    assert timezone.localtime(moved.due_at).date().isoformat() == new_day

    sandbox.advance(days=8)
    SdrFollowUp.objects.filter(pk=moved.pk).update(seen_at=moved.seen_at)  # nothing local: the refresh decides
    page.goto(live_server.url + "/sdr/inbox/")
    wait_until(lambda: SdrFollowUp.objects.filter(pk=moved.pk, is_due=True).exists(), message="it to fall due")
    page.reload()
    due = page.locator("#followups-title + table tr[id^=followup-]")
    expect(due).to_have_count(1)
    expect(due).to_contain_text("due")
    due.locator("button:has-text('Complete')").click()
    # The form posts and redirects back. The row then shows the completion's operation, polling
    # until it ends; a worker quicker than the redirect has already taken the follow-up off the
    # list. Either is what the SDR sees, so the page must end on one of them.
    outcome = page.locator("#followups-title ~ table .op-status, #followups-title ~ p").first
    expect(outcome).to_contain_text(re.compile("Succeeded|Nothing due now"), timeout=15_000)
    wait_until(ops_done("followup"), message="the completion to run")
    assert Operation.objects.filter(kind="followup", status="succeeded").count() == 2, "reschedule, then complete"
    wait_until(lambda: not SdrFollowUp.objects.filter(pk=moved.pk, listed=True).exists(), message="it to close")
    page.reload()
    expect(page.locator("#followups-title ~ p")).to_contain_text("Nothing due now")
    assert page.csp_violations == []
