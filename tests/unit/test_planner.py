"""The capacity planner: worked examples, then properties checked by hypothesis."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.planner import (
    CANNOT_START,
    DAILY_RESET,
    FITS,
    HORIZON_DAYS,
    MODELS,
    ROLLING_24H,
    SPILLS,
    Capacity,
    Cohort,
    Work,
    new_campaign_work,
    plan_campaign,
    plan_workspace,
    project,
    running_campaign_work,
)


def test_a_campaign_that_fits_goes_out_on_its_schedule():
    plan = plan_campaign(leads=100, delays=[0, 3, 4], capacity=Capacity(500, 500), model=DAILY_RESET)
    assert plan.verdict == FITS
    assert [d.needed for d in plan.days] == [100, 0, 0, 100, 0, 0, 0, 100]
    assert [d.planned for d in plan.days] == [100, 0, 0, 100, 0, 0, 0, 100]
    assert plan.total_sends == 300
    assert plan.last_day_scheduled == plan.last_day_projected == 7
    assert "Fits" in plan.message


def test_a_spill_pushes_every_later_step_back():
    # 250 leads at 100 a day: step 1 takes days 0-2, so the last step 2 goes out on day 2 + 3.
    plan = plan_campaign(leads=250, delays=[0, 3], capacity=Capacity(100, 100), model=DAILY_RESET)
    assert plan.verdict == SPILLS
    assert [d.planned for d in plan.days] == [100, 100, 50, 100, 100, 50]
    assert [d.backlog for d in plan.days] == [150, 50, 0, 0, 0, 0]
    assert plan.last_day_scheduled == 3
    assert plan.last_day_projected == 5
    assert plan.spill_days == 2
    assert "2 days late" in plan.message


def test_daily_reset_only_counts_what_is_left_today_but_rolling_counts_a_whole_window():
    cap = Capacity(daily=100, remaining=20)
    reset = plan_campaign(leads=100, delays=[0], capacity=cap, model=DAILY_RESET)
    rolling = plan_campaign(leads=100, delays=[0], capacity=cap, model=ROLLING_24H)
    assert (reset.verdict, reset.days[0].planned, reset.spill_days) == (SPILLS, 20, 1)
    assert (rolling.verdict, rolling.days[0].planned) == (FITS, 100)
    assert reset.model == "daily_reset" and rolling.model == "rolling_24h"


def test_running_campaigns_are_served_first():
    running = running_campaign_work("old", delays=[0, 2], elapsed_days=0, active_leads=80, queued=80)
    # The running one queues 80 today and 80 follow-ups on day 2 (its future step).
    plan = plan_campaign(leads=50, delays=[0], capacity=Capacity(100, 100), model=DAILY_RESET, running=[running])
    assert plan.days[0].available == 20
    assert plan.days[0].planned == 20
    assert plan.days[1].planned == 30
    assert plan.verdict == SPILLS


def test_it_cannot_start_without_capacity_leads_or_steps():
    no_pool = plan_campaign(leads=10, delays=[0], capacity=Capacity(0, 0), model=DAILY_RESET)
    assert no_pool.verdict == CANNOT_START and "active sender" in no_pool.message
    assert plan_campaign(leads=0, delays=[0], capacity=Capacity(9, 9), model=DAILY_RESET).verdict == CANNOT_START
    assert plan_campaign(leads=5, delays=[], capacity=Capacity(9, 9), model=DAILY_RESET).verdict == CANNOT_START


def test_a_running_campaign_counts_only_the_steps_not_yet_due():
    work = running_campaign_work("r", delays=[0, 3, 4], elapsed_days=4, active_leads=40, queued=5)
    # Step 2 (day 3) is past; step 3 is due on day 7 = 3 days from now.
    assert [(c.ready, c.count, c.delays) for c in work.cohorts] == [(0, 5, ()), (3, 40, ())]


def test_the_workspace_plan_covers_fourteen_days_even_when_idle():
    ws = plan_workspace([], Capacity(100, 40), DAILY_RESET)
    assert ws.days == list(range(14)) and ws.capacity[:2] == [40, 100] and ws.totals == [0] * 14


def test_todays_capacity_is_capped_by_both_what_is_left_and_the_window():
    # Each cap on its own: more left than the window holds, then a negative count from the API.
    assert Capacity(daily=100, remaining=250).on_day(0, DAILY_RESET) == 100
    assert Capacity(daily=100, remaining=-5).on_day(0, DAILY_RESET) == 0
    assert Capacity(daily=100, remaining=30).on_day(0, DAILY_RESET) == 30
    assert Capacity(daily=100, remaining=30).on_day(1, DAILY_RESET) == 100  # only today is partial
    assert Capacity(daily=100, remaining=30).on_day(0, ROLLING_24H) == 100
    assert Capacity(daily=-4, remaining=0).on_day(3, ROLLING_24H) == 0
    with pytest.raises(ValueError, match="unknown capacity model 'weekly'"):
        Capacity(100, 100).on_day(1, "weekly")


def test_a_new_campaign_ignores_the_first_delay_and_negative_ones():
    work = new_campaign_work("n", leads=7, delays=[5, -2, 3])
    assert work.cohorts == (Cohort(0, 7, (0, 3)),) and work.total == 21
    assert new_campaign_work("n", leads=0, delays=[0]).cohorts == ()
    assert new_campaign_work("n", leads=7, delays=[]).cohorts == ()


def test_a_step_due_exactly_today_is_not_counted_again_as_future():
    # Offsets 0, 2, 5: on day 2 the second step is due now (in the queue), the third is future.
    work = running_campaign_work("r", delays=[9, 2, 3], elapsed_days=2, active_leads=40, queued=0)
    assert work.cohorts == (Cohort(3, 40, ()),)
    assert running_campaign_work("r", delays=[0, 2], elapsed_days=0, active_leads=0, queued=6).cohorts == (
        Cohort(0, 6, ()),
    )
    assert running_campaign_work("r", delays=[0, -1, 2], elapsed_days=0, active_leads=9, queued=0).cohorts == (
        Cohort(2, 9, ()),
    )
    assert running_campaign_work("r", delays=[0, 2], elapsed_days=5, active_leads=9, queued=0).cohorts == ()


def test_follow_ups_ready_the_same_day_wait_behind_the_ones_already_waiting():
    # Day 0 sends the first cohort; its follow-up is ready on day 1, like the second cohort.
    # First come, first served: the second cohort goes on day 1 (its follow-up on day 4), the
    # follow-up on day 2 (its own follow-up on day 6).
    work = Work("w", (Cohort(0, 10, (1, 4)), Cohort(1, 10, (3,))))
    proj = project([work], Capacity(10, 10), DAILY_RESET)
    assert proj.planned == [[10, 10, 10, 0, 10, 0, 10]]
    assert proj.backlog == [[0, 10, 0, 0, 0, 0, 0]]
    assert proj.finish == [6] and proj.unfinished == [0]


def test_what_cannot_go_out_within_the_horizon_is_reported_as_unfinished():
    plan = plan_campaign(leads=5000, delays=[0], capacity=Capacity(1, 1), model=DAILY_RESET)
    assert (plan.verdict, plan.unfinished, plan.last_day_projected) == (SPILLS, 5000 - HORIZON_DAYS, HORIZON_DAYS)
    assert plan.message == "Spills: 1,350 of 5,000 sends would still be waiting after 3,650 days."
    assert len(plan.days) == HORIZON_DAYS


def test_the_plans_messages_and_derived_numbers():
    nothing = plan_campaign(leads=5, delays=[0], capacity=Capacity(9, 9), model=DAILY_RESET, work=Work("x", ()))
    assert (nothing.verdict, nothing.message, nothing.days) == (FITS, "Nothing left to send.", [])
    assert nothing.peak == 0 and nothing.spill_days == 0
    one_late = plan_campaign(leads=1500, delays=[0, 2], capacity=Capacity(1000, 1000), model=ROLLING_24H)
    assert one_late.message == (
        "Spills: 3,000 sends all go out, but the last on day 3 instead of day 2 (1 day late) "
        "because the pools run out of capacity."
    )
    assert (one_late.peak, one_late.model_label, one_late.capacity) == (1500, "rolling 24 h window", 1000)
    fits = plan_campaign(leads=1200, delays=[0, 1], capacity=Capacity(5000, 10), model=ROLLING_24H)
    assert fits.message == "Fits: 2,400 sends go out on schedule, the last on day 1."
    assert plan_campaign(leads=1, delays=[0], capacity=Capacity(9, 9), model=DAILY_RESET).model_label == "daily reset"


def test_a_missing_capacity_is_refused_with_the_reason_given():
    plan = plan_campaign(
        leads=3, delays=[0], capacity=Capacity(0, 0), model=DAILY_RESET, no_capacity_reason="every pool is paused"
    )
    assert (plan.verdict, plan.message, plan.days) == (CANNOT_START, "Cannot start: every pool is paused.", [])
    assert plan_campaign(leads=0, delays=[0], capacity=Capacity(9, 9), model=DAILY_RESET).message == (
        "Cannot start: no leads to send to."
    )
    assert plan_campaign(leads=4, delays=[], capacity=Capacity(9, 9), model=DAILY_RESET).message == (
        "Cannot start: the sequence has no steps."
    )


def test_the_workspace_sums_every_campaign_per_day():
    first = new_campaign_work("a", leads=60, delays=[0, 1])
    second = new_campaign_work("b", leads=50, delays=[0])
    ws = plan_workspace([first, second], Capacity(100, 80), DAILY_RESET, days=4)
    assert ws.names == ["a", "b"] and ws.capacity == [80, 100, 100, 100]
    assert ws.planned == [[60, 60, 0, 0], [20, 30, 0, 0]]
    assert (ws.totals, ws.waiting) == ([80, 90, 0, 0], [30, 0, 0, 0])
    assert ws.finish == [1, 1]


# --- properties ----------------------------------------------------------

delays_st = st.lists(st.integers(0, 5), min_size=1, max_size=4)
# At least 20 a day keeps every plan far inside the ten-year horizon (see HORIZON_DAYS).
capacity_st = st.builds(lambda daily, share: Capacity(daily, int(daily * share)), st.integers(20, 300), st.floats(0, 1))
running_st = st.lists(
    st.builds(
        lambda d, e, a, q: running_campaign_work("r", delays=d, elapsed_days=e, active_leads=a, queued=q),
        delays_st,
        st.integers(0, 8),
        st.integers(0, 300),
        st.integers(0, 300),
    ),
    max_size=3,
)
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(
    leads=st.integers(1, 2000),
    delays=delays_st,
    capacity=capacity_st,
    running=running_st,
    model=st.sampled_from(MODELS),
)
def test_every_lead_gets_every_step(leads, delays, capacity, running, model):
    plan = plan_campaign(leads=leads, delays=delays, capacity=capacity, model=model, running=running)
    assert plan.total_sends == leads * len(delays)
    assert plan.unfinished == 0  # the inputs are bounded well inside the planner's horizon
    assert sum(d.planned for d in plan.days) == leads * len(delays)
    assert sum(d.needed for d in plan.days) == leads * len(delays)


@FAST
@given(
    leads=st.integers(1, 2000),
    delays=delays_st,
    capacity=capacity_st,
    running=running_st,
    model=st.sampled_from(MODELS),
)
def test_no_day_exceeds_capacity(leads, delays, capacity, running, model):
    work = new_campaign_work("new", leads=leads, delays=delays)
    proj = project([*running, work], capacity, model)
    for day, cap in enumerate(proj.capacity):
        assert sum(row[day] for row in proj.planned) <= cap
    plan = plan_campaign(leads=leads, delays=delays, capacity=capacity, model=model, running=running)
    assert all(d.planned <= d.available for d in plan.days)


@FAST
@given(
    works=st.lists(st.tuples(st.integers(1, 500), delays_st), min_size=1, max_size=4),
    extra=st.tuples(st.integers(1, 500), delays_st),
    capacity=capacity_st,
    model=st.sampled_from(MODELS),
)
def test_adding_a_campaign_never_makes_another_finish_earlier(works, extra, capacity, model):
    # A campaign that starts is served after every campaign already running (start
    # order), which is how plan_campaign and plan_workspace add it: it only takes
    # what the others leave, so none of them may finish earlier (or later).
    base = [new_campaign_work(f"c{i}", leads=n, delays=d) for i, (n, d) in enumerate(works)]
    added = new_campaign_work("extra", leads=extra[0], delays=extra[1])
    before = project(base, capacity, model).finish
    after = project([*base, added], capacity, model).finish[: len(base)]
    assert all(a >= b for a, b in zip(after, before, strict=True))


def test_a_campaign_put_ahead_of_others_can_reorder_their_finish_days():
    """Why the planner never lets a new campaign jump the queue.

    Greedy priority scheduling with step delays has the classic list-scheduling anomaly:
    one extra send ahead of the others shifts a cohort so that a later campaign gets a
    quieter day and finishes earlier. Hypothesis found this case; serving new campaigns
    last (the rule above) is what keeps every promise already made.
    """
    capacity = Capacity(daily=192, remaining=0)
    works = [(24, [0, 0, 0]), (216, [0, 0, 3, 0]), (265, [0])]
    base = [new_campaign_work(f"c{i}", leads=n, delays=d) for i, (n, d) in enumerate(works)]
    added = new_campaign_work("extra", leads=1, delays=[0])
    before = project(base, capacity, DAILY_RESET).finish
    ahead = project([added, *base], capacity, DAILY_RESET).finish[1:]
    last = project([*base, added], capacity, DAILY_RESET).finish[:3]
    assert ahead[2] < before[2]  # the anomaly, if the new campaign were served first
    assert last == before  # served last, nobody's finish day moves


@FAST
@given(leads=st.integers(1, 2000), delays=delays_st, daily=st.integers(20, 300))
def test_both_models_agree_when_nothing_is_running(leads, delays, daily):
    # Nothing running and nothing sent in the current window: the whole window is left.
    cap = Capacity(daily, daily)
    reset = plan_campaign(leads=leads, delays=delays, capacity=cap, model=DAILY_RESET)
    rolling = plan_campaign(leads=leads, delays=delays, capacity=cap, model=ROLLING_24H)
    assert (reset.verdict, reset.days, reset.last_day_projected) == (
        rolling.verdict,
        rolling.days,
        rolling.last_day_projected,
    )
