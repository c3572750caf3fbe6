"""axe-core on the states a page reaches without a reload: rows and counters swapped in by the
live partials, a form sent back with errors, the bounce guard's confirmation. (The outage banner
arriving on an open page is checked in test_outage_banner_live.py.)"""

import pytest
from django.utils import timezone

from campaigns.models import Campaign, SdrThread
from tests.conftest import login_page
from tests.desk_helpers import a_reply
from tests.e2e.axe import allow_axe, axe_violations
from tests.e2e.axe_world import build_world
from tests.lifecycle_support import bouncing_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running(sdr, manager, settings):
    settings.LIVE_REFRESH_SECONDS = 1
    fields = {"queued": 400, "total_enrolled": 1200, "stats_polled_at": timezone.now()}
    return bouncing_campaign(owner=sdr, approver=manager, **fields)


def clean(page, live_server):
    allow_axe(page, live_server.url)
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")  # forms inside too
    assert axe_violations(page, live_server.url) == []


def test_swapped_in_rows_and_counters_have_no_violation(page, live_server, manager, client, running):
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + "/campaigns/")
    Campaign.objects.filter(pk=running.pk).update(sent=4321, stats_polled_at=timezone.now())
    page.wait_for_selector("text=4,321")
    clean(page, live_server)
    page.goto(f"{live_server.url}/campaigns/{running.pk}/")
    Campaign.objects.filter(pk=running.pk).update(sent=4777, stats_polled_at=timezone.now())
    page.wait_for_selector('[data-counter="sent"]:has-text("4,777")')
    clean(page, live_server)


def test_a_form_with_errors_and_the_bounce_guard_confirmation_have_no_violation(
    page, live_server, manager, client, running
):
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + "/campaigns/new/")
    page.click("button:has-text('Create draft')")
    page.wait_for_selector(".field__error, .alert--error")
    clean(page, live_server)
    page.goto(f"{live_server.url}/campaigns/{running.pk}/")
    page.fill("input[name=threshold_percent]", "5")
    page.click(".guard__form button:has-text('Save')")
    page.wait_for_selector("text=Save and pause now")
    clean(page, live_server)


def test_the_desk_queue_and_the_inbox_list_swapped_in_have_no_violation(
    page, live_server, sdr, manager, client, settings
):
    settings.LIVE_REFRESH_SECONDS = 1
    world = build_world(sdr, manager)
    login_page(page, live_server, sdr, client)
    page.goto(live_server.url + "/desk/")
    page.wait_for_load_state("networkidle")
    a_reply(99, minutes_ago=9, campaign=world["running"])
    page.wait_for_selector("#desk-queue:has-text('p99@prospect.test')")
    clean(page, live_server)
    page.goto(live_server.url + "/sdr/inbox/")
    fields = {"contact_name": "Newly Handed", "status": "awaiting_reply", "category": "C"}
    SdrThread.objects.create(user=sdr, thread_id="thr_new", seen_at=timezone.now(), priority_score=99, **fields)
    page.wait_for_selector("#inbox-list:has-text('Newly Handed')")
    clean(page, live_server)
