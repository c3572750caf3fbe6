"""The control surface under /sandbox/_control/: faults, shapes, clock, rates, reset, state.

For tests, demos and benchmarks; guarded by SANDBOX_CONTROL_TOKEN (Bearer, or the
X-Sandbox-Control-Token header). See sandbox/README.md for the whole API.
"""

import hmac
import json
import re
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import clock, faults, outcomes, seeding, shapes, world
from .models import Campaign, Control, Delivery, Lead, Pool, Suppression, Workspace
from .router import SANDBOX_DB as DB

TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


class Refused(Exception):
    pass


def guarded(*methods):
    def decorate(view):
        @csrf_exempt
        @login_not_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            expected = settings.SANDBOX_CONTROL_TOKEN
            given = request.headers.get("X-Sandbox-Control-Token") or request.headers.get("Authorization", "")[7:]
            if not expected or not hmac.compare_digest(given.strip().encode(), expected.encode()):
                return _answer({"error": "control token missing or wrong"}, 403)
            if request.method not in methods:
                return _answer({"error": f"use {', '.join(methods)}"}, 405)
            try:
                return view(request, *args, **kwargs)
            except Refused as exc:
                return _answer({"error": str(exc)}, 400)

        return wrapper

    return decorate


def _answer(body, status=200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False)


def _body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise Refused("body is not JSON") from None
    if not isinstance(body, dict):
        raise Refused("body must be a JSON object")
    return body


def _workspace(request: HttpRequest, body: dict | None = None) -> Workspace:
    key = (body or {}).get("apiKey") or request.GET.get("apiKey") or settings.SANDBOX_API_KEY
    ws = seeding.workspace_for_key(key)
    if ws is None:
        raise Refused(f"no workspace for key {key!r}")
    return ws


def _update_control(**fields) -> Control:
    clock.control()
    Control.objects.using(DB).filter(pk=1).update(**fields)
    return clock.control()


@guarded("GET", "POST", "DELETE")
def faults_view(request: HttpRequest) -> HttpResponse:
    """POST merges fault settings (and an optional `script`); DELETE clears everything."""
    row = clock.control()
    if request.method == "DELETE":
        row = _update_control(faults={}, script=[])
    elif request.method == "POST":
        body = _body(request)
        script = body.pop("script", None)
        unknown = sorted(set(body) - faults.FAULT_KEYS)
        if unknown:
            raise Refused(f"unknown fault setting(s): {', '.join(unknown)}")
        if script is not None and (not isinstance(script, list) or set(map(str, script)) - faults.SCRIPT_ITEMS):
            raise Refused(f"script items must be among {sorted(faults.SCRIPT_ITEMS)}")
        merged = {**row.faults, **body}
        faults.configure(merged)  # reseeds the dice when a seed is given
        fields = {"faults": merged}
        if script is not None:
            fields["script"] = [str(s) for s in script]
        row = _update_control(**fields)
    return _answer({"faults": faults.configure(row.faults), "script": row.script})


@guarded("GET", "POST", "DELETE")
def shapes_view(request: HttpRequest) -> HttpResponse:
    row = clock.control()
    if request.method == "DELETE":
        row = _update_control(shapes={})
    elif request.method == "POST":
        body = _body(request)
        wrong = shapes.problems(body)
        if wrong:
            raise Refused("; ".join(wrong))
        row = _update_control(shapes={**row.shapes, **body})
    variants = {name: list(options) for name, (options, _) in shapes.VARIANTS.items()}
    return _answer({"shapes": {**shapes.defaults(), **row.shapes}, "variants": variants})


