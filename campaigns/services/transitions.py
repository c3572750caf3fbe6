"""The one table of campaign states, and the only code that writes `Campaign.status`.

Every change of status goes through `transition` (a person's action, refused with a
LifecycleError when the table does not allow it) or `confirm` (Leadterra confirmed what an
operation asked for; a confirmation the table does not allow is logged and recorded in the
audit trail, never applied). Both run on a row locked with select_for_update, so two
requests, or a request and a worker, cannot both pass the check on the same old state.
docs/lifecycle.md draws the table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from campaigns.audit import audit_record
from campaigns.models import Campaign

logger = logging.getLogger(__name__)
Status = Campaign.Status

# action -> (states it may start from, state it leads to). None as the target: a request whose
# state follows only when Leadterra confirms it (pause -> confirm_paused, resume -> confirm_resumed).
TRANSITIONS: dict[str, tuple[frozenset, str | None]] = {
    # what people do
    "submit": (frozenset({Status.DRAFT}), Status.IN_REVIEW),
    "approve": (frozenset({Status.IN_REVIEW}), Status.APPROVED),
    "reject": (frozenset({Status.IN_REVIEW}), Status.DRAFT),
    # launch_failed before anything exists remotely is still editable, so an edit voids it too.
    "void": (frozenset({Status.IN_REVIEW, Status.APPROVED, Status.LAUNCH_FAILED}), Status.DRAFT),
    "launch": (frozenset({Status.APPROVED}), Status.LAUNCHING),
    "retry_launch": (frozenset({Status.LAUNCH_FAILED}), Status.LAUNCHING),
    "pause": (frozenset({Status.RUNNING}), None),
    "resume": (frozenset({Status.PAUSED}), None),
    # never while launching or running: mail would go on going out behind an archived campaign
    "archive": (
        frozenset({Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.LAUNCH_FAILED, Status.PAUSED}),
        Status.ARCHIVED,
    ),
    # what Leadterra confirms (applied by the outbox handlers)
    "confirm_launched": (frozenset({Status.LAUNCHING}), Status.RUNNING),
    "confirm_resumed": (frozenset({Status.PAUSED}), Status.RUNNING),
    "confirm_paused": (frozenset({Status.RUNNING}), Status.PAUSED),
    "confirm_launch_failed": (frozenset({Status.LAUNCHING}), Status.LAUNCH_FAILED),
}
# Every (from, to) pair the table allows: nothing else may ever happen to a campaign's status.
EDGES = frozenset((source, target) for sources, target in TRANSITIONS.values() if target for source in sources)

ACTION_VERBS = {
    "submit": "send it for review",
    "approve": "approve it",
    "reject": "reject it",
    "void": "void its approval",
    "launch": "launch it",
    "retry_launch": "retry the launch",
    "pause": "pause it",
    "resume": "resume it",
    "archive": "archive it",
    "guard": "change its bounce guard",  # a setting, not a transition: its refusal still reads well
}


class LifecycleError(Exception):
    """A refusal a person can act on: the action does not fit the campaign's state or content."""


def check_state(action: str, campaign: Campaign) -> str | None:
    sources, target = TRANSITIONS[action]
    if campaign.status not in sources:
        raise LifecycleError(
            f"You cannot {ACTION_VERBS.get(action, action)} while it is {campaign.get_status_display().lower()}."
        )
    return target


def locked(campaign: Campaign) -> Campaign:
    """Re-read the row under a lock so two clicks cannot both pass the state check.

    In place, so a caller holding the instance (the editor) never saves a stale status.
    """
    campaign.refresh_from_db(from_queryset=Campaign.objects.select_for_update())
    return campaign


def transition(campaign: Campaign, action: str, *, reason: str = "", fields=()) -> str:
    """Move a locked campaign along TRANSITIONS and save; returns the previous status.

    `fields` names other attributes the caller set on the instance, saved in the same write.
    """
    previous, target = campaign.status, check_state(action, campaign)
    if target is None:
        raise ValueError(f"{action!r} is a request; its state follows a confirmation")
    campaign.status_reason = reason
    write_status(campaign, target, fields=["status_reason", *fields])
    return previous


def write_status(campaign: Campaign, target: str, *, fields=()) -> None:
    """The single place where a status is stored (tests watch it to check every write)."""
    if (campaign.status, target) not in EDGES:
        raise LifecycleError(f"No transition leads from {campaign.status} to {target}.")
    campaign.status = target
    campaign.save(update_fields=["status", "updated_at", *fields])


def may_confirm(campaign: Campaign, action: str) -> bool:
    """Would `confirm(action)` be accepted now (applied, or already done)?"""
    sources, target = TRANSITIONS[action]
    return campaign.status in sources or campaign.status == target


def confirm(
    campaign_id: int,
    action: str,
    *,
    operation=None,
    reason: str | None = None,
    stamps: Callable[[Campaign], dict] | None = None,
) -> Campaign | None:
    """Apply what Leadterra confirmed for `operation`; the campaign when its status changed.

    Already in the target state (a repeated confirmation, a re-run after a worker died): nothing
    to do. In a state the table does not lead from: logged and audited, never forced.
    `stamps(campaign)` gives other fields to store with the change (timestamps), read under the
    lock; `reason` replaces status_reason. Call it inside the transaction that audits the change.
    """
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status == target:
            return None
        if campaign.status not in sources:
            _refused(campaign, action, operation)
            return None
        values = stamps(campaign) if stamps else {}
        if reason is not None:
            values["status_reason"] = reason
        for name, value in values.items():
            setattr(campaign, name, value)
        write_status(campaign, target, fields=list(values))
    return campaign


def _refused(campaign: Campaign, action: str, operation) -> None:
    op_id = getattr(operation, "pk", None)
    logger.warning(
        "campaign %s: %s refused in state %s (operation %s); status left as it is",
        campaign.pk,
        action,
        campaign.status,
        op_id,
    )
    audit_record(
        actor=None,
        action="campaign.confirmation_refused",
        campaign=campaign,
        confirmation=action,
        status=campaign.status,
        operation=op_id,
    )
