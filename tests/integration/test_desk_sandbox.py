"""The desk against the sandbox over HTTP, with a real worker and Redis: a hand-off asked for on
the desk that Leadterra answers 409 (someone forwarded it already) or 400 (the ICP gate) shows
Leadterra's answer in words on the card, naming who already has it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import LeadterraSdr, Operation, Reply
from campaigns.services.sdr_keys import sdr_link_save, sdrs_refresh_enqueue
from tests.conftest import wait_until
from tests.sdr_helpers import SDR2_KEY, SDR_KEY, integration_knobs, make_desk

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]


@pytest.fixture(autouse=True)
def knobs(settings):
    integration_knobs(settings)


def settled(kind_filter):
    def done():
        op = Operation.objects.filter(**kind_filter).order_by("-pk").first()
        return op is not None and not op.is_active

    wait_until(done, timeout=60, message="the hand-off to end")
    return Operation.objects.filter(**kind_filter).order_by("-pk").first()


def on_desk(email: str, remote_id: str) -> Reply:
    return Reply.objects.create(
        remote_id=remote_id, email=email, classification="interested", received_at=timezone.now()
    )


def test_a_forward_answered_409_shows_on_the_desk_who_already_has_it(
    sandbox, celery_worker, client, sdr, sdr2, manager
):
    desk = make_desk(sandbox)
    refresh = sdrs_refresh_enqueue(actor=manager)  # once: the wait polls this one operation
    wait_until(lambda: not Operation.objects.get(pk=refresh.pk).is_active, timeout=60, message="the SDR list")
    ids = {s["apiKey"]: s["id"] for s in sandbox.sdrs()}
    sdr_link_save(user=sdr, sdr_id=ids[SDR_KEY], key=SDR_KEY, actor=manager)
    sdr_link_save(user=sdr2, sdr_id=ids[SDR2_KEY], key=SDR2_KEY, actor=manager)
    holder = LeadterraSdr.objects.get(sdr_id=ids[SDR2_KEY])
    # Someone forwarded Jane's reply to sdr2's SDR in Leadterra itself: the dashboard does not know.
    desk.thread("jane@acme.com", SDR2_KEY)
    jane = on_desk("jane@acme.com", desk.replies["jane@acme.com"])

    client.force_login(sdr)
    form = {"version": 0, "sdr": sdr.pk, "seniority": "vp", "employee_count": "250", "category": "A"}
    assert client.post(reverse("desk_forward", args=[jane.pk]), form).status_code == 302
    op = settled({"kind": Operation.Kind.ASSIGN_REPLY, "payload__reply": jane.pk})
    assert op.status == Operation.Status.FAILED
    html = client.get(reverse("desk")).content.decode()
    words = f"Leadterra refused the hand-off: Already forwarded to {holder.name} ({holder.email})."
    assert words in html
    assert Reply.objects.get(pk=jane.pk).claimed_by is None  # still on the queue, for a manager to settle

    # The ICP gate's 400 is shown in words too (no seniority or size given).
    omar = on_desk("omar@globex.io", desk.replies["omar@globex.io"])
    client.post(reverse("desk_forward", args=[omar.pk]), {"version": 0, "sdr": sdr.pk})
    op = settled({"kind": Operation.Kind.ASSIGN_REPLY, "payload__reply": omar.pk})
    assert op.status == Operation.Status.FAILED and "ICP check refused the hand-off" in op.last_error
    assert "ICP check refused the hand-off" in client.get(reverse("desk")).content.decode()
