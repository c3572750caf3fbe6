"""Integration health from the call log, and the outage banner on every page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ApiCall
from campaigns.services.health import endpoint_health, leadterra_outage, percentile

pytestmark = pytest.mark.django_db
STATS = "GET /v1/campaigns/:id/stats"


def log(endpoint=STATS, status=200, ms=100, ago=timedelta(0)):
    call = ApiCall.objects.create(endpoint=endpoint, status_code=status, latency_ms=ms)
    ApiCall.objects.filter(pk=call.pk).update(created_at=timezone.now() - ago)


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 0.5), percentile(values, 0.95)) == (50, 95)
    assert percentile([], 0.5) is None and percentile([7], 0.95) == 7


def test_each_endpoint_reports_the_last_hour():
    for ms in range(10, 110, 10):
        log(ms=ms)
    log(status=429, ms=5)
    log(status=503, ms=900)
    log(status=None, ms=10_000)  # a timeout: counted as an error, not as a latency
    log(ms=5000, ago=timedelta(hours=2))  # outside the hour
    log(endpoint="POST /v1/campaigns", status=201, ms=300)
    rows = {row.endpoint: row for row in endpoint_health()}
    stats = rows[STATS]
    assert (stats.calls, stats.errors, stats.throttled) == (13, 3, 1)
    assert stats.p50_ms == 50 and stats.p95_ms == 900  # of 5, 10…100, 900
    newest_answer = ApiCall.objects.filter(endpoint=STATS, status_code=200).order_by("-created_at").first()
    assert stats.last_success_at == newest_answer.created_at
    assert rows["POST /v1/campaigns"].error_rate == 0


def test_no_banner_while_leadterra_answers_even_with_errors():
    log(status=503, ago=timedelta(minutes=5))
    log(status=200, ago=timedelta(minutes=1))
    assert leadterra_outage() is None


def test_a_short_blip_is_not_an_outage():
    log(status=200, ago=timedelta(minutes=10))
    log(status=None, ago=timedelta(seconds=30))
    assert leadterra_outage() is None


def test_the_banner_appears_on_every_page_when_leadterra_is_away(sdr_client):
    log(status=200, ago=timedelta(minutes=20))
    log(status=None, ago=timedelta(minutes=6))
    log(status=502, ago=timedelta(minutes=1))
    # Away since the first failure after the last answer, not since the newest failure.
    first_failure = ApiCall.objects.get(status_code=None).created_at
    assert leadterra_outage() == first_failure
    for url in (reverse("campaign_list"), reverse("replies"), reverse("wall_tokens")):
        assert "Leadterra has been unreachable since" in sdr_client.get(url).content.decode()


def test_the_health_page_lists_endpoints_and_jobs(manager_client):
    log(ms=120)
    html = manager_client.get(reverse("integration_health")).content.decode()
    assert STATS in html and "120 ms" in html
    assert "Register with Leadterra" in html
    assert "whsec" not in html  # the secret is never rendered


def test_sdrs_see_health_but_not_the_registration_form(sdr_client):
    html = sdr_client.get(reverse("integration_health")).content.decode()
    assert "Integration health" in html and "Register with Leadterra" not in html
