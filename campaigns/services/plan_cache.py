"""What the committed campaigns leave of the pools' capacity, shared between page requests.

A plan walks every running campaign (their steps and counters, then a day-by-day
simulation): with hundreds running that was most of the campaign page's time, and every
page showed the same result. It is computed once and kept in the cache under a key that
changes when the set of committed campaigns, their start order or the pools' capacity
changes (one aggregate query), and for at most CACHE_SECONDS otherwise: the counters the
plan starts from move with every poll, and a plan a minute old is as good as a fresh one
(the launch pre-flight never uses it: it reads everything at the moment of launch).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.db.models import Count, Max, Sum

from campaigns import planner
from campaigns.models import Campaign

CACHE_SECONDS = 60
COMMITTED = (Campaign.Status.RUNNING, Campaign.Status.PAUSED, Campaign.Status.LAUNCHING)


def leftover_key(campaign, capacity: planner.Capacity, model: str) -> str:
    """One aggregate query: who is committed, in which order they started, and what the pools hold."""
    fleet = Campaign.objects.filter(status__in=COMMITTED).aggregate(
        n=Count("pk"), ids=Sum("pk"), started=Max("started_at"), launched=Max("launched_at")
    )
    # A committed campaign waits only for those started before it; any other waits for all.
    behind = (campaign.pk, campaign.started_at) if campaign.status in COMMITTED else "all"
    parts = "|".join(map(str, (model, capacity, behind, *sorted(fleet.items()))))
    return "plan-leftover:" + hashlib.blake2s(parts.encode(), digest_size=12).hexdigest()


def leftover_shared(
    campaign, capacity: planner.Capacity, model: str, ahead: Callable[[], list[planner.Work]]
) -> planner.Leftover:
    key = leftover_key(campaign, capacity, model)
    found = cache.get(key)
    if found is None:
        found = planner.leftover_after(ahead(), capacity, model)
        cache.set(key, found, CACHE_SECONDS)
    return found
