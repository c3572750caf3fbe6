"""My inbox: an SDR's own threads (priority first), follow-ups due, Gmail health.

Rendered from what the last refresh stored; a page that shows stale data asks a worker for a
fresh copy (never Leadterra itself) and the thread list re-renders every few seconds with
"refreshed N s ago". A manager opens anyone's inbox with `?sdr=<username>`.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from campaigns.permissions import is_manager
from campaigns.services.sdr_inbox import (
    CATEGORIES,
    STATUSES,
    followups_of,
    has_key,
    inbox_filters,
    inbox_owner,
    inbox_state,
    inbox_threads,
    linked_sdrs,
    sdr_inbox_request_refresh,
)
from campaigns.services.sdr_threads import ThreadRefusal, followup_act
from campaigns.views.htmx import toast
from campaigns.views.redirects import redirect_back

PAGE_SIZE = 50


def _owner(request: HttpRequest, username: str):
    try:
        return inbox_owner(actor=request.user, username=username)
    except ValueError as error:
        raise Http404(str(error)) from None


def _context(request: HttpRequest, owner) -> dict:
    filters, problems = inbox_filters(request.GET)
    page = Paginator(inbox_threads(owner=owner, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    followups = list(followups_of(owner))
    return {
        "owner": owner,
        "acting_for": owner if owner.pk != request.user.pk else None,
        "state": inbox_state(owner),
        "has_key": has_key(owner),
        "page": page,
        "filters": filters,
        "problems": problems,
        "statuses": STATUSES,
        "categories": CATEGORIES,
        "due": [f for f in followups if f.is_due],
        "upcoming": [f for f in followups if not f.is_due],
        "sdrs": linked_sdrs() if is_manager(request.user) else [],
        "refreshed_ago": refreshed_ago(inbox_state(owner)),
        "refresh_seconds": settings.LIVE_REFRESH_SECONDS,
    }


def refreshed_ago(state) -> str:
    """ "refreshed 12 s ago" in seconds, minutes or hours: a timer that reads "0 minutes" says nothing."""
    if state is None or state.refreshed_at is None:
        return ""
    seconds = max(0, int((timezone.now() - state.refreshed_at).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


@require_GET
def sdr_inbox(request: HttpRequest) -> HttpResponse:
    owner = _owner(request, request.GET.get("sdr", ""))
    sdr_inbox_request_refresh(user=owner)  # only when stale; a worker fetches it
    context = _context(request, owner)
    if request.htmx and request.GET.get("part") == "list":
        return render(request, "sdr/inbox.html#list", context)
    return render(request, "sdr/inbox.html", context)


@require_POST
def sdr_inbox_refresh(request: HttpRequest) -> HttpResponse:
    owner = _owner(request, request.POST.get("sdr", ""))
    queued = sdr_inbox_request_refresh(user=owner, force=True)
    said = "Refreshing from Leadterra; the list updates in a moment." if queued else "A refresh is under way already."
    if not has_key(owner):
        said = f"{owner.get_username()} has no Leadterra SDR key yet: a manager adds it on the SDR keys page."
    if request.htmx:
        return toast(
            render(request, "sdr/inbox.html#list", _context(request, owner)), said, "success" if queued else "info"
        )
    messages.info(request, said)
    return redirect(_inbox_url(owner, request.user))


def _inbox_url(owner, actor) -> str:
    url = reverse("sdr_inbox")
    return url if owner.pk == actor.pk else f"{url}?sdr={owner.get_username()}"


@require_POST
def sdr_followup(request: HttpRequest, followup_id: str, action: str) -> HttpResponse:
    """complete / skip (reason) / reschedule (date) one follow-up, through the outbox."""
    try:
        followup_act(
            actor=request.user,
            followup_id=followup_id,
            action=action,
            reason=request.POST.get("reason", ""),
            due_date=request.POST.get("due_date", ""),
        )
    except (ValueError, ThreadRefusal) as refusal:
        messages.error(request, str(refusal))
    else:
        done = {"complete": "Completing", "skip": "Skipping", "reschedule": "Rescheduling"}[action]
        messages.success(request, f"{done} the follow-up in Leadterra.")
    return redirect_back(request, "sdr_inbox")
