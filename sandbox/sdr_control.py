"""Control surface of the SDR area: list SDRs with their keys and counters, switch an SDR's
Gmail health, snooze or move a thread (nothing in the documented API does the last two)."""

from .api import ApiError
from .control import Refused, _answer, _body, _workspace, guarded
from .models import Sdr, Thread
from .router import SANDBOX_DB as DB
from .sdr import HEALTH_STATES, THREAD_STATUSES, ms
from .sdr_followups import due_at


@guarded("GET")
def sdrs_view(request):
    """Every SDR of the workspace (inactive ones too) with its personal key and how many sends it made."""
    ws = _workspace(request)
    rows = Sdr.objects.using(DB).filter(workspace=ws)
    return _answer({"sdrs": [_sdr_state(s) for s in rows]})


def _sdr_state(s: Sdr) -> dict:
    return {
        "id": s.public_id,
        "name": s.name,
        "email": s.email,
        "apiKey": s.api_key,
        "active": s.active,
        "healthState": s.health_state,
        "lastSyncError": s.last_sync_error,
        "sends": s.sends,
        "threads": s.threads.count(),
    }


def _sdr(request, body: dict, sdr_id: str) -> Sdr:
    """By public id, or by the seeded short name (`sdr`, `sdr2`): its key ends in _sdr_<name>."""
    ws = _workspace(request, body)
    rows = Sdr.objects.using(DB).filter(workspace=ws)
    found = rows.filter(public_id=sdr_id).first() or rows.filter(api_key__endswith=f"_sdr_{sdr_id}").first()
    if found is None:
        raise Refused(f"no SDR {sdr_id!r} in this workspace")
    return found


@guarded("POST")
def gmail_view(request, sdr_id: str):
    """{"healthState": "needs_reauth", "lastSyncError": "..."}; back to "active" clears the error."""
    body = _body(request)
    state = body.get("healthState")
    if state not in HEALTH_STATES:
        raise Refused(f"healthState must be one of {', '.join(HEALTH_STATES)}")
    error = body.get("lastSyncError", "" if state == "active" else f"Gmail is {state}")
    if not isinstance(error, str):
        raise Refused("lastSyncError must be a string")
    sdr = _sdr(request, body, sdr_id)
    sdr.health_state, sdr.last_sync_error = state, error
    sdr.save(using=DB, update_fields=["health_state", "last_sync_error"])
    return _answer(_sdr_state(sdr))


@guarded("POST")
def thread_view(request, thread_id: str):
    """{"status": "...", "snoozedUntil": "2026-06-10T14:00:00.000Z" | null}."""
    body = _body(request)
    thread = Thread.objects.using(DB).filter(workspace=_workspace(request, body), public_id=thread_id).first()
    if thread is None:
        raise Refused(f"no thread {thread_id!r} in this workspace")
    if "status" in body:
        if body["status"] not in THREAD_STATUSES:
            raise Refused(f"status must be one of {', '.join(THREAD_STATUSES)}")
        thread.status = body["status"]
    if "snoozedUntil" in body:
        try:
            thread.snoozed_until = due_at({"dueAt": body["snoozedUntil"]}, required=False)
        except ApiError as exc:  # the API's sentence, as a control refusal
            raise Refused(f"snoozedUntil: {exc.message}") from None
    thread.save(using=DB, update_fields=["status", "snoozed_until"])
    return _answer({"id": thread.public_id, "status": thread.status, "snoozedUntil": ms(thread.snoozed_until)})
