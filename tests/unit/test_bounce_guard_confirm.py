"""Saving bounce-guard numbers the campaign already crosses asks first; trip reasons are precise enough to be true."""

import pytest
from django.urls import reverse

from campaigns.models import AuditEvent, Operation
from campaigns.services import lifecycle
from campaigns.wording import distinct_percents
from tests.lifecycle_support import campaign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def over(sdr):
    """Running at 5.04% bounced (126 of 2,500), guard at 8% once 500 delivered."""
    return campaign_in(
        "running", owner=sdr, sent=2500, delivered=2300, bounced=126, bounce_threshold=0.08, bounce_min_delivered=500
    )


def guard(client, campaign, **data):
    return client.post(reverse("campaign_guard", args=[campaign.pk]), data)


def test_a_threshold_below_the_current_rate_is_refused_without_confirmation(over, manager):
    with pytest.raises(lifecycle.GuardWouldPause) as refused:
        lifecycle.campaign_guard_update(campaign=over, actor=manager, threshold=0.05, min_delivered=500)
    assert "126 of 2,500 sent messages bounced (5.04%)" in str(refused.value)
    assert "new threshold of 5.00%" in str(refused.value) and "pause this campaign now" in str(refused.value)
    over.refresh_from_db()
    assert (over.bounce_threshold, over.status) == (0.08, "running")
    assert not Operation.objects.filter(kind="pause").exists()
    assert not AuditEvent.objects.filter(action="bounce_guard.changed").exists()


def test_a_lower_delivery_floor_that_makes_the_guard_trip_also_asks(sdr, manager):
    # The rate is already over the threshold; the guard only waited for 3,000 delivered. Lowering that pauses too.
    campaign = campaign_in(
        "running", owner=sdr, sent=2500, delivered=2300, bounced=300, bounce_threshold=0.1, bounce_min_delivered=3000
    )
    with pytest.raises(lifecycle.GuardWouldPause):
        lifecycle.campaign_guard_update(campaign=campaign, actor=manager, threshold=0.1, min_delivered=2000)
    # Numbers that do not trip it save at once.
    lifecycle.campaign_guard_update(campaign=campaign, actor=manager, threshold=0.15, min_delivered=2000)
    assert not Operation.objects.filter(kind="pause").exists()


def test_confirming_saves_and_pauses_now_as_the_guard(over, manager):
    lifecycle.campaign_guard_update(campaign=over, actor=manager, threshold=0.05, min_delivered=400, confirm=True)
    over.refresh_from_db()
    assert (over.bounce_threshold, over.bounce_min_delivered) == (0.05, 400)
    pause = Operation.objects.get(kind="pause", campaign=over)
    assert pause.created_by is None  # the guard pauses, on the numbers the manager saved
    assert over.status_reason == (
        "Bounce guard: 5.04% of 2,500 sent messages bounced (threshold 5.00% once 400 are delivered)."
    )
    assert AuditEvent.objects.filter(action="bounce_guard.changed", actor=manager).count() == 1


@pytest.mark.parametrize("status", ["paused", "approved"])
def test_a_campaign_that_is_not_running_saves_without_asking(sdr, manager, status):
    campaign = campaign_in(status, owner=sdr, approver=manager, sent=100, delivered=90, bounced=20)
    lifecycle.campaign_guard_update(campaign=campaign, actor=manager, threshold=0.01, min_delivered=1)
    campaign.refresh_from_db()
    assert campaign.bounce_threshold == 0.01 and not Operation.objects.filter(kind="pause").exists()


def test_the_page_asks_for_confirmation_and_a_second_post_pauses(over, manager_client):
    response = guard(manager_client, over, threshold_percent="5", min_delivered="500")
    html = response.content.decode()
    assert response.status_code == 200 and "Save and pause now" in html
    assert "bounced (5.04%), above the new threshold of 5.00%" in html
    assert 'name="confirm" value="1"' in html and 'name="threshold_percent" value="5"' in html
    over.refresh_from_db()
    assert over.bounce_threshold == 0.08 and not Operation.objects.filter(kind="pause").exists()

    response = guard(manager_client, over, threshold_percent="5", min_delivered="500", confirm="1")
    assert response.status_code == 302
    over.refresh_from_db()
    assert over.bounce_threshold == 0.05 and Operation.objects.filter(kind="pause", campaign=over).count() == 1


def test_a_threshold_above_the_rate_saves_without_a_question(over, manager_client):
    response = guard(manager_client, over, threshold_percent="6.5", min_delivered="500")
    assert response.status_code == 302
    over.refresh_from_db()
    assert over.bounce_threshold == 0.065 and not Operation.objects.filter(kind="pause").exists()


def test_an_sdr_cannot_confirm_their_way_past_the_guard(over, sdr_client):
    assert guard(sdr_client, over, threshold_percent="5", min_delivered="500", confirm="1").status_code == 403
    assert not Operation.objects.filter(kind="pause").exists()


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ((0.0504, 0.05), ["5.04%", "5.00%"]),
        ((0.0496, 0.05), ["4.96%", "5.00%"]),
        ((0.10, 0.05), ["10.0%", "5.0%"]),
        ((0.05, 0.05), ["5.0%", "5.0%"]),  # equal numbers stay at one decimal
        ((0.050004, 0.05), ["5.0004%", "5.0000%"]),
        ((0.0500001, 0.05), ["5.0000%", "5.0000%"]),  # no further than four decimals
    ],
)
def test_percentages_get_the_decimals_that_keep_them_apart(shares, expected):
    assert distinct_percents(*shares) == expected


def test_the_campaign_page_shows_the_rate_apart_from_its_threshold(sdr, manager_client):
    campaign = campaign_in("running", owner=sdr, sent=2500, delivered=2300, bounced=126, bounce_threshold=0.05)
    page = manager_client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert 'now <span class="num">5.04%</span>' in page
