"""Every redirect taken from user input goes through campaigns/views/redirects.py: hostile
`next` values fall back to the page's default, ours are followed."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Operation, Reply
from campaigns.views.redirects import MAX_NEXT_LENGTH, redirect_back, safe_next
from tests.factories import CampaignFactory

HOSTILE = [
    "https://evil.example/phish",
    "//evil.example",
    "///evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "\\\\evil.example",
    "/\\evil.example",
    "http://testserver@evil.example/",
    "data:text/html,<script>alert(1)</script>",
    "/" + "a" * MAX_NEXT_LENGTH,
    "",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(rf, target):
    assert safe_next(rf.get("/"), target) is None
    response = redirect_back(rf.post("/", {"next": target}), "replies")
    assert response["Location"] == reverse("replies")


@pytest.mark.parametrize("target", ["/replies/?handled=no&page=2", "/operations/", "http://testserver/audit/"])
def test_our_own_pages_are_followed(rf, target):
    assert redirect_back(rf.post("/", {"next": target}), "replies")["Location"] == target


def test_an_http_target_is_refused_on_an_https_request():
    request = RequestFactory().post("/", {"next": "http://testserver/audit/"}, secure=True)
    assert redirect_back(request, "operations")["Location"] == reverse("operations")


def test_the_default_takes_arguments(rf):
    assert redirect_back(rf.post("/", {"next": "//evil"}), "campaign_detail", pk=7)["Location"] == "/campaigns/7/"


@pytest.fixture
def reply(db):
    campaign = CampaignFactory(status=Campaign.Status.RUNNING, remote_id="camp_A")
    return Reply.objects.create(
        remote_id="rpl_1", campaign=campaign, remote_campaign_id="camp_A", email="a@example.com",
        classification="interested", received_at=timezone.now() - timedelta(hours=1), snippet="hi",
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE)
def test_mark_handled_never_leaves_the_site(sdr_client, reply, target):
    response = sdr_client.post(reverse("reply_handled", args=[reply.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("replies")
    reply.refresh_from_db()
    assert reply.handled_at is not None


@pytest.mark.django_db
def test_mark_handled_returns_to_the_filtered_inbox(sdr_client, reply):
    back = "/replies/?classification=interested&page=2"
    response = sdr_client.post(reverse("reply_handled", args=[reply.pk]), {"next": back})
    assert response["Location"] == back


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["https://evil.example/phish", "javascript:alert(1)", "/\\evil"])
def test_operation_cancel_never_leaves_the_site(manager_client, target):
    op = Operation.objects.create(kind="pause", status=Operation.Status.FAILED)
    response = manager_client.post(reverse("operation_cancel", args=[op.pk]), {"next": target})
    assert response["Location"] == reverse("operations")
