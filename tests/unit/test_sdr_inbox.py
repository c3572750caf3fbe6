"""My inbox: the refresh a worker makes with the SDR's own key (HTTP faked with `responses`), the
page rendered from what it stored, its filters (garbage included), and who may look."""

import json

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from campaigns.models import SdrFollowUp, SdrInbox, SdrThread
from campaigns.services import sdr_inbox as inbox
from campaigns.services.sdr_inbox import sdr_inbox_refresh, sdr_inbox_request_refresh
from tests.inbox_helpers import KEYS, followup, link, thread

BASE = "https://lt.example.test"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def aimed(settings):
    settings.LEADTERRA_API_BASE = BASE
    settings.LEADTERRA_API_KEY = "sk_live_workspace"
    settings.LEADTERRA_MAX_RPS = 0
    settings.SDR_KEY_ENCRYPTION_KEY = "test-secret"


@pytest.fixture
def linked(sdr, sdr2, manager):
    link(sdr, sdr2, actor=manager)


def a_thread(n, score, status="new", category="A"):
    return {
        "id": f"thr_{n}",
        "contactEmail": f"p{n}@prospect.test",
        "contactName": f"Person {n}",
        "subject": f"Re: subject {n}",
        "status": status,
        "category": category,
        "priorityScore": score,
        "lastMessageAt": "2026-06-10T14:22:07.123Z",
    }


def fake_leadterra(threads, *, health="active", due=(), upcoming=()):
    responses.get(f"{BASE}/v1/sdr/inbox", json={"data": {"threads": threads, "total": len(threads), "hasMore": False}})
    responses.get(
        f"{BASE}/v1/sdr/gmail/status",
        json={"data": {"connected": health != "disconnected", "email": "me@gmail.test", "healthState": health}},
    )
    items = lambda ids: [  # noqa: E731
        {"id": i, "threadId": "thr_1", "sdrId": "s", "status": "pending", "dueAt": "2026-06-11T09:00:00.000Z"}
        for i in ids
    ]
    responses.get(
        f"{BASE}/v1/sdr/followups/due",
        match=[responses.matchers.query_param_matcher({"limit": "200"})],
        json={"data": items(due)},
    )
    responses.get(
        f"{BASE}/v1/sdr/followups/due",
        match=[responses.matchers.query_param_matcher({"limit": "200", "includeUpcoming": "true"})],
        json={"data": items([*due, *upcoming])},
    )


@responses.activate
def test_a_refresh_stores_the_sdrs_threads_followups_and_gmail_with_their_own_key(sdr, sdr2, linked):
    thread(sdr2, "thr_other", handed=False)
    SdrThread.objects.create(user=sdr, thread_id="thr_gone", seen_at=timezone.now())
    fake_leadterra(
        [a_thread(1, 90), a_thread(2, 70, "awaiting_reply", "B")],
        health="needs_reauth",
        due=["fu_1"],
        upcoming=["fu_2"],
    )

    assert sdr_inbox_refresh(user_id=sdr.pk) == {"threads": 2, "followups": 2, "due": 1}

    assert {c.request.headers["Authorization"] for c in responses.calls} == {f"Bearer {KEYS['sdr']}"}
    assert set(SdrThread.objects.filter(user=sdr, listed=True).values_list("thread_id", flat=True)) == {
        "thr_1",
        "thr_2",
    }
    assert SdrThread.objects.get(thread_id="thr_gone").listed is False
    assert SdrThread.objects.get(thread_id="thr_other").listed is True  # another SDR's inbox is untouched
    assert dict(SdrFollowUp.objects.values_list("followup_id", "is_due")) == {"fu_1": True, "fu_2": False}
    state = SdrInbox.objects.get(user=sdr)
    assert (state.gmail_health, state.gmail_needs_reauth, state.total, state.last_error) == (
        "needs_reauth",
        True,
        2,
        "",
    )


@responses.activate
def test_a_refused_key_is_recorded_in_words_and_the_old_threads_stay(sdr, linked):
    thread(sdr, "thr_1", handed=False)
    responses.get(
        f"{BASE}/v1/sdr/inbox", status=401, json={"error": {"code": "authentication_failed", "message": "no"}}
    )
    result = sdr_inbox_refresh(user_id=sdr.pk)
    assert "refused this SDR's personal key" in result["error"] and KEYS["sdr"] not in result["error"]
    assert SdrInbox.objects.get(user=sdr).last_error == result["error"]
    assert SdrThread.objects.get(thread_id="thr_1").listed


def test_a_user_without_a_key_gets_a_sentence_not_a_call(sdr):
    assert "not linked to a Leadterra SDR" in sdr_inbox_refresh(user_id=sdr.pk)["error"]


