"""The suppression list page: managers paste addresses, each new one is pushed by an operation."""

import pytest
from django.urls import reverse

from campaigns.models import AuditEvent, Operation, SuppressedEmail
from campaigns.services.suppression import suppression_parse

pytestmark = pytest.mark.django_db


def test_pasted_text_is_split_normalised_and_deduplicated():
    valid, invalid = suppression_parse("Ada@Example.com, ada@example.com;bob@bücher.de\n\nnot-an-address  x@y")
    assert valid == ["ada@example.com", "bob@bücher.de"]
    assert [value for value, _ in invalid] == ["not-an-address", "x@y"]


def test_a_manager_adds_many_and_only_new_ones_are_pushed(manager_client, manager):
    SuppressedEmail.objects.create(email="old@example.com")
    response = manager_client.post(
        reverse("suppression"), {"emails": "new@example.com\nOLD@example.com\nbad", "note": "asked us"}, follow=True
    )
    body = response.content.decode()
    assert "1 address added" in body and "1 already on the list" in body and "1 not valid" in body
    added = SuppressedEmail.objects.get(email="new@example.com")
    assert (added.source, added.created_by, added.note, added.pushed_at) == ("manual", manager, "asked us", None)
    op = Operation.objects.get(kind="suppress")
    assert op.payload == {"emails": ["new@example.com"]}
    assert AuditEvent.objects.filter(action="suppression.added").count() == 1


def test_the_page_shows_source_and_push_state(manager_client):
    from django.utils import timezone

    SuppressedEmail.objects.create(email="b@example.com", source="bounce", pushed_at=timezone.now())
    SuppressedEmail.objects.create(email="p@example.com", source="reply")
    body = manager_client.get(reverse("suppression")).content.decode()
    assert "Bounce" in body and "Reply" in body and "pending" in body
    assert "Push 1 pending now" in body


def test_push_pending_queues_one_operation_for_every_unpushed_address(manager_client):
    SuppressedEmail.objects.create(email="p@example.com")
    manager_client.post(reverse("suppression_push"))
    assert Operation.objects.get(kind="suppress").payload == {}


def test_an_sdr_sees_the_list_but_cannot_change_it(sdr_client):
    assert "Managers add addresses here" in sdr_client.get(reverse("suppression")).content.decode()
    assert sdr_client.post(reverse("suppression"), {"emails": "a@example.com"}).status_code == 403
    assert sdr_client.post(reverse("suppression_push")).status_code == 403
    assert not SuppressedEmail.objects.exists()


def test_keyset_pages_run_newest_first(manager_client):
    SuppressedEmail.objects.bulk_create(SuppressedEmail(email=f"u{i}@example.com") for i in range(60))
    body = manager_client.get(reverse("suppression")).content.decode()
    assert "u59@example.com" in body and "u5@example.com" not in body and "Older" in body
