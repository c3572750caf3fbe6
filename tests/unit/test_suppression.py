"""The suppression list: managers paste addresses; adds are coalesced into one pending push."""

import json

import pytest
import responses
from django.urls import reverse

from campaigns.models import AuditEvent, Operation, SuppressedEmail
from campaigns.services import operations as engine
from campaigns.services.operations import operation_run
from campaigns.services.suppression import suppression_add, suppression_parse

BASE = "https://lt.example.test"
URL = f"{BASE}/v1/suppression-list"
pytestmark = pytest.mark.django_db


@pytest.fixture
def engine_quiet(settings, monkeypatch):
    settings.LEADTERRA_API_BASE = BASE
    settings.LEADTERRA_MAX_RPS = 0
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)


def run(op):
    Operation.objects.filter(pk=op.pk).update(next_attempt_at=None)  # any retry countdown has passed
    operation_run(operation_id=op.pk)
    op.refresh_from_db()
    return op


def many_adds(manager, total=2500, adds=300):
    """`total` addresses in `adds` separate adds of mixed sources: bounces, replies, a manager."""
    emails = [f"s{i:05}@x.io" for i in range(total)]
    size, extra = divmod(total, adds)
    start = 0
    for n in range(adds):
        end = start + size + (1 if n < extra else 0)
        actor, source = [(None, "bounce"), (None, "reply"), (manager, "manual")][n % 3]
        suppression_add(emails=emails[start:end], actor=actor, source=source)
        start = end
    return emails


def pushed(calls):
    return [json.loads(c.request.body)["emails"] for c in calls if c.response is not None and c.response.ok]


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
    assert op.payload == {}, "the push reads every unpushed address when it runs"
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


def test_push_pending_reuses_the_push_already_waiting(manager_client, manager):
    suppression_add(emails=["a@example.com"], actor=manager)
    manager_client.post(reverse("suppression_push"))
    assert Operation.objects.filter(kind="suppress").count() == 1


@responses.activate
def test_2500_addresses_in_300_adds_take_one_operation_and_three_calls(engine_quiet, manager):
    responses.post(URL, json={"suppressed": 1000})
    emails = many_adds(manager)
    assert SuppressedEmail.objects.filter(pushed_at__isnull=True).count() == 2500
    assert Operation.objects.filter(kind="suppress").count() == 1
    op = run(Operation.objects.get(kind="suppress"))
    assert op.status == Operation.Status.SUCCEEDED and op.result["done"] == 2500
    chunks = pushed(responses.calls)
    assert [len(c) for c in chunks] == [1000, 1000, 500]
    assert sorted(sum(chunks, [])) == emails
    assert not SuppressedEmail.objects.filter(pushed_at__isnull=True).exists()


@responses.activate
def test_a_failure_mid_way_resends_only_what_was_not_accepted(engine_quiet, manager):
    responses.post(URL, json={"suppressed": 1000})
    responses.post(URL, status=503, json={"error": {"code": "unavailable", "message": "busy"}})
    responses.post(URL, json={"suppressed": 1000})
    emails = many_adds(manager)
    op = run(Operation.objects.get(kind="suppress"))
    assert op.status == Operation.Status.RETRYING
    assert SuppressedEmail.objects.filter(pushed_at__isnull=False).count() == 1000
    # more adds while it waits to retry join the same push
    suppression_add(emails=["late1@x.io", "late2@x.io"], actor=None, source="bounce")
    assert Operation.objects.filter(kind="suppress").count() == 1
    op = run(op)
    assert op.status == Operation.Status.SUCCEEDED
    accepted = sum(pushed(responses.calls), [])
    assert len(accepted) == len(set(accepted)) == 2502, "no address was accepted twice"
    assert set(accepted) == {*emails, "late1@x.io", "late2@x.io"}
    sizes = [len(json.loads(c.request.body)["emails"]) for c in responses.calls]
    assert sizes == [1000, 1000, 1000, 502], "accepted, refused, resent, the rest with the 2 late ones"
    assert not SuppressedEmail.objects.filter(pushed_at__isnull=True).exists()


@responses.activate
def test_an_add_while_the_push_runs_gets_a_new_push(engine_quiet, manager):
    """The running push may already have read its last chunk, so it cannot be counted on."""
    suppression_add(emails=["a@x.io"], actor=manager)
    first = Operation.objects.get(kind="suppress")
    Operation.objects.filter(pk=first.pk).update(status=Operation.Status.RUNNING)
    suppression_add(emails=["b@x.io"], actor=None, source="bounce")
    suppression_add(emails=["c@x.io"], actor=None, source="reply")
    waiting = Operation.objects.filter(kind="suppress", status=Operation.Status.QUEUED)
    assert waiting.count() == 1 and waiting.get().pk != first.pk
    responses.post(URL, json={"suppressed": 3})
    run(waiting.get())
    assert pushed(responses.calls) == [["a@x.io", "b@x.io", "c@x.io"]]


def test_an_older_push_of_a_fixed_list_is_not_reused(manager):
    Operation.objects.create(kind="suppress", payload={"emails": ["old@x.io"]})
    result = suppression_add(emails=["new@x.io"], actor=manager)
    assert result.operation.payload == {} and Operation.objects.filter(kind="suppress").count() == 2
