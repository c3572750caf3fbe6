"""The launch pre-flight in words: each check's exact sentence, which checks run when, and the
launch page's choice between waiting on a refresh and showing the pre-flight.

test_launch.py checks that a launch is refused; these check what the manager reads and
which numbers the plan was asked for (a missing plan check, a plan asked for on stale pools).
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.models import Operation
from campaigns.planner import CANNOT_START, FITS, CapacityPlan
from campaigns.services import launch, sync_jobs
from tests.lifecycle_support import a_plan, campaign_in, fresh_pools

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(monkeypatch):
    """The plan the pre-flight gets, and every campaign it was asked for."""
    holder = {"plan": a_plan(), "asked": []}

    def plan_for(campaign):
        holder["asked"].append(campaign.pk)
        return holder["plan"]

    monkeypatch.setattr(launch, "launch_plan", plan_for)
    return holder


def approved(owner, approver, **counts):
    return campaign_in("approved", owner=owner, approver=approver, **counts)


def checks(result) -> dict:
    return {check.key: (check.ok, check.message) for check in result.checks}


def test_every_check_of_a_ready_campaign_says_what_it_found(sdr, manager2, plans):
    at = timezone.now() - timedelta(minutes=2)
    fresh_pools(at=at)
    campaign = approved(sdr, manager2, steps=2, leads=1)
    result = launch.campaign_preflight(campaign)
    assert checks(result) == {
        "approval": (True, f"The content is version {campaign.approved_version}, as approved."),
        "steps": (True, "2 steps."),
        "leads": (True, "1 lead."),  # one lead is enough to launch
        "coverage": (True, "Every merge tag has a value or a fallback for every lead."),
        "pools": (True, "Pool numbers are fresh."),
        "plan": (True, "The plan fits."),
    }
    assert result.pools_refreshed_at == at
    assert plans["asked"] == [campaign.pk]


def test_an_empty_campaign_is_told_both_sentences_and_no_plan_is_asked_for(sdr, manager2, plans):
    fresh_pools()
    campaign = approved(sdr, manager2, steps=0, leads=0)
    result = launch.campaign_preflight(campaign)
    found = checks(result)
    assert found["steps"] == (False, "The sequence has no steps.")
    assert found["leads"] == (False, "There are no leads to enroll.")
    assert "plan" not in found and result.plan is None and plans["asked"] == []


@pytest.mark.parametrize(("steps", "leads"), [(0, 2), (2, 0)])
def test_no_plan_without_steps_or_without_leads(sdr, manager2, plans, steps, leads):
    fresh_pools()
    result = launch.campaign_preflight(approved(sdr, manager2, steps=steps, leads=leads))
    assert "plan" not in checks(result) and plans["asked"] == []


def test_no_plan_is_drawn_from_stale_pool_numbers(sdr, manager2, plans):
    sync_jobs.sync_success(name=sync_jobs.POOLS, now=timezone.now() - timedelta(minutes=11))
    result = launch.campaign_preflight(approved(sdr, manager2))
    assert checks(result)["pools"] == (False, "Pool numbers are missing or out of date: refresh them.")
    assert "plan" not in checks(result) and plans["asked"] == []


def test_changed_content_is_told_it_needs_a_new_review(sdr, manager2, plans):
    fresh_pools()
    campaign = approved(sdr, manager2)
    campaign.steps.filter(position=1).update(subject="Changed after the approval")
    assert checks(launch.campaign_preflight(campaign))["approval"] == (
        False,
        "The content is not the version that was approved: it needs a new review.",
    )


def test_the_plan_check_reads_the_planners_own_sentence_else_its_verdict(sdr, manager2, plans):
    fresh_pools()
    campaign = approved(sdr, manager2)
    said = "Needs 3 days; the schedule allows 3."
    plans["plan"] = CapacityPlan(FITS, "daily_reset", message=said)
    assert checks(launch.campaign_preflight(campaign))["plan"] == (True, said)
    plans["plan"] = CapacityPlan(CANNOT_START, "daily_reset")
    assert checks(launch.campaign_preflight(campaign))["plan"] == (False, "The plan cannot_start.")


def test_an_uncovered_tag_is_named_with_its_count_in_the_coverage_line(sdr, manager2, plans):
    fresh_pools()
    campaign = approved(sdr, manager2, leads=2)
    campaign.steps.filter(position=1).update(body_html="<p>At {{company}}</p>")
    campaign.leads.update(company="")
    ok, message = checks(launch.campaign_preflight(campaign))["coverage"]
    assert not ok
    assert message.startswith("{{company}} empty for 2 of 2 leads")
    assert message.endswith(". Add a fallback, fill those leads, or send anyway below.")


def test_the_payload_records_when_the_preflight_ran_and_what_was_confirmed(sdr, manager2, plans):
    fresh_pools()
    campaign = approved(sdr, manager2)
    before = timezone.now()
    payload = launch.launch_payload(campaign, launch.campaign_preflight(campaign), {"company": 2})
    record = payload["preflight"]
    assert set(record) == {"passed", "checked_at", "checks", "confirmed_uncovered"}
    assert before <= datetime.fromisoformat(record["checked_at"]) <= timezone.now()
    assert record["confirmed_uncovered"] == {"company": 2} and record["passed"] is True


# --- the launch page: wait on a live refresh, else show the pre-flight ---------------------


def pool_refresh(status: str) -> Operation:
    return Operation.objects.create(kind=Operation.Kind.REFRESH_POOLS, status=status)


def test_the_page_follows_the_latest_refresh_when_none_is_named(sdr, manager, manager2, plans):
    fresh_pools()
    campaign = approved(sdr, manager2)
    pool_refresh("succeeded")
    latest = pool_refresh("succeeded")
    for named in (None, "", "latest"):
        page = launch.launch_page(campaign=campaign, actor=manager, refresh_id=named)
        assert page["refresh_op"] == latest and not page["waiting"]
        assert page["refresh_note"].startswith("Pool numbers refreshed (started ")
        assert [check.key for check in page["preflight"].checks][-1] == "plan"


def test_the_page_waits_on_a_live_refresh_without_running_the_preflight(sdr, manager, manager2, plans):
    fresh_pools()
    campaign = approved(sdr, manager2)
    earlier = pool_refresh("succeeded")
    live = pool_refresh("queued")
    page = launch.launch_page(campaign=campaign, actor=manager, refresh_id=str(live.pk))
    assert (page["refresh_op"], page["waiting"], page["preflight"]) == (live, True, None)
    assert page["refresh_note"] == "Refreshing pool numbers (started 0 s ago)."
    assert plans["asked"] == []
    page = launch.launch_page(campaign=campaign, actor=manager, refresh_id=str(earlier.pk))
    assert page["refresh_op"] == earlier and page["preflight"] is not None
