"""What the API's writes do to the world: create, enroll, start, pause, suppress."""

from dataclasses import dataclass

from django.db.models import F

from .models import IDLE, SEND, Campaign, Lead, Suppression, Workspace, new_id
from .outcomes import lead_dice
from .router import SANDBOX_DB as DB

CHUNK = 500  # stays under every database's limit on query parameters


def create_campaign(ws: Workspace, name: str, steps: list, now: float) -> Campaign:
    number = Campaign.objects.using(DB).filter(workspace=ws).count() + 1
    return Campaign.objects.using(DB).create(
        workspace=ws, public_id=new_id("camp_"), number=number, name=name, steps=steps, created_at=now
    )


@dataclass
class EnrollResult:
    enrolled: int = 0
    updated: int = 0
    skipped: int = 0


def enroll(campaign: Campaign, items: list[dict], now: float) -> EnrollResult:
    """Upsert by email. New leads in a running campaign are due at once; in a paused one, held."""
    emails = sorted({item["email"] for item in items})
    existing = _in_chunks(emails, lambda chunk: Lead.objects.using(DB).filter(campaign=campaign, email__in=chunk))
    by_email = {lead.email: lead for lead in existing}
    blocked = set()
    for i in range(0, len(emails), CHUNK):
        blocked |= set(
            Suppression.objects.using(DB)
            .filter(workspace_id=campaign.workspace_id, email__in=emails[i : i + CHUNK])
            .values_list("email", flat=True)
        )
    result, fresh, changed = EnrollResult(), {}, {}
    for item in items:
        email = item["email"]
        if email in blocked:
            result.skipped += 1
        elif email in by_email or email in fresh:
            lead = by_email.get(email) or fresh[email]
            lead.fields = merge_fields(lead.fields, item)
            if lead.pk:
                changed[email] = lead
            result.updated += 1
        else:
            fresh[email] = _new_lead(campaign, item, now)
            result.enrolled += 1
    Lead.objects.using(DB).bulk_create(fresh.values(), batch_size=CHUNK)
    Lead.objects.using(DB).bulk_update(changed.values(), ["fields"], batch_size=CHUNK)
    if fresh:
        Campaign.objects.using(DB).filter(pk=campaign.pk).update(enrolled=F("enrolled") + len(fresh))
    return result


def _in_chunks(values: list, make_queryset) -> list:
    found = []
    for i in range(0, len(values), CHUNK):
        found += list(make_queryset(values[i : i + CHUNK]))
    return found


def merge_fields(old: dict, item: dict) -> dict:
    """Omitted fields keep their values; customFields merge key by key."""
    merged = {**old, **{k: v for k, v in item.items() if k not in ("email", "customFields")}}
    if "customFields" in item:
        merged["customFields"] = {**old.get("customFields", {}), **item["customFields"]}
    return merged


def _new_lead(campaign: Campaign, item: dict, now: float) -> Lead:
    lead = Lead(
        workspace_id=campaign.workspace_id,
        campaign=campaign,
        email=item["email"],
        dice=lead_dice(item["email"], campaign.number),
    )
    lead.fields = merge_fields({}, item)
    if campaign.status == "running":  # new leads in a running campaign start at step 1 at once
        lead.kind, lead.next_due = SEND, now
    elif campaign.status == "paused":
        lead.held_due = now
    return lead


def start(campaign: Campaign, now: float) -> bool:
    """Draft or paused → running. Returns False for the no-op (already running)."""
    if campaign.status == "running":
        return False
    leads = Lead.objects.using(DB).filter(campaign=campaign)
    if campaign.status == "draft":
        leads.filter(kind=IDLE, step=0, state="active").update(kind=SEND, next_due=now)
    else:  # paused: the held queue resumes where it stopped
        leads.filter(held_due__isnull=False).update(kind=SEND, next_due=F("held_due"), held_due=None)
    campaign.status, campaign.started_at = "running", now
    campaign.save(using=DB, update_fields=["status", "started_at"])
    return True


def pause(campaign: Campaign, now: float) -> bool:
    """Running → paused: due and future sends are held. Replies already on their way still land."""
    if campaign.status != "running":
        return False
    Lead.objects.using(DB).filter(campaign=campaign, kind=SEND).update(held_due=F("next_due"), kind=IDLE, next_due=None)
    campaign.status, campaign.paused_at = "paused", now
    campaign.save(using=DB, update_fields=["status", "paused_at"])
    return True


def queued(campaign: Campaign, now: float) -> int:
    """Messages due but not sent: waiting for pool volume, or held by a pause."""
    leads = Lead.objects.using(DB).filter(campaign=campaign)
    return leads.filter(kind=SEND, next_due__lte=now).count() + leads.filter(held_due__lte=now).count()
