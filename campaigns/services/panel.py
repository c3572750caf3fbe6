"""What the lifecycle panel shows: the latest followed operation and the campaign row, read in that order.

A worker commits the campaign's new status before it marks the operation finished. So the
operation is read first and the campaign after it: an operation seen finished is then always
seen with its outcome. Read the other way round, a pause finishing between the two reads showed
"Running" with a live "Pause…" button and stopped the polling that would have corrected it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.shortcuts import get_object_or_404

from campaigns.models import Campaign, Operation
from campaigns.services.lifecycle import allowed_actions

# Kinds whose progress the panel follows live, and the status each leaves when it succeeds.
OUTCOME = {
    Operation.Kind.LAUNCH: Campaign.Status.RUNNING,
    Operation.Kind.START: Campaign.Status.RUNNING,
    Operation.Kind.PAUSE: Campaign.Status.PAUSED,
}
FOLLOWED = tuple(OUTCOME)


EVENTS_SHOWN = 8


@dataclass(frozen=True)
class Panel:
    campaign: Campaign
    op: Operation | None
    live: bool  # poll: the state can still change without anyone clicking
    actions: frozenset[str] = frozenset()  # what the reader may do now (buttons; services re-check)
    events: tuple = ()  # the latest audit events, newest first


def panel_read(pk: int, *, reader=None) -> Panel:
    """The latest followed operation, then the campaign (404 if none): never the other way round.

    With `reader`, also the actions that person may take now and the latest audit events."""
    op = latest_operation(pk)
    campaign = get_object_or_404(Campaign.objects.select_related("owner", "approved_by", "paused_by"), pk=pk)
    panel = Panel(campaign=campaign, op=op, live=panel_is_live(campaign, op))
    if reader is None:
        return panel
    events = tuple(campaign.audit_events.select_related("actor")[:EVENTS_SHOWN])
    return replace(panel, actions=frozenset(allowed_actions(campaign, reader)), events=events)


def latest_operation(campaign_pk) -> Operation | None:
    return Operation.objects.filter(campaign_id=campaign_pk, kind__in=FOLLOWED).order_by("-id").first()


def panel_is_live(campaign: Campaign, op: Operation | None) -> bool:
    """Poll while an operation is in flight, or while its outcome has not reached the campaign row yet."""
    if campaign.status == Campaign.Status.LAUNCHING or (op is not None and op.is_active):
        return True
    return outcome_pending(campaign, op)


def outcome_pending(campaign: Campaign, op: Operation | None) -> bool:
    """The operation succeeded, but the row does not show its outcome and was not written since it finished.

    A row written after the operation finished (a bounce-guard pause, an archive) is the truth,
    whatever the operation left: the panel then stops polling.
    """
    if op is None or op.status != Operation.Status.SUCCEEDED or op.finished_at is None:
        return False
    return campaign.status != OUTCOME.get(op.kind) and campaign.updated_at <= op.finished_at
