"""The Leadterra API, as documented, under /sandbox/v1/.

Each handler returns (status, body); the pipeline in api.py does auth, rate limiting,
idempotency, faults and advancing the world. Shape variants are chosen per endpoint
through the control surface (see shapes.py and leadterra-api.md §2).
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import operations, shapes, validation
from .api import ApiError, Call, endpoint, error_response, int_param, json_object, query
from .models import Campaign, Pool, Reply, Sender, Webhook, new_id
from .router import SANDBOX_DB as DB
from .webhooks import EVENTS, record_events
from .world import reply_json, suppress


@endpoint("GET")
def sender_pools(request: HttpRequest, call: Call) -> HttpResponse:
    query(request, set())
    senders: dict = {}
    for pool_id, public_id in Sender.objects.using(DB).filter(workspace=call.ws).values_list("pool_id", "public_id"):
        senders.setdefault(pool_id, []).append(public_id)
    pools = list(Pool.objects.using(DB).filter(workspace=call.ws))
    return 200, shapes.pools(call, pools, senders)


@endpoint("GET")
def sender_accounts(request: HttpRequest, call: Call) -> HttpResponse:
    query(request, set())
    accounts = [
        {"id": s.public_id, "email": s.email, "name": s.name, "status": s.status}
        for s in Sender.objects.using(DB).filter(workspace=call.ws)
    ]
    return 200, shapes.envelope(call, "sender-accounts", accounts)


@endpoint("POST")
def campaigns(request: HttpRequest, call: Call) -> HttpResponse:
    name, steps = validation.campaign_body(json_object(request, {"name", "sequenceSteps"}))
    campaign = operations.create_campaign(call.ws, name, steps, call.now)
    return 201, shapes.campaign(call, campaign)


def _campaign(call: Call, campaign_id: str) -> Campaign:
    campaign = Campaign.objects.using(DB).filter(workspace=call.ws, public_id=campaign_id).first()
    if campaign is None:
        raise ApiError(404, "campaign_not_found", f"No campaign {campaign_id!r} in this workspace.")
    return campaign


@endpoint("POST")
def leads_bulk(request: HttpRequest, call: Call, campaign_id: str) -> HttpResponse:
    campaign = _campaign(call, campaign_id)
    items = validation.leads(validation.item_list(json_object(request, {"leads"}), "leads"))
    result = operations.enroll(campaign, items, call.now)
    body = {"enrolled": result.enrolled, "updated": result.updated, "total": len(items)}
    if call.shape("leads", "skipped") == "skipped":
        body["skipped"] = result.skipped
    return 200, body


def _no_body(request: HttpRequest) -> None:
    """start and pause take no body; an empty object is tolerated, anything else is unexpected."""
    if request.body.strip():
        json_object(request, set())


@endpoint("POST")
def start(request: HttpRequest, call: Call, campaign_id: str) -> HttpResponse:
    campaign = _campaign(call, campaign_id)
    _no_body(request)
    if not campaign.steps:
        raise ApiError(400, "no_sequence_steps", "The campaign has no sequence steps.")
    if campaign.status != "running" and not campaign.enrolled:
        raise ApiError(400, "no_leads_enrolled", "Enroll at least one lead before starting.")
    if operations.start(campaign, call.now):
        _campaign_started(call, campaign)
    return 200, {"id": campaign.public_id, "status": "running", "startedAt": call.iso(campaign.started_at)}


def _campaign_started(call: Call, campaign: Campaign) -> None:
    if any(
        "campaign.started" in e
        for e in Webhook.objects.using(DB).filter(workspace=call.ws).values_list("events", flat=True)
    ):
        data = {"campaignId": campaign.public_id, "name": campaign.name, "startedAt": call.iso(campaign.started_at)}
        record_events(call.ws, [("campaign.started", data, call.now)], call.now)


@endpoint("POST")
def pause(request: HttpRequest, call: Call, campaign_id: str) -> HttpResponse:
    campaign = _campaign(call, campaign_id)
    _no_body(request)
    operations.pause(campaign, call.now)
    return 200, {"id": campaign.public_id, "status": campaign.status, "pausedAt": call.iso(campaign.paused_at)}


@endpoint("GET")
def stats(request: HttpRequest, call: Call, campaign_id: str) -> HttpResponse:
    query(request, set())
    c = _campaign(call, campaign_id)
    return 200, {
        "campaignId": c.public_id,
        "totalEnrolled": c.enrolled,
        "sent": c.sent,
        "delivered": c.delivered,
        "bounced": c.bounced,
        "replied": c.replied,
        "queued": operations.queued(c, call.now),
        "openRate": round(c.opened / c.delivered, 4) if c.delivered else 0.0,
        "replyRate": round(c.replied / c.delivered, 4) if c.delivered else 0.0,
    }


@endpoint("GET")
def replies(request: HttpRequest, call: Call) -> HttpResponse:
    params = query(request, {"campaignId", "page", "perPage"})
    page = int_param(params, "page", 1, 1, 1_000_000)
    per_page = int_param(params, "perPage", 50, 1, 100)
    rows = Reply.objects.using(DB).filter(workspace=call.ws)
    if "campaignId" in params:
        rows = rows.filter(campaign=_campaign(call, params["campaignId"]))
    total = rows.count()
    window = rows.select_related("campaign").order_by("-received_at", "-id")[(page - 1) * per_page : page * per_page]
    items = [reply_json(r, r.campaign.public_id, call.millis) for r in window]
    return 200, shapes.replies(call, items, page, per_page, total)


@endpoint("POST")
def suppression_list(request: HttpRequest, call: Call) -> HttpResponse:
    emails = validation.emails(validation.item_list(json_object(request, {"emails"}), "emails"))
    added = suppress(call.ws, dict.fromkeys(emails, call.now), "api")
    return 200, shapes.suppression(call, added, len(set(emails)))


@endpoint("POST")
def webhooks(request: HttpRequest, call: Call) -> HttpResponse:
    url, events = validation.webhook(json_object(request, {"url", "events"}), EVENTS)
    hook = Webhook.objects.using(DB).create(
        workspace=call.ws, public_id=new_id("wh_"), url=url, events=events, created_at=call.now
    )
    body = {"id": hook.public_id, "url": url, "events": events, "status": "active", "createdAt": call.iso(call.now)}
    return 201, {"webhook": body} if call.shape("webhooks", "flat") == "wrapped" else body


@csrf_exempt
@login_not_required
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", f"No endpoint {request.method} {request.path}.")


@login_not_required
def openapi(request: HttpRequest) -> HttpResponse:
    from .openapi_document import document

    return JsonResponse(document())
