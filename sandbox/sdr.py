"""The SDR area of leadterra-api.md §5: SDRs, hand-off of a reply to an SDR, the SDR's inbox, Gmail health.

Every answer is wrapped in {"data": ...} and carries millisecond timestamps (that part of the
docs is written that way). Calls under /v1/sdr/ act for the SDR whose personal key made them;
the workspace key lists SDRs and assigns replies. Drafts and follow-ups: sdr_drafts.py,
sdr_followups.py.
"""

from django.db.models import Q

from . import clock
from .api import ApiError, Call, endpoint, int_param, invalid, json_object, query
from .control import render
from .models import FollowUp, Lead, Reply, Sdr, Thread, new_id
from .router import SANDBOX_DB as DB
from .world import reply_json

THREAD_STATUSES = (
    "new",
    "awaiting_reply",
    "needs_followup",
    "replied",
    "meeting_booked",
    "won",
    "lost_not_interested",
    "lost_timing",
    "lost_competitor",
    "archived",
)
CATEGORIES = ("A", "B", "C")
HEALTH_STATES = ("active", "needs_reauth", "rate_limited", "disconnected")
# The ICP gate (decided): a decision maker at a company of ten people or more.
ICP_SENIORITY = ("c_level", "vp", "director", "manager")
ICP_MIN_EMPLOYEES = 10
# Priority (0-100): the hand-off's category first, an `interested` reply a little higher.
CATEGORY_PRIORITY = {"A": 90, "B": 70, "C": 50, "": 60}
ASSIGN_FIELDS = {
    "sdrId",
    "to",
    "cc",
    "subject",
    "note",
    "category",
    "forceForward",
    "skipIcpCheck",
    "seniority",
    "employeeCount",
}
ORDERS = {
    "priority": ("-priority_score", "-last_message_at", "-id"),
    "lastMessage": ("-last_message_at", "-id"),
    "created": ("-created_at", "-id"),
}


def ms(t: float | None) -> str | None:
    return clock.iso(t, True)


def data(value) -> dict:
    return {"data": value}


def mark_overdue(call: Call) -> None:
    """Threads still awaiting an answer whose follow-up fell due now need one."""
    due = FollowUp.objects.using(DB).filter(thread__sdr=call.sdr, status="pending", due_at__lte=call.now)
    Thread.objects.using(DB).filter(status="awaiting_reply", pk__in=due.values("thread_id")).update(
        status="needs_followup"
    )


def own_thread(call: Call, thread_id: str) -> Thread:
    """A thread in the calling SDR's inbox, or 404 thread_not_found (another SDR's thread included)."""
    thread = Thread.objects.using(DB).filter(sdr=call.sdr, public_id=thread_id).first()
    if thread is None:
        raise ApiError(404, "thread_not_found", f"No thread {thread_id!r} in this SDR's inbox.")
    return thread


@endpoint("GET")
def sdrs(request, call: Call):
    query(request, set())
    rows = Sdr.objects.using(DB).filter(workspace=call.ws, active=True)
    return 200, data([sdr_json(s) for s in rows])


def sdr_json(s: Sdr) -> dict:
    connected = s.health_state != "disconnected"
    return {
        "id": s.public_id,
        "name": s.name,
        "email": s.email,
        "gmailConnected": connected,
        "gmailEmail": s.gmail_email,
    }


# --- hand-off ---


@endpoint("POST")
def assign(request, call: Call, reply_id: str):
    body = _assign_body(json_object(request, ASSIGN_FIELDS))
    reply = Reply.objects.using(DB).filter(workspace=call.ws, public_id=reply_id).select_related("campaign").first()
    if reply is None:
        raise ApiError(404, "reply_not_found", f"No reply {reply_id!r} in this workspace.")
    sdr = Sdr.objects.using(DB).filter(workspace=call.ws, public_id=body["sdrId"], active=True).first()
    if sdr is None:
        raise invalid(f"sdrId {body['sdrId']!r} is not an active SDR of this workspace (see GET /v1/sdrs).")
    current = Thread.objects.using(DB).filter(reply=reply, superseded=False).select_related("sdr").first()
    if current is not None and not body.get("forceForward"):
        raise _already_forwarded(current)
    if not body.get("skipIcpCheck"):
        _icp_gate(body)
    if current is not None:  # forceForward: the previous SDR's thread is archived, not deleted
        current.superseded, current.status = True, "archived"
        current.save(using=DB, update_fields=["superseded", "status"])
    thread = _open_thread(call, reply, sdr, body)
    message_id = new_id("msg_")
    return 200, data(
        {
            "handoffId": thread.handoff_id,
            "threadId": thread.public_id,
            "messageId": message_id,
            "gmailThreadId": thread.gmail_thread_id,
        }
    )


def _assign_body(body: dict) -> dict:
    if not isinstance(body.get("sdrId"), str) or not body["sdrId"].strip():
        raise invalid("sdrId is required: the id of an active SDR (see GET /v1/sdrs).")
    for key in ("to", "subject", "note", "seniority"):
        if key in body and not isinstance(body[key], str):
            raise invalid(f"{key} must be a string.")
    if "cc" in body and not (isinstance(body["cc"], list) and all(isinstance(c, str) for c in body["cc"])):
        raise invalid("cc must be a list of email addresses.")
    if "category" in body and body["category"] not in CATEGORIES:
        raise invalid("category must be one of A, B, C.")
    for key in ("forceForward", "skipIcpCheck"):
        if key in body and not isinstance(body[key], bool):
            raise invalid(f"{key} must be true or false.")
    count = body.get("employeeCount")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise invalid("employeeCount must be an integer >= 0.")
    return body


