"""Ten minutes of `make run` under the sandbox's accelerated clock (60 s a simulated day, so ten
simulated days), then every page: nothing that already happened is dated in the future."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Reply
from campaigns.services.replies import replies_poll_cycle
from campaigns.services.stats import stats_poll_cycle
from tests.integration.test_approvals_sandbox import CONTENT, LEADS, launch_through_the_worker, status_becomes
from tests.lifecycle_support import as_user, campaign_in, post

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])]

MAKE_RUN_DAYS = 10  # ten real minutes at SANDBOX_SECONDS_PER_DAY=60
PAGES = ["campaign_list", "replies", "operations", "workspace_plan", "pools", "audit_log", "suppression"]
SCHEDULES = {"workspace_plan", "campaign_detail"}  # their plans date days still to come, as they should
# "12 Dec" style dates as the pages print them, with the month names Django uses.
DAY_MONTH = re.compile(r"\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def dates_after_today(html: str) -> list[str]:
    today = timezone.localdate()
    later = []
    for day, month in DAY_MONTH.findall(html):
        month_no = MONTHS.index(month) + 1
        ahead = (month_no, int(day)) > (today.month, today.day) and month_no - today.month < 6
        if ahead:
            later.append(f"{day} {month}")
    return later


def test_ten_minutes_of_make_run_date_nothing_that_happened_in_the_future(sandbox, celery_worker, sdr, manager):
    sandbox.reset(seed=11, pools=1, senders=2, poolCapacity=5000, campaigns=0, leads=0, steps=1)
    sandbox.rates(bounceRate=0.01, replyRate=0.4, replyDelayHours=[1, 3])
    sandbox.advance(days=MAKE_RUN_DAYS)  # Leadterra's calendar runs ten days ahead of ours
    campaign = campaign_in("approved", owner=sdr, approver=manager, name=CONTENT["name"], leads=LEADS)
    launcher = as_user(manager)
    launch_through_the_worker(launcher, campaign)
    sandbox.advance(days=3)  # both steps out, replies in
    stats_poll_cycle()
    assert replies_poll_cycle() > 0
    post(launcher, "campaign_pause", campaign, {"reason": "Checking the replies"})
    paused = status_becomes(campaign, "paused")

    now = timezone.now()
    assert paused.started_at <= now and paused.paused_at <= now
    assert not Reply.objects.filter(received_at__gt=now).exists()
    for name, url in [(n, reverse(n)) for n in PAGES] + [("campaign_detail", f"/campaigns/{paused.pk}/")]:
        html = launcher.get(url).content.decode()
        assert "from now" not in html, name
        assert name in SCHEDULES or dates_after_today(html) == [], name
    detail = launcher.get(f"/campaigns/{paused.pk}/").content.decode()
    assert "Paused by manager" in detail and Campaign.objects.get(pk=paused.pk).status == "paused"
