"""Typed calls of Leadterra's SDR area (leadterra-api.md §5), mixed into LeadterraClient.

`list_sdrs` and `assign_reply` use the workspace key. Every other call acts for one SDR and
takes that SDR's personal key as `api_key=`: the caller (who knows which SDR a person acts
for) passes it on each call, and no client object ever stores it.

`send_draft` is not idempotent. It is never retried by the HTTP layer (no POST is), carries
no Idempotency-Key, and a lost answer raises OutcomeUnknown: check the thread, never resend blindly.
The other writes accept an `idempotency_key` for the outbox.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from campaigns.leadterra import parse_sdr as ps
from campaigns.leadterra.types import (
    DraftsResult,
    FollowUpData,
    GmailStatusData,
    HandoffData,
    InboxPage,
    SdrData,
    SentData,
)

ORDERS = ("priority", "lastMessage", "created")
CATEGORIES = ("A", "B", "C")


def _id(value: str) -> str:
    return quote(value, safe="")


def _key_headers(idempotency_key: str | None) -> dict | None:
    return {"Idempotency-Key": idempotency_key} if idempotency_key else None


def iso_millis(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("Give an aware datetime (with a time zone) for a follow-up's due time.")
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _need_key(api_key: str) -> None:
    if not api_key:
        raise ValueError("This call acts for an SDR: pass that SDR's personal key as api_key.")


class SdrCalls:
    """Requires `self._call(method, template, path, *, json, params, headers, api_key, send)`."""

    def list_sdrs(self) -> list[SdrData]:
        return ps.sdrs(self._call("GET", "/v1/sdrs", "/v1/sdrs"))

    def assign_reply(
        self,
        reply_id: str,
        *,
        sdr_id: str,
        category: str | None = None,
        note: str | None = None,
        to: str | None = None,
        cc: list[str] | None = None,
        subject: str | None = None,
        seniority: str | None = None,
        employee_count: int | None = None,
        skip_icp_check: bool = False,
        force_forward: bool = False,
        idempotency_key: str | None = None,
    ) -> HandoffData:
        """Raises IcpFailed (400 icpFailed), AlreadyAssigned (409, says to whom), Invalid, NotFound."""
        if category is not None and category not in CATEGORIES:
            raise ValueError("category must be A, B or C.")
        payload = {"sdrId": sdr_id}
        optional = {
            "category": category,
            "note": note,
            "to": to,
            "cc": list(cc) if cc else None,
            "subject": subject,
            "seniority": seniority,
            "employeeCount": employee_count,
            "skipIcpCheck": skip_icp_check or None,
            "forceForward": force_forward or None,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        path = f"/v1/replies/{_id(reply_id)}/assign"
        body = self._call("POST", "/v1/replies/:id/assign", path, json=payload, headers=_key_headers(idempotency_key))
        return ps.handoff(body)

    def sdr_inbox(
        self,
        *,
        api_key: str,
        statuses: tuple[str, ...] | list[str] = (),
        category: str | None = None,
        search: str | None = None,
        snoozed: bool | None = None,
        limit: int = 50,
        offset: int = 0,
        order_by: str = "priority",
    ) -> InboxPage:
        _need_key(api_key)
        if not 1 <= limit <= 100:
            raise ValueError("limit must be between 1 and 100.")
        if order_by not in ORDERS:
            raise ValueError(f"order_by must be one of {', '.join(ORDERS)}.")
        params: dict = {"limit": limit, "offset": max(0, offset), "orderBy": order_by}
        if statuses:
            params["status"] = list(statuses)  # repeated: status=a&status=b
        if category:
            params["category"] = category
        if search:
            params["search"] = search
        if snoozed is not None:
            params["snoozed"] = "true" if snoozed else "false"
        body = self._call("GET", "/v1/sdr/inbox", "/v1/sdr/inbox", params=params, api_key=api_key)
        return ps.inbox(body, params["offset"])

    def generate_drafts(
        self,
        *,
        api_key: str,
        thread_id: str,
        instructions: str | None = None,
        variant_count: int = 1,
        idempotency_key: str | None = None,
    ) -> DraftsResult:
        _need_key(api_key)
        if not 1 <= variant_count <= 3:
            raise ValueError("variant_count must be 1, 2 or 3.")
        payload = {"threadId": thread_id, "variantCount": variant_count}
        if instructions:
            payload["instructions"] = instructions
        body = self._call(
            "POST",
            "/v1/sdr/drafts/generate",
            "/v1/sdr/drafts/generate",
            json=payload,
            headers=_key_headers(idempotency_key),
            api_key=api_key,
        )
        return ps.drafts(body)

    def send_draft(
        self,
        draft_id: str,
        *,
        api_key: str,
        final_body_html: str | None = None,
        final_body_text: str | None = None,
        additional_cc: list[str] | None = None,
    ) -> SentData:
        """Raises GuardrailsBlocked (422: nothing sent) or OutcomeUnknown (it may have gone out)."""
        _need_key(api_key)
        payload = {}
        if final_body_html is not None:
            payload["finalBodyHtml"] = final_body_html
        if final_body_text is not None:
            payload["finalBodyText"] = final_body_text
        if additional_cc:
            payload["additionalCc"] = list(additional_cc)
        path = f"/v1/sdr/drafts/{_id(draft_id)}/send"
        body = self._call("POST", "/v1/sdr/drafts/:id/send", path, json=payload, api_key=api_key, send=True)
        return ps.sent(body)

    def gmail_status(self, *, api_key: str) -> GmailStatusData:
        _need_key(api_key)
        return ps.gmail(self._call("GET", "/v1/sdr/gmail/status", "/v1/sdr/gmail/status", api_key=api_key))

    def due_followups(self, *, api_key: str, limit: int = 50, include_upcoming: bool = False) -> list[FollowUpData]:
        _need_key(api_key)
        if not 1 <= limit <= 200:
            raise ValueError("limit must be between 1 and 200.")
        params = {"limit": limit}
        if include_upcoming:
            params["includeUpcoming"] = "true"
        body = self._call("GET", "/v1/sdr/followups/due", "/v1/sdr/followups/due", params=params, api_key=api_key)
        return ps.followups(body)

    def _followup_action(self, followup_id: str, action: str, payload: dict, api_key: str, idempotency_key):
        _need_key(api_key)
        path = f"/v1/sdr/followups/{_id(followup_id)}/{action}"
        body = self._call(
            "POST",
            f"/v1/sdr/followups/:id/{action}",
            path,
            json=payload,
            headers=_key_headers(idempotency_key),
            api_key=api_key,
        )
        return ps.one_followup(body)

    def complete_followup(self, followup_id: str, *, api_key: str, idempotency_key: str | None = None) -> FollowUpData:
        return self._followup_action(followup_id, "complete", {}, api_key, idempotency_key)

    def skip_followup(
        self, followup_id: str, *, api_key: str, reason: str, idempotency_key: str | None = None
    ) -> FollowUpData:
        if not reason or not reason.strip():
            raise ValueError("Say why the follow-up is skipped.")
        return self._followup_action(followup_id, "skip", {"reason": reason.strip()}, api_key, idempotency_key)

    def reschedule_followup(
        self, followup_id: str, *, api_key: str, due_at: datetime, idempotency_key: str | None = None
    ) -> FollowUpData:
        payload = {"dueAt": iso_millis(due_at)}
        return self._followup_action(followup_id, "reschedule", payload, api_key, idempotency_key)

    def schedule_followup(
        self,
        thread_id: str,
        *,
        api_key: str,
        due_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> FollowUpData:
        """`due_at` omitted: Leadterra's rule (two business days)."""
        _need_key(api_key)
        payload = {"dueAt": iso_millis(due_at)} if due_at is not None else {}
        path = f"/v1/sdr/threads/{_id(thread_id)}/followup/schedule"
        body = self._call(
            "POST",
            "/v1/sdr/threads/:id/followup/schedule",
            path,
            json=payload,
            headers=_key_headers(idempotency_key),
            api_key=api_key,
        )
        return ps.one_followup(body)
