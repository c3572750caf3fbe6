"""Creating and resetting workspaces: the default demo workspace and seeded worlds for tests and benchmarks."""

import random

from django.conf import settings
from django.db import IntegrityError, transaction

from . import clock
from .models import (
    SEND,
    Campaign,
    Delivery,
    IdempotentResponse,
    Lead,
    Pool,
    Reply,
    Sender,
    Suppression,
    Workspace,
    new_id,
)
from .outcomes import lead_dice
from .router import SANDBOX_DB as DB

# The default world: capacities from a few hundred to a few thousand a day, and a mix
# of active, warming and paused senders, so the capacity panel has something to say.
DEFAULT_POOLS = [
    ("Primary outbound", 1500, ["active", "active", "active", "active", "warming"]),
    ("Enterprise (warming up)", 400, ["active", "warming", "warming"]),
    ("Agency overflow", 3000, ["active", "active", "active", "active", "paused", "warming"]),
]
FIRST_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia", "Donald"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne"]
DEFAULT_STEPS = [
    {"subject": "Quick question, {{firstName}}", "bodyHtml": "<p>Hi {{firstName}}, ...</p>", "delayDays": 0},
    {"subject": "Re: Quick question", "bodyHtml": "<p>Following up on {{company}}.</p>", "delayDays": 2},
    {"subject": "Last note", "bodyHtml": "<p>Closing the loop, {{firstName}}.</p>", "delayDays": 3},
]


def workspace_for_key(api_key: str) -> Workspace | None:
    """The key's workspace; the configured sandbox key gets the default one on first use."""
    ws = Workspace.objects.using(DB).filter(api_key=api_key).first()
    if ws is None and api_key and api_key == settings.SANDBOX_API_KEY:
        ws = ensure_default()
    return ws


def ensure_default(api_key: str | None = None) -> Workspace:
    """The default workspace with its pools and senders; does nothing when it exists."""
    api_key = api_key or settings.SANDBOX_API_KEY
    existing = Workspace.objects.using(DB).filter(api_key=api_key).first()
    if existing:
        return existing
    try:
        with transaction.atomic(using=DB):
            ws = _workspace(api_key, seed=7)
            _pools(ws, [(name, cap, statuses) for name, cap, statuses in DEFAULT_POOLS], ws.created_at)
            return ws
    except IntegrityError:  # created by a concurrent request
        return Workspace.objects.using(DB).get(api_key=api_key)


def _workspace(api_key: str, seed: int) -> Workspace:
    now = clock.sim_now()
    return Workspace.objects.using(DB).create(api_key=api_key, seed=seed, advanced_to=now, created_at=now)


def _pools(ws: Workspace, spec: list, now: float, warmup_days: float = 3) -> None:
    for index, (name, capacity, statuses) in enumerate(spec):
        pool = Pool.objects.using(DB).create(
            workspace=ws, public_id=new_id("pool_"), name=name, daily_capacity=capacity
        )
        Sender.objects.using(DB).bulk_create(
            Sender(
                workspace=ws,
                pool=pool,
                public_id=new_id("sa_"),
                email=f"sender{index + 1}.{n + 1}@outbound.example.com",
                name=f"{FIRST_NAMES[(index + n) % len(FIRST_NAMES)]} (pool {index + 1})",
                status=status,
                active_at=now + warmup_days * clock.DAY * (1 + n % 3) if status == "warming" else None,
            )
            for n, status in enumerate(statuses)
        )


def wipe(api_key: str) -> None:
    """Delete a workspace and everything in it, biggest tables first with plain DELETEs."""
    ws = Workspace.objects.using(DB).filter(api_key=api_key).first()
    if ws is None:
        return
    for model, lookup in [
        (Lead, "workspace"),
        (Reply, "workspace"),
        (Delivery, "webhook__workspace"),
        (Suppression, "workspace"),
        (IdempotentResponse, "workspace"),
    ]:
        model.objects.using(DB).filter(**{lookup: ws}).delete()
    ws.delete(using=DB)


def reset(
    *,
    api_key: str | None = None,
    seed: int = 7,
    pools: int = 3,
    senders: int = 12,
    pool_capacity: int = 2000,
    campaigns: int = 0,
    leads: int = 0,
    steps: int = 3,
) -> Workspace:
    """A fresh workspace: N pools, M senders spread over them, K running campaigns of L leads."""
    api_key = api_key or settings.SANDBOX_API_KEY
    rng = random.Random(seed)
    with transaction.atomic(using=DB):
        wipe(api_key)
        ws = _workspace(api_key, seed)
        spec = []
        for p in range(pools):
            statuses = [_status(rng) for _ in range(senders // pools + (p < senders % pools))]
            if statuses and "active" not in statuses:
                statuses[0] = "active"  # every pool can send something from day one
            spec.append((f"Pool {p + 1}", pool_capacity, statuses))
        _pools(ws, spec, ws.created_at)
        for c in range(campaigns):
            _running_campaign(ws, c, leads, steps)
    return ws


def _status(rng: random.Random) -> str:
    roll = rng.random()
    return "active" if roll < 0.7 else "warming" if roll < 0.9 else "paused"


def _running_campaign(ws: Workspace, index: int, leads: int, steps: int) -> Campaign:
    now = ws.created_at
    campaign = Campaign.objects.using(DB).create(
        workspace=ws,
        public_id=new_id("camp_"),
        number=index + 1,
        name=f"Seeded campaign {index + 1}",
        status="running",
        steps=[DEFAULT_STEPS[i % len(DEFAULT_STEPS)] for i in range(steps)],
        created_at=now,
        started_at=now,
        enrolled=leads,
    )
    emails = [f"lead{n + 1}.c{index + 1}@prospects.example.com" for n in range(leads)]
    Lead.objects.using(DB).bulk_create(
        (
            Lead(
                workspace=ws,
                campaign=campaign,
                email=emails[n],
                dice=lead_dice(emails[n], index + 1),
                fields={"firstName": FIRST_NAMES[n % 10], "company": COMPANIES[(n + index) % 10]},
                kind=SEND,
                next_due=now,
            )
            for n in range(leads)
        ),
        batch_size=2000,
    )
    return campaign
