"""The Operations page opens on what needs a person; routine work is one tab away, each tab with its count."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Operation
from campaigns.services.operation_queries import WAITING_LONG, needs_attention_q
from tests.factories import CampaignFactory

S = Operation.Status
pytestmark = pytest.mark.django_db


def op(status, *, idle=timedelta(0), kind="suppress", **fields):
    """An operation whose last change was `idle` ago (updated_at is auto_now, so it is set afterwards)."""
    row = Operation.objects.create(kind=kind, status=status, payload={"emails": ["a@x.io"]}, **fields)
    Operation.objects.filter(pk=row.pk).update(updated_at=timezone.now() - idle)
    return row


def shown(html):
    return {int(pk) for pk in re.findall(r'<td class="num">(\d+)</td>\s*<td>', html)}


@pytest.fixture
def mix():
    long = WAITING_LONG + timedelta(seconds=30)
    short = WAITING_LONG - timedelta(seconds=30)
    return {
        "failed": op(S.FAILED),
        "retrying": op(S.RETRYING),
        "unknown": op(S.OUTCOME_UNKNOWN, kind="sdr_send"),
        "stuck_queued": op(S.QUEUED, idle=long),
        "stuck_running": op(S.RUNNING, idle=long),
        # Routine: fresh work in progress and everything that ended well or was let go.
        "queued": op(S.QUEUED, idle=short),
        "running": op(S.RUNNING, idle=short),
        "succeeded": op(S.SUCCEEDED, idle=timedelta(hours=3)),
        "old_succeeded": op(S.SUCCEEDED, idle=timedelta(days=2)),
        "cancelled": op(S.CANCELLED, idle=long),
    }


ATTENTION = {"failed", "retrying", "unknown", "stuck_queued", "stuck_running"}


def test_needs_attention_is_failed_retrying_unknown_and_work_that_waited_long(mix):
    picked = set(Operation.objects.filter(needs_attention_q()).values_list("pk", flat=True))
    assert picked == {mix[name].pk for name in ATTENTION}


def test_the_page_opens_on_needs_attention_with_both_counts(sdr_client, mix):
    html = sdr_client.get(reverse("operations")).content.decode()
    assert shown(html) == {mix[name].pk for name in ATTENTION}
    assert 'aria-current="page">Needs attention <span class="num">5</span>' in html
    assert '>All <span class="num">10</span>' in html


def test_the_all_tab_shows_routine_work_too(sdr_client, mix):
    html = sdr_client.get(reverse("operations"), {"view": "all"}).content.decode()
    assert shown(html) == {row.pk for row in mix.values()}
    assert 'aria-current="page">All <span class="num">10</span>' in html


def test_an_unknown_view_name_falls_back_to_needs_attention(sdr_client, mix):
    html = sdr_client.get(reverse("operations"), {"view": "everything"}).content.decode()
    assert shown(html) == {mix[name].pk for name in ATTENTION}


def test_filters_apply_within_the_view_and_the_counts_follow_them(sdr_client):
    spring, autumn = CampaignFactory(name="Spring"), CampaignFactory(name="Autumn")
    a = op(S.FAILED, kind="launch", campaign=spring)
    op(S.FAILED, kind="launch", campaign=autumn)
    b = op(S.SUCCEEDED, kind="start", campaign=spring)
    html = sdr_client.get(reverse("operations"), {"campaign": spring.pk}).content.decode()
    assert shown(html) == {a.pk}
    assert 'Needs attention <span class="num">1</span>' in html and 'All <span class="num">2</span>' in html
    # The tabs keep the filter, so routine work of the same campaign is one click away.
    assert f'href="?view=all&amp;campaign={spring.pk}"' in html
    html = sdr_client.get(reverse("operations"), {"campaign": spring.pk, "view": "all"}).content.decode()
    assert shown(html) == {a.pk, b.pk}


def test_nothing_needing_attention_says_so_and_links_to_all(sdr_client):
    op(S.SUCCEEDED)
    op(S.SUCCEEDED)
    html = sdr_client.get(reverse("operations")).content.decode()
    assert "Nothing needs attention" in html and 'href="?view=all">See all 2 operations' in html
