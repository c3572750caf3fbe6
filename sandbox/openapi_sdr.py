"""The SDR area of the OpenAPI document (leadterra-api.md §5), merged into the document by openapi_document.py.

Every answer is `{"data": ...}` with millisecond timestamps; calls under /v1/sdr/ take an SDR's
personal key (`sdrKey`); the workspace key lists SDRs and assigns replies.
"""

from .openapi import ERR, INT, INVALID, LIMITED, SCHEMAS, STR, answer, array, error_codes, obj, ref
from .sdr import HEALTH_STATES, THREAD_STATUSES

BOOL = {"type": "boolean"}
TIME_MS = {"type": "string", "format": "date-time"}  # always with milliseconds in this area
SCORE = {"type": "integer", "minimum": 0, "maximum": 100}
ERROR = obj({"code": STR, "message": STR})
THREAD_STATUS = {"enum": list(THREAD_STATUSES)}


def data(schema: dict) -> dict:
    return obj({"data": schema})


SDR_SCHEMAS = {
    "Sdrs": data(array(obj({"id": STR, "name": STR, "email": STR, "gmailConnected": BOOL, "gmailEmail": STR}))),
    "Handoff": data(obj({"handoffId": STR, "threadId": STR, "messageId": STR, "gmailThreadId": STR})),
    "IcpFailed": obj({"error": ERROR, "icpFailed": {"enum": [True]}, "icpReasons": array(STR)}),
    "AlreadyForwarded": obj(
        {
            "error": ERROR,
            "assignedTo": obj({"sdrId": STR, "name": STR, "email": STR}),
            "threadId": STR,
            "handoffId": STR,
        }
    ),
    "Inbox": data(
        obj(
            {
                "threads": array(
                    obj(
                        {
                            "id": STR,
                            "contactEmail": STR,
                            "contactName": STR,
                            "subject": STR,
                            "status": THREAD_STATUS,
                            "category": {"enum": ["A", "B", "C", None]},
                            "priorityScore": SCORE,
                            "lastMessageAt": TIME_MS,
                        }
                    )
                ),
                "total": INT,
                "hasMore": BOOL,
            }
        )
    ),
    "Drafts": data(
        obj(
            {
                "drafts": array(obj({"id": STR, "subject": STR, "bodyText": STR, "bodyHtml": STR})),
                "insights": array(
                    obj(
                        {
                            "draftId": STR,
                            "approach": STR,
                            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                            "rationale": STR,
                        }
                    )
                ),
                "appliedRules": array(STR),
            }
        )
    ),
    "Guardrails": obj(
        {
            "blocked": BOOL,
            "issues": array(obj({"code": STR, "severity": {"enum": ["block", "warn"]}, "message": STR})),
            "scores": obj({"overall": SCORE, "readability": SCORE, "personalization": SCORE, "linkQuality": SCORE}),
        }
    ),
    "Sent": data(obj({"messageId": STR, "guardrails": ref("Guardrails")})),
    "GuardrailsBlocked": obj({"error": ERROR, "guardrails": ref("Guardrails")}),
    "GmailStatus": data(
        obj(
            {
                "connected": BOOL,
                "email": STR,
                "healthState": {"enum": list(HEALTH_STATES)},
                "lastSyncedAt": {"type": ["string", "null"], "format": "date-time"},
            },
            {"lastSyncError": STR},
        )
    ),
    "FollowUpsDue": data(
        array(obj({"id": STR, "threadId": STR, "sdrId": STR, "status": {"enum": ["pending"]}, "dueAt": TIME_MS}))
    ),
    "FollowUp": data(obj({"id": STR, "status": {"enum": ["pending", "completed", "skipped"]}, "dueAt": TIME_MS})),
    "FollowUpScheduled": data(obj({"id": STR, "threadId": STR, "status": {"enum": ["pending"]}, "dueAt": TIME_MS})),
}


def _op(summary: str, responses: dict, *, sdr: bool, body: dict | None = None, params=(), replay=True) -> dict:
    operation = {
        "summary": summary,
        "security": [{"sdrKey": []}] if sdr else [{"bearer": []}],
        "responses": {
            "401": {**ERR, **error_codes("authentication_failed")},
            "404": {**ERR, **error_codes("workspace_not_found")},
            **LIMITED,
            **INVALID,
            **responses,
        },
    }
    parameters = list(params)
    if body is not None:
        operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
        if replay:
            parameters.append({"name": "Idempotency-Key", "in": "header", "schema": STR})
    if parameters:
        operation["parameters"] = parameters
    return operation


def _not_found(*codes: str) -> dict:
    return {"404": {**ERR, **error_codes("workspace_not_found", *codes)}}


def _q(name: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "schema": schema}


