"""A local SDR world for unit tests of the inbox and thread pages: linked SDRs, threads, drafts."""

from django.utils import timezone

from campaigns.models import LeadterraSdr, Reply, ReplyHandoff, SdrDraft, SdrFollowUp, SdrThread
from campaigns.services.sdr_keys import sdr_link_save

KEYS = {"sdr": "sk_live_sdr_personal_sdr_111", "sdr2": "sk_live_sdr_personal_sdr2_222"}


def link(*users, actor):
    now = timezone.now()
    for n, user in enumerate(users, 1):
        LeadterraSdr.objects.get_or_create(
            sdr_id=f"sdr_{user.username}",
            defaults={"name": f"{user.username} Name", "email": f"{user}@x.test", "refreshed_at": now},
        )
        sdr_link_save(user=user, sdr_id=f"sdr_{user.username}", key=KEYS[user.username], actor=actor)


def thread(user, thread_id="thr_1", *, handed=True, **fields) -> SdrThread:
    """A thread in `user`'s inbox; `handed`: we handed its reply over (so the reply and lead are known)."""
    defaults = {
        "contact_email": f"p_{thread_id}@prospect.test",
        "contact_name": "Pat Prospect",
        "subject": "Re: hi",
        "status": "new",
    }
    row = SdrThread.objects.create(user=user, thread_id=thread_id, seen_at=timezone.now(), **{**defaults, **fields})
    if handed:
        reply = Reply.objects.create(
            remote_id=f"rpl_{thread_id}",
            email=row.contact_email,
            classification="interested",
            received_at=timezone.now(),
            snippet="Sounds good, tell me more.",
        )
        ReplyHandoff.objects.create(reply=reply, sdr_user=user, sdr_id=f"sdr_{user.username}", thread_id=thread_id)
    return row


def draft(user, thread_id="thr_1", n=1, **fields) -> SdrDraft:
    handoff = ReplyHandoff.objects.filter(thread_id=thread_id).first()
    values = {
        "subject": "Re: hi",
        "body_text": f"Hi Pat, thanks for your reply. Variant {n} for Acme.",
        "approach": "book_a_call",
        "confidence": 0.8,
        "rationale": "They asked to talk.",
    }
    return SdrDraft.objects.create(
        user=user,
        thread_id=thread_id,
        draft_id=f"drf_{thread_id}_{n}",
        reply=handoff.reply if handoff else None,
        position=n,
        **{**values, **fields},
    )


def followup(user, followup_id="fu_1", thread_id="thr_1", *, due=True) -> SdrFollowUp:
    return SdrFollowUp.objects.create(
        user=user,
        followup_id=followup_id,
        thread_id=thread_id,
        due_at=timezone.now(),
        is_due=due,
        seen_at=timezone.now(),
    )
