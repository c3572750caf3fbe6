"""A tolerant reader: every documented response variant into the client's dataclasses,
and every error answer (JSON or not) into a typed LeadterraError.

The variants come from leadterra-api.md §2: bare arrays or `pools` / `senderPools` /
`data` / `replies` envelopes, `campaign` / `webhook` wrappers, `remainingVolume` vs
`remainingToday`, `senderCount` vs `senderAccountIds`, both suppression shapes. Unknown
status and classification strings are kept as they are.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime

from django.conf import settings

from campaigns.leadterra.types import (
    AuthFailed,
    CampaignData,
    CampaignStateData,
    EnrollResult,
    Invalid,
    LeadterraError,
    NotFound,
    RateLimited,
    RepliesPage,
    ReplyData,
    SenderAccountData,
    SenderPoolData,
    StatsData,
    SuppressResult,
    Transient,
    WebhookData,
)
from campaigns.wording import plural

DEFAULT_RETRY_AFTER = 5.0


def unexpected(what: str) -> LeadterraError:
    return LeadterraError(
        f"Leadterra answered {what} in a shape this dashboard does not know; "
        "check LEADTERRA_API_BASE points at the Leadterra API.",
        code="unexpected_response",
    )


def body(response, endpoint: str):
    """The JSON body of a 2xx answer; a 2xx that is not JSON (a captive proxy) is transient."""
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise Transient(
            f"Leadterra answered {endpoint} with {response.status_code} but a non-JSON body "
            f"({_content_type(response)}); probably a proxy page. It will be retried.",
            code="non_json_response",
            status=response.status_code,
        ) from None


def _content_type(response) -> str:
    return (response.headers.get("Content-Type") or "no content type").split(";")[0]


def dt(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def num(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def rate(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def items(data, keys: tuple[str, ...], what: str) -> list[dict]:
    """A bare array or the first list found under one of the envelope `keys`."""
    if isinstance(data, list):
        return [x for x in data if isinstance(x, dict)]
    if isinstance(data, dict):
        for key in keys:
            if isinstance(data.get(key), list):
                return [x for x in data[key] if isinstance(x, dict)]
    raise unexpected(what)


def unwrap(data, key: str) -> dict:
    """`{"campaign": {...}}` or the object itself."""
    if isinstance(data, dict) and isinstance(data.get(key), dict):
        return data[key]
    if isinstance(data, dict):
        return data
    raise unexpected(key)


def pool(d: dict) -> SenderPoolData:
    remaining = d.get("remainingVolume", d.get("remainingToday"))
    ids = tuple(str(x) for x in d.get("senderAccountIds") or ())
    senders = d.get("senderCount")
    return SenderPoolData(
        id=str(d.get("id", "")),
        name=str(d.get("name") or d.get("id") or ""),
        daily_capacity=num(d.get("dailyCapacity")),
        remaining=num(remaining),
        sender_count=num(senders) if senders is not None else len(ids),
        sender_account_ids=ids,
        resets_at=dt(d.get("resetsAt")),
    )


def account(d: dict) -> SenderAccountData:
    return SenderAccountData(
        id=str(d.get("id", "")),
        email=str(d.get("email") or ""),
        name=str(d.get("name") or ""),
        status=str(d.get("status") or ""),
    )


def campaign(d: dict) -> CampaignData:
    if not d.get("id"):
        raise unexpected("the created campaign without an id")
    steps = d.get("sequenceSteps")
    step_count = d.get("stepCount", len(steps) if isinstance(steps, list) else None)
    return CampaignData(
        id=str(d["id"]),
        name=str(d.get("name") or ""),
        status=str(d.get("status") or "draft"),
        created_at=dt(d.get("createdAt")),
        step_count=num(step_count, None) if step_count is not None else None,
    )


def state(d: dict, campaign_id: str, default_status: str, at_key: str) -> CampaignStateData:
    return CampaignStateData(
        id=str(d.get("id") or campaign_id),
        status=str(d.get("status") or default_status),
        at=dt(d.get(at_key)),
    )


def enroll(d) -> EnrollResult:
    if not isinstance(d, dict):
        raise unexpected("the enrollment")
    d = d.get("result") if isinstance(d.get("result"), dict) else d
    enrolled, updated = num(d.get("enrolled")), num(d.get("updated"))
    return EnrollResult(
        enrolled=enrolled, updated=updated, total=num(d.get("total"), enrolled + updated), skipped=num(d.get("skipped"))
    )


def stats(d: dict, campaign_id: str) -> StatsData:
    return StatsData(
        campaign_id=str(d.get("campaignId") or campaign_id),
        total_enrolled=num(d.get("totalEnrolled")),
        sent=num(d.get("sent")),
        delivered=num(d.get("delivered")),
        bounced=num(d.get("bounced")),
        replied=num(d.get("replied")),
        queued=num(d.get("queued")),
        open_rate=rate(d.get("openRate")),
        reply_rate=rate(d.get("replyRate")),
    )


def reply(d: dict) -> ReplyData:
    return ReplyData(
        id=str(d.get("id", "")),
        email=str(d.get("email") or ""),
        campaign_id=str(d.get("campaignId") or ""),
        classification=str(d.get("classification") or ""),
        received_at=dt(d.get("receivedAt")),
        snippet=str(d.get("threadSnippet") or d.get("snippet") or ""),
    )


def replies(data, page: int, per_page: int) -> RepliesPage:
    found = [reply(x) for x in items(data, ("replies", "data"), "replies")]
    pagination = data.get("pagination") if isinstance(data, dict) else None
    if isinstance(pagination, dict):
        return RepliesPage(
            replies=found,
            page=num(pagination.get("page"), page),
            per_page=num(pagination.get("perPage"), per_page),
            total=num(pagination.get("total"), None),
        )
    return RepliesPage(replies=found, page=page, per_page=per_page)


def suppression(d) -> SuppressResult:
    if not isinstance(d, dict):
        raise unexpected("the suppression")
    if isinstance(d.get("result"), dict):
        r = d["result"]
        return SuppressResult(
            suppressed=num(r.get("suppressed")),
            already_suppressed=num(r.get("alreadySuppressed"), None),
            total=num(r.get("total"), None),
        )
    return SuppressResult(suppressed=num(d.get("suppressed")))


def webhook(d: dict) -> WebhookData:
    if not d.get("id"):
        raise unexpected("the webhook without an id")
    return WebhookData(
        id=str(d["id"]),
        url=str(d.get("url") or ""),
        events=tuple(str(e) for e in d.get("events") or ()),
        status=str(d.get("status") or ""),
        created_at=dt(d.get("createdAt")),
    )


# --- errors ------------------------------------------------------------------


def retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date); a default when absent."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return max(0.0, email.utils.mktime_tz(parsed) - time.time()) if parsed else DEFAULT_RETRY_AFTER


def _error_body(response) -> tuple[str, str, list, bool]:
    """(code, message, errors, is_json) from `{"error": {"code", "message"}, "errors": [...]}`."""
    try:
        data = response.json()
    except ValueError:
        return "", "", [], False
    if not isinstance(data, dict):
        return "", "", [], True
    err = data.get("error")
    code = message = ""
    if isinstance(err, dict):
        code, message = str(err.get("code") or ""), str(err.get("message") or "")
    elif isinstance(err, str):
        code = err
    message = message or str(data.get("message") or "")
    errors = data.get("errors")
    if not isinstance(errors, list) and isinstance(err, dict):
        errors = err.get("errors")
    return code, message, [e for e in errors or [] if isinstance(e, dict)], True


def redact(text: str) -> str:
    """`text` without the API key (Leadterra may echo it in an error message)."""
    key = settings.LEADTERRA_API_KEY
    return text.replace(key, "[redacted]") if key and text else text


def error_for(response, endpoint: str) -> LeadterraError:
    """The typed error for a 4xx/5xx answer, worded so a person knows what to do."""
    status = response.status_code
    code, said, errors, is_json = _error_body(response)
    said = redact(said)
    detail = f": {said}" if said else ""
    if not is_json:
        detail = f" with a non-JSON body ({_content_type(response)}), probably a proxy or gateway page"
    if status == 429:
        wait = retry_after(response.headers.get("Retry-After"))
        return RateLimited(
            f"Leadterra is rate limiting {endpoint}; it will be retried in {wait:.0f} s.",
            retry_after=wait,
            code=code or "rate_limited",
        )
    if status >= 500 or status == 408:
        return Transient(
            f"Leadterra had a server error ({status}) on {endpoint}{detail}; it will be retried.",
            code=code or f"http_{status}",
            status=status,
        )
    if status == 401:
        return AuthFailed(
            f"Leadterra refused the API key ({code or 'authentication_failed'}){detail}. "
            "Check LEADTERRA_API_KEY on the server.",
            code=code or "authentication_failed",
            status=status,
        )
    if status == 404:
        hint = (
            "The API key belongs to no workspace: check LEADTERRA_API_KEY."
            if code == "workspace_not_found"
            else "The remote object no longer exists or was never created."
        )
        return NotFound(
            f"Leadterra found nothing for {endpoint} ({code or 'not_found'}){detail}. {hint}",
            code=code or "not_found",
            status=status,
        )
    if status in (400, 422):
        return Invalid(
            _invalid_message(endpoint, code, detail, errors),
            errors=errors,
            code=code or ("validation_failed" if status == 422 else "invalid_request"),
            status=status,
        )
    return LeadterraError(
        f"Leadterra answered {status} to {endpoint}{detail}.", code=code or f"http_{status}", status=status
    )


def _invalid_message(endpoint: str, code: str, detail: str, errors: list[dict]) -> str:
    if not errors:
        return f"Leadterra refused {endpoint} as invalid ({code or 'invalid_request'}){detail}."
    first = errors[0]
    where = f"item {first.get('index')}" + (f" ({first.get('field')})" if first.get("field") else "")
    return (
        f"Leadterra rejected {plural(len(errors), 'item')} of {endpoint}; "
        f"first: {where}: {first.get('message') or 'invalid'}."
    )
