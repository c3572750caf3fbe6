"""The sequence editor: pages, HTMX fragments, saving with a version check, permissions."""

import json

import pytest
from django.urls import reverse

from campaigns.models import AuditEvent, Campaign, CampaignVersion
from campaigns.services.campaigns import campaign_create
from campaigns.services.versions import campaign_snapshot, content_hash
from tests.factories import LeadFactory, StepFactory

pytestmark = pytest.mark.django_db


def form_data(campaign, steps, name=None, base_version=None, **extra):
    data = {
        "name": name or campaign.name,
        "base_version": str(campaign.version if base_version is None else base_version),
        "subject": [s[0] for s in steps],
        "body_html": [s[1] for s in steps],
        "delay_days": [str(s[2]) for s in steps],
    }
    data.update(extra)
    return data


THREE = [
    ("Hi {{firstName}}", "<p>Hello {{firstName}}</p>", 0),
    ("Follow-up", "<p>Again</p>", 3),
    ("Last", "<p>Bye</p>", 4),
]


@pytest.fixture
def draft(sdr):
    return campaign_create(owner=sdr, name="Fintech CFOs")


def test_the_editor_page_renders_for_the_author(sdr_client, draft):
    response = sdr_client.get(reverse("campaign_edit", args=[draft.pk]))
    assert response.status_code == 200
    assert b"No steps yet" in response.content
    assert b'name="base_version" value="1"' in response.content
    assert b"{#" not in response.content and b"{%" not in response.content  # no template source leaks


def test_adding_a_step_rerenders_the_editor_without_saving(sdr_client, draft):
    url = reverse("editor_change", args=[draft.pk])
    response = sdr_client.post(url, form_data(draft, [], op="add"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'id="step-0-subject"' in response.content
    assert b"<html" not in response.content  # a fragment, not a page
    assert "editor:focus" in response["HX-Trigger-After-Settle"]
    draft.refresh_from_db()
    assert draft.steps.count() == 0 and draft.version == 1


def test_moving_a_step_down_keeps_the_gap_after_the_first_step(sdr_client, draft):
    url = reverse("editor_change", args=[draft.pk])
    response = sdr_client.post(url, form_data(draft, THREE, op="down:0"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.index('value="Follow-up"') < html.index('value="Hi {{firstName}}"')
    assert '"editor:focus": "step-1-down"' in response["HX-Trigger-After-Settle"]


def test_saving_stores_the_steps_and_a_new_version(sdr_client, draft):
    response = sdr_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, THREE), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Saved as version 2" in response["HX-Trigger"]
    draft.refresh_from_db()
    assert draft.version == 2
    assert [(s.subject, s.delay_days) for s in draft.steps.order_by("position")] == [
        ("Hi {{firstName}}", 0),
        ("Follow-up", 3),
        ("Last", 4),
    ]
    version = CampaignVersion.objects.get(campaign=draft, number=2)
    assert version.content["steps"][1]["delay_days"] == 3
    assert AuditEvent.objects.filter(campaign=draft, action="campaign.edited").exists()


def test_saving_twice_without_changes_makes_no_new_version(sdr_client, draft):
    url = reverse("editor_save", args=[draft.pk])
    sdr_client.post(url, form_data(draft, THREE), HTTP_HX_REQUEST="true")
    draft.refresh_from_db()
    response = sdr_client.post(url, form_data(draft, THREE), HTTP_HX_REQUEST="true")
    assert "no changes" in response["HX-Trigger"]
    draft.refresh_from_db()
    assert draft.version == 2


def test_the_check_fragment_flags_a_misspelt_token_with_a_suggestion(sdr_client, draft):
    steps = [("Hi {{firstname}}", "<p>Hello {{firstName}</p>", 0)]
    response = sdr_client.post(
        reverse("editor_check", args=[draft.pk]), form_data(draft, steps), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'hx-swap-oob="true"' in html
    assert 'data-fix-with="{{firstName}}"' in html
    assert "Braces don" in html
    assert "Unsaved changes" in html
    assert 'name="subject"' not in html  # never re-renders what the author is typing into


def test_bad_delays_are_refused_with_a_message_and_the_text_kept(sdr_client, draft):
    steps = [("One", "<p>a</p>", 0), ("Two", "<p>b</p>", "-2"), ("Three", "<p>c</p>", "")]
    response = sdr_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, steps), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Whole days, 0 or more." in html
    assert "How many days after the previous step?" in html
    assert 'value="Two"' in html and 'value="Three"' in html
    draft.refresh_from_db()
    assert draft.version == 1


def test_a_step_one_delay_is_always_zero(sdr_client, draft):
    steps = [("One", "<p>a</p>", 9)]
    sdr_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, steps), HTTP_HX_REQUEST="true")
    assert draft.steps.get().delay_days == 0


def test_without_htmx_the_forms_still_work_as_whole_pages(sdr_client, draft):
    response = sdr_client.post(reverse("editor_change", args=[draft.pk]), form_data(draft, [], op="add"))
    assert b"<html" in response.content and b'id="step-0-subject"' in response.content
    response = sdr_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, [("", "", "x")] * 2))
    assert response.status_code == 400


def test_editing_an_approved_campaign_voids_the_approval(sdr_client, draft):
    Campaign.objects.filter(pk=draft.pk).update(status="approved", approved_version=1, approved_hash="x")
    draft.refresh_from_db()
    response = sdr_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, THREE), HTTP_HX_REQUEST="true")
    assert "needs a new review" in response["HX-Trigger"]
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert AuditEvent.objects.filter(campaign=draft, action="approval.voided").exists()


