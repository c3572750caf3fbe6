"""SDR actions that write to Leadterra: hand a reply to an SDR, act on follow-ups, send an answer.

Each checks who may act, writes its audit event and queues an operation in one transaction
(the outbox handlers in services/handlers/sdr.py make the calls). Who may act: an SDR on
replies nobody holds yet and on their own threads; a manager on all. An SDR-scoped call acts
for `sdr_user` with that SDR's key, fetched by the worker (never put in a payload).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction

from campaigns.audit import audit_record
from campaigns.models import Operation, Reply, ReplyHandoff, SdrLink
from campaigns.permissions import is_manager
from campaigns.services.operations import operation_enqueue

FOLLOWUP_ACTIONS = ("complete", "skip", "reschedule", "schedule")


def linked_sdr(user) -> SdrLink:
    link = SdrLink.objects.filter(user=user).first()
    if link is None or not link.has_key:
        raise ValueError(f"{user.get_username()} is not linked to a Leadterra SDR with a key yet; ask a manager.")
    return link


def _acts_for(actor, sdr_user) -> None:
    if not actor.is_authenticated:
        raise PermissionDenied("Log in first.")
    if actor.pk != sdr_user.pk and not is_manager(actor):
        raise PermissionDenied("An SDR acts on their own threads only; a manager can act for any SDR.")


def _thread_owner_check(actor, sdr_user, thread_id: str) -> None:
    """A thread known to belong to someone else is theirs (managers excepted)."""
    holder = ReplyHandoff.objects.filter(thread_id=thread_id).exclude(thread_id="").first() if thread_id else None
    if holder and holder.sdr_user_id != sdr_user.pk:
        raise PermissionDenied(f"That thread belongs to {holder.sdr_user.get_username()}.")


def reply_assign_enqueue(
    *,
    reply: Reply,
    sdr_user,
    actor,
    category: str | None = None,
    note: str = "",
    seniority: str = "",
    employee_count: int | None = None,
    skip_icp_check: bool = False,
    force_forward: bool = False,
) -> Operation:
    """Hand `reply` to `sdr_user`'s SDR. Refusals: PermissionDenied or ValueError with a sentence."""
    manager = is_manager(actor)
    if not actor.is_authenticated:
        raise PermissionDenied("Log in first.")
    holder = ReplyHandoff.objects.filter(reply=reply).select_related("sdr_user").first()
    if holder and not manager:
        raise PermissionDenied(f"This reply is already {holder.sdr_user.get_username()}'s; a manager can reassign it.")
    if (force_forward or skip_icp_check) and not manager:
        raise PermissionDenied("Only a manager can force a forward or skip the ICP check.")
    if category not in (None, "", "A", "B", "C"):
        raise ValueError("Category must be A, B or C.")
    link = linked_sdr(sdr_user)
    payload = {
        "reply": reply.pk,
        "sdr_user": sdr_user.pk,
        "sdr_id": link.sdr_id,
        "category": category or None,
        "note": note.strip() or None,
        "seniority": seniority.strip() or None,
        "employee_count": employee_count,
        "skip_icp_check": skip_icp_check,
        "force_forward": force_forward,
    }
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="reply.assign_requested",
            campaign=reply.campaign,
            reply=reply.pk,
            to=sdr_user.get_username(),
            force_forward=force_forward,
        )
        return operation_enqueue(
            kind=Operation.Kind.ASSIGN_REPLY, campaign=reply.campaign, payload=payload, actor=actor
        )


def followup_enqueue(
    *,
    action: str,
    sdr_user,
    actor,
    followup_id: str = "",
    thread_id: str = "",
    reason: str = "",
    due_at: datetime | None = None,
) -> Operation:
    """complete / skip (reason) / reschedule (due_at) a follow-up; schedule one on a thread."""
    _acts_for(actor, sdr_user)
    if action not in FOLLOWUP_ACTIONS:
        raise ValueError(f"Unknown follow-up action {action!r}: use {', '.join(FOLLOWUP_ACTIONS)}.")
    if action == "schedule" and not thread_id:
        raise ValueError("Say which thread the follow-up is for.")
    if action != "schedule" and not followup_id:
        raise ValueError("Say which follow-up to act on.")
    if action == "skip" and not reason.strip():
        raise ValueError("Say why the follow-up is skipped.")
    if action == "reschedule" and due_at is None:
        raise ValueError("Give the new due date and time.")
    if due_at is not None and due_at.tzinfo is None:
        raise ValueError("Give the due time with its time zone.")
    _thread_owner_check(actor, sdr_user, thread_id)
    linked_sdr(sdr_user)
    payload = {
        "action": action,
        "sdr_user": sdr_user.pk,
        "followup_id": followup_id,
        "thread_id": thread_id,
        "reason": reason.strip(),
        "due_at": due_at.isoformat() if due_at else None,
    }
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=f"followup.{action}_requested",
            followup=followup_id,
            thread=thread_id,
            sdr=sdr_user.get_username(),
            reason=reason.strip(),
        )
        return operation_enqueue(kind=Operation.Kind.FOLLOWUP, payload=payload, actor=actor)


def draft_send_enqueue(
    *,
    draft_id: str,
    sdr_user,
    actor,
    thread_id: str = "",
    final_body_html: str | None = None,
    final_body_text: str | None = None,
    additional_cc: list[str] | None = None,
) -> Operation:
    """Send a drafted answer. Not idempotent: an unknown outcome is never retried (see the handler)."""
    _acts_for(actor, sdr_user)
    if not draft_id:
        raise ValueError("Say which draft to send.")
    _thread_owner_check(actor, sdr_user, thread_id)
    linked_sdr(sdr_user)
    payload = {
        "draft_id": draft_id,
        "thread_id": thread_id,
        "sdr_user": sdr_user.pk,
        "final_body_html": final_body_html,
        "final_body_text": final_body_text,
        "additional_cc": list(additional_cc or []),
    }
    with transaction.atomic():
        audit_record(
            actor=actor, action="draft.send_requested", draft=draft_id, thread=thread_id, sdr=sdr_user.get_username()
        )
        return operation_enqueue(kind=Operation.Kind.SEND_DRAFT, payload=payload, actor=actor)


def sdr_user(pk: int):
    return get_user_model().objects.get(pk=pk)
