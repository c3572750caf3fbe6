"""The planner against the sandbox: the spill it projects is the spill that happens.

The sandbox resets pool volume at simulated midnight (the daily_reset model), sends the
oldest due message first and queues a step `delayDays` after the previous one went out,
which is what the planner assumes. Replies and bounces are switched off so every lead
takes every step, as the planner counts.
"""

import pytest

from campaigns.leadterra import StepData, get_client
from campaigns.planner import SPILLS
from campaigns.services.planning import campaign_plan
from campaigns.services.pools import pools_apply
from tests.factories import CampaignFactory, LeadFactory, StepFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]

LEADS, DELAYS, CAPACITY = 250, [0, 2], 100


def refresh(client):
    pools_apply(pools=client.list_sender_pools(), accounts=client.list_sender_accounts())


def launch_remote(client, leads):
    steps = [StepData(subject=f"Step {i + 1}", body_html="<p>Hello</p>", delay_days=d) for i, d in enumerate(DELAYS)]
    remote = client.create_campaign(name="Capacity check", steps=steps, idempotency_key="pools-sandbox-1")
    client.enroll_leads(remote.id, [{"email": lead.email} for lead in leads])
    client.start_campaign(remote.id)
    return remote.id


def observe(sb, client, remote_id, days):
    """Sends per simulated day and the pool's remaining volume at the end of each day."""
    sent, remaining, before = [], [], 0
    for _ in range(days):
        sb.advance(hours=23, seconds=59 * 60)  # to the end of the simulated day
        total = next(c for c in sb.state()["campaigns"] if c["id"] == remote_id)["sent"]
        sent.append(total - before)
        before = total
        remaining.append(client.list_sender_pools()[0].remaining)
        sb.advance(seconds=60)  # past midnight: a new window
    return sent, remaining


def test_pool_exhaustion_in_the_sandbox_matches_the_projected_spill(sandbox, settings):
    settings.CAPACITY_MODEL = "daily_reset"
    sandbox.reset(seed=7, pools=1, senders=1, poolCapacity=CAPACITY, campaigns=0, leads=0, steps=1)
    sandbox.rates(bounceRate=0, replyRate=0)
    # Start the simulated day at midnight so "the end of the day" is 24 h away.
    now = sandbox.state()["now"]
    hours, minutes = int(now[11:13]), int(now[14:16])
    sandbox.advance(seconds=(24 - hours) * 3600 - minutes * 60 - int(now[17:19]))
    client = get_client()
    refresh(client)

    campaign = CampaignFactory()
    for i, d in enumerate(DELAYS):
        StepFactory(campaign=campaign, position=i + 1, delay_days=d)
    leads = LeadFactory.create_batch(LEADS, campaign=campaign)
    plan = campaign_plan(campaign)
    assert plan.verdict == SPILLS and plan.capacity == CAPACITY

    remote_id = launch_remote(client, leads)
    sent, remaining = observe(sandbox, client, remote_id, days=len(plan.days) + 2)

    projected = [d.planned for d in plan.days]
    last_sandbox_day = max(d for d, n in enumerate(sent) if n)
    assert sum(sent) == LEADS * len(DELAYS)
    assert abs(last_sandbox_day - plan.last_day_projected) <= 1, (sent, projected)
    # The pool runs dry on the days the plan says this campaign uses all the capacity left.
    exhausted = [d for d, r in enumerate(remaining) if r == 0]
    planned_full = [d.day for d in plan.days if d.planned == d.available]
    assert exhausted == planned_full, (remaining, projected)
    assert sent[: len(projected)] == projected
