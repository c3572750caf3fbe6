"""The outage banner reaches pages already open: live partials carry it out of band.

Every htmx request from a signed-in page says what that page's banner shows (the
X-Outage-Shown header, set by static/js/live.js from #outage-banner's data-since). When the
truth differs, the answer gets the banner slot appended with hx-swap-oob, so it appears (or
goes away) within one poll. When nothing changed nothing is added, so a screen reader hears
the alert once, not at every poll.

A poll answered 304 carries nothing; during an outage the polled rows change anyway (each
failed stats poll stamps stats_failed_at), so the next answer is a full one.
"""

from django.template.loader import render_to_string

SHOWN = "X-Outage-Shown"


class OutageBannerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        shown = request.headers.get(SHOWN)
        if shown is None or request.method != "GET" or response.status_code != 200:
            return response
        if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
            return response
        from campaigns.services.health import leadterra_outage

        since = leadterra_outage()
        if (since.isoformat() if since else "") != shown:
            slot = render_to_string("monitoring/_banner_slot.html", {"leadterra_outage_since": since, "oob": True})
            response.content += slot.encode()
        return response
