"""Speed to lead: waiting and oldest wait per SDR and campaign, medians to first answer today and
this week, and the wall's panel of the longest waits (no lead names or addresses there)."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Reply, ReplyHandoff, WallToken
from campaigns.services.desk_actions import reply_answered
from campaigns.services.speed import NOBODY, period_starts, speed_board, wall_table_rows, wall_waiting
from tests.desk_helpers import a_reply
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
WEDNESDAY_NOON = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.get_current_timezone())


def answered(n, *, by, received_minutes_ago, took_minutes, campaign=None):
    reply = a_reply(n, minutes_ago=received_minutes_ago, campaign=campaign)
    at = reply.waiting_since + timedelta(minutes=took_minutes)
    Reply.objects.filter(pk=reply.pk).update(claimed_by=by, claimed_at=at, first_answer_at=at)
    return reply


def rows(board, which="by_sdr"):
    return {r.name: r for r in getattr(board, which)}


def test_weeks_start_on_monday_and_days_at_local_midnight():
    today, week = period_starts(WEDNESDAY_NOON)
    assert (today.day, today.hour, week.day, week.weekday()) == (2, 0, 30, 0)


@time_machine.travel(WEDNESDAY_NOON, tick=False)
def test_medians_split_today_from_this_week_per_sdr_and_campaign(sdr, sdr2, manager):
    c1, c2 = CampaignFactory(name="Alpha"), CampaignFactory(name="Beta")
    answered(1, by=sdr, received_minutes_ago=60, took_minutes=4, campaign=c1)
    answered(2, by=sdr, received_minutes_ago=90, took_minutes=10, campaign=c1)
    answered(3, by=sdr, received_minutes_ago=60 * 30, took_minutes=30, campaign=c2)  # Tuesday
    answered(4, by=sdr2, received_minutes_ago=60 * 24 * 9, took_minutes=2, campaign=c2)  # last week
    a_reply(5, minutes_ago=25, campaign=c2)
    board = speed_board(actor=manager)
    by_sdr, by_campaign = rows(board), rows(board, "by_campaign")
    assert (by_sdr["sdr"].median_today, by_sdr["sdr"].median_week) == (7 * 60, 10 * 60)
    assert "sdr2" not in by_sdr  # nothing this week
    assert (by_sdr[NOBODY].waiting, by_sdr[NOBODY].oldest) == (1, 25 * 60)
    assert (by_campaign["Beta"].waiting, by_campaign["Beta"].median_week) == (1, 30 * 60)
    assert (board.total.waiting, len(board.total.week), len(board.total.today)) == (1, 3, 2)


def test_a_handed_off_reply_waits_on_its_sdr_until_an_answer_is_sent(sdr, manager):
    reply = a_reply(1, minutes_ago=6)
    ReplyHandoff.objects.create(reply=reply, sdr_user=sdr, sdr_id="sdr_1", thread_id="thr_1")
    assert rows(speed_board(actor=manager))["sdr"].waiting == 1
    reply_answered(thread_id="thr_1")
    after = rows(speed_board(actor=manager))["sdr"]
    assert after.waiting == 0 and after.today and 5 * 60 <= after.median_today <= 7 * 60


def test_only_managers_read_speed_to_lead(sdr):
    with pytest.raises(PermissionDenied):
        speed_board(actor=sdr)


def test_the_wall_panel_lists_the_longest_waits_first_without_lead_details(client, sdr, settings):
    settings.REPLY_SLA_MINUTES = 10
    campaign = CampaignFactory(name="Alpha")
    a_reply(1, minutes_ago=3, campaign=campaign)
    a_reply(2, minutes_ago=12, campaign=campaign)
    waits = wall_waiting(limit=5)
    assert [(w.level, w.holder) for w in waits] == [("over", "unclaimed"), ("ok", "unclaimed")]
    token = WallToken.objects.create(label="Floor")
    html = client.get(reverse("wall", args=[token.token])).content.decode()
    assert "Interested replies waiting longest" in html and "12 min" in html and "Overdue" in html
    assert "nobody is waiting" not in html
    assert "prospect.test" not in html and "Sounds good" not in html


@pytest.mark.parametrize(("waits", "rows"), [(0, 6), (1, 4), (2, 4), (3, 3)])
def test_the_panel_takes_its_room_from_the_campaign_rows_only_when_someone_waits(waits, rows):
    assert wall_table_rows(waiting=[object()] * waits, rows=6) == rows


def test_no_panel_when_nobody_waits(client):
    token = WallToken.objects.create(label="Floor")
    assert "data-wall-waiting" not in client.get(reverse("wall", args=[token.token])).content.decode()
