"""The live demo of `make run`: a few campaigns launched through the normal path.

`seed_demo` (run before the processes start) drafts, submits and approves the demo
campaigns and queues the `demo_launch` task below. The worker runs it once it is up: it
waits for fresh pool numbers (the launch pre-flight needs them, and only the worker can
fetch them), then launches each campaign exactly as a manager would. The task lives here,
with the seeding, not among the product's tasks: the worker loads this module because
settings.CELERY_IMPORTS names it, so no production module imports the demo. Everything is idempotent: running the
seed again finds the campaigns, launches only those still waiting, and reuses the wall link.

The demo SDR users are linked the same way (`demo_link_sdrs`): the worker fetches Leadterra's
SDR list and links `sdr` and `sdr2` to the sandbox's seeded SDRs of the same email, with their
published personal keys stored encrypted, so the desk and the inbox work without a manager
pasting keys first. Only when the dashboard talks to the sandbox's default workspace.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from campaigns.models import Campaign, Lead, LeadterraSdr, Operation, SdrLink, WallToken
from campaigns.services.campaigns import campaign_content_save, campaign_create
from campaigns.services.launch import campaign_launch
from campaigns.services.lifecycle import campaign_approve, campaign_submit
from campaigns.services.operations import operation_enqueue
from campaigns.services.pools import pools_freshness, pools_refresh_enqueue
from campaigns.services.sdr_keys import sdr_link_save, sdrs_refresh_enqueue
from campaigns.services.webhooks import EVENTS, webhook_registration_of

logger = logging.getLogger(__name__)
PREFIX = "Demo · "
WALL_LABEL = "Demo wall"
COMPANIES = ["Northwind", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Acme"]
FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Radia", "Edsger"]
CAMPAIGNS = [
    ("Fintech CFOs", "Cutting close time at {{company}}", 160),
    ("Logistics VPs", "{{firstName}}, a question about late deliveries", 120),
    ("SaaS RevOps", "Pipeline hygiene at {{company}}", 140),
    ("Healthcare IT", "{{company}} and the audit season", 100),
]
# The demo SDR users and the sandbox's SDRs seeded for them (sandbox/README.md, "Seeded SDRs"):
# the same name before @ in the email, and a published key in its default workspace.
DEMO_SDR_USERS = ("sdr", "sdr2")
DEMO_SDR_DOMAIN = "@leadterra-ops.example.com"


def _steps(subject: str) -> list[dict]:
    return [
        {"subject": subject, "body_html": "<p>Hi {{firstName}},</p><p>Worth 15 minutes?</p>", "delay_days": 0},
        {"subject": "Re: " + subject, "body_html": "<p>Following up, {{firstName}}.</p>", "delay_days": 1},
        {"subject": "Last note", "body_html": "<p>Shall I close the file for {{company}}?</p>", "delay_days": 2},
    ]


def demo_prepare(*, sdr, manager) -> list[Campaign]:
    """Draft, fill, submit and approve the demo campaigns that do not exist yet."""
    made = []
    for name, subject, leads in CAMPAIGNS:
        if Campaign.objects.filter(name=PREFIX + name).exists():
            continue
        with transaction.atomic():
            campaign = campaign_create(owner=sdr, name=PREFIX + name)
            content = {"name": campaign.name, "steps": _steps(subject)}
            campaign_content_save(campaign=campaign, actor=sdr, content=content, base_version=campaign.version)
            Lead.objects.bulk_create(_leads(campaign, leads))
            campaign_submit(campaign=campaign, actor=sdr)
            campaign_approve(campaign=campaign, actor=manager, comment="Demo data.")
        made.append(campaign)
    return made


def _leads(campaign: Campaign, n: int) -> list[Lead]:
    slug = campaign.pk
    return [
        Lead(
            campaign=campaign,
            email=f"lead{i}.c{slug}@{COMPANIES[i % len(COMPANIES)].lower().replace(' ', '')}.example.com",
            first_name=FIRST[i % len(FIRST)],
            last_name="Demo",
            company=COMPANIES[i % len(COMPANIES)],
            job_title="VP",
        )
        for i in range(n)
    ]


def demo_waiting() -> list[Campaign]:
    return list(Campaign.objects.filter(name__startswith=PREFIX, status=Campaign.Status.APPROVED))


@shared_task(name="campaigns.tasks.demo_launch", bind=True, max_retries=100)
def demo_launch_task(self):
    """Launch the seeded demo campaigns once the worker has fresh pool numbers (make run)."""
    if not demo_launch():
        raise self.retry(countdown=3)


def demo_launch(*, manager=None) -> bool:
    """Launch the approved demo campaigns; False while pool numbers are not fresh yet."""
    waiting = demo_waiting()
    if not waiting:
        return True
    if pools_freshness().stale:
        pools_refresh_enqueue(actor=None)
        return False
    manager = manager or get_user_model().objects.filter(username="manager").first()
    for campaign in waiting:
        try:
            campaign_launch(campaign=campaign, actor=manager, confirm_spill=True)
        except Exception as exc:  # one refusal (say, a plan that cannot start) must not stop the others
            logger.warning("demo campaign %s not launched: %s", campaign.pk, exc)
    return True


def demo_webhook(*, url: str, actor) -> Operation | None:
    """Register the local receiver with the sandbox once (the sandbox delivers to loopback http)."""
    if webhook_registration_of(url) is not None:
        return None
    return operation_enqueue(
        kind=Operation.Kind.REGISTER_WEBHOOK, payload={"url": url, "events": list(EVENTS)}, actor=actor
    )


def demo_wall_token(*, actor) -> WallToken:
    token = WallToken.objects.filter(label=WALL_LABEL, revoked_at__isnull=True).first()
    return token or WallToken.objects.create(label=WALL_LABEL, created_by=actor)


def demo_sdr_keys() -> dict[str, str]:
    """username -> the seeded SDR's personal key; empty unless we talk to the sandbox's default workspace."""
    if not settings.SANDBOX_ENABLED or settings.LEADTERRA_API_KEY != settings.SANDBOX_API_KEY:
        return {}
    return {name: f"sk_test_sdr_{name}" for name in DEMO_SDR_USERS}


@shared_task(name="campaigns.tasks.demo_link_sdrs", bind=True, max_retries=100)
def demo_link_sdrs_task(self):
    """Link the demo SDR users once the worker has Leadterra's SDR list (make run)."""
    if not demo_link_sdrs():
        raise self.retry(countdown=3)


