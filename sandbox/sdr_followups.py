"""Follow-ups of the SDR area (leadterra-api.md §5), due on the sandbox's accelerated clock.

The rule (decided, standing in for the rules an admin sets): every accepted send opens a
pending follow-up two business days later, or moves the thread's pending one there. When it
falls due and the thread still awaits an answer, the thread turns `needs_followup`.
"""

from datetime import UTC, datetime

from . import clock
from .api import ApiError, Call, endpoint, int_param, invalid, json_object, query
from .models import FollowUp, Thread, new_id
from .router import SANDBOX_DB as DB
from .sdr import data, mark_overdue, ms, own_thread

BUSINESS_DAYS = 2


def business_days_after(t: float, days: int = BUSINESS_DAYS) -> float:
    """The same time of day `days` weekdays later (Saturday and Sunday do not count)."""
    left = days
    while left:
        t += clock.DAY
        if datetime.fromtimestamp(t, tz=UTC).weekday() < 5:
            left -= 1
    return t


def after_send(thread: Thread, now: float) -> FollowUp:
    due = business_days_after(now)
    pending = FollowUp.objects.using(DB).filter(thread=thread, status="pending").first()
    if pending is not None:
        pending.due_at = due
        pending.save(using=DB, update_fields=["due_at"])
        return pending
    return FollowUp.objects.using(DB).create(thread=thread, public_id=new_id("fu_"), due_at=due, created_at=now)


def followup_json(f: FollowUp, *extra: str, sdr_id: str = "") -> dict:
    """{id, status, dueAt} plus the `extra` fields each answer documents (threadId, sdrId)."""
    body = {"id": f.public_id, "threadId": f.thread.public_id, "sdrId": sdr_id, "status": f.status}
    body["dueAt"] = ms(f.due_at)
    return {k: v for k, v in body.items() if k in ("id", "status", "dueAt", *extra)}


@endpoint("GET", sdr=True)
def due(request, call: Call):
    params = query(request, {"limit", "includeUpcoming"})
    limit = int_param(params, "limit", 50, 1, 200)
    upcoming = params.get("includeUpcoming", "false")
    if upcoming not in ("true", "false"):
        raise invalid("includeUpcoming must be true or false.")
    mark_overdue(call)
    rows = FollowUp.objects.using(DB).filter(thread__sdr=call.sdr, status="pending").select_related("thread")
    if upcoming != "true":
        rows = rows.filter(due_at__lte=call.now)
    items = [
        followup_json(f, "threadId", "sdrId", sdr_id=call.sdr.public_id) for f in rows.order_by("due_at", "id")[:limit]
    ]
    return 200, data(items)


def _own_followup(call: Call, followup_id: str) -> FollowUp:
    found = (
        FollowUp.objects.using(DB).filter(thread__sdr=call.sdr, public_id=followup_id).select_related("thread").first()
    )
    if found is None:
        raise ApiError(404, "followup_not_found", f"No follow-up {followup_id!r} for this SDR.")
    if found.status != "pending":
        raise ApiError(409, "followup_closed", f"This follow-up is already {found.status}.")
    return found


def due_at(body: dict, required: bool) -> float | None:
    value = body.get("dueAt")
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise invalid("dueAt is required: an ISO 8601 time such as 2026-06-10T14:00:00.000Z.")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"dueAt {value!r} is not an ISO 8601 time such as 2026-06-10T14:00:00.000Z.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _close(f: FollowUp, status: str, reason: str = "") -> tuple[int, dict]:
    f.status, f.reason = status, reason
    f.save(using=DB, update_fields=["status", "reason"])
    Thread.objects.using(DB).filter(pk=f.thread_id, status="needs_followup").update(status="awaiting_reply")
    return 200, data(followup_json(f))


@endpoint("POST", sdr=True)
def complete(request, call: Call, followup_id: str):
    if request.body.strip():  # no body, or an empty object
        json_object(request, set())
    return _close(_own_followup(call, followup_id), "completed")


@endpoint("POST", sdr=True)
def skip(request, call: Call, followup_id: str):
    body = json_object(request, {"reason"})
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise invalid("reason is required: say why this follow-up is skipped.")
    return _close(_own_followup(call, followup_id), "skipped", reason.strip())


@endpoint("POST", sdr=True)
def reschedule(request, call: Call, followup_id: str):
    when = due_at(json_object(request, {"dueAt"}), required=True)
    f = _own_followup(call, followup_id)
    f.due_at = when
    f.save(using=DB, update_fields=["due_at"])
    Thread.objects.using(DB).filter(pk=f.thread_id, status="needs_followup").update(status="awaiting_reply")
    return 200, data(followup_json(f))


@endpoint("POST", sdr=True)
def schedule(request, call: Call, thread_id: str):
    """dueAt omitted: the workspace rule, two business days from now. A thread has at most one
    pending follow-up: scheduling again moves it (200); a new one answers 201."""
    when = due_at(json_object(request, {"dueAt"}) if request.body.strip() else {}, required=False)
    thread = own_thread(call, thread_id)
    when = business_days_after(call.now) if when is None else when
    pending = FollowUp.objects.using(DB).filter(thread=thread, status="pending").first()
    status = 200 if pending else 201
    if pending is None:
        pending = FollowUp.objects.using(DB).create(
            thread=thread, public_id=new_id("fu_"), due_at=when, created_at=call.now
        )
    else:
        pending.due_at = when
        pending.save(using=DB, update_fields=["due_at"])
    return status, data(followup_json(pending, "threadId"))
