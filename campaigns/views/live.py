"""Live partials polled by HTMX: unchanged ones answer 304 after one cheap query.

The client sends the ETag it holds in `If-None-Match` (set by hx-headers in the partial
itself); static/js/live.js tells HTMX that a 304 means "keep what you have".
"""

from django.http import Http404, HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from campaigns.models import Campaign
from campaigns.services.live import campaign_version


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
