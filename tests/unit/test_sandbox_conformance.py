"""Conformance: the request examples of leadterra-api.md, every documented field and error code,
in every shape variant, checked against the hand-written OpenAPI document (kept in sync here)."""

import re

import pytest
from django.urls import get_resolver

from sandbox.openapi import PATHS, SCHEMAS
from sandbox.openapi_document import document
from sandbox.shapes import VARIANTS
from sandbox.testing import ClientSandbox

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}
STEPS = [
    {"subject": "Quick question, {{firstName}}", "bodyHtml": "<p>Hi {{firstName}}</p>", "delayDays": 0},
    {"subject": "Following up", "bodyHtml": "<p>{{company}}</p>", "delayDays": 3},
]
LEADS = [
    {
        "email": "jane@acme.com",
        "firstName": "Jane",
        "lastName": "Doe",
        "company": "Acme",
        "jobTitle": "VP Sales",
        "customFields": {"city": "Berlin"},
        "favoriteColor": "blue",
    }
]


# --- a small JSON-schema checker for the subset the document uses ---


def problems(value, schema, where="$") -> list[str]:
    if "$ref" in schema:
        return problems(value, SCHEMAS[schema["$ref"].rsplit("/", 1)[1]], where)
    if "oneOf" in schema:
        if any(not problems(value, option, where) for option in schema["oneOf"]):
            return []
        return [f"{where}: matches no variant"]
    found = []
    if "type" in schema:
        allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, t) for t in allowed):
            return [f"{where}: {value!r} is not {allowed}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if schema.get("format") == "date-time" and isinstance(value, str) and not ISO.match(value):
        found.append(f"{where}: {value!r} is not an ISO 8601 UTC time")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: above maximum")
    if isinstance(value, dict):
        found += _object_problems(value, schema, where)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += problems(item, schema["items"], f"{where}[{i}]")
    return found


def _is(value, type_name) -> bool:
    if type_name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, TYPES[type_name])


def _object_problems(value: dict, schema: dict, where: str) -> list[str]:
    found = [f"{where}: missing {key!r}" for key in schema.get("required", []) if key not in value]
    properties = schema.get("properties", {})
    for key, item in value.items():
        if key in properties:
            found += problems(item, properties[key], f"{where}.{key}")
        elif schema.get("additionalProperties") is False:
            found.append(f"{where}: undocumented field {key!r}")
    return found


def test_the_checker_catches_missing_extra_and_mistyped_fields():
    schema = SCHEMAS["Stats"]
    good = dict.fromkeys(schema["required"], 0)
    good["campaignId"] = "camp_1"
    assert problems(good, schema) == []
    assert problems({**good, "status": "running"}, schema)
    assert problems({k: v for k, v in good.items() if k != "sent"}, schema)
    assert problems({**good, "sent": "3"}, schema)
    assert problems({**good, "openRate": 1.5}, schema)


# --- the document and the URLconf agree ---


def sandbox_routes() -> dict:
    routes = {}
    for entry in get_resolver().url_patterns:
        if str(entry.pattern) == "sandbox/":
            for pattern in entry.url_patterns:
                methods = getattr(pattern.callback, "methods", None)
                if methods:
                    route = "/" + re.sub(r"<str:(\w+)>", "{id}", str(pattern.pattern))
                    routes[route] = {m.lower() for m in methods}
    return routes


def test_the_openapi_document_lists_exactly_the_served_endpoints():
    assert sandbox_routes() == {path: set(ops) for path, ops in document()["paths"].items()}


def test_every_shape_variant_is_described_in_the_document():
    described = {}
    for ops in PATHS.values():
        for operation in ops.values():
            for response in operation["responses"].values():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if "x-sandbox-variants" in schema:
                    described[operation["summary"]] = set(schema["x-sandbox-variants"])
    served = {name: set(options) for name, (options, _) in VARIANTS.items() if name != "timestamps"}
    assert sorted(map(sorted, described.values())) == sorted(map(sorted, served.values()))


def test_the_document_is_served_as_json(client):
    response = client.get("/sandbox/openapi.json")
    assert response.status_code == 200
    assert response.json() == document()


# --- every endpoint, every variant ---


@pytest.fixture
def sb(client, settings):
    settings.SANDBOX_RATE_LIMIT_RPS = 0
    sandbox = ClientSandbox(client)
    sandbox.freeze()
    return sandbox


def world(sb) -> dict:
    """A campaign with leads, a paused one with replies, and a draft without steps."""
    sb.rates(bounceRate=0.2, replyRate=0.5)
    _, c = sb.api("POST", "/campaigns", {"name": "Q3 outreach", "sequenceSteps": STEPS})
    leads = LEADS + [{"email": f"p{i}@example.com", "firstName": "P"} for i in range(20)]
    sb.api("POST", f"/campaigns/{c['id']}/leads/bulk", {"leads": leads})
    sb.api("POST", f"/campaigns/{c['id']}/start")
    sb.advance(days=1)
    sb.api("POST", f"/campaigns/{c['id']}/pause")
    return {"id": c["id"]}


