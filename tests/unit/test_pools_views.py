"""The pools page, the refresh button, the workspace plan and the plan fragment."""

import re

import pytest
from django.utils import timezone

from campaigns.leadterra import SenderAccountData, SenderPoolData
from campaigns.models import Campaign, Operation, SenderPool
from campaigns.services import sync_jobs
from campaigns.services.pools import pools_apply
from tests.factories import CampaignFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db


def seed(n_pools=2, ids=True):
    accounts = [
        SenderAccountData("sa_1", "ana@out.example", "Ana", "active"),
        SenderAccountData("sa_2", "bo@out.example", "Bo", "warming"),
        SenderAccountData("sa_3", "cy@out.example", "Cy", "suspended"),
    ]
    pools = [
        SenderPoolData(f"pool_{i}", f"Pool {i}", 1000, 400, 3, tuple(a.id for a in accounts) if ids and i == 0 else ())
        for i in range(n_pools)
    ]
    pools_apply(pools=pools, accounts=accounts)


def test_the_pools_page_shows_capacity_senders_and_badges(sdr_client):
    seed()
    html = sdr_client.get("/pools/").content.decode()
    assert "Pool 0" in html and "Pool 1" in html
    assert "1,000" in html and "used today" not in html
    # Pool 0 sent nothing: one sender of three is active, so 400 left is all the active one holds.
    assert "0% sent today · 67% on 2 senders not active" in html
    assert "60% sent today</span>" in html  # Pool 1: statuses unknown, all of it counts
    assert 'class="badge badge--active">active' in html
    assert 'class="badge badge--warming">warming' in html
    assert 'class="badge badge--other">suspended' in html  # any other status, as is
    assert "but not which ones" in html  # Pool 1 answered with a count only
    assert re.search(r"Updated \d+ s ago", html) and "may be out of date" not in html
    assert "<svg" in html and "Refresh now" not in html  # SDRs may look, not refresh


def test_the_page_warns_when_the_last_refresh_failed(manager_client):
    seed()
    sync_jobs.sync_failure(name=sync_jobs.POOLS, error="Leadterra answered 503")
    html = manager_client.get("/pools/").content.decode()
    assert "may be out of date" in html and "503" in html and "Refresh now" in html


def test_an_empty_workspace_says_what_happens_next(sdr_client):
    html = sdr_client.get("/pools/").content.decode()
    assert "No sender pools yet" in html and "Updated never" in html


def test_htmx_gets_only_the_live_fragment(sdr_client):
    seed()
    response = sdr_client.get("/pools/", headers={"HX-Request": "true"})
    assert b'id="pools-live"' in response.content and b"<html" not in response.content


def test_the_pools_page_takes_a_constant_number_of_queries(sdr_client, django_assert_max_num_queries):
    seed(n_pools=1)
    with django_assert_max_num_queries(20) as small:
        sdr_client.get("/pools/")
    seed(n_pools=12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        sdr_client.get("/pools/")


def test_a_manager_refreshes_with_an_operation(manager_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post("/pools/refresh/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    op = Operation.objects.get(kind="refresh_pools")
    assert op.created_by.username == "manager"
    assert len(callbacks) == 1
    assert "toast" in response["HX-Trigger"]


def test_an_sdr_may_not_refresh(sdr_client):
    assert sdr_client.post("/pools/refresh/").status_code == 403
    assert not Operation.objects.exists()


def test_the_workspace_plan_page_lists_planned_sends(sdr_client):
    seed()
    campaign = CampaignFactory(name="Q3 outreach", status=Campaign.Status.APPROVED)
    StepFactory(campaign=campaign, position=1)
    LeadFactory.create_batch(3, campaign=campaign)
    html = sdr_client.get("/pools/plan/").content.decode()
    assert "Q3 outreach" in html and "Next 14 days" in html and "<svg" in html


def test_the_plan_fragment_renders_for_a_campaign_and_on_its_page(sdr_client):
    seed()
    campaign = CampaignFactory(name="Spring")
    StepFactory(campaign=campaign, position=1)
    LeadFactory.create_batch(3, campaign=campaign)
    fragment = sdr_client.get(f"/campaigns/{campaign.pk}/plan/").content.decode()
    assert "Capacity plan" in fragment and "Fits" in fragment and "daily reset" in fragment
    page = sdr_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Capacity plan" in page


def test_the_wall_gauge_renders_pools(client):
    from django.template.loader import render_to_string

    from campaigns.services.planning import pools_for_wall

    seed()
    SenderPool.objects.filter(remote_id="pool_0").update(remaining=50, refreshed_at=timezone.now())
    html = render_to_string("pools/_gauge.html", {"pools": pools_for_wall()})
    # 333 a day on the one active sender, 50 left: 283 sent; the other two hold 667 they cannot send.
    assert "Pool 0" in html and "gauge--danger" in html and "28% sent · 67% on inactive senders" in html


def test_wall_gauges_say_when_a_pool_cannot_send(django_assert_num_queries):
    from django.template.loader import render_to_string

    from campaigns.services.planning import pools_for_wall

    seed(n_pools=3, ids=False)
    SenderPool.objects.filter(remote_id="pool_2").update(sender_count=0)
    with django_assert_num_queries(1):
        pools = pools_for_wall()
    html = render_to_string("pools/_gauge.html", {"pools": pools})
    assert html.count("no active sender") == 1 and "gauge--idle" in html


def test_an_archived_campaign_shows_no_plan(sdr_client):
    campaign = CampaignFactory(status=Campaign.Status.ARCHIVED)
    response = sdr_client.get(f"/campaigns/{campaign.pk}/")
    assert response.status_code == 200 and "Capacity plan" not in response.content.decode()
