"""The wall: tokens managed by managers, a public read-only screen with no personal data."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Reply, StatsSnapshot, SyncState, WallToken
from campaigns.services.wall_screen import wall_board, wall_version
from tests.factories import CampaignFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def running(name="Q4 outbound", **counters):
    now = timezone.now()
    defaults = {"status": Campaign.Status.RUNNING, "remote_id": f"camp_{name}", "stats_polled_at": now}
    return CampaignFactory(name=name, **(defaults | counters))


def test_a_manager_creates_a_wall_token_and_sees_its_link(manager_client):
    response = manager_client.post(reverse("wall_tokens"), {"label": "Sales floor TV"}, follow=True)
    token = WallToken.objects.get()
    assert token.label == "Sales floor TV"
    assert reverse("wall", args=[token.token]) in response.content.decode()


def test_an_sdr_cannot_create_or_revoke_tokens(sdr_client, manager):
    assert sdr_client.post(reverse("wall_tokens"), {"label": "Mine"}).status_code == 403
    token = WallToken.objects.create(label="TV", created_by=manager)
    assert sdr_client.post(reverse("wall_token_revoke", args=[token.pk])).status_code == 403
    page = sdr_client.get(reverse("wall_tokens")).content.decode()
    assert token.token not in page  # the secret link is for managers only


def test_the_wall_needs_no_login(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    running("Q4 outbound")
    response = client.get(reverse("wall", args=[token.token]))
    assert response.status_code == 200
    assert "Q4 outbound" in response.content.decode()
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_a_revoked_token_loses_access_to_the_page_and_the_screen(manager_client, client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    before = timezone.now()
    manager_client.post(reverse("wall_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert before <= token.revoked_at <= timezone.now()
    assert client.get(reverse("wall", args=[token.token])).status_code == 404
    assert client.get(reverse("wall_screen", args=[token.token])).status_code == 404


def test_an_unknown_token_is_not_found(client):
    assert client.get("/wall/not-a-token/").status_code == 404


def test_the_wall_page_contains_no_email_address_or_lead_name(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    campaign = running("Fintech CFOs", sent=120, queued=40)
    LeadFactory(campaign=campaign, email="ada.lovelace@example.com", first_name="Ada", last_name="Lovelace")
    Reply.objects.create(
        remote_id="rpl_1",
        campaign=campaign,
        email="ada.lovelace@example.com",
        classification="interested",
        received_at=timezone.now(),
        snippet="Sounds good, Ada here",
    )
    for url in (reverse("wall", args=[token.token]), reverse("wall_screen", args=[token.token])):
        html = client.get(url).content.decode()
        assert "Fintech CFOs" in html
        assert EMAIL.findall(html) == []
        assert "Lovelace" not in html and campaign.owner.username not in html


def test_the_wall_shows_sent_today_from_the_last_snapshot_before_midnight(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    campaign = running("Today", sent=500, queued=12)
    StatsSnapshot.objects.create(campaign=campaign, taken_at=timezone.now() - timedelta(days=1), sent=420)
    html = client.get(reverse("wall_screen", args=[token.token])).content.decode()
    assert 'data-cell="sent_today">80<' in html


def test_the_bounce_rate_is_coloured_against_the_campaigns_threshold(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    running("Clean", sent=1000, bounced=10, bounce_threshold=0.05)
    running("Close", sent=1000, bounced=40, bounce_threshold=0.05)
    running("Over", sent=1000, bounced=80, bounce_threshold=0.05)
    html = client.get(reverse("wall_screen", args=[token.token])).content.decode()
    assert "wall-rate--ok" in html and "wall-rate--warn" in html and "wall-rate--bad" in html


def test_the_wall_pages_through_campaigns_that_do_not_fit(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    for n in range(12):
        running(f"Campaign {n:02d}")
    first = client.get(reverse("wall", args=[token.token])).content.decode()
    assert "Campaign 00" in first and "Campaign 05" in first and "Campaign 06" not in first
    assert "page=2" in first  # the screen asks for the next page at its next refresh
    second = client.get(reverse("wall_screen", args=[token.token]) + "?page=2").content.decode()
    assert "Campaign 06" in second and "Campaign 11" in second and "Campaign 00" not in second
    assert "page=3" in second
    wrapped = client.get(reverse("wall_screen", args=[token.token]) + "?page=3").content.decode()
    assert "Campaign 00" in wrapped


def test_a_stalled_poller_shows_how_old_the_data_is(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    old = timezone.now() - timedelta(minutes=7)
    running("Old news", stats_polled_at=old)
    SyncState.objects.create(name="stats", last_success_at=old)
    html = client.get(reverse("wall", args=[token.token])).content.decode()
    assert "Data is 7 minutes old" in html


def test_fresh_data_shows_no_stale_banner(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    running("Fresh")
    SyncState.objects.create(name="stats", last_success_at=timezone.now())
    assert "minutes old" not in client.get(reverse("wall", args=[token.token])).content.decode()


def test_the_wall_notes_when_a_screen_was_last_seen(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    assert token.last_seen_at is None
    before = timezone.now()
    client.get(reverse("wall", args=[token.token]))
    token.refresh_from_db()
    assert before <= token.last_seen_at <= timezone.now()


def test_paused_rows_say_why_in_words_a_room_can_read(db, manager):
    paused = {"status": Campaign.Status.PAUSED}
    CampaignFactory(name="A", paused_by=manager, **paused)
    CampaignFactory(name="B", sent=1000, bounced=62, status_reason="Bounce guard: 6.2% …", **paused)
    CampaignFactory(name="C", status_reason="Leadterra paused it: account review", **paused)
    CampaignFactory(name="D", status=Campaign.Status.RUNNING)
    named = UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role="Manager")
    CampaignFactory(name="E", paused_by=named, status_reason="Paused by a manager", **paused)
    rows = wall_board(wall_version()).rows
    assert {row.name: row.reason for row in rows} == {
        "A": "by manager",
        "E": "by Ada Lovelace",
        "B": "bounce guard: 6.2% > 5.0%",
        "C": "by the system: Leadterra paused it: account review",
        "D": "",
    }
