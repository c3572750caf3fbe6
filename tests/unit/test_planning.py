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


# --- several pools, each capped differently; the capacity model from settings ---------------


def seed_several_pools():
    """Four pools, each limited by something else, so no cap can hide behind another:
    A: 1 of 2 senders active -> 500 a day, and only 500 of its 800 remaining are usable;
    B: all senders active -> 300 a day, but only 100 left today;
    C: no active sender -> nothing, whatever it has left;
    D: known by a sender count only -> all of its 200, with 150 left."""
    accounts = [
        SenderAccountData("sa_a1", "a1@out.example", "A1", "active"),
        SenderAccountData("sa_a2", "a2@out.example", "A2", "paused"),
        SenderAccountData("sa_b1", "b1@out.example", "B1", "active"),
        SenderAccountData("sa_c1", "c1@out.example", "C1", "warming"),
    ]
    pools = [
        SenderPoolData("pool_a", "A", 1000, 800, 2, ("sa_a1", "sa_a2")),
        SenderPoolData("pool_b", "B", 300, 100, 1, ("sa_b1",)),
        SenderPoolData("pool_c", "C", 400, 400, 1, ("sa_c1",)),
        SenderPoolData("pool_d", "D", 200, 150, 2, ()),
    ]
    pools_apply(pools=pools, accounts=accounts)


def test_each_pool_is_capped_by_its_own_active_share_and_what_it_has_left():
    seed_several_pools()
    pools = pools_capacity()
    assert (pools.capacity.daily, pools.capacity.remaining) == (500 + 300 + 200, 500 + 100 + 150)
    assert (pools.pools, pools.reason) == (3, "")


def test_the_plan_uses_the_capacity_model_from_settings(settings):
    seed_several_pools()
    campaign = campaign_with(900, [0])
    settings.CAPACITY_MODEL = "daily_reset"
    reset = campaign_plan(campaign)
    assert (reset.model, reset.verdict, [d.planned for d in reset.days]) == ("daily_reset", SPILLS, [750, 150])
    settings.CAPACITY_MODEL = "rolling_24h"
    rolling = campaign_plan(campaign)
    assert (rolling.model, rolling.verdict, [d.planned for d in rolling.days]) == ("rolling_24h", FITS, [900])
    # A model asked for by name wins over the setting.
    assert campaign_plan(campaign, model="daily_reset").days[0].planned == 750


def test_the_workspace_plan_uses_the_setting_and_the_days_asked_for(settings):
    seed_several_pools()
    campaign_with(1200, [0], status=Campaign.Status.APPROVED)
    settings.CAPACITY_MODEL = "rolling_24h"
    view = workspace_plan(days=3)
    assert (view.plan.model, view.plan.days, view.plan.capacity) == ("rolling_24h", [0, 1, 2], [1000, 1000, 1000])
    assert view.plan.planned == [[1000, 200, 0]] and view.pools.pools == 3
    reset = workspace_plan(days=4, model="daily_reset")
    assert (reset.plan.capacity, reset.plan.planned) == ([750, 1000, 1000, 1000], [[750, 450, 0, 0]])
    assert [row["planned"] for row in reset.rows] == reset.plan.planned


def test_a_running_campaign_not_polled_yet_is_assumed_on_schedule():
    seed_pools(capacity=1000)
    two_days_ago = timezone.now() - timedelta(days=2, hours=1)
    # Steps on days 0, 1 and 4: two days in, the third step (day 4) is the next, in 2 days.
    late = campaign_with(30, [0, 1, 3], status=Campaign.Status.RUNNING, started_at=two_days_ago)
    plan = campaign_plan(late)
    assert [d.needed for d in plan.days] == [0, 0, 30]
    today = campaign_with(20, [0, 2], status=Campaign.Status.RUNNING, started_at=timezone.now())
    assert [d.needed for d in campaign_plan(today).days] == [20, 0, 20]  # step 1 still queued today


def test_a_polled_running_campaign_plans_from_its_counters_not_its_lead_rows():
    seed_pools(capacity=1000)
    campaign = campaign_with(
        5,
        [0, 2, 2],
        status=Campaign.Status.RUNNING,
        started_at=timezone.now() - timedelta(days=1),
        stats_polled_at=timezone.now(),
        total_enrolled=70,
        replied=10,
        queued=12,
    )
    # Queued now: 12; still active: 70 - 10 = 60 take step 2 (day 2, one day from now) and step 3.
    assert [d.needed for d in campaign_plan(campaign).days] == [12, 60, 0, 60]


def test_a_running_campaign_waits_only_for_those_started_before_it():
    seed_pools(capacity=100)
    now = timezone.now()
    polled = {"stats_polled_at": now, "status": Campaign.Status.RUNNING}
    first = campaign_with(0, [0], started_at=now - timedelta(hours=5), total_enrolled=70, queued=70, **polled)
    second = campaign_with(0, [0], started_at=now - timedelta(hours=2), total_enrolled=60, queued=60, **polled)
    assert [d.available for d in campaign_plan(first).days] == [100]  # the later one is not ahead of it
    assert [(d.available, d.planned) for d in campaign_plan(second).days] == [(30, 30), (100, 30)]
    draft = campaign_plan(campaign_with(10, [0]))  # a draft waits for both
    assert [(d.available, d.planned) for d in draft.days] == [(0, 0), (70, 10)]
