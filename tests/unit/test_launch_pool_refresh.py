"""Fresh pool numbers for a launch: reuse a live refresh, replace a dead one, say which it is.

A dead refresh is one a launch must not wait on: stranded (running, its worker stopped beating)
or retrying on a backoff after a failure. The launch page waits only for a live one.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Operation
from campaigns.services import launch
from campaigns.services import operations as engine
from campaigns.services.pool_refresh import pools_refresh_for_launch, refresh_state
from tests.lifecycle_support import a_plan, campaign_in, fresh_pools

pytestmark = pytest.mark.django_db
S = Operation.Status


@pytest.fixture(autouse=True)
def quiet(monkeypatch, settings):
    settings.OPERATION_HEARTBEAT_STALE_SECONDS = 8
    monkeypatch.setattr(engine, "_send", lambda pk, countdown=None: None)
    monkeypatch.setattr(launch, "launch_plan", lambda campaign: a_plan())


@pytest.fixture
def approved(sdr, manager2):
    return campaign_in("approved", owner=sdr, approver=manager2)


def refresh(status, *, age: float = 3, beat_age: float | None = 1, error: str = "") -> Operation:
    now = timezone.now()
    op = Operation.objects.create(kind="refresh_pools", status=status, last_error=error)
    beat = None if beat_age is None else now - timedelta(seconds=beat_age)
    Operation.objects.filter(pk=op.pk).update(
        created_at=now - timedelta(seconds=age),
        updated_at=now - timedelta(seconds=age),
        claimed_at=now - timedelta(seconds=age) if status == S.RUNNING else None,
        heartbeat_at=beat if status == S.RUNNING else None,
        next_attempt_at=now + timedelta(seconds=120) if status == S.RETRYING else None,
    )
    op.refresh_from_db()
    return op


def refreshes() -> int:
    return Operation.objects.filter(kind="refresh_pools").count()


def test_a_live_running_refresh_is_reused_and_the_page_says_since_when(approved, manager, manager_client):
    live = refresh(S.RUNNING, age=3, beat_age=1)
    assert launch.campaign_preflight_refresh(campaign=approved, actor=manager) == live
    assert refreshes() == 1
    page = manager_client.get(reverse("campaign_launch", args=[approved.pk]) + f"?op={live.pk}").content.decode()
    assert re.search(r"Refreshing pool numbers \(started [34] s ago\)\.", page), "3 s, or 4 on a slow machine"
    assert 'hx-trigger="every 1s"' in page


def test_a_queued_refresh_is_reused(approved, manager):
    queued = refresh(S.QUEUED, age=20)
    assert pools_refresh_for_launch(actor=manager) == queued and refreshes() == 1


def test_a_stranded_refresh_is_replaced_at_once(approved, manager):
    stranded = refresh(S.RUNNING, age=400, beat_age=9)
    new = launch.campaign_preflight_refresh(campaign=approved, actor=manager)
    stranded.refresh_from_db()
    assert new != stranded and new.status == S.QUEUED
    assert stranded.status == S.CANCELLED and "worker stopped answering" in stranded.last_error
    state = refresh_state(new)
    assert state.live
    assert state.sentence.startswith("The last refresh failed: its worker stopped answering; retrying now")


def test_a_refresh_waiting_out_a_backoff_is_replaced_and_its_error_is_shown(approved, manager):
    retrying = refresh(S.RETRYING, error="Leadterra answered 503 (temporarily unavailable).")
    new = pools_refresh_for_launch(actor=manager)
    retrying.refresh_from_db()
    assert retrying.status == S.CANCELLED and refreshes() == 2
    assert refresh_state(new).sentence.startswith(
        "The last refresh failed: Leadterra answered 503 (temporarily unavailable).; retrying now"
    )


def test_after_a_failed_refresh_a_new_one_says_the_last_one_failed(approved, manager):
    refresh(S.FAILED, error="The API key was refused.")
    new = pools_refresh_for_launch(actor=manager)
    assert refreshes() == 2
    assert refresh_state(new).sentence.startswith("The last refresh failed: The API key was refused.; retrying now")


def test_without_any_refresh_one_is_started(approved, manager):
    new = pools_refresh_for_launch(actor=manager)
    assert (new.status, new.payload) == (S.QUEUED, {})
    assert refresh_state(new).sentence == "Refreshing pool numbers (started 0 s ago)."


def test_the_launch_page_never_waits_on_a_stranded_refresh(approved, manager_client):
    stranded = refresh(S.RUNNING, age=60, beat_age=30)
    url = reverse("campaign_preflight_checks", args=[approved.pk]) + f"?op={stranded.pk}"
    response = manager_client.get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 286, "the poll stops: nothing to wait for"
    assert "The refresh stopped: its worker stopped answering. Refresh again to replace it." in html
    assert "Pool numbers are missing or out of date" in html and "Refresh pool numbers again" in html


def test_the_launch_page_never_waits_on_a_refresh_that_backs_off(approved, manager_client):
    fresh_pools(at=timezone.now() - timedelta(seconds=60))  # then the refresh after it failed
    retrying = refresh(S.RETRYING, error="Leadterra answered 429.")
    html = manager_client.get(reverse("campaign_launch", args=[approved.pk]) + f"?op={retrying.pk}").content.decode()
    assert "The last refresh failed: Leadterra answered 429.; it waits to retry. Refresh again to retry now." in html
    assert "The last pool refresh failed (Leadterra answered 429.)" in html


def test_refreshing_again_from_the_page_replaces_the_stranded_refresh(approved, manager_client):
    stranded = refresh(S.RUNNING, age=60, beat_age=30)
    response = manager_client.post(reverse("campaign_preflight_refresh", args=[approved.pk]))
    new = Operation.objects.filter(kind="refresh_pools").order_by("-pk").first()
    assert new != stranded and response["Location"].endswith(f"?op={new.pk}")
    page = manager_client.get(response["Location"]).content.decode()
    assert "The last refresh failed: its worker stopped answering; retrying now (started 0 s ago)." in page