def example(sb, path: str, method: str, ids: dict):
    """The request example of leadterra-api.md for each endpoint."""
    cid = ids["id"]
    concrete = path.replace("{id}", cid)
    if path == "/v1/campaigns":
        return sb.api("POST", "/campaigns", {"name": "Q3 outreach", "sequenceSteps": STEPS})
    if path.endswith("/leads/bulk"):
        return sb.api("POST", concrete[3:], {"leads": LEADS})
    if path == "/v1/replies":
        return sb.api("GET", f"/replies?campaignId={cid}&page=1&perPage=5")
    if path == "/v1/suppression-list":
        return sb.api("POST", "/suppression-list", {"emails": ["a@x.com", "b@x.com"]})
    if path == "/v1/webhooks":
        hook = {"url": "https://ops.example.com/hooks/leadterra", "events": ["reply.received"]}
        return sb.api("POST", "/webhooks", hook)
    return sb.api(method.upper(), concrete[3:])


CASES = []
for _path, _ops in PATHS.items():
    for _method, _op in _ops.items():
        for _status, _response in _op["responses"].items():
            _schema = _response.get("content", {}).get("application/json", {}).get("schema", {})
            if _status.startswith("2"):
                for _variant, _name in _schema.get("x-sandbox-variants", {None: None}).items():
                    CASES.append((_path, _method, _status, _variant, _name))


def shape_key(path: str) -> str:
    return {"/v1/campaigns": "campaigns", "/v1/campaigns/{id}/leads/bulk": "leads"}.get(path, path.split("/")[2])


@pytest.mark.parametrize("path,method,status,variant,schema_name", CASES)
def test_each_example_answers_every_documented_field_in_each_variant(sb, path, method, status, variant, schema_name):
    ids = world(sb)
    if variant:
        sb.shapes(**{shape_key(path): variant})
    code, body = example(sb, path, method, ids)
    assert str(code) == status, body
    schema = {"$ref": f"#/components/schemas/{schema_name}"} if schema_name else None
    schema = schema or PATHS[path][method]["responses"][status]["content"]["application/json"]["schema"]
    assert problems(body, schema) == []


@pytest.mark.parametrize("path", ["/v1/campaigns", "/v1/replies", "/v1/webhooks", "/v1/campaigns/{id}/pause"])
def test_the_millisecond_timestamp_variant(sb, path):
    ids = world(sb)
    sb.control("POST", "shapes", {"timestamps": "millis"})
    _, body = example(sb, path, "post" if path != "/v1/replies" else "get", ids)
    found = re.findall(r"'(\d{4}-\d\d-\d\dT[^']*)'", str(body))
    assert found and all(ISO_MILLIS.match(t) for t in found), found


# --- every documented error code ---


def trigger(sb, path: str, method: str, code: str, ids: dict):
    concrete = path.replace("{id}", ids["id"])[3:]
    good_body = {"leads": LEADS} if "bulk" in path else None
    if code == "authentication_failed":
        return sb._call(method.upper(), "/v1" + concrete, good_body)
    if code == "workspace_not_found":
        sb.control("POST", "workspace", {"deleted": True})
        return sb.api(method.upper(), concrete, good_body)
    if code == "rate_limited":
        sb.rate_limit(0.001)
        sb.api(method.upper(), concrete, good_body)
        return sb.api(method.upper(), concrete, good_body)
    if code == "invalid_request":
        if method == "get":
            return sb.api("GET", concrete + "?bogus=1")
        return sb.api("POST", concrete, {"bogus": 1})
    if code == "campaign_not_found":
        if path == "/v1/replies":
            return sb.api("GET", "/replies?campaignId=camp_NOPE")
        return sb.api(method.upper(), concrete.replace(ids["id"], "camp_NOPE"), good_body)
    if code == "no_sequence_steps":
        _, c = sb.api("POST", "/campaigns", {"name": "empty"})
        return sb.api("POST", f"/campaigns/{c['id']}/start")
    if code == "no_leads_enrolled":
        _, c = sb.api("POST", "/campaigns", {"name": "no leads", "sequenceSteps": STEPS})
        return sb.api("POST", f"/campaigns/{c['id']}/start")
    if code == "validation_failed":
        bodies = {
            "/v1/suppression-list": {"emails": ["ok@x.com", "nope"]},
            "/v1/webhooks": {"url": "http://example.com/hook", "events": ["reply.received", "nope"]},
        }
        return sb.api("POST", concrete, bodies.get(path, {"leads": [LEADS[0], {"email": "nope"}]}))
    raise AssertionError(f"no trigger for {code}")


ERROR_CASES = [
    (path, method, status, code)
    for path, ops in PATHS.items()
    for method, operation in ops.items()
    for status, response in operation["responses"].items()
    for code in response.get("x-error-codes", [])
]


@pytest.mark.parametrize("path,method,status,code", ERROR_CASES)
def test_each_documented_error_code_is_answered_as_documented(sb, path, method, status, code):
    ids = world(sb)
    answer, body = trigger(sb, path, method, code, ids)
    assert (str(answer), body["error"]["code"]) == (status, code), body
    schema = PATHS[path][method]["responses"][status]["content"]["application/json"]["schema"]
    assert problems(body, schema) == []
    if status == "422":
        assert [e["index"] for e in body["errors"] if e["index"] is not None] == [1]
