"""Fault injection, switched at run time through the control surface.

Injected 5xx and 429 answers happen *before* the request is handled (a proxy or the
service refused it). Dropped connections and slow bodies happen *after*: the work was
done but the client never learns it, which is exactly what Idempotency-Key is for.
"""

import contextlib
import random
import re
import socket
import threading
import time

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse

from .models import Control
from .router import SANDBOX_DB as DB

DEFAULT_FAULTS = {
    "latencyMs": 0,  # added to every API answer
    "errorRate": 0.0,  # share of requests answered with one of errorStatuses
    "errorStatuses": [500, 502, 503],
    "rateLimitRate": 0.0,  # share answered 429 rate_limited with Retry-After
    "retryAfter": 1,  # seconds, in injected 429s
    "dropRate": 0.0,  # share whose connection drops mid-body (after the work is done)
    "slowRate": 0.0,  # share answered after slowSeconds (past a client's timeout)
    "slowSeconds": 15.0,
    "paths": "",  # a regex on the API path ("/v1/..."); empty: every API path
    "seed": None,  # reseeds the fault dice, for reproducible chaos
}
SCRIPT_ITEMS = {"ok", "500", "502", "503", "429", "drop", "slow"}
FAULT_KEYS = set(DEFAULT_FAULTS)

_rng = random.Random(0)
_script_lock = threading.Lock()


def configure(faults: dict) -> dict:
    merged = {**DEFAULT_FAULTS, **faults}
    if merged.get("seed") is not None:
        _rng.seed(merged["seed"])
    return merged


def applies(faults: dict, path: str) -> bool:
    pattern = faults.get("paths") or ""
    return not pattern or re.search(pattern, path) is not None


def next_scripted(row: Control) -> str | None:
    """Pop the next scripted fault, if any; scripts beat random rates (deterministic tests)."""
    if not row.script:
        return None
    with _script_lock:
        script = list(Control.objects.using(DB).values_list("script", flat=True).get(pk=1) or [])
        if not script:
            return None
        Control.objects.using(DB).filter(pk=1).update(script=script[1:])
        return script[0]


def choose(faults: dict, scripted: str | None) -> str:
    """Which fault hits this request: ok, 500, 502, 503, 429, drop or slow."""
    if scripted:
        return scripted
    if _rng.random() < faults["errorRate"]:
        return str(_rng.choice(faults["errorStatuses"] or [500]))
    if _rng.random() < faults["rateLimitRate"]:
        return "429"
    if _rng.random() < faults["dropRate"]:
        return "drop"
    if _rng.random() < faults["slowRate"]:
        return "slow"
    return "ok"


def before(fault: str, faults: dict) -> HttpResponse | None:
    """An answer that replaces the real one, or None to go on."""
    if faults.get("latencyMs"):
        time.sleep(faults["latencyMs"] / 1000)
    if fault == "429":
        response = _error(429, "rate_limited", "Too many requests (injected).")
        response["Retry-After"] = str(int(faults.get("retryAfter") or 1))
        return response
    if fault == "502":  # a proxy's page, not JSON: clients must cope
        return HttpResponse(
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
            status=502,
            content_type="text/html",
        )
    if fault == "503":
        return _error(503, "service_unavailable", "Service temporarily unavailable (injected).")
    if fault == "500":
        return _error(500, "internal_error", "Internal error (injected).")
    return None


def after(fault: str, faults: dict, response: HttpResponse, request) -> HttpResponse:
    if fault == "slow":
        time.sleep(float(faults.get("slowSeconds") or 15))
    if fault == "drop":
        return dropped(response, request)
    return response


def dropped(response: HttpResponse, request) -> HttpResponse:
    """Send the headers and half the body, claim the full length, then cut the connection."""
    body = response.content
    sock = _client_socket(request)

    def stream():
        yield body[: len(body) // 2]
        if sock is not None:
            with contextlib.suppress(OSError):  # the client may already be gone
                sock.shutdown(socket.SHUT_RDWR)

    broken = StreamingHttpResponse(stream(), status=response.status_code, content_type=response["Content-Type"])
    broken["Content-Length"] = str(len(body))  # a lie: the client sees a broken connection
    return broken


def _client_socket(request):
    """The socket under Django's development server (runserver, live_server); None elsewhere."""
    try:
        reader = request.environ["wsgi.input"]._read.__self__  # LimitedStream over the socket file
        return reader.raw._sock
    except (AttributeError, KeyError):
        return None


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)
