"""Pools page, refresh button, workspace plan and the campaign plan fragment."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Campaign, Operation, PoolSnapshot, SenderAccount, SenderPool
from campaigns.permissions import can, require
from campaigns.services.planning import (
    campaign_plan,
    pool_usable_capacity,
    pool_usage,
    pools_capacity,
    workspace_plan,
)
from campaigns.services.pools import pools_freshness, pools_refresh_enqueue
from campaigns.views.htmx import toast

HISTORY = timedelta(hours=24)


def _pools():
    since = timezone.now() - HISTORY
    # An aggregate drops Meta.ordering (Django 3.1+): name the order, or PostgreSQL picks its own.
    return (
        SenderPool.objects.annotate(
            linked=Count("senders", distinct=True),
            active=Count("senders", filter=Q(senders__status="active"), distinct=True),
        )
        .order_by("name")
        .prefetch_related(
            Prefetch("senders", queryset=SenderAccount.objects.order_by("email")),
            Prefetch(
                "snapshots", queryset=PoolSnapshot.objects.filter(taken_at__gte=since), to_attr="recent_snapshots"
            ),
        )
    )


def _pools_context(request: HttpRequest) -> dict:
    pools = list(_pools())
    for pool in pools:
        pool.usable = pool_usable_capacity(pool)
        pool.usage = pool_usage(pool)
    refresh_op = Operation.objects.filter(kind=Operation.Kind.REFRESH_POOLS).order_by("-created_at", "-pk").first()
    return {
        "pools": pools,
        "unlinked": SenderAccount.objects.filter(pool__isnull=True).order_by("email"),
        "freshness": pools_freshness(),
        "capacity": pools_capacity(),
        "capacity_model": settings.CAPACITY_MODEL,
        "refresh_seconds": settings.POOLS_REFRESH_SECONDS,
        "can_refresh": can(request.user, "manage_integration"),
        "op": refresh_op if refresh_op and refresh_op.is_active else None,
    }


@require_GET
def pools_page(request: HttpRequest) -> HttpResponse:
    template = "pools/page.html#live" if request.htmx else "pools/page.html"
    return render(request, template, _pools_context(request))


@require_POST
def pools_refresh(request: HttpRequest) -> HttpResponse:
    require(request.user, "manage_integration")
    op = pools_refresh_enqueue(actor=request.user)
    if not request.htmx:
        messages.success(request, "Pool refresh queued.")
        return redirect("pools")
    response = render(request, "operations/_status.html", {"op": op})
    return toast(response, "Pool refresh queued.")


@require_GET
def workspace_plan_page(request: HttpRequest) -> HttpResponse:
    return render(request, "pools/plan.html", {"view": workspace_plan(days=14)})


@require_GET
def campaign_plan_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    return render(request, "campaigns/_plan.html", {"plan": campaign_plan(campaign), "campaign": campaign})
