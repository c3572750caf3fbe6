"""A person uploads a CSV, maps a custom column, watches the import finish and downloads the report."""

import csv
import io

import pytest

from campaigns.models import Lead
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


def test_a_csv_is_mapped_imported_with_live_progress_and_its_report_downloaded(
    page, live_server, client, sdr, celery_worker
):
    campaign = CampaignFactory(owner=sdr, name="Spring outreach")
    StepFactory(campaign=campaign, subject="Hi {{firstName}}", body_html="<p>{{company}} in {{colour}}?</p>")
    login_page(page, live_server, sdr, client)

    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/leads/")
    screenshot(page, "leads-empty")
    page.click("text=Import CSV")
    page.set_input_files(
        "input[type=file]", files=[{"name": "spring.csv", "mimeType": "text/csv", "buffer": leads_csv(20_000)}]
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

    page.wait_for_url("**/imports/*/")
    bar = page.locator("[role=progressbar]")
    bar.wait_for(state="visible", timeout=15_000)
    moving = "el => { const n = +el.getAttribute('aria-valuenow'); return n > 0 && n < 100; }"
    page.wait_for_function(
        f"() => {{ const el = document.querySelector('[role=progressbar]'); return !el || ({moving})(el); }}",
        timeout=60_000,
    )
    if bar.count():  # caught mid-way: rows done, total and ETA are on screen
        assert " of 20,003 rows" in page.locator(".import-progress__meta").inner_text()
        screenshot(page, "leads-import-progress")
    page.locator("text=Import finished").wait_for(timeout=90_000)
    assert bar.count() == 0  # the fragment stopped polling and replaced the bar with the result
    screenshot(page, "leads-import-result")
    counts = page.locator(".import-counts").inner_text()
    assert "20,001" in counts  # 20,000 people + info@ (flagged, still imported)

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
