"""In a real browser: the SDR submits, the manager sees the diff after a late edit, approves,
launches and watches it start; then pauses it. A real worker and the sandbox do the rest."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from campaigns.models import Campaign
from campaigns.services import lifecycle
from campaigns.services.campaigns import campaign_content_save, campaign_create
from tests.conftest import login_page, screenshot
from tests.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]

FIRST = {
    "name": "Fintech CFOs, Q1",
    "steps": [
        {
            "subject": "Quick question, {{firstName}}",
            "body_html": "<p>Hi {{firstName|there}}, I noticed {{company}} is growing its finance team.</p>"
            "<p>We help CFOs close the books two days faster. Worth a call next week?</p>",
            "delay_days": 0,
        },
        {"subject": "Following up", "body_html": "<p>Any thoughts, {{firstName|there}}?</p>", "delay_days": 3},
    ],
}
LATE = {
    "name": "Fintech CFOs, Q1",
    "steps": [
        {
            "subject": "Quick question, {{firstName}}",
            "body_html": "<p>Hi {{firstName|there}}, I noticed {{company}} is hiring two controllers.</p>"
            "<p>We help CFOs close the books three days faster. Worth 15 minutes on Tuesday?</p>",
            "delay_days": 0,
        },
        {"subject": "Following up", "body_html": "<p>Any thoughts, {{firstName|there}}?</p>", "delay_days": 4},
        {"subject": "Last note", "body_html": "<p>I will leave it here, {{firstName|there}}.</p>", "delay_days": 7},
    ],
}


def approved_then_edited(sdr, manager2):
    """Approved once (v1), then the SDR edits it: the approval is void and it is a draft again."""
    campaign = campaign_create(owner=sdr, name=FIRST["name"])
    campaign_content_save(campaign=campaign, actor=sdr, content=FIRST, base_version=campaign.version)
    for i, company in enumerate(["Northwind", "Globex", "Initech", "Umbrella", "Hooli", "Stark"] * 4):
        LeadFactory(campaign=campaign, email=f"cfo{i}@{company.lower()}.example", company=company)
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    lifecycle.campaign_approve(campaign=campaign, actor=manager2, comment="Fine, keep it short.")
    campaign_content_save(campaign=campaign, actor=sdr, content=LATE, base_version=campaign.version)
    return Campaign.objects.get(pk=campaign.pk)


def clean(page):
    page.evaluate("document.querySelectorAll('#toasts .toast').forEach(t => t.remove())")


def test_submit_review_the_late_diff_approve_launch_and_watch_it_start(
    page, browser, live_server, sandbox, celery_worker, sdr, manager, manager2
):
    sandbox.reset(seed=5, pools=2, senders=3, poolCapacity=400, campaigns=0, leads=0, steps=1)
    campaign = approved_then_edited(sdr, manager)
    detail = f"{live_server.url}/campaigns/{campaign.pk}/"

    # The SDR sees why it is a draft again and sends it for review.
    login_page(page, live_server, sdr, Client())
    page.goto(detail)
    expect(page.locator("#lifecycle")).to_contain_text("Edited by sdr after it was approved")
    page.get_by_role("button", name="Send for review").click()
    expect(page.locator(".lifecycle__card .card__head .badge")).to_have_text("In review")
    assert page.get_by_role("link", name="Review and decide").count() == 0  # an SDR does not decide
    clean(page)
    screenshot(page, "approvals-submitted")

    # Another manager opens the review: the word diff against the approved v2.
    manager_context = browser.new_context(viewport={"width": 1366, "height": 900})
    manager_context.set_default_timeout(20_000)
    mpage = manager_context.new_page()
    login_page(mpage, live_server, manager2, Client())
    mpage.goto(detail)
    mpage.get_by_role("link", name="Review and decide").click()
    diff = mpage.locator(".diff")
    expect(diff).to_contain_text("Changes since approved v")
    expect(diff.locator("ins", has_text="hiring two controllers")).to_be_visible()
    expect(diff.locator("del", has_text="two")).to_be_visible()
    expect(diff.locator(".diff-step--new")).to_contain_text("Last note")
    expect(diff.locator(".diff-step__delay ins")).to_have_text("4 d")
    mpage.evaluate("document.activeElement.blur()")
    mpage.set_viewport_size({"width": 1366, "height": mpage.evaluate("document.body.scrollHeight")})
    mpage.wait_for_timeout(300)
    screenshot(mpage, "approvals-review-diff")
    mpage.set_viewport_size({"width": 1366, "height": 900})

    mpage.fill("textarea[name=comment]", "Better. Approved.")
    mpage.get_by_role("button", name=re.compile(r"^Approve v\d+")).click()
    expect(mpage.locator(".lifecycle__card .card__head .badge")).to_have_text("Approved")

    # Launch: fresh pool numbers from the sandbox through the worker, then the checks and the plan.
    mpage.get_by_role("button", name="Launch…").click()
    expect(mpage.locator(".checklist")).to_be_visible()
    expect(mpage.locator(".checklist__item.is-bad")).to_have_count(0)
    expect(mpage.locator("#capacity-plan")).to_be_visible()
    clean(mpage)
    screenshot(mpage, "approvals-preflight")
    if mpage.locator("input[name=confirm_spill]").count():  # today's window may be partly used
        mpage.check("input[name=confirm_spill]")
    mpage.get_by_role("button", name=re.compile(r"^Launch v\d+ now")).click()

    # The campaign page follows the launch and reloads itself once it runs.
    expect(mpage.locator(".lifecycle__card .card__head .badge")).to_have_text("Running", timeout=60_000)
    running = Campaign.objects.get(pk=campaign.pk)
    assert running.status == "running" and running.remote_id
    remote = next(c for c in sandbox.state()["campaigns"] if c["id"] == running.remote_id)
    assert (remote["status"], remote["leads"]) == ("running", 24)
    clean(mpage)
    screenshot(mpage, "approvals-running")

    # Pause with a reason; the page says who, why, and what is held.
    Campaign.objects.filter(pk=campaign.pk).update(queued=18)
    mpage.reload()
    mpage.get_by_role("link", name="Pause…").click()
    expect(mpage.locator(".confirm__count")).to_contain_text("18 queued messages will be held")
    mpage.fill("input[name=reason]", "Pricing page is down")
    clean(mpage)
    screenshot(mpage, "approvals-pause-confirm")
    mpage.get_by_role("button", name="Pause and hold 18").click()
    expect(mpage.locator(".lifecycle__card .card__head .badge")).to_have_text("Paused", timeout=30_000)
    expect(mpage.locator(".alert--paused")).to_contain_text("Paused by manager2")
    expect(mpage.locator(".alert--paused")).to_contain_text("Pricing page is down")
    clean(mpage)
    screenshot(mpage, "approvals-paused")

    mpage.goto(f"{live_server.url}/audit/?campaign={campaign.pk}")
    expect(mpage.locator(".audit-table")).to_contain_text("approval.granted")
    screenshot(mpage, "approvals-audit")
    manager_context.close()
