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
    Sdr,
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


# The SDRs of every seeded workspace, named after the dashboard's demo SDR users, plus one who
# left (inactive: their key answers 401 and assigning to them is refused).
# (name, display name, active, Gmail health)
DEFAULT_SDRS = [
    ("sdr", "Sam Rivera", True, "active"),
    ("sdr2", "Dana Okafor", True, "active"),
    ("former", "Alex Former", False, "disconnected"),
]


def sdr_key(ws_key: str, name: str) -> str:
    """Deterministic personal keys: sk_test_sdr_<name> in the default workspace,
    <workspace key>_sdr_<name> in any other."""
    return f"sk_test_sdr_{name}" if ws_key == settings.SANDBOX_API_KEY else f"{ws_key}_sdr_{name}"


def sdr_for_key(api_key: str) -> Sdr | None:
    """The active SDR whose personal key this is. A seeded key of the default workspace works on
    first use, even in a sandbox database made before SDRs existed."""
    found = Sdr.objects.using(DB).select_related("workspace").filter(api_key=api_key, active=True).first()
    if found is None and api_key and any(api_key == sdr_key(settings.SANDBOX_API_KEY, n) for n, *_ in DEFAULT_SDRS):
        ensure_sdrs(ensure_default())
        found = Sdr.objects.using(DB).select_related("workspace").filter(api_key=api_key, active=True).first()
    return found


def ensure_sdrs(ws: Workspace) -> int:
    """Add the seeded SDRs a workspace lacks (created before the SDR area); returns how many."""
    if Sdr.objects.using(DB).filter(workspace=ws).exists():
        return 0
    _sdrs(ws, clock.sim_now())
    return len(DEFAULT_SDRS)


def _sdrs(ws: Workspace, now: float) -> None:
    Sdr.objects.using(DB).bulk_create(
        Sdr(
            workspace=ws,
            public_id=new_id("sdr_"),
            api_key=sdr_key(ws.api_key, name),
            name=display,
            email=f"{name}@leadterra-ops.example.com",
            active=active,
            gmail_email=f"{name}@leadterra-ops.example.com",
            health_state=health,
            last_synced_at=now,
        )
        for name, display, active, health in DEFAULT_SDRS
    )


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
            _sdrs(ws, ws.created_at)
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
        _sdrs(ws, ws.created_at)
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
