"""The bench's world, at the issue's sizes: campaigns, steps, leads concentrated in a few
campaigns, counters, snapshots, pools. Written with bulk inserts (the product's own services
would take minutes for 200k leads); the stored lead counts go through lead_count_refresh,
as the import keeps them.

`grow()` builds the first 10 campaigns, then the rest up to 500, so the campaign page and
the editor can be timed against their own selves at 10 campaigns.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone

from campaigns.models import Campaign, Lead, SenderAccount, SenderPool, SequenceStep, StatsSnapshot, WallToken
from campaigns.services.lead_counts import lead_counts_refresh_all

BIG = {"draft": 60_000, "running1": 40_000, "running2": 30_000, "running3": 20_000}
SMALL_LEADS = 100  # per ordinary campaign: 496 × ~100 + 150k + … ≈ 200k leads
SNAPSHOTS = 12
STEPS = [
    ("Cutting close time at {{company}}", "<p>Hi {{firstName}},</p><p>Worth 15 minutes?</p>", 0),
    ("Re: close time", "<p>Following up, {{firstName}}.</p>", 2),
    ("Last note", "<p>Shall I close the file for {{company}}?</p>", 3),
]


def reset() -> None:
    tables = ", ".join(
        m._meta.db_table for m in (Lead, StatsSnapshot, SequenceStep, WallToken, SenderAccount, SenderPool)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables}, {Campaign._meta.db_table} RESTART IDENTITY CASCADE")
    User.objects.filter(username__startswith="bench-").delete()


def user() -> User:
    person = User.objects.create_user("bench-sdr", password=None)
    person.groups.add(Group.objects.get(name="SDR"))
    return person


def pools() -> None:
    now = timezone.now()
    for i in range(3):
        pool = SenderPool.objects.create(
            remote_id=f"pool_{i}", name=f"Pool {i}", daily_capacity=40_000, remaining=25_000, sender_count=8,
            refreshed_at=now,
        )  # fmt: skip
        SenderAccount.objects.bulk_create(
            SenderAccount(remote_id=f"acct_{i}_{k}", pool=pool, email=f"s{k}@pool{i}.example.com", status="active")
            for k in range(8)
        )


def _status(i: int) -> str:
    """Mostly running, as a busy workspace is; some paused, drafts, reviews, approvals."""
    cycle = ["running"] * 16 + ["paused", "paused", "draft", "approved", "in_review"]
    return cycle[i % len(cycle)]


def campaigns(owner: User, first: int, count: int) -> list[Campaign]:
    now = timezone.now()
    made = []
    for i in range(first, first + count):
        status = _status(i)
        live = status in ("running", "paused")
        started = now - timedelta(days=1 + i % 5, hours=i % 24)
        made.append(
            Campaign(
                name=f"Campaign {i:04d} · {['Fintech', 'Retail', 'SaaS', 'Health'][i % 4]}",
                owner=owner,
                status=status,
                version=1,
                remote_id=f"camp_{i}" if live else None,
                started_at=started if live else None,
                launched_at=started if live else None,
                total_enrolled=SMALL_LEADS if live else 0,
                sent=(i * 37) % 300 if live else 0,
                delivered=(i * 35) % 290 if live else 0,
                bounced=i % 7 if live else 0,
                replied=i % 11 if live else 0,
                queued=(i * 13) % 90 if live else 0,
                reply_rate=(i % 11) / 300,
                open_rate=0.4,
                stats_polled_at=now if live else None,
            )  # fmt: skip
        )
    made = Campaign.objects.bulk_create(made)
    SequenceStep.objects.bulk_create(
        SequenceStep(campaign=c, position=k + 1, subject=s, body_html=b, delay_days=d)
        for c in made
        for k, (s, b, d) in enumerate(STEPS)
    )
    live = [c for c in made if c.remote_id]
    StatsSnapshot.objects.bulk_create(
        StatsSnapshot(
            campaign=c, taken_at=now - timedelta(hours=2 * k), sent=max(0, c.sent - 10 * k), replied=c.replied
        )
        for c in live
        for k in range(SNAPSHOTS)
    )
    return made


def leads(campaign: Campaign, n: int) -> None:
    """COPY, as a real import of this size would: 60k rows in about a second."""
    columns = "campaign_id, email, first_name, last_name, company, job_title, custom_fields, status, error, "
    columns += "is_role_address, created_at, updated_at"
    status = "enrolled" if campaign.remote_id else "pending"
    now = timezone.now()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {Lead._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for i in range(n):
            company = "" if i % 9 == 0 else f"Company {i % 1000}"
            row = (campaign.pk, f"lead{i}@c{campaign.pk}.example.com", f"Ada{i % 50}", "Lovelace", company, "CTO",
                   '{"industry": "fintech"}', status, "", False, now, now)  # fmt: skip
            copy.write_row(row)


def grow(size: int) -> dict:
    """Build the world up to `size` campaigns (10, then 500); returns the campaigns the bench times."""
    have = Campaign.objects.count()
    ours = User.objects.filter(username="bench-sdr").exists()  # other bench modules share the database
    if have == 0 or have > size or not ours:  # a rerun starts over: "at 10 campaigns" must mean 10
        reset()
        pools()
        owner = user()
        made = campaigns(owner, 0, 10)
        draft = made[2]  # _status(2) is running: make the big one a draft the editor opens
        Campaign.objects.filter(pk=draft.pk).update(
            status="draft", remote_id=None, started_at=None, stats_polled_at=None
        )
        for c, n in zip([draft, made[0], made[1], made[3]], BIG.values(), strict=True):
            leads(c, n)
        for c in made[4:]:
            leads(c, SMALL_LEADS)
        WallToken.objects.create(label="Bench TV", created_by=owner)
    else:
        owner = User.objects.get(username="bench-sdr")
        for c in campaigns(owner, have, size - have):
            leads(c, SMALL_LEADS)
    lead_counts_refresh_all()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    first = Campaign.objects.order_by("pk")
    return {
        "owner": owner,
        "draft": first[2],
        "running": first[0],
        "token": WallToken.objects.get().token,
        "campaigns": Campaign.objects.count(),
        "leads": Lead.objects.count(),
    }
