"""Replies: the poller pages and dedupes; the inbox filters and shows who is waiting."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.leadterra import RepliesPage, ReplyData, Transient
from campaigns.models import Campaign, Operation, Reply, SuppressedEmail, SyncState
from campaigns.services.replies import replies_poll, replies_poll_cycle
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def reply(n, classification="interested", campaign_id="camp_A", minutes_ago=0):
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC) - timedelta(minutes=minutes_ago)
    return ReplyData(f"rpl_{n:03d}", f"lead{n}@example.com", campaign_id, classification, at, f"snippet {n}")


class FakeReplies:
    """Serves `replies` newest first in pages, like GET /v1/replies with the paginated envelope."""

    def __init__(self, replies, fail_on_page=None):
        self.replies, self.fail_on_page, self.pages = replies, fail_on_page, []

    def list_replies(self, *, campaign_id=None, page=1, per_page=50):
        self.pages.append(page)
        if page == self.fail_on_page:
            raise Transient("timeout")
        chunk = self.replies[(page - 1) * per_page : page * per_page]
        return RepliesPage(replies=chunk, page=page, per_page=per_page, total=len(self.replies))


@pytest.fixture
def campaign(db):
    return CampaignFactory(status=Campaign.Status.RUNNING, remote_id="camp_A")


def test_it_pages_through_every_reply_and_links_them_to_campaigns(campaign):
    client = FakeReplies([reply(n, minutes_ago=n) for n in range(250)])
    assert replies_poll(client=client) == 250
    assert client.pages == [1, 2, 3]
    assert Reply.objects.filter(campaign=campaign).count() == 250


def test_it_stops_at_the_first_page_that_brings_nothing_new(campaign):
    client = FakeReplies([reply(n, minutes_ago=n) for n in range(250)])
    replies_poll(client=client)
    client.pages = []
    client.replies = [reply(999), *client.replies]  # one new reply arrived on top
    assert replies_poll(client=client) == 1
    assert client.pages == [1, 2]  # page 2 is all known: stop
    assert Reply.objects.count() == 251


def test_unsubscribes_and_bounces_are_suppressed_and_pushed(campaign, django_capture_on_commit_callbacks):
    client = FakeReplies([reply(1, "unsubscribe"), reply(2, "bounce"), reply(3, "interested")])
    with django_capture_on_commit_callbacks():
        replies_poll(client=client)
    sources = dict(SuppressedEmail.objects.values_list("email", "source"))
    assert sources == {"lead1@example.com": "reply", "lead2@example.com": "bounce"}
    assert Operation.objects.get(kind="suppress").payload == {}, "both wait for the same push"
    assert SuppressedEmail.objects.filter(pushed_at__isnull=True).count() == 2


def test_a_failed_poll_is_recorded_for_the_health_page(campaign):
    replies_poll_cycle(client=FakeReplies([reply(n) for n in range(150)], fail_on_page=2))
    state = SyncState.objects.get(name="replies")
    assert state.last_failure_at is not None and "timeout" in state.last_error
    assert Reply.objects.count() == 100  # the first page is kept


def make_reply(campaign, n, classification="interested", hours_ago=0, handled=False):
    now = timezone.now()
    return Reply.objects.create(
        remote_id=f"rpl_{n}",
        campaign=campaign,
        remote_campaign_id=campaign.remote_id,
        email=f"lead{n}@example.com",
        classification=classification,
        received_at=now - timedelta(hours=hours_ago),
        snippet=f"snippet {n}",
        handled_at=now if handled else None,
    )


def test_the_inbox_filters_by_classification_and_campaign(sdr_client, campaign):
    other = CampaignFactory(status=Campaign.Status.RUNNING, remote_id="camp_B", name="Other one")
    make_reply(campaign, 1, "interested")
    make_reply(campaign, 2, "not_interested")
    make_reply(other, 3, "interested")
    html = sdr_client.get(reverse("replies"), {"classification": "interested"}).content.decode()
    assert "lead1@example.com" in html and "lead3@example.com" in html and "lead2@example.com" not in html
    html = sdr_client.get(reverse("replies"), {"campaign": other.pk}).content.decode()
    assert "lead3@example.com" in html and "lead1@example.com" not in html


def test_the_inbox_shows_how_long_interested_replies_have_waited(sdr_client, campaign):
    make_reply(campaign, 1, "interested", hours_ago=5)
    make_reply(campaign, 2, "interested", hours_ago=2)
    html = sdr_client.get(reverse("replies")).content.decode()
    assert html.count("desk-wait--over") == 2 and "Overdue" in html  # the desk's SLA words, not colour alone
    assert "5 h 00 min" in html and "2 h 00 min" in html
    assert "2 interested replies are waiting" in html


@pytest.mark.parametrize(("minutes", "shown", "word"), [(3, "3 min", "On time"), (9, "9 min", "Due soon")])
def test_the_inbox_wait_is_true_minutes_not_zero(sdr_client, campaign, settings, minutes, shown, word):
    settings.REPLY_SLA_MINUTES = 12
    make_reply(campaign, 1, "interested", hours_ago=minutes / 60)
    html = sdr_client.get(reverse("replies")).content.decode()
    assert shown in html and word in html and "0 minutes" not in html


@pytest.mark.parametrize("kind", ["bounce", "unsubscribe"])
def test_bounces_and_unsubscribes_offer_no_mark_handled_and_refuse_it(sdr_client, campaign, kind):
    r = make_reply(campaign, 1, kind, hours_ago=1)
    assert "Mark handled" not in sdr_client.get(reverse("replies")).content.decode()
    response = sdr_client.post(reverse("reply_handled", args=[r.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 409 and "suppression list" in response.content.decode()
    r.refresh_from_db()
    assert r.handled_at is None


def test_marking_a_reply_handled_stops_the_clock(sdr_client, campaign):
    r = make_reply(campaign, 1, "interested", hours_ago=5)
    assert r.handled_at is None
    before = timezone.now()
    response = sdr_client.post(reverse("reply_handled", args=[r.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "handled" in response.content.decode()
    r.refresh_from_db()
    assert before <= r.handled_at <= timezone.now()
