"""The import pages a person uses around the service: the upload limit and the cancel button."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import AuditEvent, LeadImport
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
S = LeadImport.Status


@pytest.fixture
def campaign(sdr):
    return CampaignFactory(owner=sdr)


def csv_of(size: int) -> SimpleUploadedFile:
    rows = b"email\n" + b"".join(b"p%06d@example.com\n" % i for i in range(size // 19 + 1))
    return SimpleUploadedFile("big.csv", rows[:size], content_type="text/csv")


def upload(client, campaign, size):
    return client.post(reverse("lead_import_upload", args=[campaign.pk]), {"file": csv_of(size)})


def test_a_file_over_the_limit_is_refused_with_its_size_and_the_limit(sdr_client, campaign, settings):
    settings.IMPORT_MAX_BYTES = 2_000  # not the default, so the message must come from the setting
    response = upload(sdr_client, campaign, 3_000)
    assert response.status_code == 400
    assert "The file is 2.9\xa0KB; the limit is 2.0\xa0KB." in response.content.decode()
    assert not LeadImport.objects.exists()


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(sdr_client, campaign, settings):
    settings.IMPORT_MAX_BYTES = 2_000
    response = upload(sdr_client, campaign, 2_000 + 70 * 1024)  # past the 64 KiB allowance for the form
    assert response.status_code == 400
    assert "The file is larger than the limit of 2.0\xa0KB." in response.content.decode()
    assert not LeadImport.objects.exists()


def test_a_file_at_the_limit_is_accepted(sdr_client, campaign, settings):
    settings.IMPORT_MAX_BYTES = 2_000
    response = upload(sdr_client, campaign, 2_000)
    imp = LeadImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("lead_import_map", args=[imp.pk])


def make_import(campaign, status):
    return LeadImport.objects.create(
        campaign=campaign,
        uploaded_by=campaign.owner,
        file=ContentFile(b"email\n", name="a.csv"),
        original_name="a.csv",
        status=status,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("status", [S.UPLOADED, S.QUEUED])
def test_cancelling_an_import_that_has_not_started_ends_it(sdr_client, campaign, status):
    imp = make_import(campaign, status)
    response = sdr_client.post(reverse("lead_import_cancel", args=[imp.pk]), follow=True)
    assert response.redirect_chain == [(reverse("lead_import_detail", args=[imp.pk]), 302)]
    assert messages_of(response) == ["Cancelling the import; the campaign's leads stay as they were."]
    imp.refresh_from_db()
    assert (imp.status, imp.cancel_requested) == (S.CANCELLED, False) and imp.finished_at
    assert AuditEvent.objects.filter(action="leads.import_cancelled").count() == 1


def test_cancelling_a_running_import_asks_the_worker_to_stop(manager_client, campaign):
    imp = make_import(campaign, S.RUNNING)
    response = manager_client.post(reverse("lead_import_cancel", args=[imp.pk]), follow=True)
    assert messages_of(response) == ["Cancelling the import; the campaign's leads stay as they were."]
    imp.refresh_from_db()
    assert (imp.status, imp.cancel_requested) == (S.RUNNING, True)  # the task discards its rows itself
    assert "Cancelling…" in response.content.decode()


@pytest.mark.parametrize("status", [S.SUCCEEDED, S.FAILED, S.CANCELLED])
def test_cancelling_a_finished_import_changes_nothing_and_says_so(sdr_client, campaign, status):
    imp = make_import(campaign, status)
    response = sdr_client.post(reverse("lead_import_cancel", args=[imp.pk]), follow=True)
    assert messages_of(response) == ["The import had already finished."]
    imp.refresh_from_db()
    assert (imp.status, imp.cancel_requested) == (status, False)
    assert not AuditEvent.objects.filter(action="leads.import_cancelled").exists()


def test_another_sdr_cannot_cancel_and_a_get_cancels_nothing(client, sdr2, sdr_client, campaign):
    imp = make_import(campaign, S.RUNNING)
    assert sdr_client.get(reverse("lead_import_cancel", args=[imp.pk])).status_code == 405
    client.force_login(sdr2)
    assert client.post(reverse("lead_import_cancel", args=[imp.pk])).status_code == 403
    imp.refresh_from_db()
    assert (imp.status, imp.cancel_requested) == (S.RUNNING, False)
