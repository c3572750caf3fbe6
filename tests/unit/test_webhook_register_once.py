"""A webhook URL is registered once: Leadterra has no list endpoint, so our own registrations
are the record, and a second one would deliver every event twice."""

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.models import Operation

pytestmark = pytest.mark.django_db
URL = "https://ops.example.com/webhooks/leadterra"
S = Operation.Status


def register(client, url=URL):
    return client.post(reverse("webhook_register"), {"url": url, "events": ["reply.received"]})


@pytest.fixture
def clients(manager, manager2):
    first, second = Client(), Client()
    first.force_login(manager)
    second.force_login(manager2)
    return first, second


@pytest.mark.parametrize("status", [S.QUEUED, S.RUNNING, S.RETRYING, S.SUCCEEDED])
def test_a_url_registered_or_being_registered_is_refused_with_a_reason(
    clients, django_capture_on_commit_callbacks, status
):
    first, second = clients
    with django_capture_on_commit_callbacks():
        assert register(first).status_code == 302
    op = Operation.objects.get(kind="register_webhook")
    Operation.objects.filter(pk=op.pk).update(status=status)
    refused = register(second)  # another manager, same URL
    assert refused.status_code == 400
    assert f"This URL is already registered (operation #{op.pk}" in refused.content.decode()
    assert "every event twice" in refused.content.decode()
    assert Operation.objects.filter(kind="register_webhook").count() == 1


@pytest.mark.parametrize("status", [S.FAILED, S.CANCELLED])
def test_a_url_whose_registration_failed_or_was_cancelled_may_be_registered_again(
    clients, django_capture_on_commit_callbacks, status
):
    first, second = clients
    with django_capture_on_commit_callbacks():
        register(first)
    Operation.objects.update(status=status)
    with django_capture_on_commit_callbacks():
        assert register(second).status_code == 302
    assert Operation.objects.filter(kind="register_webhook").count() == 2


def test_another_url_is_registered_alongside(clients, django_capture_on_commit_callbacks):
    first, _ = clients
    with django_capture_on_commit_callbacks():
        register(first)
        assert register(first, url="https://backup.example.com/webhooks/leadterra").status_code == 302
    urls = sorted(op.payload["url"] for op in Operation.objects.filter(kind="register_webhook"))
    assert urls == ["https://backup.example.com/webhooks/leadterra", URL]
