"""The lifecycle panel when the worker finishes between the page's reads (a query hook, no sleeps).

The hook lets the first read of the campaign or operation tables through, then runs the real
worker path (operation_run, with Leadterra faked) before the second one: exactly the moment at
which the page used to render the old status with no polling.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from campaigns.leadterra.types import CampaignStateData
from campaigns.models import Campaign, Lead, Operation
from campaigns.services import lifecycle
from campaigns.services.operations import operation_run
from tests.lifecycle_support import campaign_in

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


class FakeLeadterra:
    def pause_campaign(self, campaign_id):
        return CampaignStateData(id=campaign_id, status="paused")

    def start_campaign(self, campaign_id):
        return CampaignStateData(id=campaign_id, status="running")


class WorkerFinishesBetweenReads:
    """Runs the operation to success right before the request's second read of the two tables."""

    TABLES = ('"campaigns_campaign"', '"campaigns_operation"')

    def __init__(self, operation_id):
        self.operation_id, self.reads, self.fired = operation_id, 0, False

    def __call__(self, execute, sql, params, many, context):
        if not self.fired and sql.lstrip().upper().startswith("SELECT") and any(t in sql for t in self.TABLES):
            if self.reads:
                self.fired = True  # before running: the worker's own queries pass through here too
                assert operation_run(operation_id=self.operation_id) == "succeeded"
            self.reads += 1
        return execute(sql, params, many, context)


@pytest.fixture(autouse=True)
def fake_leadterra(monkeypatch):
    monkeypatch.setattr("campaigns.services.operations.get_client", FakeLeadterra)


def get_racing(client, url, op, **kwargs):
    hook = WorkerFinishesBetweenReads(op.pk)
    with connection.execute_wrapper(hook):
        response = client.get(url, **kwargs)
    assert hook.fired, "the worker never ran between two reads: the test proves nothing"
    return response


def panel_of(html: str) -> str:
    return html[html.index('id="lifecycle"') : html.index('id="activity-title"')]


def badge(html: str) -> str:
    return re.search(r'<span class="badge badge--\w+">([^<]+)</span>', html).group(1)


def paused_soon(sdr, manager):
    campaign = campaign_in("running", owner=sdr, queued=7)
    return campaign, lifecycle.campaign_pause(campaign=campaign, actor=manager, reason="Pricing page is down")


def resumed_soon(sdr, manager):
    campaign = campaign_in("paused", owner=sdr, paused_at=timezone.now())
    Lead.objects.filter(campaign=campaign).update(status=Lead.Status.ENROLLED)
    return campaign, lifecycle.campaign_resume(campaign=campaign, actor=manager)


def test_a_pause_finishing_between_the_reads_shows_paused_then_stops_polling(manager_client, sdr, manager):
    campaign, op = paused_soon(sdr, manager)
    html = get_racing(manager_client, reverse("campaign_detail", args=[campaign.pk]), op).content.decode()
    panel = panel_of(html)
    assert badge(panel) == "Paused" and badge(html) == "Paused"  # the page header agrees with the panel
    assert "Pause…" not in panel and "Resume…" in panel and "Pricing page is down" in panel
    # One refresh later the operation is seen finished with its outcome: polling stops.
    poll = manager_client.get(reverse("campaign_lifecycle", args=[campaign.pk]) + "?seen=paused", headers=HX)
    assert poll.status_code == 286 and badge(poll.content.decode()) == "Paused"


def test_a_resume_finishing_between_the_reads_shows_running(manager_client, sdr, manager):
    campaign, op = resumed_soon(sdr, manager)
    html = get_racing(manager_client, reverse("campaign_detail", args=[campaign.pk]), op).content.decode()
    panel = panel_of(html)
    assert badge(panel) == "Running" and badge(html) == "Running"
    assert "Resume…" not in panel and "Pause…" in panel
    poll = manager_client.get(reverse("campaign_lifecycle", args=[campaign.pk]) + "?seen=running", headers=HX)
    assert poll.status_code == 286 and badge(poll.content.decode()) == "Running"


@pytest.mark.parametrize("make, shown", [(paused_soon, "running"), (resumed_soon, "paused")])
def test_the_poll_never_stops_on_the_state_before_the_operation(manager_client, sdr, manager, make, shown):
    campaign, op = make(sdr, manager)
    url = reverse("campaign_lifecycle", args=[campaign.pk]) + f"?seen={shown}"
    response = get_racing(manager_client, url, op, headers=HX)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"  # the page reloads into the new state


def finished_pause(sdr, manager, *, row_written_after: bool):
    """A pause the worker marked succeeded at `done` while the campaign row still says running."""
    campaign, op = paused_soon(sdr, manager)
    done = timezone.now()
    Operation.objects.filter(pk=op.pk).update(status=Operation.Status.SUCCEEDED, finished_at=done)
    written = done + timedelta(seconds=1) if row_written_after else done - timedelta(seconds=1)
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=written)
    return campaign


def test_the_poll_keeps_going_while_a_finished_pause_has_not_reached_the_campaign(manager_client, sdr, manager):
    campaign = finished_pause(sdr, manager, row_written_after=False)
    response = manager_client.get(reverse("campaign_lifecycle", args=[campaign.pk]) + "?seen=running", headers=HX)
    html = response.content.decode()
    assert response.status_code == 200 and 'hx-trigger="every 2s"' in html


def test_a_campaign_row_written_after_the_operation_is_the_truth_and_polling_stops(manager_client, sdr, manager):
    # e.g. resumed or archived after the pause: the panel must not poll forever on an old operation.
    campaign = finished_pause(sdr, manager, row_written_after=True)
    response = manager_client.get(reverse("campaign_lifecycle", args=[campaign.pk]) + "?seen=running", headers=HX)
    assert response.status_code == 286 and badge(response.content.decode()) == "Running"
