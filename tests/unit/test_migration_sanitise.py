"""The data migration that puts stored bodies under the email policy (0006_content_sanitise_bodies)."""

import importlib

import pytest
from django.apps import apps

from campaigns.models import AuditEvent, Campaign
from campaigns.services.versions import campaign_snapshot, content_hash, version_save
from tests.factories import CampaignFactory, StepFactory

pytestmark = pytest.mark.django_db
migration = importlib.import_module("campaigns.migrations.0006_content_sanitise_bodies")
DIRTY = '<p onclick="x()">Hi {{firstName}}</p><script>alert(1)</script>'


def campaign(status, body=DIRTY, remote_id=None, approver=None):
    c = CampaignFactory(status=status, remote_id=remote_id)
    StepFactory(campaign=c, position=1, subject="S", body_html=body)
    StepFactory(campaign=c, position=2, subject="T", body_html="<p>clean</p>", delay_days=2)
    version = version_save(campaign=c, actor=None)
    if approver:
        Campaign.objects.filter(pk=c.pk).update(
            approved_version=version.number, approved_hash=version.content_hash, approved_by=approver
        )
    return c


def test_unlaunched_campaigns_are_sanitised_and_changed_approvals_voided(manager):
    S = Campaign.Status
    draft, approved = campaign(S.DRAFT), campaign(S.APPROVED, approver=manager)
    failed_local = campaign(S.LAUNCH_FAILED, approver=manager)
    clean_approved = campaign(S.APPROVED, body="<p>Hi {{firstName}}</p>", approver=manager)
    untouched = [
        campaign(S.RUNNING, remote_id="camp_1", approver=manager),
        campaign(S.PAUSED, remote_id="camp_2", approver=manager),
        campaign(S.LAUNCH_FAILED, remote_id="camp_3", approver=manager),
        campaign(S.ARCHIVED),
    ]
    before = {c.pk: (c.version, list(c.steps.values_list("body_html", flat=True))) for c in untouched}

    migration.sanitise_bodies(apps, None)

    for c in (draft, approved, failed_local):
        c.refresh_from_db()
        assert list(c.steps.order_by("position").values_list("body_html", flat=True)) == [
            "<p>Hi {{firstName}}</p>",
            "<p>clean</p>",
        ]
        assert c.version == 2 and c.versions.get(number=2).content_hash == content_hash(campaign_snapshot(c))
        assert AuditEvent.objects.get(campaign=c, action="campaign.sanitised").details["removed"] == [
            "<script>",
            "onclick=",
        ]
    assert draft.status == S.DRAFT and not AuditEvent.objects.filter(campaign=draft, action="approval.voided").exists()
    for c in (approved, failed_local):
        assert (c.status, c.approved_version, c.approved_hash, c.approved_by) == (S.DRAFT, None, "", None)
        assert "<script>, onclick=" in c.status_reason and "new review" in c.status_reason
        assert AuditEvent.objects.filter(campaign=c, action="approval.voided").exists()
    clean_approved.refresh_from_db()
    assert (clean_approved.status, clean_approved.version, clean_approved.approved_version) == (S.APPROVED, 1, 1)
    for c in untouched:
        c.refresh_from_db()
        assert (c.version, list(c.steps.values_list("body_html", flat=True))) == before[c.pk]

    migration.sanitise_bodies(apps, None)  # a second run finds nothing to do
    assert AuditEvent.objects.filter(action="campaign.sanitised").count() == 3
