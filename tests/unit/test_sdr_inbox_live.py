"""My inbox's thread list polls every second with the ETag of what it shows: a list that did not
change answers 304 (a refresh that brought nothing new included: its time travels in
X-Live-Updated and ticks in the browser), a change the list shows answers it drawn again."""

import re

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ApiCall, SdrInbox, SdrThread
from campaigns.services import sdr_inbox as inbox
from campaigns.services.sdr_inbox import sdr_inbox_refresh, thread_sent_apply
from tests.inbox_helpers import link
from tests.polling import Polled
from tests.unit.test_outage_banner_oob import away
from tests.unit.test_sdr_inbox import BASE, a_thread, aimed, fake_leadterra  # noqa: F401 (aimed: autouse fixture)

pytestmark = pytest.mark.django_db
THREADS = [a_thread(1, 90), a_thread(2, 70, "awaiting_reply", "B")]


def inbox_list(client, **query) -> Polled:
    return Polled(client, reverse("sdr_inbox"), {"part": "list", **query})


@pytest.fixture
def listed(client, sdr, sdr2, manager, monkeypatch):
    """sdr's inbox, refreshed from Leadterra (faked) a moment ago, and sdr logged in."""
    monkeypatch.setattr(inbox, "_queue", lambda user_id: None)  # no worker: the tests refresh by hand
    link(sdr, sdr2, actor=manager)
    refresh(sdr, THREADS)
    client.force_login(sdr)
    return client


@responses.activate
def refresh(user, threads):
    fake_leadterra(threads)
    assert "error" not in sdr_inbox_refresh(user_id=user.pk)


def test_a_refresh_that_brings_nothing_new_answers_304_with_the_new_time(listed, sdr):
    threads = inbox_list(listed)
    assert re.search(r"Refreshed \d+ s ago", threads.html) and 'data-label="Refreshed"' in threads.html
    refresh(sdr, THREADS)  # the same threads again: only the refresh time and seen_at move
    unchanged = threads.get(threads.etag)
    assert unchanged.status_code == 304
    assert unchanged["X-Live-Updated"] == SdrInbox.objects.get(user=sdr).refreshed_at.isoformat()


def test_the_list_carries_its_etag_for_the_next_poll(listed):
    threads = inbox_list(listed)
    assert threads.etag.strip('"') in threads.html
    page = listed.get(reverse("sdr_inbox")).content.decode()
    assert threads.etag.strip('"') in page  # the page's list polls with the partial's ETag from the start


def test_a_thread_whose_status_changes_is_drawn_again(listed, sdr):
    threads = inbox_list(listed)
    thread_sent_apply(user_id=sdr.pk, thread_id="thr_1")  # an answer went out: awaiting reply
    assert threads.changed()
    assert threads.html.count("badge--thread-awaiting_reply") == 2


def test_a_new_thread_and_a_thread_gone_are_drawn_again(listed, sdr):
    threads = inbox_list(listed)
    refresh(sdr, [*THREADS, a_thread(3, 80)])
    assert threads.changed()
    assert "Person 3" in threads.html
    refresh(sdr, THREADS[:1])
    assert threads.changed()
    assert "Person 2" not in threads.html and "Person 3" not in threads.html


@responses.activate
def test_a_failed_refresh_says_so(listed, sdr):
    threads = inbox_list(listed)
    responses.get(f"{BASE}/v1/sdr/inbox", status=401, json={"error": {"code": "authentication_failed"}})
    sdr_inbox_refresh(user_id=sdr.pk)
    assert threads.changed()
    assert "Last refresh failed" in threads.html


def test_a_filter_or_a_page_has_its_own_etag(listed, sdr):
    everything = inbox_list(listed)
    awaiting = inbox_list(listed, status="awaiting_reply")
    assert awaiting.etag != everything.etag and "Person 1" not in awaiting.html
    SdrThread.objects.bulk_create(  # 50 threads: one full page
        SdrThread(user=sdr, thread_id=f"thr_x{n}", seen_at=timezone.now(), priority_score=10) for n in range(48)
    )
    assert everything.changed() and "Page 1 of" not in everything.html
    SdrThread.objects.create(user=sdr, thread_id="thr_last", seen_at=timezone.now(), priority_score=1)
    assert everything.changed()  # the first page's rows are the same; the pager appears
    assert "Page 1 of 2" in everything.html
    second = inbox_list(listed, page="2")
    assert second.etag != everything.etag and "Page 2 of 2" in second.html


def test_a_manager_acting_for_an_sdr_sees_another_list(listed, client, sdr, sdr2, manager):
    own = inbox_list(listed)
    client.force_login(manager)
    theirs = inbox_list(client, sdr="sdr")
    assert theirs.etag != own.etag  # "you" becomes "sdr" in the list's words
    refresh(sdr, THREADS)
    assert not theirs.changed()
    SdrThread.objects.filter(user=sdr).delete()
    SdrInbox.objects.create(user=sdr2, refreshed_at=timezone.now())
    assert inbox_list(client, sdr="sdr").etag != inbox_list(client, sdr="sdr2").etag  # two empty inboxes, two owners


def test_the_outage_banner_reaches_a_list_that_did_not_change(listed):
    threads = inbox_list(listed)
    ApiCall.objects.all().delete()  # the fixture's refresh answered just now: no outage without this
    since = away()
    assert not threads.changed(**{"X-Outage-Shown": since})  # the page shows the banner already
    assert threads.changed(**{"X-Outage-Shown": ""})  # it does not: the list comes with the banner
    assert 'id="outage-banner"' in threads.html and "unreachable" in threads.html
