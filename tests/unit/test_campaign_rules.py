"""Who may edit what, concurrent saves, and the list, duplicate and archive pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import AuditEvent, Campaign
from campaigns.services.campaigns import VersionConflict, campaign_content_save, campaign_create
from tests.factories import CampaignFactory, LeadFactory, StepFactory
from tests.unit.test_editor_views import THREE, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(sdr):
    return campaign_create(owner=sdr, name="Fintech CFOs")


def content(name, *subjects):
    return {"name": name, "steps": [{"subject": s, "body_html": "<p>x</p>", "delay_days": 0} for s in subjects]}


# --- permissions ---------------------------------------------------------


def test_an_sdr_cannot_edit_someone_elses_draft(client, sdr2, draft):
    client.force_login(sdr2)
    assert client.get(reverse("campaign_edit", args=[draft.pk])).status_code == 403
    for name in ("editor_save", "editor_change", "editor_check"):
        response = client.post(reverse(name, args=[draft.pk]), form_data(draft, THREE, op="add"))
        assert response.status_code == 403, name
    draft.refresh_from_db()
    assert draft.version == 1 and draft.steps.count() == 0


def test_a_manager_can_edit_any_draft(manager_client, draft):
    response = manager_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, THREE))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.version == 2 and draft.versions.first().created_by.username == "manager"


@pytest.mark.parametrize("status", ["launching", "running", "paused", "archived"])
def test_nobody_edits_a_launched_or_archived_campaign(manager_client, draft, status):
    Campaign.objects.filter(pk=draft.pk).update(status=status)
    response = manager_client.get(reverse("campaign_edit", args=[draft.pk]))
    assert response.status_code == 403
    if status != "archived":
        assert b"Leadterra has no way to edit" in response.content
        assert b"Duplicate as new draft" in response.content
    response = manager_client.post(reverse("editor_save", args=[draft.pk]), form_data(draft, THREE))
    assert response.status_code == 403


def test_the_detail_page_of_a_launched_campaign_says_why_it_cannot_be_edited(sdr_client, draft):
    Campaign.objects.filter(pk=draft.pk).update(status="running", remote_id="camp_1")
    html = sdr_client.get(reverse("campaign_detail", args=[draft.pk])).content.decode()
    assert "Leadterra has no way to change a sequence" in html
    assert "Duplicate as new draft" in html
    assert reverse("campaign_edit", args=[draft.pk]) not in html


def test_the_service_refuses_too_not_only_the_view(sdr2, draft):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        campaign_content_save(campaign=draft, actor=sdr2, content=content("x", "a"), base_version=1)


# --- concurrent saves ----------------------------------------------------


def test_the_second_of_two_concurrent_saves_is_told_what_changed(sdr, manager, draft):
    campaign_content_save(
        campaign=draft, actor=manager, content=content("Fintech CFOs", "Manager's hello"), base_version=1
    )
    with pytest.raises(VersionConflict) as raised:
        campaign_content_save(campaign=draft, actor=sdr, content=content("Renamed", "SDR hello"), base_version=1)
    assert raised.value.current == 2 and raised.value.by == "manager"
    assert raised.value.changes == ["Step 1 added: “Manager's hello”."]
    draft.refresh_from_db()
    assert draft.steps.get().subject == "Manager's hello" and draft.name == "Fintech CFOs"


def test_a_conflicting_save_keeps_the_authors_text_and_a_second_save_overwrites(sdr_client, manager, draft):
    campaign_content_save(campaign=draft, actor=manager, content=content("Fintech CFOs", "Theirs"), base_version=1)
    url = reverse("editor_save", args=[draft.pk])
    mine = form_data(draft, [("Mine", "<p>my body</p>", 0)], base_version=1)
    response = sdr_client.post(url, mine, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "manager saved version 2" in html and "Step 1 added: “Theirs”." in html
    assert 'value="Mine"' in html and "my body" in html
    assert 'name="base_version" value="2"' in html  # so the next Save is a deliberate overwrite
    assert "warning" in response["HX-Trigger"]
    mine["base_version"] = "2"
    sdr_client.post(url, mine, HTTP_HX_REQUEST="true")
    draft.refresh_from_db()
    assert draft.version == 3 and draft.steps.get().subject == "Mine"


def test_a_missing_or_garbled_base_version_is_a_conflict_not_a_silent_overwrite(sdr_client, draft):
    data = form_data(draft, THREE, base_version="x")
    response = sdr_client.post(reverse("editor_save", args=[draft.pk]), data)
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.version == 1


# --- list, duplicate, archive, audit ------------------------------------


def test_the_list_filters_searches_and_sorts(sdr_client, sdr, manager):
    a = CampaignFactory(name="Alpha fintech", owner=sdr)
    b = CampaignFactory(name="Beta retail", owner=manager, status="running")
    CampaignFactory(name="Gamma archived", owner=sdr, status="archived")
    StepFactory.create_batch(2, campaign=a)
    LeadFactory.create_batch(3, campaign=b)
    html = sdr_client.get(reverse("campaign_list")).content.decode()
    assert "Alpha fintech" in html and "Beta retail" in html and "Gamma archived" not in html
    html = sdr_client.get(reverse("campaign_list"), {"q": "fin"}).content.decode()
    assert "Alpha fintech" in html and "Beta retail" not in html
    html = sdr_client.get(reverse("campaign_list"), {"owner": "manager"}).content.decode()
    assert "Beta retail" in html and "Alpha fintech" not in html
    html = sdr_client.get(reverse("campaign_list"), {"status": "archived"}).content.decode()
    assert "Gamma archived" in html and "Alpha" not in html
    html = sdr_client.get(reverse("campaign_list"), {"sort": "-leads"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and html.index("Beta retail") < html.index("Alpha fintech")
    html = sdr_client.get(reverse("campaign_list"), {"sort": "name", "status": "nonsense"}).content.decode()
    assert "No campaign matches" in html


def test_the_list_uses_a_constant_number_of_queries(sdr_client, sdr):
    CampaignFactory.create_batch(2, owner=sdr)
    sdr_client.get(reverse("campaign_list"))  # the outage banner's cached lookup is warm in both
    with CaptureQueriesContext(connection) as few:
        sdr_client.get(reverse("campaign_list"))
    for c in CampaignFactory.create_batch(10, owner=sdr):
        StepFactory(campaign=c)
        LeadFactory(campaign=c)
    with CaptureQueriesContext(connection) as many:
        response = sdr_client.get(reverse("campaign_list"))
    assert len(few) == len(many)
    assert response.content.decode().count('id="campaign-row-') == 12


def test_create_makes_a_first_version_and_an_audit_event(sdr_client):
    response = sdr_client.post(reverse("campaign_create"), {"name": "  New one  "})
    campaign = Campaign.objects.get(name="New one")
    assert response["Location"] == reverse("campaign_edit", args=[campaign.pk])
    assert campaign.version == 1 and campaign.versions.count() == 1
    assert AuditEvent.objects.filter(campaign=campaign, action="campaign.created").exists()


def test_create_refuses_an_empty_name(sdr_client):
    response = sdr_client.post(reverse("campaign_create"), {"name": "   "})
    assert response.status_code == 400 and Campaign.objects.count() == 0


def test_duplicate_copies_the_steps_into_a_new_draft_of_mine(sdr_client, sdr, manager):
    original = CampaignFactory(owner=manager, name="Launched", status="running", remote_id="camp_9")
    StepFactory(campaign=original, position=1, subject="One")
    StepFactory(campaign=original, position=2, subject="Two", delay_days=4)
    LeadFactory(campaign=original)
    response = sdr_client.post(reverse("campaign_duplicate", args=[original.pk]))
    copy = Campaign.objects.exclude(pk=original.pk).get()
    assert response["Location"] == reverse("campaign_edit", args=[copy.pk])
    assert (copy.name, copy.owner, copy.status, copy.remote_id) == ("Copy of Launched", sdr, "draft", None)
    assert [(s.subject, s.delay_days) for s in copy.steps.all()] == [("One", 0), ("Two", 4)]
    assert copy.leads.count() == 0
    assert AuditEvent.objects.get(action="campaign.duplicated").details["source_id"] == original.pk


def test_archive_is_for_the_owner_or_a_manager_and_never_while_sending(client, sdr, sdr2, manager, draft):
    client.force_login(sdr2)
    assert client.post(reverse("campaign_archive", args=[draft.pk])).status_code == 403
    Campaign.objects.filter(pk=draft.pk).update(status="running")
    client.force_login(manager)
    assert client.post(reverse("campaign_archive", args=[draft.pk])).status_code == 403
    Campaign.objects.filter(pk=draft.pk).update(status="paused")
    assert client.post(reverse("campaign_archive", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "archived" and draft.archived_at
    assert AuditEvent.objects.filter(campaign=draft, action="campaign.archived").exists()


def test_archive_and_duplicate_refuse_get(sdr_client, draft):
    assert sdr_client.get(reverse("campaign_archive", args=[draft.pk])).status_code == 405
    assert sdr_client.get(reverse("campaign_duplicate", args=[draft.pk])).status_code == 405


def test_archiving_a_campaign_that_exists_in_leadterra_is_a_managers_call(sdr, manager, draft):
    from django.core.exceptions import PermissionDenied

    from campaigns.services.campaigns import campaign_archive

    Campaign.objects.filter(pk=draft.pk).update(status="paused", remote_id="camp_paused")
    draft.refresh_from_db()
    with pytest.raises(PermissionDenied):
        campaign_archive(campaign=draft, actor=sdr)
    campaign_archive(campaign=draft, actor=manager)
    draft.refresh_from_db()
    assert draft.status == "archived"