ID = {"name": "id", "in": "path", "required": True, "schema": STR}
FOLLOWUP = {
    "200": answer(ref("FollowUp")),
    **_not_found("followup_not_found"),
    "409": {**ERR, **error_codes("followup_closed")},
}

SDR_PATHS = {
    "/v1/sdrs": {"get": _op("The workspace's active SDRs", {"200": answer(ref("Sdrs"))}, sdr=False)},
    "/v1/replies/{id}/assign": {
        "post": _op(
            "Hand a reply to an SDR: forwards it and opens a thread in their inbox",
            {
                "200": answer(ref("Handoff")),
                "400": {
                    "description": "invalid_request (sdrId missing, not an active SDR, wrong types) or the ICP gate",
                    "content": {"application/json": {"schema": {"oneOf": [ref("Error"), ref("IcpFailed")]}}},
                    **error_codes("invalid_request", "icp_failed"),
                },
                **_not_found("reply_not_found"),
                "409": {**answer(ref("AlreadyForwarded"), "Already forwarded"), **error_codes("already_forwarded")},
            },
            sdr=False,
            body=obj(
                {"sdrId": STR},
                {
                    "to": STR,
                    "cc": array(STR),
                    "subject": STR,
                    "note": STR,
                    "category": {"enum": ["A", "B", "C"]},
                    "forceForward": BOOL,
                    "skipIcpCheck": BOOL,
                    "seniority": STR,
                    "employeeCount": INT,
                },
            ),
            params=[ID],
        )
    },
    "/v1/sdr/inbox": {
        "get": _op(
            "The SDR's threads",
            {"200": answer(ref("Inbox"))},
            sdr=True,
            params=[
                _q("status", {"type": "array", "items": THREAD_STATUS}),
                _q("category", {"enum": ["A", "B", "C"]}),
                _q("search", STR),
                _q("snoozed", {"enum": ["true", "false"]}),
                _q("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}),
                _q("offset", {"type": "integer", "minimum": 0, "default": 0}),
                _q("orderBy", {"enum": ["priority", "lastMessage", "created"], "default": "priority"}),
            ],
        )
    },
    "/v1/sdr/drafts/generate": {
        "post": _op(
            "Draft 1-3 answers from templates, with insights",
            {"200": answer(ref("Drafts")), **_not_found("thread_not_found")},
            sdr=True,
            body=obj(
                {"threadId": STR},
                {"instructions": STR, "variantCount": {"type": "integer", "minimum": 1, "maximum": 3}},
            ),
        )
    },
    "/v1/sdr/drafts/{id}/send": {
        "post": _op(
            "Send a draft after the guardrails (not idempotent: no Idempotency-Key replay)",
            {
                "200": answer(ref("Sent")),
                **_not_found("draft_not_found"),
                "409": {**ERR, **error_codes("gmail_unavailable")},
                "422": {
                    **answer(ref("GuardrailsBlocked"), "Blocked by the guardrails"),
                    **error_codes("guardrails_blocked"),
                },
            },
            sdr=True,
            body=obj({}, {"finalBodyHtml": STR, "finalBodyText": STR, "additionalCc": array(STR)}),
            params=[ID],
            replay=False,
        )
    },
    "/v1/sdr/gmail/status": {"get": _op("The SDR's Gmail connection", {"200": answer(ref("GmailStatus"))}, sdr=True)},
    "/v1/sdr/followups/due": {
        "get": _op(
            "Pending follow-ups that are due (and upcoming ones on request)",
            {"200": answer(ref("FollowUpsDue"))},
            sdr=True,
            params=[
                _q("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
                _q("includeUpcoming", {"enum": ["true", "false"]}),
            ],
        )
    },
    "/v1/sdr/followups/{id}/complete": {
        "post": _op("Mark a follow-up done", FOLLOWUP, sdr=True, body=obj({}), params=[ID])
    },
    "/v1/sdr/followups/{id}/skip": {
        "post": _op("Skip a follow-up, saying why", FOLLOWUP, sdr=True, body=obj({"reason": STR}), params=[ID])
    },
    "/v1/sdr/followups/{id}/reschedule": {
        "post": _op("Move a follow-up", FOLLOWUP, sdr=True, body=obj({"dueAt": TIME_MS}), params=[ID])
    },
    "/v1/sdr/threads/{id}/followup/schedule": {
        "post": _op(
            "Schedule the thread's follow-up (dueAt omitted: 2 business days); moves a pending one",
            {
                "201": answer(ref("FollowUpScheduled"), "Created"),
                "200": answer(ref("FollowUpScheduled"), "The pending follow-up, moved"),
                **_not_found("thread_not_found"),
            },
            sdr=True,
            body=obj({}, {"dueAt": TIME_MS}),
            params=[ID],
        )
    },
}

# One document: the §5 schemas resolve through the same table as §2's.
SCHEMAS.update(SDR_SCHEMAS)
