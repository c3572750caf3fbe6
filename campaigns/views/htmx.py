"""The HTMX answers views share: stopping a poll and showing a toast, each done one way."""

from django.http import HttpResponse
from django_htmx.http import HttpResponseStopPolling, trigger_client_event


def poll_status(*, live: bool) -> int:
    """200 keeps a polling fragment polling; 286 swaps it in and tells htmx to stop."""
    return 200 if live else HttpResponseStopPolling.status_code


def toast(response: HttpResponse, message: str, level: str = "success", focus: str | None = None) -> HttpResponse:
    """Show `message` as a toast; `focus` names the element to focus once the swap has settled."""
    trigger_client_event(response, "toast", {"level": level, "message": message})
    if focus:  # after the swap settles, so the element exists
        trigger_client_event(response, "editor:focus", focus, after="settle")  # type: ignore[arg-type]
    return response