def _already_forwarded(current: Thread) -> ApiError:
    who = current.sdr
    return ApiError(
        409,
        "already_forwarded",
        f"This reply was already forwarded to {who.name} ({who.email}); send forceForward to move it.",
        extra={
            "assignedTo": {"sdrId": who.public_id, "name": who.name, "email": who.email},
            "threadId": current.public_id,
            "handoffId": current.handoff_id,
        },
    )


def icp_reasons(seniority, employee_count) -> list[str]:
    reasons = []
    if not seniority:
        reasons.append("seniority is missing")
    elif seniority.strip().lower() not in ICP_SENIORITY:
        reasons.append(f"seniority {seniority!r} is not one of {', '.join(ICP_SENIORITY)}")
    if employee_count is None:
        reasons.append("employeeCount is missing")
    elif employee_count < ICP_MIN_EMPLOYEES:
        reasons.append(f"employeeCount {employee_count} is below {ICP_MIN_EMPLOYEES}")
    return reasons


def _icp_gate(body: dict) -> None:
    reasons = icp_reasons(body.get("seniority"), body.get("employeeCount"))
    if reasons:
        raise ApiError(
            400,
            "icp_failed",
            "The lead is outside the ideal customer profile: "
            + "; ".join(reasons)
            + ". Send skipIcpCheck to override.",
            extra={"icpFailed": True, "icpReasons": reasons},
        )


def _open_thread(call: Call, reply: Reply, sdr: Sdr, body: dict) -> Thread:
    lead = Lead.objects.using(DB).filter(campaign=reply.campaign, email=reply.email).first()
    fields = lead.fields if lead else {}
    name = " ".join(str(fields.get(k) or "") for k in ("firstName", "lastName")).strip()
    category = body.get("category", "")
    priority = CATEGORY_PRIORITY[category] + (5 if reply.classification == "interested" else 0)
    return Thread.objects.using(DB).create(
        workspace=call.ws,
        sdr=sdr,
        reply=reply,
        public_id=new_id("thr_"),
        handoff_id=new_id("ho_"),
        gmail_thread_id=new_id("gth_"),
        contact_email=reply.email,
        contact_name=name,
        company=str(fields.get("company") or ""),
        subject=body.get("subject") or _subject(reply, lead),
        category=category,
        priority_score=priority,
        note=body.get("note", ""),
        snapshot={
            "reply": reply_json(reply, reply.campaign.public_id, True),
            "lead": fields,
            **{k: body[k] for k in ("to", "cc", "note", "seniority", "employeeCount") if k in body},
        },
        created_at=call.now,
        last_message_at=reply.received_at,
    )


def _subject(reply: Reply, lead: Lead | None) -> str:
    """Re: the subject of the step the prospect answered, as it was sent to them."""
    steps = reply.campaign.steps
    if lead is None or not steps or lead.step < 1:
        return "Re: your reply"
    step = steps[min(lead.step, len(steps)) - 1]
    return "Re: " + render(step["subject"], lead.email, lead.fields)


# --- the SDR's inbox and Gmail ---


@endpoint("GET", sdr=True)
def inbox(request, call: Call):
    params = query(request, {"status", "category", "search", "snoozed", "limit", "offset", "orderBy"})
    limit = int_param(params, "limit", 50, 1, 100)
    offset = int_param(params, "offset", 0, 0, 10**9)
    order = params.get("orderBy", "priority")
    if order not in ORDERS:
        raise invalid(f"orderBy must be one of {', '.join(ORDERS)}.")
    mark_overdue(call)  # threads whose follow-up fell due show as needs_followup
    rows = _filtered(Thread.objects.using(DB).filter(sdr=call.sdr), request, params, call.now)
    total = rows.count()
    window = list(rows.order_by(*ORDERS[order])[offset : offset + limit])
    threads = [thread_json(t) for t in window]
    return 200, data({"threads": threads, "total": total, "hasMore": offset + len(window) < total})


def _filtered(rows, request, params: dict, now: float):
    statuses = [s for value in request.GET.getlist("status") for s in value.split(",") if s]
    unknown = sorted(set(statuses) - set(THREAD_STATUSES))
    if unknown:
        raise invalid(f"Unknown status(es): {', '.join(unknown)}; use {', '.join(THREAD_STATUSES)}.")
    if statuses:
        rows = rows.filter(status__in=statuses)
    if "category" in params:
        if params["category"] not in CATEGORIES:
            raise invalid("category must be one of A, B, C.")
        rows = rows.filter(category=params["category"])
    search = params.get("search", "").strip()
    if search:
        rows = rows.filter(
            Q(contact_email__icontains=search) | Q(contact_name__icontains=search) | Q(subject__icontains=search)
        )
    snoozed = params.get("snoozed")
    if snoozed not in (None, "true", "false"):
        raise invalid("snoozed must be true or false.")
    if snoozed == "true":
        rows = rows.filter(snoozed_until__gt=now)
    elif snoozed == "false":
        rows = rows.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    return rows


def thread_json(t: Thread) -> dict:
    return {
        "id": t.public_id,
        "contactEmail": t.contact_email,
        "contactName": t.contact_name,
        "subject": t.subject,
        "status": t.status,
        "category": t.category or None,
        "priorityScore": t.priority_score,
        "lastMessageAt": ms(t.last_message_at),
    }


@endpoint("GET", sdr=True)
def gmail_status(request, call: Call):
    query(request, set())
    s = call.sdr
    body = {
        "connected": s.health_state != "disconnected",
        "email": s.gmail_email,
        "healthState": s.health_state,
        "lastSyncedAt": ms(s.last_synced_at),
    }
    if s.last_sync_error:
        body["lastSyncError"] = s.last_sync_error
    return 200, data(body)
