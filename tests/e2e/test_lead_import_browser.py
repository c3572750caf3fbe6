"""A person uploads a CSV, maps a custom column, watches the import finish and downloads the report."""

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Lead, LeadImport
from tests.conftest import login_page, screenshot
from tests.factories import CampaignFactory, StepFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]


def leads_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["E-mail", "First Name", "Company", "Favourite colour"])
    for i in range(rows):
        writer.writerow([f"person{i}@example.com", f"Person {i}", "Acme" if i % 3 else "", "teal" if i % 2 else ""])
    writer.writerow(['=HYPERLINK("http://evil")', "Mallory", "Evil", "red"])
    writer.writerow(["person1@example.com", "Again", "", ""])
    writer.writerow(["info@acme.example", "Shared", "Acme", ""])
    return out.getvalue().encode()


def test_a_csv_is_mapped_imported_and_its_report_downloaded(page, live_server, client, sdr, celery_worker):
    campaign = CampaignFactory(owner=sdr, name="Spring outreach")
    StepFactory(campaign=campaign, subject="Hi {{firstName}}", body_html="<p>{{company}} in {{colour}}?</p>")
    login_page(page, live_server, sdr, client)

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/leads/")
    screenshot(page, "leads-empty")
    page.click("text=Import CSV")
    page.set_input_files(
        "input[type=file]", files=[{"name": "spring.csv", "mimeType": "text/csv", "buffer": leads_csv(2_000)}]
    )
    screenshot(page, "leads-upload")
    page.click("button:has-text('Upload and map columns')")

    page.wait_for_url("**/map/")
    row = page.locator("tr.mapping__row", has_text="Favourite colour")
    assert row.locator("select").input_value() == "custom"  # an unknown column is a custom field by default
    assert row.locator("input").input_value() == "favouriteColour"
    row.locator("select").select_option("")  # "Don't import" is still a choice, and hides the tag
    assert not row.locator("input").is_visible()
    row.locator("select").select_option("custom")
    assert row.locator("input").is_visible()
    row.locator("input").fill("colour")
    assert page.locator("tr.mapping__row", has_text="E-mail").locator("select").input_value() == "email"
    screenshot(page, "leads-mapping")
    page.click("button:has-text('Check and import')")

    # The bar moving mid-way is shown deterministically by the next test; here the worker may be quicker.
    page.wait_for_url("**/imports/*/")
    page.locator("text=Import finished").wait_for(timeout=90_000)
    assert page.locator("[role=progressbar]").count() == 0
    screenshot(page, "leads-import-result")
    counts = page.locator(".import-counts").inner_text()
    assert "2,001" in counts  # 2,000 people + info@ (flagged, still imported)

    with page.expect_download() as info:
        page.click("text=Download problem report")
    with open(info.value.path(), encoding="utf-8-sig", newline="") as f:
        report = list(csv.reader(f))
    assert report[0] == ["Row", "Email", "Problem", "Outcome"]
    problems = {r[1]: r[2] for r in report[1:]}
    assert problems['\'=HYPERLINK("http://evil")'].startswith("invalid email")
    assert problems["person1@example.com"] == "duplicate of row 3"
    assert "role address" in problems["info@acme.example"]

    assert Lead.objects.get(campaign=campaign, email="person1@example.com").custom_fields == {"colour": "teal"}
    page.click("text=See the leads")
    page.wait_for_url(f"**/campaigns/{campaign.pk}/leads/")
    screenshot(page, "leads-table")


def test_the_import_page_follows_the_progress_live_and_swaps_in_the_result(page, live_server, client, sdr):
    # No worker: the test moves the import itself, so every stage is seen on screen, none skipped by a race.
    campaign = CampaignFactory(owner=sdr, name="Spring outreach")
    imp = LeadImport.objects.create(
        campaign=campaign,
        uploaded_by=sdr,
        file=ContentFile(b"email\n", name="spring.csv"),
        original_name="spring.csv",
        status=LeadImport.Status.RUNNING,
        total_rows=20_003,
        processed_rows=5_000,
        started_at=timezone.now(),
    )
    login_page(page, live_server, sdr, client)
    page.goto(f"{live_server.url}/imports/{imp.pk}/")
    bar = page.locator("[role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == "25.0"
    meta = page.locator(".import-progress__meta")
    assert "5,000 of 20,003 rows" in meta.inner_text()
    screenshot(page, "leads-import-progress")

    LeadImport.objects.filter(pk=imp.pk).update(processed_rows=15_000)
    expect(bar).to_have_attribute("aria-valuenow", "75.0", timeout=10_000)  # the fragment polls: no reload
    expect(meta).to_contain_text("15,000 of 20,003 rows")

    counts = {"new": 20_001, "updated": 0, "unchanged": 0, "invalid": 1, "duplicate": 1, "rows": 20_003}
    LeadImport.objects.filter(pk=imp.pk).update(
        processed_rows=20_003, status=LeadImport.Status.SUCCEEDED, counts=counts, finished_at=timezone.now()
    )
    expect(page.locator("text=Import finished")).to_be_visible(timeout=10_000)
    assert bar.count() == 0  # the result replaced the bar and polling stopped
    assert "20,001" in page.locator(".import-counts").inner_text()


def test_the_suppression_page_takes_a_paste(page, live_server, client, manager):
    login_page(page, live_server, manager, client)
    page.goto(f"{live_server.url}/suppression/")
    page.fill("textarea[name=emails]", "ada@example.com, bob@example.com\nnot-an-email")
    page.click("button:has-text('Suppress')")
    page.locator("text=2 addresses added").wait_for()
    assert page.locator("td", has_text="bob@example.com").is_visible()
    screenshot(page, "suppression")


def test_a_manager_sees_rejections_and_confirms_an_enrollment(page, live_server, client, manager, sdr, redis_server):
    from campaigns.models import Campaign, Operation, SenderPool
    from tests.factories import LeadFactory

    campaign = CampaignFactory(owner=sdr, name="Running outreach", status=Campaign.Status.RUNNING, remote_id="camp_9")
    LeadFactory.create_batch(3, campaign=campaign, status=Lead.Status.ENROLLED)
    LeadFactory(campaign=campaign, email="typo@exampel.com", status=Lead.Status.REJECTED, error="domain rejected")
    LeadFactory.create_batch(5, campaign=campaign)
    SenderPool.objects.create(remote_id="pool_1", name="Main", daily_capacity=500, remaining=3)
    login_page(page, live_server, manager, client)

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/leads/?status=rejected")
    assert page.locator("td", has_text="domain rejected").is_visible()
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/leads/")
    screenshot(page, "leads-running")
    page.click("text=Enroll 5 waiting leads")
    assert page.locator("text=will wait for the next window").is_visible()
    screenshot(page, "leads-enroll-confirm")
    page.click("button:has-text('Enroll 5 leads now')")
    page.wait_for_url(f"**/campaigns/{campaign.pk}/leads/")
    assert page.locator(".toast", has_text="Enrollment queued").is_visible()
    assert Operation.objects.filter(kind="enroll_leads", campaign=campaign).count() == 1
