"""How a view answers a service's refusal: one decorator, the same answer on every page."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.models import AuditEvent
from tests.lifecycle_support import campaign_in

pytestmark = pytest.mark.django_db


def errors(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def test_an_htmx_refusal_sends_the_browser_to_the_campaign_with_the_reason(client, sdr, manager2):
    campaign = campaign_in("running", owner=sdr)
    client.force_login(manager2)
    response = client.post(reverse("campaign_resume", args=[campaign.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("campaign_detail", args=[campaign.pk])
    assert errors(response) == ["You cannot resume it while it is running."]


def test_a_decision_that_cannot_be_read_goes_back_to_the_review_and_changes_nothing(client, sdr, manager2):
    campaign = campaign_in("in_review", owner=sdr)
    client.force_login(manager2)
    before = AuditEvent.objects.filter(campaign=campaign).count()
    response = client.post(reverse("campaign_approve", args=[campaign.pk]), {"reviewed_version": "seven"})
    assert response.status_code == 302 and response["Location"] == reverse("campaign_review", args=[campaign.pk])
    assert errors(response) == ["The decision could not be read; try again."]
    campaign.refresh_from_db()
    assert campaign.status == "in_review"
    assert AuditEvent.objects.filter(campaign=campaign).count() == before


@pytest.mark.parametrize("page", ["campaign_launch", "campaign_pause", "campaign_resume", "campaign_preflight_checks"])
def test_a_role_that_may_not_act_gets_403_on_get_whatever_the_state(client, sdr, sdr2, page):
    """The role is answered before the state: an SDR never learns more than 'not yours to do'."""
    valid = {"campaign_launch": "approved", "campaign_pause": "running", "campaign_resume": "paused"}
    campaign = campaign_in(valid.get(page, "approved"), owner=sdr)
    for user in (sdr, sdr2):  # the author too
        client.force_login(user)
        assert client.get(reverse(page, args=[campaign.pk])).status_code == 403


def test_a_bounce_guard_that_cannot_be_read_is_refused_with_the_field_named(client, sdr, manager):
    campaign = campaign_in("running", owner=sdr)
    client.force_login(manager)
    response = client.post(
        reverse("campaign_guard", args=[campaign.pk]), {"threshold_percent": "0", "min_delivered": "5"}
    )
    assert response.status_code == 302
    assert errors(response)[0].startswith("Bounce guard not saved. threshold_percent:")
    campaign.refresh_from_db()
    assert campaign.bounce_min_delivered != 5
