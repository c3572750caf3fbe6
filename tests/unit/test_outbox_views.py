"""The status fragment, the Operations page and the manager's retry and cancel."""

import json

import pytest
from django.urls import reverse

from campaigns.models import Operation
from campaigns.services import operations as engine
from tests.factories import CampaignFactory

S = Operation.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)


def status(client, op, **headers):
    return client.get(reverse("operation_status", args=[op.pk]), headers=headers)


def test_the_fragment_keeps_polling_while_the_operation_is_active(sdr_client):
    op = Operation.objects.create(
        kind="launch", status=S.RUNNING, progress={"stage": "enroll", "enroll": {"sent": 1000, "chunks": 2}}
    )
    response = status(sdr_client, op, HX_Request="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and reverse("operation_status", args=[op.pk]) in html
    assert "Launch: Running" in html and "1,000 leads sent in 2 chunks" in html


def test_the_fragment_answers_286_to_stop_polling_once_the_operation_ended(sdr_client):
    op = Operation.objects.create(kind="start", status=S.SUCCEEDED)
    response = status(sdr_client, op, HX_Request="true")
    assert response.status_code == 286
    assert "hx-trigger" not in response.content.decode()
    assert "Start: Succeeded" in response.content.decode()


def test_a_failed_operation_shows_its_error_and_offers_retry_to_managers_only(sdr_client, manager, client):
    op = Operation.objects.create(kind="pause", status=S.FAILED, last_error="Leadterra refused the API key.")
    assert "Retry" not in status(sdr_client, op).content.decode()
    client.force_login(manager)
    html = status(client, op).content.decode()
    assert "Leadterra refused the API key." in html
    assert reverse("operation_retry", args=[op.pk]) in html


def test_an_sdr_cannot_retry_or_cancel_even_by_posting(sdr_client):
    op = Operation.objects.create(kind="pause", status=S.FAILED)
    assert sdr_client.post(reverse("operation_retry", args=[op.pk])).status_code == 403
    assert sdr_client.post(reverse("operation_cancel", args=[op.pk])).status_code == 403
    op.refresh_from_db()
    assert op.status == S.FAILED


def test_a_manager_retries_from_the_fragment_and_gets_a_toast(manager_client):
    op = Operation.objects.create(kind="pause", status=S.FAILED, last_error="boom")
    response = manager_client.post(reverse("operation_retry", args=[op.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["toast"]["level"] == "success"
    assert 'hx-trigger="every 1s"' in response.content.decode(), "it polls again"
    op.refresh_from_db()
    assert op.status == S.QUEUED


def test_a_manager_cancels_from_the_operations_page(manager_client):
    op = Operation.objects.create(kind="suppress", status=S.RETRYING)
    response = manager_client.post(reverse("operation_cancel", args=[op.pk]), {"next": "/operations/?status=retrying"})
    assert response.status_code == 302 and response["Location"] == "/operations/?status=retrying"
    op.refresh_from_db()
    assert op.status == S.CANCELLED


def test_retrying_an_operation_that_is_not_failed_says_why(manager_client):
    op = Operation.objects.create(kind="pause", status=S.SUCCEEDED)
    response = manager_client.post(reverse("operation_retry", args=[op.pk]), headers={"HX-Request": "true"})
    assert json.loads(response["HX-Trigger"])["toast"] == {
        "level": "error",
        "message": "Only a failed operation can be retried.",
    }


def test_the_operations_page_lists_and_filters(sdr_client, django_assert_max_num_queries):
    campaign = CampaignFactory(name="Spring push")
    Operation.objects.create(
        kind="launch",
        campaign=campaign,
        status=S.FAILED,
        attempts=3,
        retries=2,
        last_error="Leadterra had a server error (503)",
    )
    Operation.objects.create(kind="suppress", status=S.SUCCEEDED, payload={"emails": ["a@x.io", "b@x.io"]})
    for _ in range(20):
        Operation.objects.create(kind="start", campaign=campaign)
    with django_assert_max_num_queries(12):
        html = sdr_client.get(reverse("operations"), {"view": "all"}).content.decode()
    assert "Spring push" in html and "server error (503)" in html and "2 emails" in html
    filtered = sdr_client.get(
        reverse("operations"), {"view": "all", "kind": "launch", "status": "failed", "campaign": campaign.pk}
    ).content.decode()
    assert "server error (503)" in filtered and "2 emails" not in filtered
    assert "No operations match" in sdr_client.get(reverse("operations"), {"kind": "pause"}).content.decode()


def test_the_operations_table_refreshes_itself_while_something_is_active(sdr_client):
    Operation.objects.create(kind="start", status=S.RUNNING)
    response = sdr_client.get(reverse("operations"), {"view": "all"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="operations-table"') and 'hx-trigger="every 5s"' in html


def test_pages_never_show_the_api_key(manager_client, settings):
    settings.LEADTERRA_API_KEY = "sk_live_do_not_show"
    Operation.objects.create(kind="launch", status=S.FAILED, last_error="Leadterra refused the API key.")
    assert "sk_live_do_not_show" not in manager_client.get(reverse("operations")).content.decode()
