"""Live partials polled by HTMX: unchanged ones answer 304 after one cheap query.

The client sends the ETag it holds in `If-None-Match` (set by hx-headers in the partial
itself); static/js/live.js tells HTMX that a 304 means "keep what you have". Django's
`condition` compares it with the ETag of what the partial would show now.
"""

from functools import wraps

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition

from campaigns.models import Campaign
from campaigns.services.campaigns import campaign_list_filters, campaign_list_query
from campaigns.services.live import ROW_SHOWN_FIELDS, campaign_live, rows_etag, stats_version
from campaigns.views.campaigns import PER_PAGE


def _stats_etag(request: HttpRequest, pk: int) -> str:
    version = stats_version(pk)
    if version is None:
        raise Http404("No such campaign.")
    request.live_updated = version["polled_at"]
    return version["etag"]


def with_poll_time(view):
    """Every answer, 304s included, says when the numbers were last polled (X-Live-Updated):
    the ETag leaves the poll time out, and live.js moves the "updated … ago" label with it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        polled_at = getattr(request, "live_updated", None)
        if polled_at is not None:
            response["X-Live-Updated"] = polled_at.isoformat()
        return response

    return wrapped


@with_poll_time
@cache_control(private=True, no_cache=True)
@condition(etag_func=_stats_etag)
def campaign_stats(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign page's counters, freshness and sparklines."""
    campaign = get_object_or_404(Campaign, pk=pk)
    return render(request, "campaigns/_stats.html", {"campaign": campaign, "live": campaign_live(campaign)})


def _list_query(request: HttpRequest):
    return campaign_list_query(**campaign_list_filters(request.GET))


def page_number(request: HttpRequest) -> int:
    """The page asked for, as Paginator.get_page reads it (anything not a number: the first)."""
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _page_rows(request: HttpRequest, query) -> list:
    """The rows of the page asked for, without counting the campaigns (the partial shows no
    pager); only a page past the end counts them, to show the last page as the list does."""
    number = page_number(request)
    rows = list(query[(number - 1) * PER_PAGE : number * PER_PAGE])
    if not rows and number > 1:
        rows = list(Paginator(query, PER_PAGE).get_page(number).object_list)
    return rows


def _rows_etag(request: HttpRequest) -> str:
    """The values the page's rows show, for the same filters, sort and page as the list itself:
    one query, nothing rendered. Kept for the view, which renders a changed page."""
    shown = _page_rows(request, _list_query(request).values(*ROW_SHOWN_FIELDS))
    request.rows_etag = rows_etag(shown, request.GET.urlencode())
    return request.rows_etag


@cache_control(private=True, no_cache=True)
@condition(etag_func=_rows_etag)
def campaign_rows(request: HttpRequest) -> HttpResponse:
    """The campaign list's rows: only a changed page is rendered, with the list's own query."""
    context = {"campaigns": _page_rows(request, _list_query(request)), "rows_etag": request.rows_etag}
    return render(request, "monitoring/_campaign_rows_response.html", context)
