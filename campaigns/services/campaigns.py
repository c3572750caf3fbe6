"""Campaign drafts: create, list, save content (with a version check), duplicate, archive."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.email_safe import sanitize
from campaigns.models import Campaign, CampaignVersion, Operation, SequenceStep
from campaigns.permissions import can_archive, edit_refusal
from campaigns.services.lifecycle import approval_void
from campaigns.services.transitions import TRANSITIONS, LifecycleError, check_state, locked, transition
from campaigns.services.versions import campaign_snapshot, content_hash, snapshot_changes, version_save

SORTS = {
    "name": "name",
    "-name": "-name",
    "status": "status",
    "-status": "-status",
    "leads": "lead_count",
    "-leads": "-lead_count",
    "steps": "step_count",
    "-steps": "-step_count",
    "updated": "updated_at",
    "-updated": "-updated_at",
}


class VersionConflict(Exception):
    """Someone saved since the editor loaded `base_version`; nothing was written."""

    def __init__(self, *, current: int, changes: list[str], by: str):
        super().__init__(f"campaign changed to version {current}")
        self.current, self.changes, self.by = current, changes, by


def _count(model, **filters):
    rows = model.objects.filter(campaign=OuterRef("pk"), **filters).order_by().values("campaign")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), Value(0), output_field=IntegerField())


def campaign_list_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The list's filters from a query string: the list page and its live rows read them alike."""
    filters = {key: params.get(key, "").strip() for key in ("status", "owner", "q", "sort")}
    filters["sort"] = filters["sort"] if filters["sort"] in SORTS else "-updated"
    return filters


def campaign_list_query(*, status: str = "", owner: str = "", q: str = "", sort: str = "-updated"):
    """The list page's rows: one query whatever the number of campaigns. Steps are counted (a
    handful per campaign); leads are the stored Campaign.lead_count (a count would scan them)."""
    campaigns = Campaign.objects.select_related("owner").annotate(step_count=_count(SequenceStep))
    if status:
        campaigns = campaigns.filter(status=status)
    else:
        campaigns = campaigns.exclude(status=Campaign.Status.ARCHIVED)
    if owner:
        campaigns = campaigns.filter(owner__username=owner)
    if q:
        campaigns = campaigns.filter(name__icontains=q)
    return campaigns.order_by(SORTS.get(sort, "-updated_at"), "-pk")


@transaction.atomic
def campaign_create(*, owner, name: str) -> Campaign:
    campaign = Campaign.objects.create(owner=owner, name=name)
    version_save(campaign=campaign, actor=owner)  # version 1: the empty draft, so diffs have a start
    audit_record(actor=owner, action="campaign.created", campaign=campaign, name=name)
    return campaign


def _replace_steps(campaign: Campaign, steps: list[dict]) -> None:
    campaign.steps.all().delete()
    SequenceStep.objects.bulk_create(
        SequenceStep(
            campaign=campaign,
            position=i + 1,
            subject=s["subject"],
            body_html=s["body_html"],
            delay_days=s["delay_days"] if i else 0,
        )
        for i, s in enumerate(steps)
    )


def sanitised_content(content: dict) -> dict:
    """`content` with every body under the email policy: what is stored, approved and sent."""
    return {**content, "steps": [{**s, "body_html": sanitize(s["body_html"])} for s in content["steps"]]}


def _conflict(campaign: Campaign, base_version: int) -> VersionConflict:
    base = CampaignVersion.objects.filter(campaign=campaign, number=base_version).first()
    latest = CampaignVersion.objects.filter(campaign=campaign).select_related("created_by").first()
    changes = snapshot_changes(base.content if base else None, campaign_snapshot(campaign))
    by = latest.created_by.get_username() if latest and latest.created_by else "someone"
    return VersionConflict(current=campaign.version, changes=changes, by=by)


def check_editable(*, campaign: Campaign, actor) -> None:
    """PermissionDenied, saying why, when `actor` may not edit the sequence of `campaign`."""
    if refusal := edit_refusal(actor, campaign):
        raise PermissionDenied(refusal)