def demo_link_sdrs(*, keys: dict[str, str] | None = None, manager=None) -> bool:
    """Link each demo user without a key to the listed SDR of their email, with their key.

    False while the SDR list was never fetched (a refresh is asked for); True once done, or when
    a fetched list lacks someone (a warning says so: a manager links them by hand). The key
    goes only into sdr_link_save, which encrypts it; logs and audit name the SDR, never the key."""
    keys = demo_sdr_keys() if keys is None else keys
    users = get_user_model().objects.filter(username__in=keys)
    pending = [u for u in users if not SdrLink.objects.filter(user=u, key_encrypted__gt="").exists()]
    if not pending:
        return True
    manager = manager or get_user_model().objects.filter(username="manager").first()
    listed = {s.email.lower(): s for s in LeadterraSdr.objects.filter(listed=True)}
    ever = Operation.objects.filter(kind=Operation.Kind.REFRESH_SDRS, status=Operation.Status.SUCCEEDED).exists()
    if not ever:
        sdrs_refresh_enqueue(actor=manager)
        return False
    for user in pending:
        sdr = listed.get(user.get_username() + DEMO_SDR_DOMAIN)
        if sdr is None:
            logger.warning("demo user %s: no SDR %s%s in Leadterra's list", user, user, DEMO_SDR_DOMAIN)
            continue
        sdr_link_save(user=user, sdr_id=sdr.sdr_id, key=keys[user.get_username()], actor=manager)
        logger.info("demo user %s linked to the SDR %s", user, sdr.name)
    return True