def test_the_detail_page_shows_preview_and_coverage(sdr_client, draft):
    StepFactory(campaign=draft, position=1, subject="Hi {{firstName}}", body_html="<p>Hi {{firstName}},</p>")
    LeadFactory(campaign=draft, first_name="")
    LeadFactory(campaign=draft)
    response = sdr_client.get(reverse("campaign_detail", args=[draft.pk]))
    html = response.content.decode()
    assert "1 of 2 leads" in html
    assert "Hi ," in html
    assert "srcdoc=" in html and 'sandbox=""' in html
    assert f'href="/campaigns/{draft.pk}/leads/?missing=firstName"' in html


def test_an_empty_name_is_refused_inline_and_nothing_is_lost(sdr_client, draft):
    response = sdr_client.post(
        reverse("editor_save", args=[draft.pk]), form_data(draft, THREE, name=" "), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "Give the campaign a name." in html and 'value="Follow-up"' in html
    assert "error" in response["HX-Trigger"]
    draft.refresh_from_db()
    assert draft.name == "Fintech CFOs" and draft.version == 1


def test_a_sequence_stops_at_twenty_steps(sdr_client, draft):
    steps = [("s", "<p>b</p>", 1)] * 20
    response = sdr_client.post(
        reverse("editor_change", args=[draft.pk]), form_data(draft, steps, op="add"), HTTP_HX_REQUEST="true"
    )
    assert "at most 20 steps" in response["HX-Trigger"]
    assert response.content.decode().count('name="subject"') == 20


def test_unknown_ops_and_out_of_range_indexes_change_nothing(sdr_client, draft):
    for op in ("explode", "remove:9", "up:0", "down:2", "remove:-1", ""):
        response = sdr_client.post(
            reverse("editor_change", args=[draft.pk]), form_data(draft, THREE, op=op), HTTP_HX_REQUEST="true"
        )
        html = response.content.decode()
        assert html.count('name="subject"') == 3, op
        assert html.index('value="Hi {{firstName}}"') < html.index('value="Follow-up"') < html.index('value="Last"')


HOSTILE_STEPS = [
    ("Hi {{firstName}}", '<p onclick="x()">Hi {{firstName}}</p><script>alert(1)</script>', 0),
    ("Two", '<p>Clean <a href="https://x.example/?u={{email}}">link</a></p>', 2),
    ("Three", '<form><input type="password"></form><img src="http://t.example/p.gif"><p>Bye</p>', 3),
]


def test_saving_stores_the_sanitised_body_versions_it_and_says_what_was_removed(sdr_client, draft):
    url = reverse("editor_save", args=[draft.pk])
    response = sdr_client.post(url, form_data(draft, HOSTILE_STEPS), HTTP_HX_REQUEST="true")
    toast = json.loads(response["HX-Trigger"])["toast"]
    assert toast["level"] == "warning"
    assert toast["message"] == (
        "Saved as version 2. Removed as unsafe for email (step 1: <script>, onclick=; "
        "step 3: <form>, <img>, <input>, image “http://t.example/p.gif”)."
    )
    bodies = [s.body_html for s in draft.steps.order_by("position")]
    assert bodies == [
        "<p>Hi {{firstName}}</p>",
        '<p>Clean <a href="https://x.example/?u={{email}}" rel="noopener noreferrer">link</a></p>',
        "<p>Bye</p>",
    ]
    version = CampaignVersion.objects.get(campaign=draft, number=2)
    assert [s["body_html"] for s in version.content["steps"]] == bodies
    assert version.content_hash == content_hash(campaign_snapshot(draft))  # the hash covers the stored bytes
    again = sdr_client.post(url, form_data(draft, HOSTILE_STEPS, base_version=2), HTTP_HX_REQUEST="true")
    assert "no changes" in again["HX-Trigger"]  # the same typing sanitises to the same content
    draft.refresh_from_db()
    assert draft.version == 2


def test_a_clean_save_has_no_removal_note(sdr_client, draft):
    response = sdr_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, THREE), HTTP_HX_REQUEST="true")
    assert "Removed" not in response["HX-Trigger"]


def test_duplicating_an_old_unsanitised_campaign_stores_sanitised_bodies(sdr_client, sdr, draft):
    StepFactory(campaign=draft, position=1, subject="S", body_html="<p>a</p><script>x()</script>")
    sdr_client.post(reverse("campaign_duplicate", args=[draft.pk]))
    copy = Campaign.objects.exclude(pk=draft.pk).get(name__startswith="Copy of")
    assert [s.body_html for s in copy.steps.all()] == ["<p>a</p>"]
    assert copy.versions.get(number=copy.version).content["steps"][0]["body_html"] == "<p>a</p>"


def test_typing_what_saves_to_the_stored_body_is_not_an_unsaved_change(sdr_client, draft):
    steps = [("Hi", "<p>A & B<br/></p>", 0)]
    sdr_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, steps), HTTP_HX_REQUEST="true")
    assert draft.steps.get().body_html == "<p>A &amp; B<br></p>"
    draft.refresh_from_db()
    check = sdr_client.post(reverse("editor_check", args=[draft.pk]), form_data(draft, steps), HTTP_HX_REQUEST="true")
    assert "All changes saved" in check.content.decode()
    changed = form_data(draft, [("Hi", "<p>A & C</p>", 0)])
    assert (
        "Unsaved changes"
        in sdr_client.post(reverse("editor_check", args=[draft.pk]), changed, HTTP_HX_REQUEST="true").content.decode()
    )
