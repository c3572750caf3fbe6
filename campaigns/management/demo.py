"""The live demo of `make run`: a few campaigns launched through the normal path.

`seed_demo` (run before the processes start) drafts, submits and approves the demo
campaigns and queues the `demo_launch` task below. The worker runs it once it is up: it
waits for fresh pool numbers (the launch pre-flight needs them, and only the worker can
fetch them), then launches each campaign exactly as a manager would. The task lives here,
with the seeding, not among the product's tasks: the worker loads this module because
settings.CELERY_IMPORTS names it, so no production module imports the demo. Everything is idempotent: running the
seed again finds the campaigns, launches only those still waiting, and reuses the wall link.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction

from campaigns.models import Campaign, Lead, Operation, WallToken
from campaigns.services.campaigns import campaign_content_save, campaign_create
from campaigns.services.launch import campaign_launch
from campaigns.services.lifecycle import campaign_approve, campaign_submit
from campaigns.services.operations import operation_enqueue
from campaigns.services.pools import pools_freshness, pools_refresh_enqueue
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
