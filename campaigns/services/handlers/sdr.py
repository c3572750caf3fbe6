"""SDR handlers: refresh the SDR list, hand a reply over, act on follow-ups, send an answer.

The SDR-scoped ones fetch the key of the SDR they act for (`sdr_key_for`) at run time; it is
never in a payload, a result or an error. `send_draft` is registered retry_safe=False: a send
whose outcome is unknown ends `outcome_unknown` and nothing repeats it on its own.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from campaigns.audit import audit_record
from campaigns.leadterra import GuardrailsBlocked, LeadterraError
from campaigns.models import Operation, Reply, ReplyHandoff
from campaigns.services.desk_actions import reply_answered
from campaigns.services.operations import checkpoint, handles
from campaigns.services.sdr_actions import sdr_user
from campaigns.services.sdr_inbox import followup_apply, thread_sent_apply
from campaigns.services.sdr_keys import SdrKeyError, sdr_key_for, sdrs_apply


def sdr_key_of(op: Operation) -> str:
    try:
        return sdr_key_for(op.payload["sdr_user"])
    except SdrKeyError as error:  # a permanent failure with the sentence, never the key
        raise LeadterraError(str(error), code="no_sdr_key") from None


@handles(Operation.Kind.REFRESH_SDRS)
def refresh_sdrs(op: Operation, client) -> dict:
    return sdrs_apply(client.list_sdrs())


@handles(Operation.Kind.ASSIGN_REPLY)
def assign_reply(op: Operation, client) -> dict:
    """Idempotent through the operation's key: a re-run after a lost answer gets the same hand-off."""
    p = op.payload
    reply = Reply.objects.get(pk=p["reply"])
    handoff = client.assign_reply(
        reply.remote_id,
        sdr_id=p["sdr_id"],
        category=p.get("category"),
        note=p.get("note"),
        seniority=p.get("seniority"),
        employee_count=p.get("employee_count"),
        skip_icp_check=bool(p.get("skip_icp_check")),
        force_forward=bool(p.get("force_forward")),
        idempotency_key=str(op.idempotency_key),
    )
    who = sdr_user(p["sdr_user"])
    with transaction.atomic():
        ReplyHandoff.objects.update_or_create(
            reply=reply,
            defaults={
                "sdr_user": who,
                "sdr_id": p["sdr_id"],
                "thread_id": handoff.thread_id,
                "handoff_id": handoff.handoff_id,
                "assigned_by": op.created_by,
            },
        )
        audit_record(
            actor=op.created_by,
            action="reply.assigned",
            campaign=reply.campaign,
            reply=reply.pk,
            to=who.get_username(),
            thread=handoff.thread_id,
            operation=op.pk,
        )
    return {"thread_id": handoff.thread_id, "handoff_id": handoff.handoff_id}


@handles(Operation.Kind.FOLLOWUP)
def followup(op: Operation, client) -> dict:
    p, key, idem = op.payload, sdr_key_of(op), str(op.idempotency_key)
    action = p["action"]
    due_at = datetime.fromisoformat(p["due_at"]) if p.get("due_at") else None
    if action == "complete":
        done = client.complete_followup(p["followup_id"], api_key=key, idempotency_key=idem)
    elif action == "skip":
        done = client.skip_followup(p["followup_id"], api_key=key, reason=p["reason"], idempotency_key=idem)
    elif action == "reschedule":
        done = client.reschedule_followup(p["followup_id"], api_key=key, due_at=due_at, idempotency_key=idem)
    else:
        done = client.schedule_followup(p["thread_id"], api_key=key, due_at=due_at, idempotency_key=idem)
    followup_apply(user_id=p["sdr_user"], followup=done, thread_id=p.get("thread_id", ""))
    audit_record(
        actor=op.created_by,
        action=f"followup.{action}d" if action.endswith("e") else f"followup.{action}ped",
        followup=done.id,
        thread=p.get("thread_id") or done.thread_id,
        reason=p.get("reason", ""),
        operation=op.pk,
    )
    return {"followup_id": done.id, "status": done.status, "due_at": done.due_at.isoformat() if done.due_at else None}


@handles(Operation.Kind.SEND_DRAFT, retry_safe=False)
def send_draft(op: Operation, client) -> dict:
    p, key = op.payload, sdr_key_of(op)
    try:
        sent = client.send_draft(
            p["draft_id"],
            api_key=key,
            final_body_html=p.get("final_body_html"),
            final_body_text=p.get("final_body_text"),
            additional_cc=p.get("additional_cc") or None,
        )
    except GuardrailsBlocked as blocked:  # nothing went out: keep the issues for the page, then fail
        g = blocked.guardrails
        issues = [{"code": i.code, "severity": i.severity, "message": i.message} for i in g.issues]
        scores = {"overall": g.overall, "readability": g.readability, "personalization": g.personalization}
        checkpoint(op, guardrails={"issues": issues, **scores, "link_quality": g.link_quality})
        audit_record(actor=op.created_by, action="draft.send_blocked", draft=p["draft_id"], operation=op.pk)
        raise
    audit_record(
        actor=op.created_by,
        action="draft.sent",
        draft=p["draft_id"],
        thread=p.get("thread_id", ""),
        message_id=sent.message_id,
        operation=op.pk,
    )
    thread_sent_apply(user_id=p["sdr_user"], thread_id=p.get("thread_id", ""))
    reply_answered(thread_id=p.get("thread_id", ""))  # speed to lead: the reply's first answer
    return {"message_id": sent.message_id}
