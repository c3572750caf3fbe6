"""Background jobs' bookkeeping: one SyncState row per job, named here and written here.

A row says when its job last worked and when it last failed (and why); the integration
health page lists them, and freshness checks (pool numbers, the wall's stats) compare the
two times. A failure's reason is kept after a later success, so the page can still say
why the last failure happened; "is it failing now" is `last_failure_at > last_success_at`.
A job that must not run twice at once (two overlapping beat cycles) holds a lease, and
only the holder of its token may free it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from campaigns.models import SyncState

POOLS = "pools"  # the pool refresh (an outbox operation)
STATS = "stats"  # the /stats poll cycle
REPLIES = "replies"  # the /replies poll cycle
WEBHOOK_PRUNE = "webhook_prune"  # dropping old webhook deliveries, at most hourly
WORKER = "worker"  # the heartbeat: a worker is consuming
ERROR_CHARS = 2000  # what a failure's reason keeps


def sync_success(*, name: str, now: datetime | None = None) -> None:
    SyncState.objects.update_or_create(name=name, defaults={"last_success_at": now or timezone.now()})


def sync_failure(*, name: str, error: str, now: datetime | None = None) -> None:
    fields = {"last_failure_at": now or timezone.now(), "last_error": error[:ERROR_CHARS]}
    SyncState.objects.update_or_create(name=name, defaults=fields)


def sync_state(name: str) -> SyncState | None:
    return SyncState.objects.filter(name=name).first()


def sync_last_success(name: str) -> datetime | None:
    return SyncState.objects.filter(name=name).values_list("last_success_at", flat=True).first()


def lease_acquire(*, name: str, seconds: float) -> str | None:
    """Claim job `name` for `seconds` with a conditional UPDATE.

    Returns the holder's token (pass it to lease_release), or None if someone holds it."""
    now, token = timezone.now(), secrets.token_hex(16)
    SyncState.objects.get_or_create(name=name)
    claimed = (
        SyncState.objects.filter(name=name)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=seconds), lease_token=token)
    )
    return token if claimed == 1 else None


def lease_release(*, name: str, token: str) -> bool:
    """Free the lease only if `token` still holds it: a holder that outlived its lease must
    not free the lease of the job that took over. True when it was freed."""
    if not token:
        return False
    return SyncState.objects.filter(name=name, lease_token=token).update(lease_until=None, lease_token="") == 1
