"""An SDR's inbox, follow-ups and Gmail health, kept locally from Leadterra's SDR area.

A worker (`campaigns.tasks.refresh_sdr_inbox`) fetches them with that SDR's own key and
stores them (`sdr_inbox_refresh`); pages read the tables only and ask for a refresh when
what they show is older than INBOX_STALE_SECONDS (`sdr_inbox_request_refresh`, which queues
the task by name when the transaction commits, at most one at a time per SDR).
Who may look: an SDR at their own inbox, a manager at anyone's (`inbox_owner`).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns import dispatch
from campaigns.leadterra import LeadterraError, get_client
from campaigns.models import SdrFollowUp, SdrInbox, SdrLink, SdrThread
from campaigns.permissions import is_manager
from campaigns.services.sdr_keys import SdrKeyError, sdr_key_for

logger = logging.getLogger(__name__)
STATUSES = (
    "new",
    "awaiting_reply",
    "needs_followup",
    "replied",
    "meeting_booked",
    "won",
    "lost_not_interested",
    "lost_timing",
    "lost_competitor",
    "archived",
)
CATEGORIES = ("A", "B", "C")
PAGE_SIZE, MAX_THREADS = 100, 500  # Leadterra's page limit; what one refresh keeps at most
SEARCH_MAX = 200


def _seconds(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


# --- who looks -----------------------------------------------------------------------


def inbox_owner(*, actor, username: str = ""):
    """The SDR whose inbox `actor` opens: their own, or (a manager) anyone's by username."""
    if not actor.is_authenticated:
        raise PermissionDenied("Log in first.")
    if not username or username == actor.get_username():
        return actor
    if not is_manager(actor):
        raise PermissionDenied("An SDR opens their own inbox only; a manager can open anyone's.")
    owner = get_user_model().objects.filter(username=username, is_active=True).first()
    if owner is None:
        raise ValueError(f"There is no active user called {username!r}.")
    return owner


def linked_sdrs():
    """The users linked to a Leadterra SDR, for a manager's "act for" picker."""
    return [link.user for link in SdrLink.objects.select_related("user").order_by("user__username")]


# --- asking for a refresh (pages) ---------------------------------------------------------


def sdr_inbox_request_refresh(*, user, force: bool = False) -> bool:
    """Queue a refresh of `user`'s inbox when it is stale (or `force`), unless one was queued
    moments ago. Returns True when one was queued. Never calls Leadterra."""
    if not SdrLink.objects.filter(user=user).exclude(key_encrypted="").exists():
        return False
    now = timezone.now()
    stale = now - timedelta(seconds=_seconds("INBOX_STALE_SECONDS", 30))
    in_flight = now - timedelta(seconds=_seconds("INBOX_REQUEST_SECONDS", 10))
    with transaction.atomic():
        state, _ = SdrInbox.objects.select_for_update().get_or_create(user=user)
        if state.requested_at and state.requested_at > in_flight:
            return False
        if not force and state.refreshed_at and state.refreshed_at > stale:
            return False
        state.requested_at = now
        state.save(update_fields=["requested_at"])
        transaction.on_commit(lambda: _queue(user.pk))
    return True


def _queue(user_id: int) -> None:
    try:
        dispatch.send(dispatch.REFRESH_SDR_INBOX, user_id)
    except Exception as exc:  # broker down: the page asks again on its next poll
        logger.warning("inbox refresh for user %s not queued: %s", user_id, exc.__class__.__name__)


# --- the refresh itself (a worker) ---------------------------------------------------------


def sdr_inbox_refresh(*, user_id: int) -> dict:
    """Fetch one SDR's inbox, Gmail health and follow-ups with their key, and store them.

    A failure is recorded on the SDR's row (the page says it in words) and the old data stays."""
    user = get_user_model().objects.get(pk=user_id)
    try:
        key = sdr_key_for(user)
        fetched = _fetch(get_client(), key)
    except (LeadterraError, SdrKeyError) as error:
        SdrInbox.objects.update_or_create(
            user=user, defaults={"failed_at": timezone.now(), "last_error": str(getattr(error, "message", error))}
        )
        return {"error": str(getattr(error, "message", error))}
    return _store(user, *fetched)


def _fetch(client, key: str):
    threads, total, offset = [], 0, 0
    while len(threads) < MAX_THREADS:
        page = client.sdr_inbox(api_key=key, limit=PAGE_SIZE, offset=offset)
        threads += page.threads
        total, offset = page.total, offset + len(page.threads)
        if not page.has_more or not page.threads:
            break
    gmail = client.gmail_status(api_key=key)
    due = client.due_followups(api_key=key, limit=200)
    upcoming = client.due_followups(api_key=key, limit=200, include_upcoming=True)
    return threads, total, gmail, due, upcoming


