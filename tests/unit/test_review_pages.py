"""The pages around the lifecycle: review with diff, panel, pre-flight, pause/resume confirmations."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Operation, SequenceStep
from campaigns.services import launch, lifecycle
from campaigns.services.versions import version_save
from tests.factories import LeadFactory
from tests.lifecycle_support import a_plan, campaign_in, fresh_pools

pytestmark = pytest.mark.django_db


def test_the_review_page_shows_a_new_sequence_as_new(manager_client, sdr):
    campaign = campaign_in("in_review", owner=sdr)
    response = manager_client.get(reverse("campaign_review", args=[campaign.pk]))
    assert response.status_code == 200
    assert b"New sequence" in response.content
    assert response.context["diff"].is_new
    assert b"Approve v" in response.content


def test_the_review_page_shows_word_changes_since_the_approved_version(manager_client, sdr, manager2):
    campaign = campaign_in("approved", owner=sdr, approver=manager2)
    approved = campaign.approved_version
    step = campaign.steps.get(position=1)
    step.body_html = "<p>Hello {{firstName}} at {{company}}, we cut costs</p>"
    step.save()
    version_save(campaign=campaign, actor=sdr)
    lifecycle.approval_void(campaign=campaign, actor=sdr)
    lifecycle.campaign_submit(campaign=campaign, actor=sdr)

    response = manager_client.get(reverse("campaign_review", args=[campaign.pk]))
    html = response.content.decode()
    assert f"Changes since approved v{approved}" in html
    assert f"v{approved} (voided by an edit since)" in html  # the void emptied the approval itself
    assert "<ins>, we cut costs</ins>" in html
    assert "&lt;p&gt;Hello" in html  # the body is shown as escaped source, never as live HTML
    assert [s.change for s in response.context["diff"].steps] == ["changed", "unchanged"]


def test_the_author_manager_sees_why_they_cannot_approve_and_may_still_reject(client, manager):
    campaign = campaign_in("in_review", owner=manager)
    client.force_login(manager)
    response = client.get(reverse("campaign_review", args=[campaign.pk]))
    assert b"You edited this version, so another manager must approve it." in response.content
    assert b"Approve v" not in response.content
    assert b">Reject</button>" in response.content


def test_a_refused_approval_says_why_on_the_review_page(client, sdr, manager, manager2):
    """The submitter tries anyway (a crafted POST): the reason is on the page they return to."""
    campaign = campaign_in("in_review", owner=sdr, submitted_by=manager)
    client.force_login(manager)
    url = reverse("campaign_approve", args=[campaign.pk])
    response = client.post(url, {"comment": "", "reviewed_version": campaign.version}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("campaign_review", args=[campaign.pk])
    assert "You sent it for review, so another manager must approve it." in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == "in_review"


def test_approving_from_the_page_binds_the_reviewed_version(manager_client, sdr):
    campaign = campaign_in("in_review", owner=sdr)
    url = reverse("campaign_approve", args=[campaign.pk])
    response = manager_client.post(url, {"comment": "", "reviewed_version": campaign.version - 1}, follow=True)
    assert "changed while you were reviewing" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == "in_review"
    manager_client.post(url, {"comment": "", "reviewed_version": campaign.version})
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"


def test_a_rejection_without_a_comment_returns_to_the_review_with_the_reason(manager_client, sdr):
    campaign = campaign_in("in_review", owner=sdr)
    response = manager_client.post(reverse("campaign_reject", args=[campaign.pk]), {"comment": ""}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("campaign_review", args=[campaign.pk])
    assert b"a rejection needs a comment" in response.content


@pytest.mark.parametrize("status", [s.value for s in Campaign.Status])
def test_the_campaign_page_shows_the_panel_in_every_state(manager_client, sdr, status):
    campaign = campaign_in(status, owner=sdr, paused_by=None)
    response = manager_client.get(reverse("campaign_detail", args=[campaign.pk]))
    assert response.status_code == 200
    assert b'id="lifecycle"' in response.content and b"Activity" in response.content


def test_the_panel_says_who_paused_and_why_and_what_is_held(manager_client, sdr, manager):
    campaign = campaign_in("paused", owner=sdr, paused_by=manager, status_reason="Wrong price", queued=42)
    html = manager_client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "Paused by manager" in html and "“Wrong price”" in html
    assert '<span class="num">42</span> queued messages held' in html
    assert reverse("campaign_resume", args=[campaign.pk]) in html


def test_the_panel_shows_a_rejection_comment_to_the_author(sdr_client, sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    lifecycle.campaign_reject(campaign=campaign, actor=manager, comment="Too pushy")
    html = sdr_client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "Rejected by manager: Too pushy" in html
    assert "Send for review" in html


def test_an_sdr_sees_no_manager_buttons(sdr_client, sdr):
    campaign = campaign_in("running", owner=sdr)
    html = sdr_client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert reverse("campaign_pause", args=[campaign.pk]) not in html
    assert 'name="threshold_percent"' not in html


def test_the_panel_polls_while_launching_and_reloads_the_page_when_the_state_changes(manager_client, sdr):
    campaign = campaign_in("launching", owner=sdr)
    url = reverse("campaign_lifecycle", args=[campaign.pk])
    assert b'hx-trigger="every 2s"' in manager_client.get(reverse("campaign_detail", args=[campaign.pk])).content
    assert manager_client.get(url + "?seen=launching", headers={"HX-Request": "true"}).status_code == 200
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    response = manager_client.get(url + "?seen=launching", headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"


def test_the_panel_stops_polling_when_nothing_is_in_flight(manager_client, sdr):
    campaign = campaign_in("running", owner=sdr)
    response = manager_client.get(reverse("campaign_lifecycle", args=[campaign.pk]) + "?seen=running")
    assert response.status_code == 286
    assert b"hx-trigger" not in response.content


def test_the_pause_confirmation_says_how_many_messages_will_be_held(manager_client, sdr):
    campaign = campaign_in("running", owner=sdr, queued=1234)
    html = manager_client.get(reverse("campaign_pause", args=[campaign.pk])).content.decode()
    assert '<span class="stat num">1234</span>' in html and "queued messages will be held" in html


def test_a_pause_without_a_reason_asks_for_one(manager_client, sdr):
    campaign = campaign_in("running", owner=sdr)
    response = manager_client.post(reverse("campaign_pause", args=[campaign.pk]), {"reason": ""})
    assert response.status_code == 200 and b"Say why, for the team." in response.content
    assert not Operation.objects.filter(kind="pause").exists()


def test_the_pause_view_queues_the_operation_on_commit(manager_client, sdr, django_capture_on_commit_callbacks):
    campaign = campaign_in("running", owner=sdr, queued=5)
    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post(reverse("campaign_pause", args=[campaign.pk]), {"reason": "Typo"}, follow=True)
    assert len(callbacks) == 1
    assert "5 queued messages will be held" in response.content.decode()


def test_the_launch_button_refreshes_pools_then_shows_the_preflight(manager_client, sdr, manager2):
    campaign = campaign_in("approved", owner=sdr, approver=manager2)
    response = manager_client.post(reverse("campaign_preflight_refresh", args=[campaign.pk]))
    op = Operation.objects.get(kind="refresh_pools")
    assert response["Location"] == reverse("campaign_launch", args=[campaign.pk]) + f"?op={op.pk}"
    page = manager_client.get(response["Location"]).content.decode()
    assert "Refreshing pool numbers (started 0 s ago)." in page
    assert 'hx-trigger="every 1s"' in page


def test_the_preflight_shows_checks_and_asks_to_confirm_a_spill(manager_client, sdr, manager2, monkeypatch):
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: a_plan("spills", spill_days=3))
    fresh_pools()
    campaign = campaign_in("approved", owner=sdr, approver=manager2)
    op = Operation.objects.create(kind="refresh_pools", status="succeeded")
    url = reverse("campaign_preflight_checks", args=[campaign.pk]) + f"?op={op.pk}"
    response = manager_client.get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 286  # the refresh ended: stop polling
    assert "Pool numbers are fresh." in html and 'name="confirm_spill"' in html and "3 days" in html


def test_the_preflight_blocks_a_launch_when_content_changed(manager_client, sdr, manager2):
    fresh_pools()
    campaign = campaign_in("approved", owner=sdr, approver=manager2)
    SequenceStep.objects.filter(campaign=campaign).update(subject="changed")
    html = manager_client.get(reverse("campaign_launch", args=[campaign.pk])).content.decode()
    assert "not the version that was approved" in html and "disabled" in html


def test_the_review_previews_as_any_lead_and_shows_token_coverage(manager_client, sdr):
    campaign = campaign_in("in_review", owner=sdr, leads=0)
    LeadFactory(campaign=campaign, email="grace@example.com", first_name="Grace")
    LeadFactory(campaign=campaign, email="nobody@example.com", first_name="")
    url = reverse("campaign_review", args=[campaign.pk])
    html = manager_client.get(url).content.decode()
    assert "Worst case: nobody@example.com" in html
    assert "Merge-tag coverage" in html and "1 of 2 leads" in html
    grace = campaign.leads.get(email="grace@example.com")
    fragment = manager_client.get(f"{url}?lead={grace.pk}", headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<div id="preview-box">') and "Step 1 for Grace" in fragment
