"""Enrolling waiting leads into a running campaign: managers only, after a confirmation."""

import pytest
from django.urls import reverse

from campaigns.models import AuditEvent, Campaign, Lead, Operation, SenderPool
from tests.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(sdr):
    campaign = CampaignFactory(owner=sdr, status=Campaign.Status.RUNNING, remote_id="camp_1")
    LeadFactory.create_batch(3, campaign=campaign)
    LeadFactory(campaign=campaign, status=Lead.Status.ENROLLED)
    return campaign


def test_the_confirmation_says_how_many_sends_it_adds_today(manager_client, running):
    SenderPool.objects.create(remote_id="pool_1", name="Main", daily_capacity=100, remaining=2)
    body = manager_client.get(reverse("lead_enroll", args=[running.pk])).content.decode()
    assert "Enroll 3 leads now" in body
    assert "Sends added today" in body and "will wait for the next window" in body


def test_a_manager_enrolls_waiting_leads_through_an_operation(manager_client, running, manager):
    response = manager_client.post(reverse("lead_enroll", args=[running.pk]))
    assert response.status_code == 302
    op = Operation.objects.get(kind="enroll_leads", campaign=running)
    assert (op.payload, op.created_by) == ({}, manager)
    assert AuditEvent.objects.filter(action="leads.enroll_requested", campaign=running).exists()


def test_a_second_click_does_not_queue_a_second_enrollment(manager_client, running):
    manager_client.post(reverse("lead_enroll", args=[running.pk]))
    response = manager_client.post(reverse("lead_enroll", args=[running.pk]), follow=True)
    assert Operation.objects.filter(kind="enroll_leads").count() == 1
    assert "already under way" in response.content.decode()


def test_an_sdr_cannot_enroll(sdr_client, running):
    assert sdr_client.post(reverse("lead_enroll", args=[running.pk])).status_code == 403
    assert not Operation.objects.exists()


def test_a_draft_campaign_is_enrolled_by_its_launch_not_here(manager_client, sdr):
    draft = CampaignFactory(owner=sdr)
    LeadFactory(campaign=draft)
    response = manager_client.post(reverse("lead_enroll", args=[draft.pk]), follow=True)
    assert "only while the campaign runs" in response.content.decode()
    assert not Operation.objects.exists()