def test_a_refresh_is_queued_only_when_stale_and_not_twice_in_a_row(
    sdr, linked, settings, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(inbox.dispatch, "send", lambda name, *args, **kw: sent.append((name, args)))
    settings.INBOX_STALE_SECONDS = 45
    with django_capture_on_commit_callbacks(execute=True):
        assert sdr_inbox_request_refresh(user=sdr) is True
        assert sdr_inbox_request_refresh(user=sdr, force=True) is False  # one moments ago is in flight
    assert sent == [("campaigns.tasks.refresh_sdr_inbox", (sdr.pk,))]
    SdrInbox.objects.filter(user=sdr).update(
        requested_at=None, refreshed_at=timezone.now() - timezone.timedelta(seconds=30)
    )
    assert sdr_inbox_request_refresh(user=sdr) is False  # 30 s old is fresh under a 45 s setting
    assert sdr_inbox_request_refresh(user=sdr, force=True) is True


def test_the_inbox_lists_own_threads_by_priority_with_the_refresh_age(client, sdr, sdr2, linked, monkeypatch):
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)
    thread(sdr, "thr_low", priority_score=50, contact_name="Low Priority")
    thread(sdr, "thr_high", priority_score=95, contact_name="High Priority")
    thread(sdr2, "thr_theirs", priority_score=99, contact_name="Not Mine")
    SdrInbox.objects.create(user=sdr, refreshed_at=timezone.now() - timezone.timedelta(seconds=12))
    client.force_login(sdr)
    body = client.get(reverse("sdr_inbox")).content.decode()
    assert body.index("High Priority") < body.index("Low Priority") and "Not Mine" not in body
    assert "Refreshed 12 s ago" in body or "Refreshed 13 s ago" in body


@pytest.mark.parametrize(
    ("query", "shown", "problem"),
    [
        ({"status": "awaiting_reply"}, {"Bea"}, None),
        ({"category": "b"}, {"Bea"}, None),
        ({"q": "ANN"}, {"Ann"}, None),
        ({"status": "deleted<script>"}, {"Ann", "Bea"}, "There is no thread status"),
        ({"category": "Z"}, {"Ann", "Bea"}, "Category must be A, B or C"),
        ({"q": "x" * 5000}, set(), "cut to its first 200"),
        ({"page": "nine"}, {"Ann", "Bea"}, None),
    ],
)
def test_filters_narrow_the_list_and_garbage_says_what_is_wrong(
    client, sdr, linked, monkeypatch, query, shown, problem
):
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)
    thread(sdr, "thr_a", contact_name="Ann", category="A")
    thread(sdr, "thr_b", contact_name="Bea", category="B", status="awaiting_reply")
    client.force_login(sdr)
    response = client.get(reverse("sdr_inbox"), query)
    body = response.content.decode()
    assert response.status_code == 200
    assert {name for name in ("Ann", "Bea") if f">{name}</a>" in body} == shown
    assert (problem in body) if problem else ('class="alert alert--warn"' not in body or "not linked" in body)
    assert "<script>" not in body.split("<main")[1].split("</main>")[0].replace("<script src", "")


def test_the_list_fragment_re_renders_itself(client, sdr, linked, monkeypatch, settings):
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)
    thread(sdr, "thr_a", contact_name="Ann")
    client.force_login(sdr)
    response = client.get(reverse("sdr_inbox"), {"part": "list"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.startswith('\n<div id="inbox-list"') or body.lstrip().startswith('<div id="inbox-list"')
    assert f'hx-trigger="every {settings.LIVE_REFRESH_SECONDS}s"' in body and "<html" not in body
    page = client.get(reverse("sdr_inbox"), {"status": "new"}).content.decode()
    assert 'hx-get="/sdr/inbox/?status=new&amp;part=list"' in page  # the fragment, not the page inside itself


def test_the_gmail_banner_shows_when_gmail_needs_reauthorisation(client, sdr, linked, monkeypatch):
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)
    state = SdrInbox.objects.create(
        user=sdr, refreshed_at=timezone.now(), gmail_health="active", gmail_email="me@g.test"
    )
    client.force_login(sdr)
    assert "needs to be reconnected" not in client.get(reverse("sdr_inbox")).content.decode()
    state.gmail_health, state.gmail_error = "needs_reauth", "Token expired"
    state.save()
    body = client.get(reverse("sdr_inbox")).content.decode()
    assert "Your Gmail (me@g.test) needs to be reconnected" in body and "Token expired" in body
    thread(sdr, "thr_1")
    assert (
        "Your Gmail (me@g.test) needs to be reconnected"
        in client.get(reverse("sdr_thread", args=["thr_1"])).content.decode()
    )


def test_due_and_upcoming_followups_are_listed_apart(client, sdr, linked, monkeypatch):
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)
    followup(sdr, "fu_due", due=True)
    followup(sdr, "fu_later", due=False)
    client.force_login(sdr)
    body = client.get(reverse("sdr_inbox")).content.decode()
    due_part, later_part = body.split("Coming up (1)")
    assert 'id="followup-fu_due"' in due_part and 'id="followup-fu_later"' in later_part


def test_a_manager_opens_an_sdrs_inbox_and_an_sdr_cannot(client, sdr, sdr2, manager, linked, monkeypatch):
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)
    thread(sdr2, "thr_b", contact_name="Bea")
    client.force_login(manager)
    body = client.get(reverse("sdr_inbox"), {"sdr": "sdr2"}).content.decode()
    assert ">Bea</a>" in body and "You act for sdr2" in body
    assert client.get(reverse("sdr_inbox"), {"sdr": "nobody"}).status_code == 404
    client.force_login(sdr)
    assert client.get(reverse("sdr_inbox"), {"sdr": "sdr2"}).status_code == 403


def test_refresh_now_forces_a_refresh_and_says_so(client, sdr, linked, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(inbox, "_queue", queued.append)
    SdrInbox.objects.create(user=sdr, refreshed_at=timezone.now())
    client.force_login(sdr)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sdr_inbox_refresh"), headers={"HX-Request": "true"})
    assert response.status_code == 200 and queued == [sdr.pk]
    assert json.loads(response["HX-Trigger"])["toast"]["message"].startswith("Refreshing from Leadterra")
