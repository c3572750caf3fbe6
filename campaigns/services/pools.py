"""Sender pools: store what Leadterra says about capacity, and say how fresh it is.

`pools_apply` is called by the outbox's `refresh_pools` handler with the client's parsed
dataclasses; the pools page, the planner and the wall read only what it stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Operation, PoolSnapshot, SenderAccount, SenderPool
from campaigns.services import sync_jobs
from campaigns.services.sync_jobs import sync_state, sync_success

# One point every few minutes is plenty for a day-scale chart; beat refreshes every minute.
SNAPSHOT_EVERY = timedelta(minutes=5)
HISTORY_KEEP = timedelta(days=14)


@transaction.atomic
def pools_apply(*, pools, accounts, now: datetime | None = None) -> dict:
    """Make the local mirror equal to one successful refresh (pools and accounts lists).

    The response variants differ: some give `senderAccountIds`, some only `senderCount`.
    An account is linked to a pool only when ids are given; a pool answering with a count
    only keeps its last known links (the answer says nothing about them).
    """
    now = now or timezone.now()
    by_remote = _upsert_pools(pools, now)
    _upsert_accounts(accounts, now)
    _link_accounts(pools, by_remote)
    _snapshot(by_remote.values(), now)
    sync_success(name=sync_jobs.POOLS, now=now)
    return {"pools": len(by_remote), "accounts": len(accounts)}


def _upsert_pools(pools, now) -> dict[str, SenderPool]:
    existing = {p.remote_id: p for p in SenderPool.objects.all()}
    seen = {}
    for data in pools:
        pool = existing.get(data.id) or SenderPool(remote_id=data.id)
        pool.name = data.name or data.id
        pool.daily_capacity = max(0, data.daily_capacity or 0)
        # Never show more remaining than the window holds, whatever the API says.
        pool.remaining = max(0, min(data.remaining or 0, pool.daily_capacity)) if pool.daily_capacity else 0
        pool.sender_count = max(0, data.sender_count or len(data.sender_account_ids or ()))
        pool.resets_at = data.resets_at
        pool.refreshed_at = now
        pool.save()
        seen[data.id] = pool
    # A pool Leadterra no longer lists is gone; its accounts fall back to "no pool".
    SenderPool.objects.exclude(remote_id__in=seen).delete()
    return seen


def _upsert_accounts(accounts, now) -> None:
    existing = {a.remote_id: a for a in SenderAccount.objects.all()}
    for data in accounts:
        account = existing.get(data.id) or SenderAccount(remote_id=data.id)
        account.email, account.name = data.email or "", data.name or ""
        account.status = data.status or "unknown"
        account.refreshed_at = now
        account.save()
    SenderAccount.objects.exclude(remote_id__in=[a.id for a in accounts]).delete()


def _link_accounts(pools, by_remote) -> None:
    for data in pools:
        if not data.sender_account_ids:
            continue
        pool = by_remote[data.id]
        SenderAccount.objects.filter(remote_id__in=data.sender_account_ids).update(pool=pool)
        SenderAccount.objects.filter(pool=pool).exclude(remote_id__in=data.sender_account_ids).update(pool=None)


def _snapshot(pools, now) -> None:
    last = {}
    for snap in PoolSnapshot.objects.filter(taken_at__gte=now - SNAPSHOT_EVERY).order_by("taken_at"):
        last[snap.pool_id] = snap
    new = []
    for pool in pools:
        prev = last.get(pool.pk)
        changed = prev is None or (prev.remaining, prev.daily_capacity) != (pool.remaining, pool.daily_capacity)
        if changed:
            new.append(
                PoolSnapshot(pool=pool, taken_at=now, daily_capacity=pool.daily_capacity, remaining=pool.remaining)
            )
    PoolSnapshot.objects.bulk_create(new)
    PoolSnapshot.objects.filter(taken_at__lt=now - HISTORY_KEEP).delete()


def pools_refresh_enqueue(*, actor=None) -> Operation:
    """One refresh at a time: reuse the active one rather than stacking API calls."""
    from campaigns.services.operations import operation_enqueue

    with transaction.atomic():
        active = (
            Operation.objects.select_for_update()
            .filter(kind=Operation.Kind.REFRESH_POOLS, status__in=Operation.ACTIVE_STATES)
            .first()
        )
        if active:
            return active
        return operation_enqueue(kind=Operation.Kind.REFRESH_POOLS, actor=actor)


@dataclass(frozen=True)
class PoolsFreshness:
    refreshed_at: datetime | None
    stale: bool
    error: str  # why the last attempt failed, when it did


def pools_freshness(*, now: datetime | None = None) -> PoolsFreshness:
    """Stale when no success for three refresh intervals, or the last attempt failed."""
    now = now or timezone.now()
    state = sync_state(sync_jobs.POOLS)
    ok_at = state.last_success_at if state else None
    error = ""
    if state and state.last_failure_at and (ok_at is None or state.last_failure_at > ok_at):
        error = state.last_error or "the last refresh failed"
    failed_op = _failed_refresh_after(ok_at)
    if failed_op and not error:
        error = failed_op.last_error or "the last refresh failed"
    too_old = ok_at is None or now - ok_at > timedelta(seconds=3 * settings.POOLS_REFRESH_SECONDS)
    return PoolsFreshness(refreshed_at=ok_at, stale=too_old or bool(error), error=error)


def _failed_refresh_after(ok_at):
    """The latest refresh operation, when it failed or is retrying after the last success."""
    op = Operation.objects.filter(kind=Operation.Kind.REFRESH_POOLS).order_by("-created_at", "-pk").first()
    if op is None or op.status not in (Operation.Status.FAILED, Operation.Status.RETRYING):
        return None
    if ok_at and op.updated_at <= ok_at:
        return None
    return op
