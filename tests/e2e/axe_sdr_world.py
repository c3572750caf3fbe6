"""The desk and the SDR's inbox and thread, as the accessibility test needs them: every state a card,
a thread row or a draft can be in, built from local rows (no Leadterra, no worker)."""

from datetime import timedelta

from django.utils import timezone

from campaigns.models import (
    LeadterraSdr,
    Operation,
    Reply,
    ReplyHandoff,
    SdrDraft,
    SdrFollowUp,
    SdrInbox,
    SdrLink,
    SdrThread,
)

THREAD = "thr_axe_1"
S = Operation.Status


def build_sdr_world(world: dict, sdr, manager) -> None:
    """`sdr` linked to a Leadterra SDR; interested replies waiting (one refused by Leadterra when
    handed over), one claimed, one handed over with a thread; the inbox with threads, follow-ups
    due and Gmail needing re-authorisation; a thread with drafts in every send state."""
    now = timezone.now()
    LeadterraSdr.objects.create(sdr_id="sdr_axe", name="Sam Seller", email="sam@x.test", refreshed_at=now)
    # A page never decrypts the key; only its presence and last four characters are shown.
    SdrLink.objects.create(
        user=sdr, sdr_id="sdr_axe", sdr_name="Sam Seller", key_encrypted="not-a-real-ciphertext", key_last4="1111"
    )
    _desk(world, sdr, now)
    _inbox(sdr, now)
    _thread(world, sdr, manager, now)
    world["thread"] = THREAD
    world["inbox_owner"] = sdr.get_username()


def _reply(world, n: int, minutes: int, **fields) -> Reply:
    return Reply.objects.create(
        remote_id=f"rpl_desk_{n}",
        campaign=world["running"],
        email=f"desk{n}@example.com",
        classification="interested",
        received_at=timezone.now() - timedelta(minutes=minutes),
        snippet="Sounds interesting, can we talk on Tuesday?",
        **fields,
    )


def _desk(world, sdr, now) -> None:
    _reply(world, 1, 4)  # within the target
    refused = _reply(world, 2, 40)  # overdue, and Leadterra refused to hand it over
    Operation.objects.create(
        kind=Operation.Kind.ASSIGN_REPLY,
        payload={"reply": refused.pk, "sdr_user": sdr.pk},
        status=S.FAILED,
        last_error="Already forwarded to Ana Lopez (ana@x.test).",
    )
    _reply(world, 3, 30, claimed_by=sdr, claimed_at=now - timedelta(minutes=5))
    handed = _reply(world, 4, 60, claimed_by=sdr, claimed_at=now - timedelta(minutes=50))
    ReplyHandoff.objects.create(reply=handed, sdr_user=sdr, sdr_id="sdr_axe", thread_id=THREAD)
    _reply(world, 5, 10, snoozed_until=now + timedelta(hours=2))


def _inbox(sdr, now) -> None:
    SdrInbox.objects.create(
        user=sdr,
        refreshed_at=now,
        total=3,
        gmail_connected=False,
        gmail_email="sam@x.test",
        gmail_health="needs_reauth",
        gmail_error="The refresh token was revoked.",
    )
    for n, (status, category) in enumerate([("new", "A"), ("needs_followup", "B"), ("meeting_booked", "")]):
        SdrThread.objects.create(
            user=sdr,
            thread_id=THREAD if n == 0 else f"thr_axe_{n + 1}",
            contact_email=f"desk{4 + n}@example.com",
            contact_name=["Dana Buyer", "", "Lee Chen"][n],
            subject="Re: Quick question",
            status=status,
            category=category,
            priority_score=90 - 20 * n,
            last_message_at=now - timedelta(hours=n),
            seen_at=now,
        )
    for n, due in enumerate([True, True, False]):
        SdrFollowUp.objects.create(
            user=sdr,
            followup_id=f"fu_axe_{n}",
            thread_id=THREAD,
            due_at=now + timedelta(days=0 if due else 2),
            is_due=due,
            seen_at=now,
        )


def _thread(world, sdr, manager, now) -> None:
    handed = Reply.objects.get(remote_id="rpl_desk_4")
    states = {1: None, 2: S.FAILED, 3: S.OUTCOME_UNKNOWN, 4: S.SUCCEEDED}
    for n, status in states.items():
        draft = SdrDraft.objects.create(
            user=sdr,
            thread_id=THREAD,
            reply=handed,
            draft_id=f"drf_axe_{n}",
            position=n,
            subject="Re: Quick question",
            body_text=f"Hi Dana, thanks for getting back to us. Variant {n}.",
            approach=["book_a_call", "answer_question", "share_case_study", "soft_nudge"][n - 1],
            confidence=0.5 + n / 10,
            rationale="They asked for a time to talk.",
            applied_rules=["no links in a first answer"],
        )
        if status is None:
            continue
        blocked = status == S.FAILED
        Operation.objects.create(
            kind=Operation.Kind.SEND_DRAFT,
            status=status,
            created_by=sdr,
            payload={"draft_id": draft.draft_id, "thread_id": THREAD, "sdr_user": sdr.pk, "final_body_text": "Hi Dana"},
            progress={"guardrails": _BLOCKED} if blocked else {},
            last_error="Leadterra did not answer in time." if status == S.OUTCOME_UNKNOWN else "",
        )


# As the send handler stores a 422: the issues, then the scores flat.
_BLOCKED = {
    "issues": [
        {"code": "banned_phrase", "severity": "block", "message": "the phrase 'act now' reads as spam"},
        {"code": "has_links", "severity": "warn", "message": "1 link(s) in an answer lower deliverability"},
    ],
    "overall": 41,
    "readability": 70,
    "personalization": 50,
    "link_quality": 85,
}