@transaction.atomic
def _store(user, threads, total, gmail, due, upcoming) -> dict:
    now = timezone.now()
    for t in threads:
        SdrThread.objects.update_or_create(
            user=user,
            thread_id=t.id,
            defaults={
                "contact_email": t.contact_email[:320],
                "contact_name": t.contact_name[:200],
                "subject": t.subject[:500],
                "status": t.status[:40],
                "category": t.category[:4],
                "priority_score": t.priority_score or 0,
                "last_message_at": t.last_message_at,
                "listed": True,
                "seen_at": now,
            },
        )
    SdrThread.objects.filter(user=user).exclude(thread_id__in=[t.id for t in threads]).update(listed=False)
    due_ids = {f.id for f in due}
    followups = {f.id: f for f in [*upcoming, *due]}
    for f in followups.values():
        SdrFollowUp.objects.update_or_create(
            user=user,
            followup_id=f.id,
            defaults={
                "thread_id": f.thread_id,
                "status": f.status or "pending",
                "due_at": f.due_at,
                "is_due": f.id in due_ids,
                "listed": True,
                "seen_at": now,
            },
        )
    SdrFollowUp.objects.filter(user=user).exclude(followup_id__in=list(followups)).update(listed=False, is_due=False)
    SdrInbox.objects.update_or_create(
        user=user,
        defaults={
            "refreshed_at": now,
            "failed_at": None,
            "last_error": "",
            "total": total,
            "gmail_connected": gmail.connected,
            "gmail_email": gmail.email,
            "gmail_health": gmail.health_state,
            "gmail_error": gmail.last_sync_error,
        },
    )
    return {"threads": len(threads), "followups": len(followups), "due": len(due_ids)}


# --- what the inbox page shows ----------------------------------------------------------------


def inbox_filters(params) -> tuple[dict, list[str]]:
    """The filters of a query string, and a sentence for each value that makes no sense."""
    filters, problems = {"status": "", "category": "", "q": ""}, []
    status = (params.get("status") or "").strip()
    if status and status not in STATUSES:
        problems.append(f"There is no thread status {status[:40]!r}; showing every status.")
    elif status:
        filters["status"] = status
    category = (params.get("category") or "").strip().upper()
    if category and category not in CATEGORIES:
        problems.append(f"Category must be A, B or C, not {category[:10]!r}; showing every category.")
    elif category:
        filters["category"] = category
    search = (params.get("q") or "").strip()
    if len(search) > SEARCH_MAX:
        problems.append(f"The search is cut to its first {SEARCH_MAX} characters.")
    filters["q"] = search[:SEARCH_MAX]
    return filters, problems


def inbox_threads(*, owner, filters: dict):
    """The owner's listed threads, highest priority first (Leadterra's default order)."""
    rows = SdrThread.objects.filter(user=owner, listed=True)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("category"):
        rows = rows.filter(category=filters["category"])
    if filters.get("q"):
        q = filters["q"]
        rows = rows.filter(Q(contact_email__icontains=q) | Q(contact_name__icontains=q) | Q(subject__icontains=q))
    return rows.order_by("-priority_score", "-last_message_at", "-id")


def inbox_state(owner) -> SdrInbox | None:
    return SdrInbox.objects.filter(user=owner).first()


def followups_of(owner, thread_id: str = ""):
    rows = SdrFollowUp.objects.filter(user=owner, listed=True, status="pending").select_related("operation")
    return rows.filter(thread_id=thread_id) if thread_id else rows


def has_key(owner) -> bool:
    return SdrLink.objects.filter(user=owner).exclude(key_encrypted="").exists()


# --- what an operation changed, until the next refresh says it again -------------------------


def thread_sent_apply(*, user_id: int, thread_id: str) -> None:
    """An answer went out: the thread awaits the prospect (as Leadterra marks it); refresh soon."""
    if thread_id:
        SdrThread.objects.filter(user_id=user_id, thread_id=thread_id).update(status="awaiting_reply")
    _refresh_soon(user_id)


def followup_apply(*, user_id: int, followup, thread_id: str = "") -> None:
    """A follow-up action succeeded: show its new state now (a closed one leaves the lists)."""
    fields = {
        "status": followup.status or "pending",
        "due_at": followup.due_at,
        "is_due": False,  # Leadterra's clock decides: the next refresh says whether it is due
        "listed": followup.status in ("pending", ""),
        "seen_at": timezone.now(),
    }
    if followup.thread_id or thread_id:  # complete/skip answers do not name the thread
        fields["thread_id"] = followup.thread_id or thread_id
    SdrFollowUp.objects.update_or_create(user_id=user_id, followup_id=followup.id, defaults=fields)
    _refresh_soon(user_id)


def _refresh_soon(user_id: int) -> None:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        SdrInbox.objects.filter(user=user).update(requested_at=None)
        sdr_inbox_request_refresh(user=user, force=True)
