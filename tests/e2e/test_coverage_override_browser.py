"""In a real browser: a campaign whose merge tags are empty for some leads cannot be launched
until a manager ticks "Send anyway" for each tag; the audit trail says who and for how many."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from campaigns.models import AuditEvent, Campaign
from campaigns.services import lifecycle
from campaigns.services.campaigns import campaign_content_save, campaign_create
from tests.conftest import login_page, screenshot
from tests.e2e.test_approvals_browser import clean
from tests.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]

CONTENT = {
    "name": "Logistics VPs",
    "steps": [
        {
            "subject": "Quick idea for {{company}}",
            "body_html": "<p>Hi {{firstName|there}}, as {{jobTitle}} you plan the routes.</p>",
            "delay_days": 0,
        },
    ],
}


def approved_with_gaps(sdr, manager2) -> Campaign:
    """Nine leads: three have no company, two no job title; the first name has a fallback."""
    campaign = campaign_create(owner=sdr, name=CONTENT["name"])
    campaign_content_save(campaign=campaign, actor=sdr, content=CONTENT, base_version=campaign.version)
    for i in range(9):
        LeadFactory(
            campaign=campaign,
            email=f"vp{i}@freight.example",
            company="" if i < 3 else "Freightline",
            job_title="" if i in (3, 4) else "VP Logistics",
            first_name="" if i == 8 else "Sam",
        )
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)
    lifecycle.campaign_approve(campaign=campaign, actor=manager2, comment="Mind the empty companies.")
    return Campaign.objects.get(pk=campaign.pk)


def test_uncovered_tags_block_the_launch_until_the_override_is_ticked_and_audited(
    page, live_server, sandbox, celery_worker, sdr, manager, manager2
):
    sandbox.reset(seed=7, pools=1, senders=2, poolCapacity=500, campaigns=0, leads=0, steps=1)
    campaign = approved_with_gaps(sdr, manager2)
    login_page(page, live_server, manager, Client())

    # The review page lists the risks next to the decision, with a link to the leads concerned.
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/review/")
    risks = page.locator(".decision .risk-summary")
    expect(risks).to_contain_text("{{company}} empty for 3 of 9 leads, no fallback.")
    expect(risks).to_contain_text("{{jobTitle}} empty for 2 of 9 leads, no fallback.")
    expect(risks.get_by_role("link", name="Show these leads")).to_have_count(2)
    screenshot(page, "coverage-review-risks")

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    page.get_by_role("button", name="Launch…").click()

    # The pre-flight names each uncovered tag with its count; the fallback-covered one is not listed.
    expect(page.locator(".checklist")).to_be_visible()
    bad = page.locator(".checklist__item.is-bad")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("{{company}} empty for 3 of 9 leads, no fallback")
    expect(bad).to_contain_text("{{jobTitle}} empty for 2 of 9 leads, no fallback")
    expect(page.locator(".checklist")).not_to_contain_text("{{firstName}}")
    if page.locator("input[name=confirm_spill]").count():  # today's window may be partly used
        page.check("input[name=confirm_spill]")

    # Launching with only one of the two ticked is refused, and the page says which is missing.
    page.get_by_label(re.compile(r"Send anyway: 3 leads will get an empty \{\{company\}\}")).check()
    page.get_by_role("button", name=re.compile(r"^Launch v\d+ now")).click()
    expect(page.locator("#toasts")).to_contain_text("Send anyway: 2 leads will get an empty {{jobTitle}}")
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"
    assert not AuditEvent.objects.filter(action="launch.coverage_overridden").exists()

    # Both ticked: it launches and runs.
    clean(page)
    expect(page.locator(".checklist")).to_be_visible()
    if page.locator("input[name=confirm_spill]").count():
        page.check("input[name=confirm_spill]")
    page.get_by_label(re.compile(r"Send anyway: 3 leads will get an empty \{\{company\}\}")).check()
    page.get_by_label(re.compile(r"Send anyway: 2 leads will get an empty \{\{jobTitle\}\}")).check()
    screenshot(page, "coverage-override-ticked")
    page.get_by_role("button", name=re.compile(r"^Launch v\d+ now")).click()
    expect(page.locator(".lifecycle__card .card__head .badge")).to_have_text("Running", timeout=60_000)

    # The audit trail: who ticked it, which tags, how many leads each.
    page.goto(f"{live_server.url}/audit/?campaign={campaign.pk}")
    row = page.locator(".audit-table tbody tr", has_text="launch.coverage_overridden")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("manager")  # who ticked it (manager2 approved)
    expect(row).to_contain_text("sent it anyway to leads with empty merge tags")
    expect(row.locator("dl")).to_contain_text("leads left empty{{company}} 3, {{jobTitle}} 2")
    expect(row.locator("dl")).to_contain_text("total leads9")
    screenshot(page, "coverage-override-audit")
