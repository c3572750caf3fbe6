"""The sandbox's OpenAPI document, written by hand from leadterra-api.md §2 (and §5: openapi_sdr.py).

Each response lists its documented shape variants under `oneOf`; `x-sandbox-variants`
maps the variant name (as set through /_control/shapes) to the schema. A test keeps this
document, the URLconf and the real answers in step.
"""

STR = {"type": "string"}
INT = {"type": "integer", "minimum": 0}
RATE = {"type": "number", "minimum": 0, "maximum": 1}
TIME = {"type": "string", "format": "date-time"}
TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}


def obj(required: dict, optional: dict | None = None) -> dict:
    """A closed object: every documented field, nothing else (so extra fields fail the tests)."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def variants(mapping: dict) -> dict:
    return {"oneOf": [ref(name) for name in mapping.values()], "x-sandbox-variants": mapping}


def error_codes(*codes: str) -> dict:
    return {"x-error-codes": list(codes)}


POOL_BASE = {"id": STR, "name": STR, "dailyCapacity": INT}
STEP = obj({"subject": STR, "bodyHtml": STR, "delayDays": INT})
CAMPAIGN = {"id": STR, "name": STR, "status": {"enum": ["draft"]}, "sequenceSteps": array(STEP), "createdAt": TIME}
REPLY = obj(
    {
        "id": STR,
        "email": STR,
        "campaignId": STR,
        "classification": STR,
        "receivedAt": TIME,
        "threadSnippet": STR,
    }
)
WEBHOOK = {
    "id": STR,
    "url": STR,
    "events": array({"enum": ["campaign.started", "message.sent", "message.bounced", "reply.received"]}),
    "status": {"enum": ["active"]},
    "createdAt": TIME,
}
LEAD = {
    "type": "object",
    "required": ["email"],
    "properties": {
        "email": STR,
        "firstName": {"type": ["string", "null"]},
        "lastName": {"type": ["string", "null"]},
        "company": {"type": ["string", "null"]},
        "jobTitle": {"type": ["string", "null"]},
        "customFields": {"type": "object"},
    },
    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
}

SCHEMAS = {
    "Error": obj({"error": obj({"code": STR, "message": STR})}),
    "ValidationError": obj(
        {
            "error": obj({"code": STR, "message": STR}),
            "errors": array(
                obj({"index": {"type": ["integer", "null"]}, "field": {"type": ["string", "null"]}, "message": STR})
            ),
        }
    ),
    "PoolReference": obj({**POOL_BASE, "remainingVolume": INT, "senderAccountIds": array(STR)}),
    "PoolQuickstart": obj({**POOL_BASE, "remainingToday": INT, "senderCount": INT}),
    "PoolGuide": obj({**POOL_BASE, "remainingVolume": INT, "senderCount": INT}),
    "PoolsArray": array(ref("PoolReference")),
    "PoolsQuickstart": obj({"senderPools": array(ref("PoolQuickstart"))}),
    "PoolsGuide": obj({"pools": array(ref("PoolGuide"))}),
    "SenderAccount": obj({"id": STR, "email": STR, "name": STR, "status": STR}),
    "SenderAccountsArray": array(ref("SenderAccount")),
    "SenderAccountsData": obj({"data": array(ref("SenderAccount"))}),
    "Campaign": obj(CAMPAIGN),
    "CampaignWithStepCount": obj({**CAMPAIGN, "stepCount": INT}),
    "CampaignWrapped": obj({"campaign": ref("Campaign")}),
    "CampaignWrappedWithStepCount": obj({"campaign": ref("CampaignWithStepCount")}),
    "EnrollBasic": obj({"enrolled": INT, "updated": INT, "total": INT}),
    "EnrollWithSkipped": obj({"enrolled": INT, "updated": INT, "total": INT, "skipped": INT}),
    "Started": obj({"id": STR, "status": {"enum": ["running"]}, "startedAt": TIME}),
    "Paused": obj({"id": STR, "status": {"enum": ["paused", "draft"]}, "pausedAt": TIME_OR_NULL}),
    "Stats": obj(
        {
            "campaignId": STR,
            "totalEnrolled": INT,
            "sent": INT,
            "delivered": INT,
            "bounced": INT,
            "replied": INT,
            "queued": INT,
            "openRate": RATE,
            "replyRate": RATE,
        }
    ),
    "Reply": REPLY,
    "RepliesArray": array(ref("Reply")),
    "RepliesData": obj({"data": array(ref("Reply"))}),
    "RepliesPaginated": obj(
        {"replies": array(ref("Reply")), "pagination": obj({"total": INT, "page": INT, "perPage": INT})}
    ),
    "SuppressedCount": obj({"suppressed": INT}),
    "SuppressedResult": obj({"result": obj({"suppressed": INT, "alreadySuppressed": INT, "total": INT})}),
    "Webhook": obj(WEBHOOK),
    "WebhookWrapped": obj({"webhook": ref("Webhook")}),
}


def answer(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERR = answer(ref("Error"), "Error")
UNPROCESSABLE = answer(ref("ValidationError"), "Validation failed: one entry per bad item, by index")


def op(summary: str, responses: dict, body: dict | None = None, params: list | None = None) -> dict:
    operation = {"summary": summary, "security": [{"bearer": []}], "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        operation["parameters"] = [{"name": "Idempotency-Key", "in": "header", "schema": STR}]
    if params:
        operation["parameters"] = operation.get("parameters", []) + params
    return operation


CAMPAIGN_ID = {"name": "id", "in": "path", "required": True, "schema": STR}
AUTH = {"401": {**ERR, **error_codes("authentication_failed")}, "404": {**ERR, **error_codes("workspace_not_found")}}
NOT_FOUND = {"404": {**ERR, **error_codes("workspace_not_found", "campaign_not_found")}}
INVALID = {"400": {**ERR, **error_codes("invalid_request")}}
LIMITED = {"429": {**ERR, **error_codes("rate_limited"), "headers": {"Retry-After": {"schema": INT}}}}


def common(**extra) -> dict:
    """Every endpoint: 401, 404 workspace_not_found, 429, and 400 for unexpected parameters."""
    return {**AUTH, **LIMITED, **INVALID, **extra}


PATHS = {
    "/v1/sender-pools": {
        "get": op(
            "Sender pools and their remaining volume today",
            common(
                **{
                    "200": answer(
                        variants({"array": "PoolsArray", "quickstart": "PoolsQuickstart", "guide": "PoolsGuide"})
                    )
                }
            ),
        )
    },
    "/v1/sender-accounts": {
        "get": op(
            "Sending identities",
            common(**{"200": answer(variants({"array": "SenderAccountsArray", "data": "SenderAccountsData"}))}),
        )
    },
    "/v1/campaigns": {
        "post": op(
            "Create a campaign (always draft)",
            common(
                **INVALID,
                **{
                    "201": answer(
                        variants(
                            {
                                "flat": "Campaign",
                                "wrapped": "CampaignWrapped",
                                "flat_step_count": "CampaignWithStepCount",
                                "wrapped_step_count": "CampaignWrappedWithStepCount",
                            }
                        ),
                        "Created",
                    )
                },
            ),
            body=obj(
                {"name": STR}, {"sequenceSteps": array(obj({"subject": STR, "bodyHtml": STR}, {"delayDays": INT}))}
            ),
        )
    },
    "/v1/campaigns/{id}/leads/bulk": {
        "post": op(
            "Upsert leads by email and enroll them (at most 1,000)",
            common(
                **INVALID,
                **NOT_FOUND,
                **{
                    "200": answer(variants({"basic": "EnrollBasic", "skipped": "EnrollWithSkipped"})),
                    "422": {**UNPROCESSABLE, **error_codes("validation_failed")},
                },
            ),
            body=obj({"leads": {**array(LEAD), "maxItems": 1000}}),
            params=[CAMPAIGN_ID],
        )
    },
    "/v1/campaigns/{id}/start": {
        "post": op(
            "Start or resume (no-op when running)",
            common(
                **NOT_FOUND,
                **{
                    "200": answer(ref("Started")),
                    "400": {**ERR, **error_codes("no_sequence_steps", "no_leads_enrolled", "invalid_request")},
                },
            ),
            params=[CAMPAIGN_ID],
        )
    },
    "/v1/campaigns/{id}/pause": {
        "post": op(
            "Pause (no-op when draft or paused)",
            common(**INVALID, **NOT_FOUND, **{"200": answer(ref("Paused"))}),
            params=[CAMPAIGN_ID],
        )
    },
    "/v1/campaigns/{id}/stats": {
        "get": op(
            "Counters, near real time (no status field)",
            common(**NOT_FOUND, **{"200": answer(ref("Stats"))}),
            params=[CAMPAIGN_ID],
        )
    },
    "/v1/replies": {
        "get": op(
            "Classified inbound replies, newest first",
            common(
                **INVALID,
                **NOT_FOUND,
                **{
                    "200": answer(
                        variants({"array": "RepliesArray", "data": "RepliesData", "paginated": "RepliesPaginated"})
                    )
                },
            ),
            params=[
                {"name": "campaignId", "in": "query", "schema": STR},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {
                    "name": "perPage",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                },
            ],
        )
    },
    "/v1/suppression-list": {
        "post": op(
            "Add addresses to the workspace's block list (at most 1,000)",
            common(
                **INVALID,
                **{
                    "200": answer(variants({"count": "SuppressedCount", "result": "SuppressedResult"})),
                    "422": {**UNPROCESSABLE, **error_codes("validation_failed")},
                },
            ),
            body=obj({"emails": {**array(STR), "maxItems": 1000}}),
        )
    },
    "/v1/webhooks": {
        "post": op(
            "Register a webhook (https; http on loopback in the sandbox)",
            common(
                **INVALID,
                **{
                    "201": answer(variants({"flat": "Webhook", "wrapped": "WebhookWrapped"}), "Created"),
                    "422": {**UNPROCESSABLE, **error_codes("validation_failed")},
                },
            ),
            body=obj({"url": STR, "events": array(STR)}),
        )
    },
}
