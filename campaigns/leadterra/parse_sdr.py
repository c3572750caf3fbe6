"""A tolerant reader for the SDR area (leadterra-api.md §5): `{"data": ...}` or the bare value,
millisecond ISO times (or epoch numbers), unknown status strings kept as they are; and the
area's typed errors (who already has a reply, why the ICP gate refused, the guardrails of a
blocked send).
"""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.leadterra import parse
from campaigns.leadterra.types import (
    AlreadyAssigned,
    AuthFailed,
    Conflict,
    DraftData,
    DraftsResult,
    FollowUpData,
    GmailStatusData,
    GuardrailIssue,
    GuardrailsBlocked,
    GuardrailsData,
    HandoffData,
    IcpFailed,
    InboxPage,
    LeadterraError,
    SdrData,
    SentData,
    ThreadData,
)


def data(body, what: str):
    """The value inside `{"data": ...}`, or the body itself when it is not wrapped."""
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    if body in ({}, None, ""):
        raise parse.unexpected(what)
    return body


def obj(body, what: str) -> dict:
    value = data(body, what)
    if not isinstance(value, dict):
        raise parse.unexpected(what)
    return value


def when(value) -> datetime | None:
    """ISO 8601 (with or without milliseconds) or an epoch number (milliseconds when that large)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    return parse.dt(value)


def text(value) -> str:
    return "" if value is None else str(value)


def number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def flag(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def sdr(d: dict) -> SdrData:
    return SdrData(
        id=text(d.get("id")),
        name=text(d.get("name")),
        email=text(d.get("email")),
        gmail_connected=flag(d.get("gmailConnected")),
        gmail_email=text(d.get("gmailEmail")),
    )


def sdrs(body) -> list[SdrData]:
    return [sdr(x) for x in parse.items(data(body, "SDRs"), ("sdrs", "data"), "SDRs")]


def handoff(body) -> HandoffData:
    d = obj(body, "the hand-off")
    if not d.get("threadId") and not d.get("handoffId"):
        raise parse.unexpected("the hand-off without a thread")
    return HandoffData(
        handoff_id=text(d.get("handoffId")),
        thread_id=text(d.get("threadId")),
        message_id=text(d.get("messageId")),
        gmail_thread_id=text(d.get("gmailThreadId")),
    )


def thread(d: dict) -> ThreadData:
    return ThreadData(
        id=text(d.get("id")),
        contact_email=text(d.get("contactEmail")),
        contact_name=text(d.get("contactName")),
        subject=text(d.get("subject")),
        status=text(d.get("status")),
        category=text(d.get("category")),
        priority_score=number(d.get("priorityScore")) or 0.0,
        last_message_at=when(d.get("lastMessageAt")),
    )


def inbox(body, offset: int) -> InboxPage:
    d = data(body, "the inbox")
    found = [thread(x) for x in parse.items(d, ("threads",), "the inbox")]
    total = parse.num(d.get("total"), None) if isinstance(d, dict) else None
    total = len(found) + offset if total is None else total
    more = d.get("hasMore") if isinstance(d, dict) else None
    return InboxPage(
        threads=found, total=total, has_more=flag(more) if more is not None else offset + len(found) < total
    )


def drafts(body) -> DraftsResult:
    d = obj(body, "the drafts")
    insights = {text(i.get("draftId")): i for i in d.get("insights") or [] if isinstance(i, dict)}
    found = []
    for item in parse.items(d, ("drafts",), "the drafts"):
        insight = insights.get(text(item.get("id")), {})
        found.append(
            DraftData(
                id=text(item.get("id")),
                subject=text(item.get("subject")),
                body_text=text(item.get("bodyText")),
                body_html=text(item.get("bodyHtml")),
                approach=text(insight.get("approach")),
                confidence=number(insight.get("confidence")),
                rationale=text(insight.get("rationale")),
            )
        )
    rules = [text(r) for r in d.get("appliedRules") or [] if r is not None]
    return DraftsResult(drafts=found, applied_rules=rules)


def guardrails(d) -> GuardrailsData | None:
    if not isinstance(d, dict):
        return None
    scores = d.get("scores") if isinstance(d.get("scores"), dict) else {}
    issues = []
    for item in d.get("issues") or []:
        if isinstance(item, dict):
            issues.append(GuardrailIssue(text(item.get("code")), text(item.get("severity")), text(item.get("message"))))
        elif item is not None:  # a bare string: the message itself
            issues.append(GuardrailIssue("", "", text(item)))
    return GuardrailsData(
        blocked=flag(d.get("blocked")),
        issues=tuple(issues),
        overall=number(scores.get("overall")),
        readability=number(scores.get("readability")),
        personalization=number(scores.get("personalization")),
        link_quality=number(scores.get("linkQuality")),
    )


def sent(body) -> SentData:
    d = obj(body, "the send")
    return SentData(message_id=text(d.get("messageId")), guardrails=guardrails(d.get("guardrails")))


def gmail(body) -> GmailStatusData:
    d = obj(body, "the Gmail status")
    state = text(d.get("healthState")) or ("active" if flag(d.get("connected")) else "disconnected")
    return GmailStatusData(
        connected=flag(d.get("connected")),
        email=text(d.get("email")),
        health_state=state,
        last_synced_at=when(d.get("lastSyncedAt")),
        last_sync_error=text(d.get("lastSyncError")),
    )


def followup(d: dict) -> FollowUpData:
    return FollowUpData(
        id=text(d.get("id")),
        status=text(d.get("status")),
        due_at=when(d.get("dueAt")),
        thread_id=text(d.get("threadId")),
        sdr_id=text(d.get("sdrId")),
    )


def followups(body) -> list[FollowUpData]:
    return [
        followup(x) for x in parse.items(data(body, "the follow-ups"), ("followups", "followUps"), "the follow-ups")
    ]


def one_followup(body) -> FollowUpData:
    d = obj(body, "the follow-up")
    if not d.get("id"):
        raise parse.unexpected("the follow-up without an id")
    return followup(d)


# --- errors ------------------------------------------------------------------


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_for(response, endpoint: str, sdr_key: bool) -> LeadterraError:
    """The section-1 typed error, made specific where the SDR area says more."""
    base = parse.error_for(response, endpoint)
    body = _json(response)
    inner = body.get("error") if isinstance(body.get("error"), dict) else {}
    said = base.message
    if isinstance(base, AuthFailed) and sdr_key:
        return AuthFailed(
            f"Leadterra refused this SDR's personal key on {endpoint} ({base.code}). "
            "The key may be wrong, revoked, or not an SDR key: a manager can store a new one.",
            code=base.code,
            status=base.status,
        )
    if response.status_code == 400 and (flag(body.get("icpFailed")) or flag(inner.get("icpFailed"))):
        reasons = body.get("icpReasons") or inner.get("icpReasons") or []
        reasons = [text(r) for r in reasons if r] if isinstance(reasons, list) else []
        why = "; ".join(reasons) if reasons else (inner.get("message") or "no reason given")
        return IcpFailed(f"Leadterra's ICP check refused the hand-off: {why}.", reasons=reasons, code=base.code)
    if response.status_code == 409:
        holder = body.get("assignedTo") or inner.get("assignedTo")
        if isinstance(holder, dict) or base.code == "already_forwarded":
            return _already(holder if isinstance(holder, dict) else {}, body, said)
        return Conflict(said, code=base.code, status=409)
    if response.status_code == 422:
        checks = guardrails(body.get("guardrails") or inner.get("guardrails"))
        if checks is not None:
            blocking = [i.message for i in checks.issues if i.severity in ("block", "")] or ["see the issues"]
            return GuardrailsBlocked(
                f"The pre-send checks blocked this message: {'; '.join(blocking)}. Nothing was sent.",
                guardrails=checks,
                code=base.code or "guardrails_blocked",
            )
    return base


def _already(holder: dict, body: dict, said: str) -> AlreadyAssigned:
    name, email = text(holder.get("name")), text(holder.get("email"))
    who = f"{name} ({email})" if name and email else name or email
    message = f"Already forwarded to {who}." if who else f"Already forwarded to another SDR. {said}"
    return AlreadyAssigned(
        message,
        sdr_id=text(holder.get("sdrId") or holder.get("id")),
        sdr_name=name,
        sdr_email=email,
        thread_id=text(body.get("threadId")),
    )
