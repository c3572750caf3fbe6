"""A refused approval sends the reviewer back to the review page with the reason and their comment still in the form."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from campaigns.services.versions import version_save
from tests.lifecycle_support import campaign_in

pytestmark = pytest.mark.django_db

COMMENT = 'Step 2 <b>"pricing"</b> line reads fine now, approved from v1'


def approve(client, campaign, version, comment=COMMENT):
    return client.post(
        reverse("campaign_approve", args=[campaign.pk]), {"comment": comment, "reviewed_version": version}
    )


def review_html(client, campaign):
    return client.get(reverse("campaign_review", args=[campaign.pk])).content.decode()


def textarea(page):
    start = page.index('<textarea name="comment"')
    return page[page.index(">", start) + 1 : page.index("</textarea>", start)]


def edited_meanwhile(campaign, author):
    step = campaign.steps.order_by("position").first()
    step.subject = "Edited while the manager read it"
    step.save()
    version_save(campaign=campaign, actor=author)
    campaign.refresh_from_db()


def test_a_stale_approval_keeps_the_comment_once(sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    seen = campaign.version
    edited_meanwhile(campaign, sdr)
    client = Client()
    client.force_login(manager)
    response = approve(client, campaign, seen)
    assert response.status_code == 302 and response["Location"] == reverse("campaign_review", args=[campaign.pk])
    page = review_html(client, campaign)
    assert "changed while you were reviewing" in page
    assert html.unescape(textarea(page)) == COMMENT and "<b>" not in textarea(page)  # kept, and escaped
    assert f'name="reviewed_version" value="{campaign.version}"' in page  # the next try is for what is shown now
    assert textarea(review_html(client, campaign)) == ""  # once: a later visit starts empty
    campaign.refresh_from_db()
    assert campaign.status == "in_review" and campaign.approved_by is None


def test_a_four_eyes_refusal_keeps_the_comment_for_that_campaign_only(manager, manager2, sdr):
    own = campaign_in("in_review", owner=manager)
    other = campaign_in("in_review", owner=sdr)
    client = Client()
    client.force_login(manager)
    approve(client, own, own.version, comment="Looks right to me")
    assert textarea(review_html(client, other)) == ""
    page = review_html(client, own)
    assert "another manager must approve it" in page and textarea(page) == "Looks right to me"


def test_the_kept_comment_belongs_to_the_session_that_wrote_it(sdr, manager, manager2):
    campaign = campaign_in("in_review", owner=sdr)
    seen = campaign.version
    edited_meanwhile(campaign, sdr)
    first, second = Client(), Client()
    first.force_login(manager)
    second.force_login(manager2)
    approve(first, campaign, seen)
    assert textarea(review_html(second, campaign)) == ""
    assert html.unescape(textarea(review_html(first, campaign))) == COMMENT


def test_an_approval_that_goes_through_leaves_nothing_behind(sdr, manager):
    campaign = campaign_in("in_review", owner=sdr)
    client = Client()
    client.force_login(manager)
    assert approve(client, campaign, campaign.version).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "approved" and campaign.review_comment == COMMENT
    assert f"review_comment:{campaign.pk}" not in client.session