@guarded("GET", "POST")
def clock_view(request: HttpRequest) -> HttpResponse:
    """POST {"advanceSeconds"|"advanceHours"|"advanceDays": n, "secondsPerDay": s (0 freezes)}."""
    if request.method == "POST":
        body = _body(request)
        if "secondsPerDay" in body:
            clock.set_speed(_number(body, "secondsPerDay"))
        seconds = sum(
            _number(body, key) * unit
            for key, unit in (("advanceSeconds", 1), ("advanceHours", 3600), ("advanceDays", clock.DAY))
            if key in body
        )
        if seconds < 0:
            raise Refused("the clock only moves forward")
        if seconds:
            clock.move_forward(seconds)
        for pk in Workspace.objects.using(DB).filter(deleted=False).values_list("pk", flat=True):
            world.advance(pk)
    row = clock.control()
    return _answer({"now": clock.iso(clock.sim_now(row)), "secondsPerDay": clock.seconds_per_day(row)})


def _number(body: dict, key: str) -> float:
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise Refused(f"{key} must be a number >= 0")
    return float(value)


@guarded("GET", "POST", "DELETE")
def rates_view(request: HttpRequest) -> HttpResponse:
    row = clock.control()
    if request.method == "DELETE":
        row = _update_control(rates={})
    elif request.method == "POST":
        body = _body(request)
        unknown = sorted(set(body) - set(outcomes.DEFAULT_RATES))
        if unknown:
            raise Refused(f"unknown rate(s): {', '.join(unknown)}")
        row = _update_control(rates={**row.rates, **body})
    return _answer({"rates": outcomes.rates_with(row.rates)})


@guarded("GET", "POST")
def rate_limit_view(request: HttpRequest) -> HttpResponse:
    """POST {"rps": n} (0: unlimited; null: back to SANDBOX_RATE_LIMIT_RPS)."""
    if request.method == "POST":
        rps = _body(request).get("rps")
        if rps is not None and (isinstance(rps, bool) or not isinstance(rps, int | float) or rps < 0):
            raise Refused("rps must be a number >= 0 or null")
        _update_control(rate_limit_rps=rps)
    row = clock.control()
    return _answer({"rps": settings.SANDBOX_RATE_LIMIT_RPS if row.rate_limit_rps is None else row.rate_limit_rps})


RESET_ARGS = {
    "seed": "seed",
    "pools": "pools",
    "senders": "senders",
    "poolCapacity": "pool_capacity",
    "campaigns": "campaigns",
    "leads": "leads",
    "steps": "steps",
}


@guarded("POST")
def reset_view(request: HttpRequest) -> HttpResponse:
    """Wipe a workspace and seed it again: {seed, pools, senders, poolCapacity, campaigns, leads, steps}."""
    body = _body(request)
    api_key = body.pop("apiKey", None) or settings.SANDBOX_API_KEY
    unknown = sorted(set(body) - set(RESET_ARGS))
    if unknown:
        raise Refused(f"unknown reset option(s): {', '.join(unknown)}")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in body.values()):
        raise Refused("reset options are integers >= 0")
    if body:
        ws = seeding.reset(api_key=api_key, **{RESET_ARGS[k]: v for k, v in body.items()})
    else:  # no options: back to the default demo workspace
        seeding.wipe(api_key)
        ws = seeding.ensure_default(api_key)
    return _answer(state(ws))


@guarded("POST")
def workspace_view(request: HttpRequest) -> HttpResponse:
    """{"apiKey": ..., "deleted": true} makes a key answer 404 workspace_not_found."""
    body = _body(request)
    ws = Workspace.objects.using(DB).filter(api_key=body.get("apiKey") or settings.SANDBOX_API_KEY).first()
    if ws is None:
        ws = seeding.ensure_default(body.get("apiKey") or settings.SANDBOX_API_KEY)
    ws.deleted = bool(body.get("deleted"))
    ws.save(using=DB, update_fields=["deleted"])
    return _answer({"apiKey": ws.api_key, "deleted": ws.deleted})


@guarded("GET")
def state_view(request: HttpRequest) -> HttpResponse:
    ws = _workspace(request)
    world.advance(ws.pk)
    return _answer(state(ws))


