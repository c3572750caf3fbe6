"""The request pipeline every /sandbox/v1/ endpoint goes through.

faults (before) → Bearer auth → per-key rate limit → Idempotency-Key replay →
advance the world → the handler → store for replay → faults (after: drop, slow).
"""

import json
import math
import threading
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import clock, faults, seeding, world
from .models import IdempotentResponse, Sdr, Workspace
from .router import SANDBOX_DB as DB

REPLAY_SECONDS = 24 * 3600


class ApiError(Exception):
    """`extra`: top-level fields beside `error` (the SDR area's icpFailed, assignedTo, guardrails)."""

    def __init__(self, status: int, code: str, message: str, errors: list | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors
        self.extra = extra or {}

    def body(self) -> dict:
        body = {"error": {"code": self.code, "message": self.message}}
        if self.errors is not None:
            body["errors"] = self.errors
        return {**body, **self.extra}


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


@dataclass
class Call:
    """What a handler gets besides the request."""

    ws: Workspace
    now: float
    shapes: dict
    millis: bool  # timestamps with milliseconds (a documented variant)
    sdr: Sdr | None = None  # the SDR whose personal key made the call (SDR-scoped endpoints only)

    def shape(self, endpoint: str, default: str) -> str:
        return self.shapes.get(endpoint, default)

    def iso(self, t: float | None) -> str | None:
        return clock.iso(t, self.millis)


def error_response(status: int, code: str, message: str, errors: list | None = None) -> JsonResponse:
    return JsonResponse(ApiError(status, code, message, errors).body(), status=status)


def endpoint(*methods: str, sdr: bool = False, replay: bool = True):
    """Wrap `handler(request, call, **kwargs) -> (status, body)` in the pipeline.

    `sdr`: the call acts for the SDR linked to the key (a personal key; a workspace key → 401),
    and a personal key is refused everywhere else. `replay=False`: no Idempotency-Key replay
    (sending a message is not idempotent, leadterra-api.md §5).
    """

    def decorate(handler):
        @csrf_exempt
        @login_not_required
        @wraps(handler)
        def view(request, **kwargs):
            if request.method not in methods:
                response = error_response(405, "method_not_allowed", f"Use {' or '.join(methods)}.")
                response["Allow"] = ", ".join(methods)
                return response
            return _pipeline(request, handler, kwargs, sdr, replay)

        view.methods = methods  # the OpenAPI sync test compares these with the document
        return view

    return decorate


def _pipeline(request, handler, kwargs, sdr_scoped: bool = False, replay: bool = True) -> HttpResponse:
    row = clock.control()
    settings_faults = faults.configure(row.faults)
    fault = "ok"
    if (row.faults or row.script) and faults.applies(settings_faults, request.path.split("/sandbox", 1)[-1]):
        fault = faults.choose(settings_faults, faults.next_scripted(row))
        early = faults.before(fault, settings_faults)
        if early is not None:
            return early
    try:
        ws, sdr = authenticate(request, sdr_scoped)
        limited = _rate_limited(sdr.api_key if sdr else ws.api_key, row)
        if limited is not None:
            return limited
        response = _handle(request, handler, kwargs, ws, row, sdr, replay)
    except ApiError as exc:
        response = JsonResponse(exc.body(), status=exc.status)
    return faults.after(fault, settings_faults, response, request)


def authenticate(request, sdr_scoped: bool = False) -> tuple[Workspace, Sdr | None]:
    """The key's workspace, and its SDR when the key is an SDR's personal key."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise ApiError(401, "authentication_failed", "Send Authorization: Bearer <API key>.")
    ws = seeding.workspace_for_key(key)
    sdr = None
    if ws is None:
        sdr = seeding.sdr_for_key(key)
        if sdr is None:
            raise ApiError(401, "authentication_failed", "The API key is invalid or revoked.")
        ws = sdr.workspace
    if ws.deleted:
        raise ApiError(404, "workspace_not_found", "This key maps to no workspace.")
    if sdr_scoped and sdr is None:
        raise ApiError(401, "authentication_failed", "This call acts for an SDR: use the SDR's personal key.")
    if not sdr_scoped and sdr is not None:
        raise ApiError(401, "authentication_failed", "An SDR's personal key only works on the /v1/sdr/ calls.")
    return ws, sdr


def _handle(request, handler, kwargs, ws: Workspace, row, sdr: Sdr | None = None, replay=True) -> HttpResponse:
    if len(request.body) < int(request.META.get("CONTENT_LENGTH") or 0):
        # The client vanished mid-body (a killed worker): a real server never hands such a
        # request to the application, so nothing is handled and nothing is stored for replay.
        return HttpResponse("incomplete request body", status=400, content_type="text/plain")
    key = request.headers.get("Idempotency-Key", "") if request.method == "POST" and replay else ""
    if key:
        replay = _replay(ws, key, request.path)
        if replay is not None:
            return replay
    world.advance(ws.pk)
    now = clock.sim_now()
    millis = (row.shapes or {}).get("timestamps") == "millis"
    call = Call(ws=ws, now=now, shapes=row.shapes or {}, millis=millis, sdr=sdr)
    if request.method == "GET":  # reads need no transaction of their own
        status, text = _answer(handler, request, call, kwargs)
        return HttpResponse(text, status=status, content_type="application/json")
    try:
        with transaction.atomic(using=DB):  # the write and its replay record stand or fall together
            status, text = _answer(handler, request, call, kwargs)
            if key:
                IdempotentResponse.objects.using(DB).create(
                    workspace=ws, key=key[:255], path=request.path, status=status, body=text, created_real=time.time()
                )
    except IntegrityError:  # the same key raced us: its first answer wins
        replay = _replay(ws, key, request.path)
        if replay is None:
            raise
        return replay
    return HttpResponse(text, status=status, content_type="application/json")


def _answer(handler, request, call: Call, kwargs) -> tuple[int, str]:
    try:
        status, body = handler(request, call, **kwargs)
    except ApiError as exc:
        status, body = exc.status, exc.body()
    return status, json.dumps(body)


def _replay(ws: Workspace, key: str, path: str) -> HttpResponse | None:
    stored = IdempotentResponse.objects.using(DB).filter(workspace=ws, key=key[:255]).first()
    if stored is None:
        return None
    if time.time() - stored.created_real > REPLAY_SECONDS:
        stored.delete(using=DB)
        return None
    if stored.path != path:
        raise ApiError(400, "invalid_request", "This Idempotency-Key was already used for another request.")
    response = HttpResponse(stored.body, status=stored.status, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response


# --- per-key rate limit: a token bucket per API key, in this process's memory ---

_buckets: dict = {}
_bucket_lock = threading.Lock()
clock.on_fresh_world.append(_buckets.clear)


def _rate_limited(api_key: str, row) -> HttpResponse | None:
    rps = settings.SANDBOX_RATE_LIMIT_RPS if row.rate_limit_rps is None else row.rate_limit_rps
    if rps <= 0:
        return None  # 0 turns the limit off
    wait = take_token(api_key, rps)
    if wait <= 0:
        return None
    response = error_response(429, "rate_limited", f"More than {rps:g} requests per second.")
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def take_token(key: str, rps: float) -> float:
    """0 when a request may pass, else seconds until one may."""
    burst = max(1.0, rps)
    now = time.monotonic()
    with _bucket_lock:
        tokens, last = _buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - last) * rps)
        if tokens >= 1:
            _buckets[key] = (tokens - 1, now)
            return 0.0
        _buckets[key] = (tokens, now)
        return (1 - tokens) / rps


# --- request parsing ---


def json_object(request, allowed: set) -> dict:
    """The body as a JSON object with only `allowed` keys, or 400 invalid_request."""
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object.")
    unexpected = sorted(set(body) - allowed)
    if unexpected:
        raise invalid(f"Unexpected field(s): {', '.join(unexpected)}.")
    return body


def query(request, allowed: set) -> dict:
    unexpected = sorted(set(request.GET) - allowed)
    if unexpected:
        raise invalid(f"Unexpected parameter(s): {', '.join(unexpected)}.")
    return {k: request.GET[k] for k in request.GET}


def int_param(params: dict, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer.") from None
    if not low <= value <= high:
        raise invalid(f"{name} must be between {low} and {high}.")
    return value
