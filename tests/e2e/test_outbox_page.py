"""The Operations page in a browser: filters, and a manager retrying a failed operation."""

import pytest

from campaigns.models import Operation
from campaigns.services import launch
from tests.conftest import login_page, screenshot
from tests.lifecycle_support import a_plan, campaign_in, fresh_pools, launch_payload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_filters_operations_and_retries_a_failed_one(
    page, live_server, sdr, manager, manager2, client, monkeypatch
):
    # A launch that failed for good: its retry goes through the lifecycle (state, approval, pre-flight).
    fresh_pools()
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: a_plan())
    campaign = campaign_in("launch_failed", owner=sdr, approver=manager2, name="Autumn outreach")
    failed = Operation.objects.create(
        kind="launch",
        campaign=campaign,
        payload=launch_payload(campaign),
        status="failed",
        attempts=4,
        retries=3,
        last_error="Leadterra refused the API key (authentication_failed). Check LEADTERRA_API_KEY on the server.",
        progress={"stage": "create"},
    )
    Operation.objects.create(kind="suppress", status="succeeded", attempts=1, payload={"emails": ["a@x.io"]})
    Operation.objects.create(
        kind="enroll_leads",
        campaign=campaign,
        status="retrying",
        attempts=2,
        retries=2,
        last_error="Leadterra had a server error (503); it will be retried.",
        progress={"enroll": {"sent": 1500, "chunks": 3}},
    )
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + "/operations/")
    # It opens on what needs a person: the routine suppress push is one click away, under "All".
    assert page.locator("tbody tr").count() == 2
    assert page.locator(".tabs [aria-current=page]").inner_text() == "Needs attention 2"
    screenshot(page, "operations-page")
    page.click(".tabs a:has-text('All')")
    page.wait_for_url("**view=all**")
    assert page.locator("tbody tr").count() == 3
    assert page.locator(".tabs [aria-current=page]").inner_text() == "All 3"
    assert page.csp_violations == []

    page.select_option("select[name=status]", "failed")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**status=failed**")
    assert page.locator("tbody tr").count() == 1
    page.click("button:has-text('Retry')")
    page.wait_for_selector(".toast--success")
    assert "resumes from its last checkpoint" in page.locator("#toasts").inner_text()
    failed.refresh_from_db()
    assert failed.status == "queued"  # no broker in this test: the sweeper would send it
    campaign.refresh_from_db()
    assert campaign.status == "launching"
    screenshot(page, "operations-after-retry")