def state(ws: Workspace) -> dict:
    now = clock.sim_now()
    campaigns = list(Campaign.objects.using(DB).filter(workspace=ws))
    deliveries = Delivery.objects.using(DB).filter(webhook__workspace=ws)
    return {
        "now": clock.iso(now),
        "workspace": {"apiKey": ws.api_key, "seed": ws.seed, "deleted": ws.deleted},
        "campaignCount": len(campaigns),
        "campaigns": [_campaign_state(c) for c in campaigns],
        "pools": [
            {
                "id": p.public_id,
                "name": p.name,
                "dailyCapacity": p.daily_capacity,
                "todayLimit": p.day_limit,
                "sentToday": p.sent_in_window,
                "senders": [{"id": s.public_id, "status": s.status} for s in p.senders.all()],
            }
            for p in Pool.objects.using(DB).filter(workspace=ws).prefetch_related("senders")
        ],
        "suppressed": Suppression.objects.using(DB).filter(workspace=ws).count(),
        "deliveries": {s: deliveries.filter(status=s).count() for s in ("pending", "delivered", "failed")},
    }


def _campaign_state(c: Campaign) -> dict:
    return {
        "id": c.public_id,
        "name": c.name,
        "status": c.status,
        "steps": len(c.steps),
        "leads": c.enrolled,
        "sent": c.sent,
        "delivered": c.delivered,
        "bounced": c.bounced,
        "opened": c.opened,
        "replied": c.replied,
    }


@guarded("GET")
def leads_view(request: HttpRequest) -> HttpResponse:
    """?campaignId=…[&email=…[&steps=all]]: leads with their state; with email, the messages
    rendered so far, or with steps=all every step rendered as it would be sent to that lead."""
    ws = _workspace(request)
    world.advance(ws.pk)
    campaign = Campaign.objects.using(DB).filter(workspace=ws, public_id=request.GET.get("campaignId", "")).first()
    if campaign is None:
        raise Refused("campaignId names no campaign of this workspace")
    leads = Lead.objects.using(DB).filter(campaign=campaign).order_by("id")
    if request.GET.get("email"):
        leads = leads.filter(email=request.GET["email"].strip().lower())
        every = request.GET.get("steps") == "all"
        return _answer({"leads": [_lead_state(campaign, lead, True, every) for lead in leads[:1]]})
    return _answer({"leads": [_lead_state(campaign, lead, False) for lead in leads[:5000]]})


def _lead_state(campaign: Campaign, lead: Lead, with_messages: bool, every: bool = False) -> dict:
    sent = lead.step  # the index of the next step is the number of steps sent
    item = {"email": lead.email, "state": lead.state, "stepsSent": sent, "fields": lead.fields}
    if with_messages:
        item["messages"] = [
            {
                "subject": render(s["subject"], lead.email, lead.fields),
                "bodyHtml": render(s["bodyHtml"], lead.email, lead.fields),
            }
            for s in (campaign.steps if every else campaign.steps[:sent])
        ]
    return item


def render(template: str, email: str, fields: dict) -> str:
    """{{token}}: top-level standard and extra fields first, then customFields; missing → ''."""
    custom = fields.get("customFields") or {}

    def value(match):
        key = match.group(1)
        found = email if key == "email" else fields.get(key, custom.get(key))
        if isinstance(found, dict):
            found = None
        return "" if found is None else str(found)

    return TOKEN.sub(value, template)


@guarded("GET")
def deliveries_view(request: HttpRequest) -> HttpResponse:
    ws = _workspace(request)
    rows = Delivery.objects.using(DB).filter(webhook__workspace=ws).select_related("webhook").order_by("-id")[:500]
    return _answer(
        {
            "deliveries": [
                {
                    "webhookId": d.webhook.public_id,
                    "url": d.webhook.url,
                    "event": d.event,
                    "status": d.status,
                    "attempts": d.attempts,
                    "lastError": d.last_error,
                    "body": json.loads(d.body),
                }
                for d in rows
            ]
        }
    )
