"""Integration health from the call log (ApiCall): per endpoint, and "is Leadterra away?"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils import timezone

from campaigns.models import ApiCall

WINDOW = timedelta(hours=1)
# The banner appears when nothing has answered for this long while calls kept failing:
# one lost call is noise, two minutes of silence is worth telling everyone.
OUTAGE_AFTER = timedelta(minutes=2)
# "Answered" = Leadterra spoke to us, even to refuse; no status or 5xx = it did not.
FAILED = Q(status_code__isnull=True) | Q(status_code__gte=500)


@dataclass
class EndpointHealth:
    endpoint: str
    calls: int
    errors: int
    throttled: int
    last_success_at: datetime | None
    p50_ms: int | None
    p95_ms: int | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile of sorted `values`."""
    if not values:
        return None
    rank = max(1, round(share * len(values) + 0.4999))
    return values[min(rank, len(values)) - 1]


def endpoint_health(*, now: datetime | None = None) -> list[EndpointHealth]:
    """One row per endpoint seen in the retention window, with last-hour figures."""
    now = now or timezone.now()
    since = now - WINDOW
    recent = Q(created_at__gte=since)
    rows = (
        ApiCall.objects.values("endpoint")
        .annotate(
            calls=Count("id", filter=recent),
            errors=Count("id", filter=recent & (FAILED | Q(status_code__gte=400, status_code__lt=500))),
            throttled=Count("id", filter=recent & Q(status_code=429)),
            last_success_at=Max("created_at", filter=Q(status_code__gte=200, status_code__lt=300)),
        )
        .order_by("endpoint")
    )
    latencies: dict[str, list[int]] = {}
    # Latencies of answered calls only: a timeout's "latency" is the timeout itself.
    answered = ApiCall.objects.filter(recent, status_code__isnull=False).order_by("endpoint", "latency_ms")
    for endpoint, ms in answered.values_list("endpoint", "latency_ms").iterator():
        latencies.setdefault(endpoint, []).append(ms)
    return [
        EndpointHealth(
            endpoint=row["endpoint"],
            calls=row["calls"],
            errors=row["errors"],
            throttled=row["throttled"],
            last_success_at=row["last_success_at"],
            p50_ms=percentile(latencies.get(row["endpoint"], []), 0.50),
            p95_ms=percentile(latencies.get(row["endpoint"], []), 0.95),
        )
        for row in rows
    ]


BANNER_CACHE_SECONDS = 10
BANNER_CACHE_KEY = "leadterra-outage-banner"


def leadterra_outage_shown() -> datetime | None:
    """leadterra_outage() for the banner on every page, re-read at most every BANNER_CACHE_SECONDS:
    an outage is declared after OUTAGE_AFTER anyway, and its two queries were a fifth of the
    list page's. The health page reads leadterra_outage() itself, fresh."""
    found = cache.get(BANNER_CACHE_KEY)
    if found is None:
        found = {"since": leadterra_outage()}
        cache.set(BANNER_CACHE_KEY, found, BANNER_CACHE_SECONDS)
    return found["since"]


def leadterra_outage(*, now: datetime | None = None) -> datetime | None:
    """Since when Leadterra has been unreachable, or None when it is fine (or unknown)."""
    now = now or timezone.now()
    # Newest first on the created_at index: stops at the first answered call.
    last_answer = ApiCall.objects.exclude(FAILED).order_by("-created_at").values_list("created_at", flat=True).first()
    failures = ApiCall.objects.filter(FAILED)
    if last_answer:
        failures = failures.filter(created_at__gt=last_answer)
    first_failure = failures.order_by("created_at").values_list("created_at", flat=True).first()
    if first_failure is None or now - first_failure < OUTAGE_AFTER:
        return None
    return first_failure
