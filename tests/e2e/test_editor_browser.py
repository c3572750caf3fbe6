"""The sequence editor in Chromium: keyboard and mouse, reorder, live preview, coverage."""

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from tests.conftest import ARTIFACTS, login_page, screenshot
from tests.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS = [
    (
        "Quick question, ",
        "firstName",
        "<p>Hi {{firstName}},</p>\n<p>I noticed {{company}} is hiring SDRs. Teams like yours usually spend "
        "a day a week on list building; we cut that to an hour.</p>\n<p>Worth a 15-minute chat next week?</p>"
        "\n<p>Best,<br>Sam</p>",
    ),
    (
        "Following up on my note",
        None,
        "<p>Hi {{firstName|there}},</p>\n<p>Just bumping this up in case it got buried. "
        'Here is a <a href="https://example.com/case-study">two-minute case study</a>.</p>\n<p>Sam</p>',
    ),
    ("Should I close the loop?", None, "<p>Last one from me. If the timing is off, no worries at all.</p>"),
]


def add_step_with_keyboard(page):
    page.focus("#add-step")
    page.keyboard.press("Enter")


def test_an_sdr_builds_a_three_step_sequence_reorders_it_and_sees_preview_and_coverage(page, live_server, sdr, client):
    login_page(page, live_server, sdr, client)
    page.goto(live_server.url + "/campaigns/new/")
    page.keyboard.type("Q1 fintech CFOs")  # the name field has autofocus
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/campaigns/\d+/edit/$"))
    campaign = Campaign.objects.get(name="Q1 fintech CFOs")

    page.click("#add-step")  # mouse
    expect(page.locator("#step-0-subject")).to_be_focused()  # focus follows the new step
    page.keyboard.type(STEPS[0][0])
    page.click("button.token-chip[data-token=firstName]")  # the palette inserts at the cursor
    expect(page.locator("#step-0-subject")).to_have_value("Quick question, {{firstName}}")
    page.fill("#step-0-body", STEPS[0][2])

    for i in (1, 2):
        add_step_with_keyboard(page)
        expect(page.locator(f"#step-{i}-subject")).to_be_focused()
        page.keyboard.type(STEPS[i][0])
        page.keyboard.press("Tab")
        page.keyboard.type(STEPS[i][2])
        page.fill(f"#step-{i}-delay", "3" if i == 1 else "4")
    expect(page.locator("#timeline")).to_contain_text("over 7 days")

    page.keyboard.press("Control+s")
    expect(page.locator("#save-state")).to_have_text(re.compile("All changes saved · version 2"))
    assert [s.subject for s in campaign.steps.order_by("position")] == [
        "Quick question, {{firstName}}",
        STEPS[1][0],
        STEPS[2][0],
    ]

    # Leads arrive (an import loads them); one has no first name.
    LeadFactory(campaign=campaign, first_name="Grace", company="Navy")
    LeadFactory(campaign=campaign, first_name="", company="Acme")
    LeadFactory(campaign=campaign, first_name="Alan", company="Bletchley")
    page.select_option("select[name=preview_lead]", "sample")  # any change re-checks
    expect(page.locator("#coverage")).to_contain_text("1 of 3 leads would read “Quick question, ”")
    page.select_option("select[name=preview_lead]", "worst")
    expect(page.locator("#preview-body")).to_contain_text("Hi there,")

    # A misspelt token is flagged with a one-click fix.
    page.fill("#step-2-body", "<p>Last one from me, {{firstname}}.</p>")
    fix = page.locator("#step-2-body-msgs button[data-fix-with='{{firstName}}']")
    expect(fix).to_be_visible()
    fix.click()
    expect(page.locator("#step-2-body")).to_have_value("<p>Last one from me, {{firstName}}.</p>")

    # Reorder from the keyboard: move step 3 up; the preview follows.
    preview_step_2 = page.locator(".preview-step").nth(1).locator(".preview-step__subject")
    expect(preview_step_2).to_contain_text(STEPS[1][0])
    page.focus("#step-2-up")
    page.keyboard.press("Enter")
    expect(page.locator("#step-1-subject")).to_have_value(STEPS[2][0])
    expect(page.locator("#step-1-up")).to_be_focused()
    expect(preview_step_2).to_contain_text(STEPS[2][0])
    page.keyboard.press("Control+s")
    expect(page.locator("#save-state")).to_have_text(re.compile("version 3"))
    assert campaign.steps.get(position=2).subject == STEPS[2][0]

    # The HTML view is a sandboxed iframe; its body is what Leadterra would send the worst-case lead.
    frames = page.frame_locator(".preview-step__html")
    expect(frames.nth(0).locator("body")).to_contain_text("Hi , I noticed Acme is hiring SDRs")
    expect(frames.nth(1).locator("body")).to_contain_text("Last one from me, .")
    expect(frames.nth(2).locator("body")).to_contain_text("Hi there,")
    expect(frames.nth(2).locator("a")).to_have_attribute("rel", "noopener noreferrer")
    page.evaluate("document.querySelectorAll('#toasts .toast').forEach(t => t.remove()); document.activeElement.blur()")
    # Chromium leaves out-of-process iframes blank in stitched full-page captures: make the
    # viewport as tall as the page instead.
    page.set_viewport_size({"width": 1366, "height": page.evaluate("document.body.scrollHeight")})
    page.wait_for_timeout(300)
    screenshot(page, "editor-three-steps")
    page.set_viewport_size({"width": 1366, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)
    page.add_style_tag(
        content=".editor__bar, .editor__aside { position: static; }"
    )  # sticky parts would cover the crops
    page.locator(".preview-card").screenshot(path=str(ARTIFACTS / "editor-preview.png"))
    page.locator(".editor__layout").screenshot(path=str(ARTIFACTS / "editor-steps.png"))


def test_unsaved_work_survives_a_reload_through_the_local_backup(page, live_server, sdr, client):
    from campaigns.services.campaigns import campaign_create

    campaign = campaign_create(owner=sdr, name="Backup")
    login_page(page, live_server, sdr, client)
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/edit/")
    page.click("#add-step")
    page.locator("#step-0-subject").type("Not saved yet")
    expect(page.locator("#save-state")).to_have_text("Unsaved changes")
    page.on("dialog", lambda dialog: dialog.accept())  # the "leave page?" prompt
    page.reload()
    page.click("text=Restore them")
    expect(page.locator("#step-0-subject")).to_have_value("Not saved yet")


def test_the_list_filters_as_you_type_and_the_campaign_page_shows_preview_and_coverage(
    page, live_server, sdr, manager, client
):
    from campaigns.services.campaigns import campaign_create
    from tests.factories import StepFactory

    mine = campaign_create(owner=sdr, name="Q1 fintech CFOs")
    StepFactory(campaign=mine, position=1, subject="Quick question, {{firstName}}", body_html=STEPS[0][2])
    StepFactory(campaign=mine, position=2, subject=STEPS[1][0], body_html=STEPS[1][2], delay_days=3)
    LeadFactory.create_batch(4, campaign=mine)
    LeadFactory(campaign=mine, first_name="")
    running = campaign_create(owner=manager, name="Retail VPs — spring")
    Campaign.objects.filter(pk=running.pk).update(status="running", remote_id="camp_01")
    campaign_create(owner=manager, name="Healthcare ops leaders")
    login_page(page, live_server, sdr, client)
    page.goto(live_server.url + "/campaigns/")
    expect(page.locator("#campaign-rows tr")).to_have_count(3)
    screenshot(page, "campaigns-list")
    page.fill("input[name=q]", "fintech")
    expect(page.locator("#campaign-rows tr")).to_have_count(1)
    assert "q=fintech" in page.url  # the filtered list has a shareable address
    page.click("text=Q1 fintech CFOs")
    expect(page.locator("#coverage")).to_contain_text("1 of 5 leads would read “Quick question, ”")
    expect(page.frame_locator(".preview-step__html").first.locator("body")).to_contain_text("Hi , I noticed")
    page.set_viewport_size({"width": 1366, "height": page.evaluate("document.body.scrollHeight")})
    screenshot(page, "campaign-detail")
    page.goto(f"{live_server.url}/campaigns/{running.pk}/")
    expect(page.locator(".locked-note")).to_contain_text("Leadterra has no way to change a sequence")
    page.click("text=Duplicate as new draft")
    page.wait_for_url(re.compile(r"/campaigns/\d+/edit/$"))
    expect(page.locator("#campaign-name")).to_have_value("Copy of Retail VPs — spring")
