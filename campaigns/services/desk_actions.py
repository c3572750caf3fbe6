"""The SDR desk, write side: claim, hand to an SDR, snooze, mark lost; and the first answer.

Each action checks who may act (permissions.desk_refusal: an SDR on replies nobody holds and on
their own, a manager on all), refuses a form rendered before someone else acted (`version`),
writes the audit event and bumps the reply's desk version in one transaction, under a row lock
so two people pressing at once get one winner and one clear refusal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.audit import audit_record
from campaigns.models import Operation, Reply, ReplyHandoff
from campaigns.permissions import desk_refusal, reply_holder
from campaigns.services.desk import INTERESTED
from campaigns.services.sdr_actions import reply_assign_enqueue

MAX_SNOOZE = timedelta(days=14)
LOST_REASONS = {
    "not_interested": "Not interested after all",
    "timing": "Bad timing",
    "competitor": "Went with a competitor",
    "no_fit": "Not a fit",
    "other": "Other",
}


class DeskRefusal(Exception):
    """An action that does not fit the reply's state (the sentence says why); a 409 on the page."""


def _locked(reply_pk: int, actor, version: int | None) -> Reply:
    """The reply under a row lock, once the actor may act on it and their form is current."""
    reply = Reply.objects.select_for_update(of=("self",)).select_related("claimed_by", "campaign").get(pk=reply_pk)
    refusal = desk_refusal(actor, reply)
    if refusal:
        raise PermissionDenied(refusal)
    if reply.classification != INTERESTED:
        said = reply.classification
        raise DeskRefusal(f"This reply is classified “{said}”: only interested replies are on the desk.")
    if reply.lost_at is not None:
        raise DeskRefusal(f"This reply was marked lost ({reply.lost_reason}).")
    if version is not None and version != reply.desk_version:
        holder = reply_holder(reply)
        said = f" {holder.get_username()} has it now." if holder else ""
        raise DeskRefusal(f"This reply changed since your page was loaded.{said} Look again before acting.")
    return reply


def _touch(reply: Reply, now: datetime, **fields) -> None:
    Reply.objects.filter(pk=reply.pk).update(desk_version=F("desk_version") + 1, desk_changed_at=now, **fields)


def reply_claim(*, reply_pk: int, actor, version: int | None) -> Reply:
    """`actor` takes the reply: it leaves the queue and waits on them until they send an answer
    (a claim is a promise to answer, not an answer: speed to lead keeps counting)."""
    now = timezone.now()
    with transaction.atomic():
        reply = _locked(reply_pk, actor, version)
        holder = reply_holder(reply)
        if holder is not None and holder.pk == actor.pk:
            raise DeskRefusal("You already have this reply.")
        _touch(
            reply,
            now,
            claimed_by=actor,
            claimed_at=now,
            snoozed_until=None,
        )
        audit_record(
            actor=actor,
            action="reply.claimed",
            campaign=reply.campaign,
            reply=reply.pk,
            taken_from=holder.get_username() if holder else "",
        )
    return Reply.objects.get(pk=reply_pk)


def reply_forward(*, reply_pk: int, actor, version: int | None, sdr_user, **fields) -> Operation:
    """Hand the reply to `sdr_user`'s Leadterra SDR through the outbox (the ICP gate and a
    second forward are Leadterra's to refuse; the desk shows its answer in words)."""
    now = timezone.now()
    with transaction.atomic():
        reply = _locked(reply_pk, actor, version)
        pending = Operation.objects.filter(
            kind=Operation.Kind.ASSIGN_REPLY,
            payload__reply=reply.pk,
            status__in=[Operation.Status.QUEUED, Operation.Status.RUNNING, Operation.Status.RETRYING],
        ).exists()
        if pending:
            raise DeskRefusal("A hand-off of this reply is already on its way; wait for Leadterra's answer.")
        op = reply_assign_enqueue(reply=reply, sdr_user=sdr_user, actor=actor, **fields)
        _touch(reply, now)
    return op


def reply_snooze(*, reply_pk: int, actor, version: int | None, until: datetime) -> Reply:
    now = timezone.now()
    if until.tzinfo is None:
        raise DeskRefusal("Give the time with its time zone.")
    if until <= now:
        raise DeskRefusal("Snooze until a time in the future.")
    if until - now > MAX_SNOOZE:
        raise DeskRefusal("Snooze for at most 14 days: a lead who waits longer is lost, so say so instead.")
    with transaction.atomic():
        reply = _locked(reply_pk, actor, version)
        _touch(reply, now, snoozed_until=until)
        audit_record(
            actor=actor, action="reply.snoozed", campaign=reply.campaign, reply=reply.pk, until=until.isoformat()
        )
    return Reply.objects.get(pk=reply_pk)


def reply_lose(*, reply_pk: int, actor, version: int | None, reason: str, note: str = "") -> Reply:
    if reason not in LOST_REASONS:
        raise DeskRefusal(f"Pick why the lead is lost: {', '.join(LOST_REASONS.values())}.")
    note = " ".join(note.split())[:200]
    if reason == "other" and not note:
        raise DeskRefusal("Say in a few words why the lead is lost.")
    text = f"{LOST_REASONS[reason]}: {note}" if note else LOST_REASONS[reason]
    now = timezone.now()
    with transaction.atomic():
        reply = _locked(reply_pk, actor, version)
        _touch(reply, now, lost_at=now, lost_reason=text, snoozed_until=None)
        audit_record(actor=actor, action="reply.lost", campaign=reply.campaign, reply=reply.pk, reason=text)
    return Reply.objects.get(pk=reply_pk)


def reply_answered(*, thread_id: str, at: datetime | None = None) -> int:
    """An answer went out on a thread: its reply's first answer, if it had none (from a worker)."""
    if not thread_id:
        return 0
    at = at or timezone.now()
    reply_ids = ReplyHandoff.objects.filter(thread_id=thread_id).values("reply_id")
    return Reply.objects.filter(pk__in=reply_ids, first_answer_at__isnull=True).update(
        first_answer_at=at, desk_version=F("desk_version") + 1, desk_changed_at=at
    )
