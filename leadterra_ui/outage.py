"""The outage banner reaches pages already open: live partials carry it out of band.

Every htmx request from a signed-in page says what that page's banner shows (the
X-Outage-Shown header, set by static/js/live.js from #outage-banner's data-since). When the
truth differs, the answer gets the banner slot appended with hx-swap-oob, so it appears (or
goes away) within one poll. When nothing changed nothing is added, so a screen reader hears
the alert once, not at every poll.

A partial that would answer 304 ("unchanged") while the banner must change is asked for its
full answer instead (the request's If-None-Match is dropped), so the banner never waits on the
numbers moving.
"""

from django.template.loader import render_to_string

SHOWN = "X-Outage-Shown"


class OutageBannerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        shown = request.headers.get(SHOWN)
        if shown is None or request.method != "GET":
            return self.get_response(request)
        from campaigns.services.health import leadterra_outage

        since = leadterra_outage()
        changed = (since.isoformat() if since else "") != shown
        if changed:
            # The banner must travel with this answer: a 304 ("unchanged partial") would carry
            # nothing, so the view is asked for the full answer instead.
            request.META.pop("HTTP_IF_NONE_MATCH", None)
        response = self.get_response(request)
        if not changed or response.status_code != 200 or response.streaming:
            return response
        if response.get("Content-Type", "").startswith("text/html"):
            slot = render_to_string("monitoring/_banner_slot.html", {"leadterra_outage_since": since, "oob": True})
            response.content += slot.encode()
        return response
