"""Live partials: a fixed number of queries whatever the number of campaigns; 304 when unchanged."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, StatsSnapshot, WallToken
from campaigns.services.live import resample
from tests.factories import CampaignFactory, UserFactory

pytestmark = pytest.mark.django_db


def bulk_campaigns(n, **fields):
    owner = UserFactory(username="owner", role="SDR")
    now = timezone.now()
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            name=f"Campaign {i}",
            owner=owner,
            status=Campaign.Status.RUNNING,
            remote_id=f"camp_{i}",
            sent=i,
            queued=100 - i % 100,
            stats_polled_at=now,
            **fields,
        )
        for i in range(n)
    )
    StatsSnapshot.objects.bulk_create(
        StatsSnapshot(campaign=c, taken_at=now - timedelta(days=1, minutes=k), sent=k)
        for c in campaigns
        for k in range(3)
    )
    return campaigns


def start_over():
    Campaign.objects.all().delete()
    UserFactory._meta.model.objects.filter(username="owner").delete()


def queries_for(client, url, **headers) -> int:
    client.get(url, **headers)  # warm up once-a-minute writes (wall last seen)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_wall_screen_costs_the_same_queries_for_10_and_500_campaigns(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    url = reverse("wall_screen", args=[token.token])
    bulk_campaigns(10)
    few = queries_for(client, url)
    start_over()
    bulk_campaigns(500)
    assert queries_for(client, url) == few


def test_the_campaign_counters_cost_the_same_queries_for_10_and_500_campaigns(manager_client):
    campaigns = bulk_campaigns(10)
    few = queries_for(manager_client, reverse("campaign_stats", args=[campaigns[0].pk]), HTTP_HX_REQUEST="true")
    start_over()
    campaigns = bulk_campaigns(500)
    many = queries_for(manager_client, reverse("campaign_stats", args=[campaigns[0].pk]), HTTP_HX_REQUEST="true")
    assert many == few


def test_an_unchanged_campaign_answers_304_after_one_cheap_query(manager_client):
    (campaign,) = bulk_campaigns(1)
    url = reverse("campaign_stats", args=[campaign.pk])
    first = manager_client.get(url, HTTP_HX_REQUEST="true")
    etag = first["ETag"]
    assert first.status_code == 200 and etag
    with CaptureQueriesContext(connection) as ctx:
        again = manager_client.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    version_queries = [q for q in ctx.captured_queries if "campaigns_campaign" in q["sql"]]
    assert len(version_queries) == 1  # the version check; nothing is rendered
    Campaign.objects.filter(pk=campaign.pk).update(sent=99, stats_polled_at=timezone.now())
    changed = manager_client.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert 'data-counter="sent">99<' in changed.content.decode()


def test_the_partial_carries_its_own_etag_for_the_next_poll(manager_client):
    (campaign,) = bulk_campaigns(1)
    response = manager_client.get(reverse("campaign_stats", args=[campaign.pk]))
    assert f'"If-None-Match": "\\{response["ETag"][:-1]}\\""' in response.content.decode()


def test_the_counters_show_the_age_of_the_numbers_and_turn_stale_when_polls_fail(manager_client):
    now = timezone.now()
    campaign = CampaignFactory(
        status=Campaign.Status.RUNNING,
        remote_id="camp_x",
        sent=10,
        stats_polled_at=now - timedelta(seconds=12),
    )
    with time_machine.travel(now, tick=False):  # the age is exact, however slow the machine
        html = manager_client.get(reverse("campaign_stats", args=[campaign.pk])).content.decode()
    assert "updated 12 s ago" in html and "is-stale" not in html
    Campaign.objects.filter(pk=campaign.pk).update(stats_failed_at=timezone.now(), stats_error="Timed out.")
    html = manager_client.get(reverse("campaign_stats", args=[campaign.pk])).content.decode()
    assert "is-stale" in html and "last poll failed" in html and "Timed out." in html


def test_the_campaign_page_draws_sparklines_of_sent_and_replies(manager_client):
    (campaign,) = bulk_campaigns(1)
    html = manager_client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert html.count("chart--spark") >= 2 and "chart__line" in html
    assert 'aria-label="Sent over time"' in html and 'aria-label="Replies over time"' in html


def test_irregular_snapshots_are_resampled_on_a_time_grid():
    t0 = timezone.now()
    points = [(t0, 0), (t0 + timedelta(minutes=1), 10), (t0 + timedelta(minutes=9), 50)]
    values = resample(points, buckets=10)
    assert len(values) == 10 and values[0] == 0 and values[-1] == 50
    assert values[1:9] == [10] * 8  # nothing was known to change between minute 1 and 9


def test_the_list_rows_cost_the_same_queries_for_10_and_500_campaigns(manager_client):
    bulk_campaigns(10)
    url = reverse("campaign_rows")
    few = queries_for(manager_client, url, HTTP_HX_REQUEST="true")
    start_over()
    bulk_campaigns(500)
    assert queries_for(manager_client, url, HTTP_HX_REQUEST="true") == few
    assert queries_for(manager_client, url + "?sort=leads&status=running", HTTP_HX_REQUEST="true") == few


def test_the_list_page_rows_poll_with_the_etag_the_rows_endpoint_computes(manager_client):
    bulk_campaigns(3)
    page = manager_client.get(reverse("campaign_list") + "?status=running").content.decode()
    assert 'hx-get="/campaigns/live/rows/?status=running"' in page
    rows = manager_client.get(reverse("campaign_rows") + "?status=running", HTTP_HX_REQUEST="true")
    assert f'"If-None-Match": "\\{rows["ETag"][:-1]}\\""' in page  # the page already holds the current version
    again = manager_client.get(
        reverse("campaign_rows") + "?status=running", HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=rows["ETag"]
    )
    assert again.status_code == 304


def test_the_list_rows_show_live_counters_and_change_when_a_poll_lands(manager_client):
    (campaign,) = bulk_campaigns(1)
    url = reverse("campaign_rows")
    first = manager_client.get(url, HTTP_HX_REQUEST="true")
    Campaign.objects.filter(pk=campaign.pk).update(sent=1234, replied=7, stats_polled_at=timezone.now())
    second = manager_client.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and "1,234" in second.content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(stats_failed_at=timezone.now(), stats_error="Timed out.")
    third = manager_client.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=second["ETag"])
    assert "is-stale" in third.content.decode() and "Timed out." in third.content.decode()


def test_the_etag_follows_what_the_partial_shows_and_nobody_caches_it(manager_client):
    """A second campaign changing leaves the first one's partial unchanged (304); a failed poll of
    the first one changes what it shows (the stale mark), so it is sent again."""
    first, second = bulk_campaigns(2)
    url = reverse("campaign_stats", args=[first.pk])
    shown = manager_client.get(url, HTTP_HX_REQUEST="true")
    assert "no-cache" in shown["Cache-Control"] and "private" in shown["Cache-Control"]
    Campaign.objects.filter(pk=second.pk).update(sent=500, stats_polled_at=timezone.now())
    same = manager_client.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=shown["ETag"])
    assert same.status_code == 304 and same["ETag"] == shown["ETag"]
    assert "no-cache" in same["Cache-Control"]
    Campaign.objects.filter(pk=first.pk).update(stats_failed_at=timezone.now())
    failed = manager_client.get(url, HTTP_HX_REQUEST="true", HTTP_IF_NONE_MATCH=shown["ETag"])
    assert failed.status_code == 200 and failed["ETag"] != shown["ETag"]
    assert f'"If-None-Match": "\\{failed["ETag"][:-1]}\\""' in failed.content.decode()


def test_an_unknown_campaign_has_no_partial(manager_client):
    assert manager_client.get(reverse("campaign_stats", args=[999_999]), HTTP_HX_REQUEST="true").status_code == 404
