"""campaign_plan and workspace_plan: the planner's inputs read from the database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.leadterra import SenderAccountData, SenderPoolData
from campaigns.models import Campaign
from campaigns.planner import CANNOT_START, FITS, SPILLS
from campaigns.services.planning import campaign_plan, pools_capacity, workspace_plan
from campaigns.services.pools import pools_apply
from tests.factories import CampaignFactory, LeadFactory, StepFactory

pytestmark = pytest.mark.django_db


def seed_pools(capacity=100, remaining=None, statuses=("active",), ids=True):
    accounts = [SenderAccountData(f"sa_{i}", f"s{i}@out.example", f"S{i}", s) for i, s in enumerate(statuses)]
    pool = SenderPoolData(
        id="pool_a",
        name="Main",
        daily_capacity=capacity,
        remaining=capacity if remaining is None else remaining,
        sender_count=len(accounts),
        sender_account_ids=tuple(a.id for a in accounts) if ids else (),
    )
    pools_apply(pools=[pool], accounts=accounts)


def campaign_with(leads, delays, **fields):
    campaign = CampaignFactory(**fields)
    for i, d in enumerate(delays):
        StepFactory(campaign=campaign, position=i + 1, delay_days=d)
    LeadFactory.create_batch(leads, campaign=campaign)
    return campaign


def test_a_draft_that_fits(settings):
    settings.CAPACITY_MODEL = "daily_reset"
    seed_pools(capacity=100)
    plan = campaign_plan(campaign_with(30, [0, 2]))
    assert plan.verdict == FITS and plan.total_sends == 60 and plan.model == "daily_reset"


def test_a_draft_spills_behind_a_running_campaign():
    seed_pools(capacity=100)
    campaign_with(
        0,
        [0, 3],
        status=Campaign.Status.RUNNING,
        started_at=timezone.now(),
        total_enrolled=90,
        queued=90,
        stats_polled_at=timezone.now(),
    )
    plan = campaign_plan(campaign_with(50, [0]))
    assert plan.verdict == SPILLS
    assert plan.days[0].available == 10
    assert "1 day late" in plan.message


def test_only_active_senders_count():
    seed_pools(capacity=100, statuses=("active", "paused", "warming", "paused"))
    assert pools_capacity().capacity.daily == 25


def test_a_count_only_pool_counts_whole():
    seed_pools(capacity=100, statuses=("paused",), ids=False)
    assert pools_capacity().capacity.daily == 100


def test_it_cannot_start_without_an_active_sender():
    seed_pools(capacity=100, statuses=("paused", "warming"))
    plan = campaign_plan(campaign_with(5, [0]))
    assert plan.verdict == CANNOT_START and "no pool has an active sender" in plan.message


def test_it_cannot_start_before_pools_are_known():
    plan = campaign_plan(campaign_with(5, [0]))
    assert plan.verdict == CANNOT_START and "no sender pools are known yet" in plan.message


def test_the_workspace_plan_lists_committed_then_approved_campaigns():
    seed_pools(capacity=100)
    earlier = timezone.now() - timedelta(days=1)
    running = campaign_with(
        0, [0, 2], status=Campaign.Status.RUNNING, started_at=earlier, total_enrolled=40, stats_polled_at=timezone.now()
    )
    approved = campaign_with(80, [0], status=Campaign.Status.APPROVED)
    campaign_with(500, [0])  # a draft is not planned
    view = workspace_plan(days=14)
    assert [c.pk for c in view.campaigns] == [running.pk, approved.pk]
    assert view.plan.planned[0][:2] == [0, 40]  # step 2 of the running one is due tomorrow
    assert view.plan.planned[1][:2] == [80, 0]
    assert len(view.plan.days) == 14


def test_plans_take_a_constant_number_of_queries(django_assert_max_num_queries):
    seed_pools(capacity=100)
    for _ in range(5):
        campaign_with(3, [0, 1], status=Campaign.Status.RUNNING, started_at=timezone.now())
    target = campaign_with(3, [0])
    with django_assert_max_num_queries(6):
        campaign_plan(target)
    with django_assert_max_num_queries(6):
        workspace_plan()
