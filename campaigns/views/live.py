"""Live partials polled by HTMX: unchanged ones answer 304 after one cheap query.

The client sends the ETag it holds in `If-None-Match` (set by hx-headers in the partial
itself); static/js/live.js tells HTMX that a 304 means "keep what you have".
"""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from campaigns.models import Campaign
from campaigns.services import campaigns as campaign_service
from campaigns.services.live import ROW_VERSION_FIELDS, campaign_version, rows_etag
from campaigns.views.campaigns import PER_PAGE


def conditional(request, etag: str, render_response):
    """304 when the client already holds `etag`, else the rendered response; both carry the ETag."""
    quoted = f'"{etag}"'
    if quoted in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = render_response()
    response["ETag"] = quoted
    patch_cache_control(response, private=True, no_cache=True)
    return response


def campaign_stats(request, pk):
    """The campaign page's counters, freshness and sparklines."""
    etag = campaign_version(pk)
    if etag is None:
        raise Http404("No such campaign.")

    def fresh():
        campaign = Campaign.objects.get(pk=pk)
        return render(request, "campaigns/_stats.html", {"campaign": campaign})

    return conditional(request, etag, fresh)


def campaign_rows(request):
    """The campaign list's rows for the same filters, sort and page as the list itself.

    The version check reads four small columns of the page's rows (plus the paginator's
    count); only a changed page is rendered, with the list's own query.
    """
    query = campaign_service.campaign_list_query(**campaign_service.campaign_list_filters(request.GET))
    number = request.GET.get("page")
    versions = Paginator(query.values_list(*ROW_VERSION_FIELDS), PER_PAGE).get_page(number)
    etag = rows_etag(versions.object_list, request.GET.urlencode())

    def fresh():
        page = Paginator(query, PER_PAGE).get_page(number)
        context = {"campaigns": page.object_list, "rows_etag": etag}
        return render(request, "monitoring/_campaign_rows_response.html", context)

    return conditional(request, etag, fresh)
