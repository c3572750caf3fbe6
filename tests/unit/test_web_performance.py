"""Functional guards of the web tier's performance work (timings live in `make bench`):
ETags from what a partial shows, stored lead counts that stay exact, and pages whose number
of queries does not grow with the number of campaigns."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Lead, WallToken
from campaigns.services.lead_counts import lead_count_refresh, lead_counts_refresh_all
from tests.factories import CampaignFactory, LeadFactory, StepFactory
from tests.leads_helpers import run_import
from tests.unit.test_live_partials import bulk_campaigns, start_over

pytestmark = pytest.mark.django_db


def etag_get(client, url, etag=None):
    headers = {"HTTP_HX_REQUEST": "true"}
    if etag:
        headers["HTTP_IF_NONE_MATCH"] = etag
    return client.get(url, **headers)


# --- ETags: unchanged -> 304 (even when the poll time moves), one number -> 200 ---------


def test_the_counters_partial_is_304_when_only_the_poll_time_moved(manager_client):
    campaign = bulk_campaigns(1)[0]
    url = reverse("campaign_stats", args=[campaign.pk])
    first = etag_get(manager_client, url)
    assert first.status_code == 200
    polled = timezone.now() + timedelta(seconds=15)
    Campaign.objects.filter(pk=campaign.pk).update(stats_polled_at=polled)
    again = etag_get(manager_client, url, first["ETag"])
    assert again.status_code == 304
    assert again["X-Live-Updated"] == polled.isoformat()  # the age label moves on without a render


def test_the_counters_partial_is_200_when_one_number_changes(manager_client):
    campaign = bulk_campaigns(1)[0]
    url = reverse("campaign_stats", args=[campaign.pk])
    etag = etag_get(manager_client, url)["ETag"]
    Campaign.objects.filter(pk=campaign.pk).update(bounced=3)
    changed = etag_get(manager_client, url, etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_counters_partial_is_200_when_the_last_poll_failed(manager_client):
    campaign = bulk_campaigns(1)[0]
    url = reverse("campaign_stats", args=[campaign.pk])
    etag = etag_get(manager_client, url)["ETag"]
    Campaign.objects.filter(pk=campaign.pk).update(stats_failed_at=timezone.now() + timedelta(seconds=1))
    assert etag_get(manager_client, url, etag).status_code == 200  # "last poll failed" is shown


def test_the_list_rows_are_304_until_a_shown_value_changes(manager_client):
    campaigns = bulk_campaigns(3)
    url = reverse("campaign_rows")
    etag = etag_get(manager_client, url)["ETag"]
    Campaign.objects.update(stats_polled_at=timezone.now() + timedelta(seconds=15))
    assert etag_get(manager_client, url, etag).status_code == 304
    LeadFactory(campaign=campaigns[1])  # the stored lead count is a shown value
    assert etag_get(manager_client, url, etag).status_code == 200


def test_the_wall_screen_is_304_until_its_numbers_change(client, manager):
    bulk_campaigns(8)
    token = WallToken.objects.create(label="TV", created_by=manager)
    url = reverse("wall_screen", args=[token.token]) + "?page=2"
    first = etag_get(client, url)
    assert first.status_code == 200 and "no-cache" in first["Cache-Control"]
    Campaign.objects.update(stats_polled_at=timezone.now() + timedelta(seconds=15))
    assert etag_get(client, url, first["ETag"]).status_code == 304
    Campaign.objects.update(queued=7)
    assert etag_get(client, url, first["ETag"]).status_code == 200


def test_a_revoked_wall_is_404_not_304(client, manager):
    token = WallToken.objects.create(label="TV", created_by=manager)
    url = reverse("wall_screen", args=[token.token])
    etag = etag_get(client, url)["ETag"]
    token.revoked_at = timezone.now()
    token.save()
    assert etag_get(client, url, etag).status_code == 404


# --- stored lead counts stay exact -------------------------------------------------------


@pytest.mark.usefixtures("media_root")
def test_an_import_keeps_the_stored_count_exact(sdr):
    campaign, other = CampaignFactory(owner=sdr), CampaignFactory(owner=sdr)
    LeadFactory.create_batch(2, campaign=other)
    run_import(campaign, sdr, b"email\na@example.com\nb@example.com\n", {"0": "email"})
    run_import(campaign, sdr, b"email\nb@example.com\nc@example.com\nc@example.com\n", {"0": "email"})  # 1 new
    campaign.refresh_from_db()
    other.refresh_from_db()
    assert (campaign.lead_count, other.lead_count) == (3, 2)


def test_enrolment_changes_statuses_not_the_count_and_removal_recounts(sdr):
    campaign = CampaignFactory(owner=sdr)
    leads = LeadFactory.create_batch(4, campaign=campaign)
    Lead.objects.filter(pk=leads[0].pk).update(status=Lead.Status.ENROLLED)
    Lead.objects.filter(pk=leads[1].pk).update(status=Lead.Status.REJECTED)
    assert lead_count_refresh(campaign_id=campaign.pk) == 4
    Lead.objects.filter(pk__in=[leads[2].pk, leads[3].pk]).delete()
    assert lead_count_refresh(campaign_id=campaign.pk) == 2
    campaign.refresh_from_db()
    assert campaign.lead_count == 2


def test_the_repair_recounts_every_campaign_and_leaves_updated_at(sdr):
    a, b, empty = CampaignFactory(owner=sdr), CampaignFactory(owner=sdr), CampaignFactory(owner=sdr)
    Lead.objects.bulk_create(Lead(campaign=a, email=f"x{i}@example.com") for i in range(5))  # no service call
    Lead.objects.bulk_create([Lead(campaign=b, email="y@example.com")])
    Campaign.objects.update(lead_count=99)
    before = Campaign.objects.get(pk=a.pk).updated_at
    lead_counts_refresh_all()
    counts = dict(Campaign.objects.values_list("pk", "lead_count"))
    assert (counts[a.pk], counts[b.pk], counts[empty.pk]) == (5, 1, 0)
    assert Campaign.objects.get(pk=a.pk).updated_at == before


def test_the_list_sorts_by_the_stored_count(sdr_client, sdr):
    small, big = CampaignFactory(owner=sdr, name="Small"), CampaignFactory(owner=sdr, name="Big")
    LeadFactory.create_batch(3, campaign=big)
    LeadFactory(campaign=small)
    html = sdr_client.get(reverse("campaign_list"), {"sort": "-leads"}).content.decode()
    assert html.index("Big") < html.index("Small")


# --- queries do not grow with the fleet (10 vs 200 campaigns) ----------------------------


def count_queries(client, url, **headers) -> int:
    client.get(url, **headers)  # warm caches and once-a-minute writes
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, **headers).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["campaign_detail", "campaign_edit", "campaign_list"])
def test_pages_cost_the_same_queries_for_10_and_200_running_campaigns(
    page, sdr_client, sdr, django_assert_max_num_queries
):
    draft = CampaignFactory(owner=sdr, name="Mine")
    StepFactory(campaign=draft)
    LeadFactory.create_batch(3, campaign=draft)
    url = reverse(page, args=[draft.pk]) if page != "campaign_list" else reverse(page)
    bulk_campaigns(10, started_at=timezone.now() - timedelta(days=1))
    few = count_queries(sdr_client, url)
    Campaign.objects.exclude(pk=draft.pk).delete()
    bulk_campaigns(200, started_at=timezone.now() - timedelta(days=1))
    sdr_client.get(url)  # a new fleet: the shared plan is computed once, by this request
    with django_assert_max_num_queries(few):
        sdr_client.get(url)


def test_the_campaign_page_plan_is_shared_between_requests(sdr_client, sdr):
    draft = CampaignFactory(owner=sdr)
    StepFactory(campaign=draft)
    bulk_campaigns(20, started_at=timezone.now() - timedelta(days=1))
    url = reverse("campaign_detail", args=[draft.pk])

    def walks() -> list:
        with CaptureQueriesContext(connection) as ctx:
            sdr_client.get(url)
        return [q for q in ctx.captured_queries if "NOT (" in q["sql"] and "plan_leads" in q["sql"]]

    assert walks()  # the first request reads the committed campaigns...
    assert not walks()  # ...the next one uses what they leave, from the cache
    start_over()
