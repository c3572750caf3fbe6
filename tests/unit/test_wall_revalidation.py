"""The wall's ETag: every change the screen shows changes it, and what the screen does not show
(a poll or a pool refresh that only stamps a time, a wait ticking) leaves it, so the TV gets 304.

The version behind the ETag is made of cheap facts (services/wall_screen.py), not of the screen
itself, so each kind of change is made here the way production makes it (the service that writes
it) and the screen is revalidated with the ETag the TV holds."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.leadterra import Transient
from campaigns.leadterra.types import SenderAccountData, SenderPoolData, StatsData
from campaigns.models import Campaign, ReplyHandoff, StatsSnapshot, WallToken
from campaigns.services import sync_jobs
from campaigns.services.campaigns import campaign_archive
from campaigns.services.counters import counter_sent
from campaigns.services.desk import waiting_replies
from campaigns.services.desk_actions import reply_answered, reply_claim
from campaigns.services.live import StatsFreshness, stale_after
from campaigns.services.pools import pools_apply
from campaigns.services.stats import stats_apply, stats_record_failure
from campaigns.services.transitions import confirm
from campaigns.services.wall_screen import wall_version
from tests.desk_helpers import a_reply
from tests.factories import CampaignFactory
from tests.polling import Polled

pytestmark = pytest.mark.django_db
FIGURES = {"total_enrolled": 100, "sent": 40, "delivered": 39, "bounced": 1, "replied": 2, "queued": 60}
RATES = {"open_rate": 0.5, "reply_rate": 0.02}


def running(name, **fields):
    values = {"status": Campaign.Status.RUNNING, "remote_id": f"camp_{name}", "stats_polled_at": timezone.now()}
    return CampaignFactory(name=name, **(values | FIGURES | RATES | fields))


def stats(campaign, **figures):
    values = FIGURES | RATES | figures
    return StatsData(campaign_id=campaign.remote_id, **values)


def pool(remaining=25_000, status="active"):
    pools_apply(
        pools=[SenderPoolData("pool_1", "Pool one", 40_000, remaining, 2, ("acct_1", "acct_2"))],
        accounts=[SenderAccountData(f"acct_{n}", f"s{n}@pool.test", "", status) for n in (1, 2)],
    )


@pytest.fixture
def world(db):
    """Three running campaigns and a paused one, a pool, numbers polled just now."""
    campaigns = [running(f"Campaign {n}") for n in range(3)]
    paused = running("Held", status=Campaign.Status.PAUSED, status_reason="Leadterra paused it: account review")
    pool()
    sync_jobs.sync_success(name=sync_jobs.STATS)
    return campaigns, paused


@pytest.fixture
def wall(client, manager, world):
    token = WallToken.objects.create(label="Sales floor", created_by=manager)
    return Polled(client, reverse("wall_screen", args=[token.token]))


# --- what leaves the screen as it is: 304 -------------------------------------------------


def test_a_poll_that_moves_no_number_leaves_the_screen_unchanged(wall, world):
    assert not wall.changed()
    stats_apply(campaign=world[0][0], data=stats(world[0][0]), now=timezone.now() + timedelta(seconds=5))
    assert not wall.changed()


def test_a_pool_refresh_with_the_same_numbers_leaves_the_screen_unchanged(wall):
    pool()  # stamps refreshed_at on the pool and its senders, nothing else
    assert not wall.changed()


def test_a_wait_ticking_leaves_the_screen_unchanged_the_browser_ticks_it(wall, settings):
    settings.REPLY_SLA_MINUTES = 1
    a_reply(1, minutes_ago=0.2)
    assert wall.changed()
    with time_machine.travel(timezone.now() + timedelta(seconds=50)):  # past the SLA: "Overdue" in the browser
        assert not wall.changed()
    assert "data-desk-since" in wall.html


# --- what the screen shows: 200 -----------------------------------------------------------


def test_a_counter_moved_by_a_poll_changes_the_screen(wall, world):
    stats_apply(campaign=world[0][0], data=stats(world[0][0], queued=59, sent=41))
    assert wall.changed()
    assert 'data-total="queued">239<' in wall.html


def test_a_counter_moved_by_a_webhook_changes_the_screen(wall, world):
    counter_sent(Campaign.objects.filter(pk=world[0][1].pk))
    assert wall.changed()


def test_a_bounce_count_alone_changes_the_screen(wall, world):
    stats_apply(campaign=world[0][2], data=stats(world[0][2], bounced=9))
    assert wall.changed()
    assert "22.5%" in wall.html  # 9 of 40


def test_a_confirmed_pause_changes_the_row_and_says_why(wall, world, manager):
    campaign = world[0][1]
    campaign.paused_by = manager  # campaign_pause writes who asked, then Leadterra confirms
    campaign.save(update_fields=["paused_by", "updated_at"])
    assert wall.changed()
    confirm(campaign.pk, "confirm_paused")
    assert wall.changed()
    assert "by manager" in wall.html and 'data-total="running">2<' in wall.html


def test_a_pause_reason_alone_changes_the_screen(wall, world, manager):
    held = world[1]
    assert "by the system: Leadterra paused it" in wall.html
    held.paused_by = manager  # the same write as campaign_pause's: who asked, and why
    held.status_reason = ""
    held.save(update_fields=["paused_by", "status_reason", "updated_at"])
    assert wall.changed()
    assert "by manager" in wall.html


def test_a_campaign_leaving_the_wall_changes_the_screen(wall, world, manager):
    campaign_archive(campaign=world[1], actor=manager)
    assert wall.changed()
    assert "Held" not in wall.html


def test_a_row_turning_stale_changes_the_screen(wall):
    later = timezone.now() + stale_after() + timedelta(seconds=5)
    with time_machine.travel(later):
        sync_jobs.sync_success(name=sync_jobs.STATS)  # the job runs, but these rows were not polled
        assert wall.changed()
        assert "is-stale" in wall.html and "minutes old" not in wall.html


def test_a_failed_poll_leadterra_unreachable_marks_the_row_stale(wall, world):
    assert "is-stale" not in wall.html
    stats_record_failure(campaign=world[0][0], error=Transient("Leadterra did not answer"))
    assert wall.changed()
    assert "is-stale" in wall.html


def test_a_stalled_poller_says_so_and_counts_the_minutes(wall):
    start = timezone.now()
    with time_machine.travel(start + stale_after() + timedelta(minutes=2)):
        assert wall.changed()
        assert "minutes old" in wall.html
    with time_machine.travel(start + stale_after() + timedelta(minutes=2, seconds=10)):
        assert not wall.changed()  # the same minute
    with time_machine.travel(start + stale_after() + timedelta(minutes=3)):
        assert wall.changed()


def test_midnight_starts_a_new_day_of_sends(client, manager, world):
    evening = timezone.localtime().replace(hour=23, minute=59, second=50)
    token = WallToken.objects.create(label="TV", created_by=manager)
    with time_machine.travel(evening, tick=False):
        Campaign.objects.update(stats_polled_at=timezone.now())  # fresh numbers on both sides of midnight
        sync_jobs.sync_success(name=sync_jobs.STATS)
        for campaign in world[0]:  # 10 sent by the day before yesterday, 40 by a poll this evening
            StatsSnapshot.objects.create(campaign=campaign, taken_at=evening - timedelta(days=2), sent=10)
            StatsSnapshot.objects.create(campaign=campaign, taken_at=evening - timedelta(seconds=15), sent=40)
        wall = Polled(client, reverse("wall_screen", args=[token.token]))
        assert 'data-total="sent_today">130<' in wall.html  # 3 × (40 − 10), and 40 from Held (no snapshot)
    with time_machine.travel(evening + timedelta(seconds=20), tick=False):
        assert wall.changed()
        assert 'data-total="sent_today">40<' in wall.html


def test_a_reply_arriving_changes_the_totals_and_an_interested_one_the_panel(wall):
    a_reply(1, classification="not_interested")
    assert wall.changed()
    assert "data-wall-waiting" not in wall.html
    a_reply(2, minutes_ago=3)
    assert wall.changed()
    assert "data-wall-waiting" in wall.html


def test_claiming_and_answering_a_waiting_reply_change_the_panel(wall, sdr):
    reply = a_reply(1, minutes_ago=3)
    assert wall.changed() and "unclaimed" in wall.html
    reply_claim(reply_pk=reply.pk, actor=sdr, version=None)
    assert wall.changed()
    assert "unclaimed" not in wall.html and ">sdr<" in wall.html
    ReplyHandoff.objects.create(reply=reply, sdr_user=sdr, sdr_id="sdr_1", thread_id="thr_1")
    assert not wall.changed()  # handed to the SDR who holds it already: the panel reads the same
    reply_answered(thread_id="thr_1")
    assert wall.changed()
    assert "data-wall-waiting" not in wall.html


def test_a_reply_handed_to_an_sdr_shows_who_has_it(wall, sdr):
    reply = a_reply(1, minutes_ago=3)
    assert wall.changed()
    ReplyHandoff.objects.create(reply=reply, sdr_user=sdr, sdr_id="sdr_1", thread_id="thr_1")
    assert wall.changed()
    assert ">sdr<" in wall.html


def test_pool_capacity_changes_the_screen(wall):
    pool(remaining=12_000)
    assert wall.changed()
    assert "12,000" in wall.html
    pool(remaining=12_000, status="paused")  # no active sender left: the gauge says it cannot send
    assert wall.changed()
    assert "no active sender" in wall.html


# --- the stale rows the version counts are the rows the screen dims ---------------------


def test_the_version_counts_stale_rows_by_the_screens_own_rule(db):
    now = timezone.now()
    old, recent = now - stale_after() - timedelta(seconds=1), now - timedelta(seconds=30)
    cases = {
        "fresh": {"stats_polled_at": recent},
        "old": {"stats_polled_at": old},
        "failing": {"stats_polled_at": recent, "stats_failed_at": now},
        "failed before its last good poll": {"stats_polled_at": recent, "stats_failed_at": old},
        "failed, never polled": {"stats_polled_at": None, "stats_failed_at": recent},
        "not polled yet": {"stats_polled_at": None},
    }
    made = {name: running(name, **fields) for name, fields in cases.items()}
    stale = [
        c
        for c in made.values()
        if StatsFreshness.of(polled_at=c.stats_polled_at, failed_at=c.stats_failed_at, now=now).stale
    ]
    version = wall_version(now=now)
    assert sorted(c.name for c in stale) == ["failed, never polled", "failing", "old"]
    assert (version.fleet["stale"], version.fleet["stale_ids"]) == (3, sum(c.pk for c in stale))


def test_the_version_counts_waiting_replies_by_the_desks_own_rule(db, sdr):
    a_reply(1)  # waiting
    a_reply(2, first_answer_at=timezone.now())
    a_reply(3, lost_at=timezone.now())
    a_reply(4, handled_at=timezone.now())
    a_reply(5, classification="not_interested")
    a_reply(6, claimed_by=sdr)  # held, still waiting for its first answer
    assert wall_version().fleet["waiting"] == waiting_replies().count() == 2


def test_the_totals_count_every_campaign_on_the_wall_not_only_the_page(client, manager):
    for n in range(8):
        running(f"Campaign {n}", queued=n)
    CampaignFactory(name="Draft", queued=99)  # not on the wall
    a_reply(1), a_reply(2, classification="not_interested"), a_reply(3, minutes_ago=60 * 30)  # the last: yesterday
    token = WallToken.objects.create(label="TV", created_by=manager)
    html = client.get(reverse("wall_screen", args=[token.token])).content.decode()
    assert 'data-total="running">8<' in html and 'data-total="queued">28<' in html
    assert 'data-total="sent_today">320<' in html  # 8 × 40, no snapshot before today
    assert 'data-total="replies_today">2<' in html and "1 interested" in html
