"""The desk's pages: what a card shows, the live queue's 304, garbage on every form, the speed page."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditEvent, Operation, Reply, ReplyHandoff
from campaigns.services import operations as engine
from tests.desk_helpers import a_reply, link_sdrs
from tests.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet(settings, monkeypatch):
    settings.SDR_KEY_ENCRYPTION_KEY = "test-secret"
    settings.REPLY_SLA_MINUTES = 20
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_card_shows_the_lead_campaign_snippet_and_a_ticking_wait(sdr_client):
    campaign = CampaignFactory(name="Q3 fintech", remote_id="camp_1")
    LeadFactory(campaign=campaign, email="p1@prospect.test", first_name="Jane", last_name="Doe", job_title="CFO")
    a_reply(1, campaign=campaign, minutes_ago=12)
    a_reply(2, classification="unsubscribe", minutes_ago=50)
    html = sdr_client.get(reverse("desk")).content.decode()
    assert "Jane Doe" in html and "CFO" in html and "Q3 fintech" in html and "Sounds good, call me (1)" in html
    assert "12 min" in html and "Due soon" in html and 'data-desk-target="1200"' in html
    assert "p2@prospect.test" not in html  # unsubscribes never reach the desk
    assert "within 20 minutes" in html


def test_an_empty_desk_says_what_happens_next(sdr_client):
    assert "Nobody is waiting" in sdr_client.get(reverse("desk")).content.decode()


def test_the_queue_answers_304_until_something_changes(sdr_client, sdr):
    first = sdr_client.get(reverse("desk_queue"))
    etag = first["ETag"]
    assert first.status_code == 200 and "no-cache" in first["Cache-Control"]
    assert sdr_client.get(reverse("desk_queue"), HTTP_IF_NONE_MATCH=etag).status_code == 304
    a_reply(1)
    fresh = sdr_client.get(reverse("desk_queue"), HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and "p1@prospect.test" in fresh.content.decode()
    assert f'If-None-Match": "\\"{fresh["ETag"].strip(chr(34))}' in fresh.content.decode()


def test_a_refused_hand_off_shows_leadterras_words_on_the_card(sdr_client, sdr, sdr2, manager):
    link_sdrs(manager, sdr, sdr2)
    reply = a_reply(1)
    Operation.objects.create(
        kind=Operation.Kind.ASSIGN_REPLY,
        payload={"reply": reply.pk, "sdr_user": sdr2.pk},
        status=Operation.Status.FAILED,
        last_error="Already forwarded to Ana Lopez (ana@x.test).",
    )
    html = sdr_client.get(reverse("desk")).content.decode()
    assert "Leadterra refused the hand-off: Already forwarded to Ana Lopez (ana@x.test)." in html


def test_yours_lists_handed_threads_with_a_link_or_the_thread_id(sdr_client, sdr):
    reply = a_reply(1)
    ReplyHandoff.objects.create(reply=reply, sdr_user=sdr, sdr_id="sdr_1", thread_id="thr_42")
    html = sdr_client.get(reverse("desk")).content.decode()
    assert "thr_42" in html


GARBAGE = [
    ("desk_claim", {"version": "abc"}, "Version"),
    ("desk_claim", {}, "Reload the desk"),
    ("desk_claim", {"version": "-1"}, "Version"),
    ("desk_forward", {"version": "0", "sdr": "nobody"}, "Pick an SDR from the list"),
    ("desk_forward", {"version": "0"}, "Pick an SDR to hand it to"),
    ("desk_forward", {"version": "0", "sdr": "SDR2", "employee_count": "lots"}, "Employees (ICP): Employees must be"),
    ("desk_forward", {"version": "0", "sdr": "SDR2", "employee_count": "0"}, "at least 1"),
    ("desk_forward", {"version": "0", "sdr": "SDR2", "category": "Z"}, "Category"),
    ("desk_forward", {"version": "0", "sdr": "SDR2", "note": "x" * 501}, "Note"),
    ("desk_snooze", {"version": "0", "for": "forever"}, "Snooze for"),
    ("desk_snooze", {"version": "0"}, "Snooze for"),
    ("desk_lost", {"version": "0", "reason": "bored"}, "Pick a reason from the list"),
    ("desk_lost", {"version": "0", "reason": "other"}, "few words"),
    ("desk_lost", {"version": "0", "reason": "timing", "note": "\x00" * 3}, "Note"),
]


@pytest.mark.parametrize(("name", "data", "words"), GARBAGE)
def test_garbage_on_every_form_is_refused_in_words(sdr_client, sdr, sdr2, manager, name, data, words):
    link_sdrs(manager, sdr, sdr2)
    reply = a_reply(1)
    data = {k: (sdr2.pk if v == "SDR2" else v) for k, v in data.items()}
    response = sdr_client.post(reverse(name, args=[reply.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("desk")
    assert any(words in m for m in said(response)), said(response)
    assert Reply.objects.get(pk=reply.pk).desk_version == 0
    assert not AuditEvent.objects.filter(action__startswith="reply.").exists()


def test_an_unknown_reply_is_a_404(sdr_client):
    assert sdr_client.post(reverse("desk_claim", args=[999]), {"version": 0}).status_code == 404


def test_handing_to_an_unlinked_user_is_not_offered(sdr_client, sdr, sdr2, manager):
    link_sdrs(manager, sdr)  # sdr2 has no key
    reply = a_reply(1)
    response = sdr_client.post(reverse("desk_forward", args=[reply.pk]), {"version": 0, "sdr": sdr2.pk})
    assert any("Pick an SDR from the list" in m for m in said(response))


def test_the_speed_page_counts_waiting_and_answers_by_sdr_and_campaign(manager_client, sdr):
    campaign = CampaignFactory(name="Q3 fintech")
    a_reply(1, campaign=campaign, minutes_ago=30)
    answered = a_reply(2, campaign=campaign, minutes_ago=10)
    Reply.objects.filter(pk=answered.pk).update(claimed_by=sdr, first_answer_at=timezone.now())
    html = manager_client.get(reverse("desk_speed")).content.decode()
    assert "Q3 fintech" in html and "Nobody yet (on the desk)" in html and ">sdr<" in html
    assert "30 min" in html and "Overdue" in html  # the oldest wait, against 20 minutes
    assert "10 min" in html  # sdr's median to first answer


def test_a_claimed_reply_not_in_leadterra_yet_offers_to_open_it_there_for_yourself(client, sdr, manager):
    link_sdrs(manager, sdr)
    reply = a_reply(1)
    Reply.objects.filter(pk=reply.pk).update(claimed_by=sdr, claimed_at=timezone.now(), first_answer_at=timezone.now())
    client.force_login(sdr)
    html = client.get(reverse("desk")).content.decode()
    assert "Open it in Leadterra" in html and f'<option value="{sdr.pk}" selected>' in html
    assert "Move it even if Leadterra forwarded it already" not in html  # managers only
    response = client.post(
        reverse("desk_forward", args=[reply.pk]),
        {"version": 0, "sdr": sdr.pk, "seniority": "vp", "employee_count": "40"},
    )
    assert response.status_code == 302
    assert Operation.objects.get(kind=Operation.Kind.ASSIGN_REPLY).payload["sdr_user"] == sdr.pk
