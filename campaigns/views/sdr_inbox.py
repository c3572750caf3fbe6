"""My inbox: an SDR's own threads (priority first), follow-ups due, Gmail health.

Rendered from what the last refresh stored; a page that shows stale data asks a worker for a
fresh copy (never Leadterra itself). The thread list polls every second with the ETag of what it
shows and is drawn again only when that changed; its "Refreshed N s ago" ticks in the browser.
A manager opens anyone's inbox with `?sdr=<username>`.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_GET, require_POST

from campaigns.permissions import is_manager
from campaigns.services.live import etag_of
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
from campaigns.views.live import with_poll_time
from campaigns.views.redirects import redirect_back

PAGE_SIZE = 50


def _owner(request: HttpRequest, username: str):
    try:
        return inbox_owner(actor=request.user, username=username)
    except ValueError as error:
        raise Http404(str(error)) from None


# What a row of the thread list shows: the list is polled every second, its ETag is made of these.
LIST_FIELDS = ("thread_id", "contact_name", "contact_email", "subject", "status", "category", "priority_score",
               "last_message_at")  # fmt: skip


def _list_context(request: HttpRequest, owner) -> dict:
    """What the thread list shows and nothing more, with the ETag of exactly that: the list polls
    every second and sends it back (If-None-Match), so a list that did not change answers 304. Not
    the refresh time: "Refreshed … ago" ticks in the browser (static/js/live.js), moved on by
    X-Live-Updated, so a refresh that brought nothing new changes nothing here."""
    filters, problems = inbox_filters(request.GET)
    threads = inbox_threads(owner=owner, filters=filters).values(*LIST_FIELDS)
    state, key = inbox_state(owner), has_key(owner)
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    shown_state = (state.refreshed_at is None, state.last_error) if state else None
    rows = [tuple(row.values()) for row in page.object_list]
    # The URL fixes the filters and the page; who looks at whose inbox goes in, so one person's
    # answer is never taken for another's.
    etag = etag_of(request.user.pk, owner.pk, key, shown_state, page.paginator.num_pages, rows)
    return {
        "owner": owner,
        "acting_for": owner if owner.pk != request.user.pk else None,
        "state": state,
        "has_key": key,
        "page": page,
        "filters": filters,
        "problems": problems,
        "refresh_seconds": settings.LIVE_REFRESH_SECONDS,
        "list_etag": etag,
    }


def _context(request: HttpRequest, owner) -> dict:
    followups = list(followups_of(owner))
    return _list_context(request, owner) | {
        "statuses": STATUSES,
        "categories": CATEGORIES,
        "due": [f for f in followups if f.is_due],
        "upcoming": [f for f in followups if not f.is_due],
        "sdrs": linked_sdrs() if is_manager(request.user) else [],
    }


def _list_etag(request: HttpRequest) -> str:
    """Kept for the view, which draws a changed list from it."""
    context = request.inbox_list = _list_context(request, request.inbox_owner)
    request.live_updated = context["state"].refreshed_at if context["state"] else None
    return context["list_etag"]


@with_poll_time
@cache_control(private=True, no_cache=True)
@condition(etag_func=_list_etag)
def _inbox_list(request: HttpRequest) -> HttpResponse:
    return render(request, "sdr/inbox.html#list", request.inbox_list)


@require_GET
def sdr_inbox(request: HttpRequest) -> HttpResponse:
    owner = request.inbox_owner = _owner(request, request.GET.get("sdr", ""))
    sdr_inbox_request_refresh(user=owner)  # only when stale; a worker fetches it
    if request.htmx and request.GET.get("part") == "list":
        return _inbox_list(request)
    return render(request, "sdr/inbox.html", _context(request, owner))


@require_POST
def sdr_inbox_refresh(request: HttpRequest) -> HttpResponse:
    owner = _owner(request, request.POST.get("sdr", ""))
    queued = sdr_inbox_request_refresh(user=owner, force=True)
    said = "Refreshing from Leadterra; the list updates in a moment." if queued else "A refresh is under way already."
    if not has_key(owner):
        said = f"{owner.get_username()} has no Leadterra SDR key yet: a manager adds it on the SDR keys page."
    if request.htmx:
        return toast(
            render(request, "sdr/inbox.html#list", _list_context(request, owner)), said, "success" if queued else "info"
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