def campaign_content_save(*, campaign: Campaign, actor, content: dict, base_version: int) -> CampaignVersion | None:
    """Save name and steps if nobody saved since `base_version`; None when nothing changed.

    Raises VersionConflict (writing nothing) when the campaign moved on, and
    PermissionDenied when `actor` may not edit it. An in_review or approved campaign
    goes back to draft (approval_void): approval is bound to content. Bodies are stored
    sanitised (email_safe.removed_parts says what that removes, for the editor to tell).
    """
    content = sanitised_content(content)
    with transaction.atomic():
        # The row lock (PostgreSQL) / immediate transaction (SQLite) makes check-then-write atomic.
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        check_editable(campaign=locked, actor=actor)
        if locked.version != base_version:
            raise _conflict(locked, base_version)
        before = campaign_snapshot(locked)
        if content_hash(before) == content_hash(content):
            return None
        locked.name = content["name"]
        locked.save(update_fields=["name", "updated_at"])
        _replace_steps(locked, content["steps"])
        version = version_save(campaign=locked, actor=actor)
        changes = snapshot_changes(before, content)
        audit_record(actor=actor, action="campaign.edited", campaign=locked, version=version.number, changes=changes)
        approval_void(campaign=locked, actor=actor)
    campaign.refresh_from_db()
    return version


@transaction.atomic
def campaign_duplicate(*, campaign: Campaign, actor) -> Campaign:
    """A new draft owned by `actor` with the same content. Leads stay with the original."""
    content = sanitised_content(campaign_snapshot(campaign))  # a copy of an old body meets today's policy
    copy = Campaign.objects.create(owner=actor, name=f"Copy of {campaign.name}"[:200])
    _replace_steps(copy, content["steps"])
    version_save(campaign=copy, actor=actor)
    audit_record(actor=actor, action="campaign.duplicated", campaign=copy, source_id=campaign.pk, source=campaign.name)
    return copy


def archive_allowed(user, campaign: Campaign) -> bool:
    """For drawing the Archive button: the lifecycle table allows it now and the role does."""
    return campaign.status in TRANSITIONS["archive"][0] and can_archive(user, campaign)


# Operations that could start the campaign (or are changing its state) while it is archived.
STARTING = [Operation.Kind.LAUNCH, Operation.Kind.CREATE_CAMPAIGN, Operation.Kind.START, Operation.Kind.PAUSE]


@transaction.atomic
def campaign_archive(*, campaign: Campaign, actor) -> Campaign:
    """Archive under the row lock, through the lifecycle table: a launch or resume queued by a
    request that won the race is seen here, and the archive is refused (LifecycleError).
    Archiving what the caller saw sending, or someone else's work, is PermissionDenied."""
    if not archive_allowed(actor, campaign):
        raise PermissionDenied("Only the owner or a manager can archive, and never while it is sending.")
    campaign = locked(campaign)
    check_state("archive", campaign)  # it moved on since the caller read it (a launch won)
    if not can_archive(actor, campaign):
        raise PermissionDenied("Only the owner or a manager can archive, and never while it is sending.")
    pending = campaign.operations.filter(kind__in=STARTING, status__in=Operation.ACTIVE_STATES).first()
    if pending:
        raise LifecycleError(
            f"{pending.get_kind_display()} #{pending.pk} is still being sent to Leadterra: archive it once that ends."
        )
    previous = campaign.status
    campaign.archived_at = timezone.now()
    transition(campaign, "archive", reason=campaign.status_reason, fields=["archived_at"])
    audit_record(actor=actor, action="campaign.archived", campaign=campaign, previous_status=previous)
    return campaign


def owners_with_campaigns():
    """Usernames for the owner filter (small: people, not campaigns)."""
    return list(
        Campaign.objects.filter(~Q(owner__username="")).order_by().values_list("owner__username", flat=True).distinct()
    )
