"""One SDR thread: who it belongs to, what the page shows, drafts and answers.

Whose a thread is: the SDR we handed its reply to (ReplyHandoff), else the SDR whose inbox
listed it. An SDR acts on their own threads; a manager on anyone's, acting for that SDR (with
that SDR's key). Writes go through the outbox: writing drafts (`generate_drafts`), sending
(`send_draft`, never repeated on its own) and follow-up actions (services/sdr_actions.py).
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from campaigns.answer_text import MAX_INSTRUCTIONS_CHARS, answer_html, clean_answer
from campaigns.audit import audit_record
from campaigns.models import Lead, Operation, ReplyHandoff, SdrDraft, SdrFollowUp, SdrThread
from campaigns.permissions import is_manager
from campaigns.services.operations import operation_enqueue
from campaigns.services.sdr_actions import draft_send_enqueue, followup_enqueue
from campaigns.services.sdr_actions import linked_sdr as linked

S = Operation.Status
BUSY = {S.QUEUED, S.RUNNING, S.RETRYING}


class ThreadRefusal(ValueError):
    """The action does not fit the thread's or the draft's state; the message says why."""


def thread_owner(thread_id: str):
    """(owner, cached thread or None, hand-off or None); Http404 when nobody has this thread."""
    handoff = (
        ReplyHandoff.objects.filter(thread_id=thread_id)
        .exclude(thread_id="")
        .select_related("sdr_user", "reply__campaign")
        .first()
    )
    cached = SdrThread.objects.filter(thread_id=thread_id).select_related("user").order_by("-seen_at").first()
    owner = handoff.sdr_user if handoff else cached.user if cached else None
    if owner is None:
        raise Http404("No such thread in any SDR's inbox.")
    if handoff and cached and cached.user_id != owner.pk:
        cached = SdrThread.objects.filter(thread_id=thread_id, user=owner).first()
    return owner, cached, handoff


def _may_act(actor, owner) -> None:
    if not actor.is_authenticated:
        raise PermissionDenied("Log in first.")
    if actor.pk != owner.pk and not is_manager(actor):
        raise PermissionDenied("An SDR opens and answers their own threads only; a manager can act for any SDR.")


def thread_for(*, actor, thread_id: str):
    owner, cached, handoff = thread_owner(thread_id)
    _may_act(actor, owner)
    return owner, cached, handoff


def thread_page(*, actor, thread_id: str) -> dict:
    """What the thread page shows: the thread, its reply and lead, drafts with their sends, follow-ups."""
    owner, cached, handoff = thread_for(actor=actor, thread_id=thread_id)
    reply = handoff.reply if handoff else None
    lead = None
    if reply is not None and reply.campaign_id:
        lead = Lead.objects.filter(campaign_id=reply.campaign_id, email__iexact=reply.email).first()
    sends = list(
        Operation.objects.filter(kind=Operation.Kind.SEND_DRAFT, payload__thread_id=thread_id).select_related(
            "created_by"
        )
    )
    generating = (
        Operation.objects.filter(kind=Operation.Kind.GENERATE_DRAFTS, payload__thread_id=thread_id)
        .order_by("-created_at")
        .first()
    )
    drafts = SdrDraft.objects.filter(thread_id=thread_id, user=owner)
    rows = [_draft_row(d, sends) for d in drafts]
    return {
        "owner": owner,
        "acting_for": owner if owner.pk != actor.pk else None,
        "thread": cached,
        "thread_id": thread_id,
        "handoff": handoff,
        "reply": reply,
        "lead": lead,
        "drafts": rows,
        "generating": generating,
        "answers": [op for op in reversed(sends) if op.status in (S.SUCCEEDED, S.OUTCOME_UNKNOWN)],
        "followups": SdrFollowUp.objects.filter(user=owner, thread_id=thread_id, listed=True, status="pending"),
        "busy": (generating is not None and generating.status in BUSY) or any(op.status in BUSY for op in sends),
    }


def _draft_row(draft: SdrDraft, sends: list[Operation]) -> dict:
    mine = [op for op in sends if op.payload.get("draft_id") == draft.draft_id]
    last = mine[0] if mine else None  # Operation's default order: newest first
    return {
        "draft": draft,
        "send": last,
        "state": send_state(last),
        "guardrails": (last.progress if last else {}).get("guardrails"),
    }


def send_state(op: Operation | None) -> str:
    """new · sending · sent · blocked · failed · unknown · cancelled (a settled "not sent")."""
    if op is None:
        return "new"
    if op.status in BUSY:
        return "sending"
    if op.status == S.FAILED:
        return "blocked" if op.progress.get("guardrails") else "failed"
    return {S.SUCCEEDED: "sent", S.OUTCOME_UNKNOWN: "unknown"}.get(op.status, "cancelled")


# --- drafts -------------------------------------------------------------------------------------


def variant_count(value) -> int:
    try:
        count = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError("Choose how many variants to write: 1, 2 or 3.") from None
    if not 1 <= count <= 3:
        raise ValueError(f"Leadterra writes 1, 2 or 3 variants, not {count}.")
    return count


def drafts_generate_enqueue(*, actor, thread_id: str, count, instructions: str = "") -> Operation:
    owner, cached, handoff = thread_for(actor=actor, thread_id=thread_id)
    count = variant_count(count)
    instructions = (instructions or "").strip()
    if len(instructions) > MAX_INSTRUCTIONS_CHARS:
        raise ValueError(
            f"Instructions are limited to {MAX_INSTRUCTIONS_CHARS:,} characters ({len(instructions):,} given)."
        )
    _writable(cached, handoff, thread_id)
    linked(owner)  # the same "no key yet" sentence as every SDR action
    with transaction.atomic():
        busy = Operation.objects.select_for_update().filter(
            kind=Operation.Kind.GENERATE_DRAFTS, payload__thread_id=thread_id, status__in=BUSY
        )
        if busy.exists():
            raise ThreadRefusal("Drafts for this thread are being written already; they appear here in a moment.")
        payload = {
            "thread_id": thread_id,
            "sdr_user": owner.pk,
            "variant_count": count,
            "instructions": instructions,
            "reply": handoff.reply_id if handoff else None,
        }
        audit_record(
            actor=actor, action="drafts.generate_requested", thread=thread_id, sdr=owner.get_username(), variants=count
        )
        return operation_enqueue(kind=Operation.Kind.GENERATE_DRAFTS, payload=payload, actor=actor)


def _writable(cached: SdrThread | None, handoff, thread_id: str) -> None:
    if cached is not None and cached.status == "archived":
        raise ThreadRefusal("This thread is archived in Leadterra: nothing more can be sent on it.")


def _draft(thread_id: str, draft_pk) -> SdrDraft:
    try:
        pk = int(str(draft_pk))
    except (TypeError, ValueError):
        pk = None
    draft = SdrDraft.objects.filter(pk=pk, thread_id=thread_id).select_related("user", "reply").first() if pk else None
    if draft is None:
        raise ValueError("That is not one of this thread's drafts: write drafts first, then pick one of them.")
    return draft


def _still_theirs(draft: SdrDraft, owner) -> None:
    """A draft acts for the SDR it was written for; after a hand-off to someone else it is stale."""
    if draft.reply_id:
        now = ReplyHandoff.objects.filter(reply_id=draft.reply_id).select_related("sdr_user").first()
        if now is not None and (now.thread_id != draft.thread_id or now.sdr_user_id != draft.user_id):
            raise ThreadRefusal(
                f"This reply was handed to {now.sdr_user.get_username()} after this draft was written; "
                "the answer is theirs to write now."
            )
    if draft.user_id != owner.pk:
        raise ThreadRefusal(f"This thread is {owner.get_username()}'s now; this draft was written for someone else.")


def draft_edit_save(*, actor, thread_id: str, draft_pk, text) -> SdrDraft:
    owner, _cached, _handoff = thread_for(actor=actor, thread_id=thread_id)
    draft = _draft(thread_id, draft_pk)
    _still_theirs(draft, owner)
    text = clean_answer(text)
    draft.edited_text = "" if text == draft.body_text.strip() else text
    draft.save(update_fields=["edited_text"])
    audit_record(actor=actor, action="draft.edited", thread=thread_id, draft=draft.draft_id, sdr=owner.get_username())
    return draft


def draft_send(*, actor, thread_id: str, draft_pk, text) -> Operation:
    """Queue the send of one draft with the SDR's final text. Refused while an earlier send of
    the same draft is under way, went out, or has an unknown outcome (never sent twice)."""
    owner, cached, handoff = thread_for(actor=actor, thread_id=thread_id)
    draft = _draft(thread_id, draft_pk)
    _still_theirs(draft, owner)
    _writable(cached, handoff, thread_id)
    text = clean_answer(text)
    with transaction.atomic():
        SdrDraft.objects.select_for_update().filter(pk=draft.pk).first()  # one send decision at a time
        before = Operation.objects.filter(kind=Operation.Kind.SEND_DRAFT, payload__draft_id=draft.draft_id).first()
        _refuse_repeat(send_state(before))
        draft.edited_text = "" if text == draft.body_text.strip() else text
        draft.save(update_fields=["edited_text"])
        return draft_send_enqueue(
            draft_id=draft.draft_id,
            sdr_user=owner,
            actor=actor,
            thread_id=thread_id,
            final_body_text=text,
            final_body_html=answer_html(text),
        )


def _refuse_repeat(state: str) -> None:
    if state == "sending":
        raise ThreadRefusal("This answer is being sent already.")
    if state == "sent":
        raise ThreadRefusal("This answer was sent already; write a new draft to say more.")
    if state == "unknown":
        raise ThreadRefusal(
            "The last send of this answer has an unknown outcome: check the thread in Gmail first. "
            "A manager marks it sent or not sent on the Operations page; only then can it be sent again."
        )


# --- follow-ups ----------------------------------------------------------------------------------

FOLLOWUP_VERBS = ("complete", "skip", "reschedule")


def due_moment(value, *, required: bool) -> datetime | None:
    """A date from a form (YYYY-MM-DD) as 09:00 that day in the server's time zone."""
    value = (value or "").strip() if isinstance(value, str) else ""
    if not value:
        if required:
            raise ValueError("Give the new due date (YYYY-MM-DD).")
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value[:20]!r} is not a date: give it as YYYY-MM-DD.") from None
    if not 2000 <= day.year <= 2100:
        raise ValueError("Give a due date between the years 2000 and 2100.")
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def followup_act(*, actor, followup_id: str, action: str, reason: str = "", due_date: str = "") -> Operation:
    if action not in FOLLOWUP_VERBS:
        raise ValueError(f"Unknown follow-up action {action[:20]!r}: complete, skip or reschedule.")
    followup = SdrFollowUp.objects.filter(followup_id=followup_id).select_related("user").first()
    if followup is None:
        raise Http404("No such follow-up.")
    _may_act(actor, followup.user)
    if action == "skip" and len((reason or "").strip()) > 500:
        raise ValueError("Keep the reason under 500 characters.")
    due_at = due_moment(due_date, required=True) if action == "reschedule" else None
    if followup.operation_id and followup.operation.status in BUSY:
        raise ThreadRefusal("An action on this follow-up is under way already.")
    if followup.status != "pending" or not followup.listed:
        raise ThreadRefusal(f"This follow-up is {followup.status} already.")
    op = followup_enqueue(
        action=action,
        sdr_user=followup.user,
        actor=actor,
        followup_id=followup_id,
        thread_id=followup.thread_id,
        reason=reason or "",
        due_at=due_at,
    )
    SdrFollowUp.objects.filter(pk=followup.pk).update(operation=op)
    return op


def followup_schedule(*, actor, thread_id: str, due_date: str = "") -> Operation:
    owner, cached, handoff = thread_for(actor=actor, thread_id=thread_id)
    _writable(cached, handoff, thread_id)
    due_at = due_moment(due_date, required=False)
    return followup_enqueue(action="schedule", sdr_user=owner, actor=actor, thread_id=thread_id, due_at=due_at)
