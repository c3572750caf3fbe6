"""Checking request bodies: 400 for a malformed request, 422 naming each bad item by index."""

import re
from urllib.parse import urlsplit

from .api import ApiError, invalid

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STANDARD_FIELDS = ("firstName", "lastName", "company", "jobTitle")
STEP_KEYS = {"subject", "bodyHtml", "delayDays"}
MAX_ITEMS = 1000
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def scalar(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def email_ok(value) -> bool:
    return isinstance(value, str) and len(value) <= 254 and EMAIL.match(value.strip()) is not None


def campaign_body(body: dict) -> tuple[str, list]:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid("name is required and must be a non-empty string.")
    if len(name) > 500:
        raise invalid("name is longer than 500 characters.")
    steps = body.get("sequenceSteps", [])
    if not isinstance(steps, list):
        raise invalid("sequenceSteps must be a list.")
    return name.strip(), [_step(i, s) for i, s in enumerate(steps)]


def _step(index: int, step) -> dict:
    where = f"sequenceSteps[{index}]"
    if not isinstance(step, dict):
        raise invalid(f"{where} must be an object.")
    unexpected = sorted(set(step) - STEP_KEYS)
    if unexpected:
        raise invalid(f"{where} has unexpected field(s): {', '.join(unexpected)}.")
    for key in ("subject", "bodyHtml"):
        if not isinstance(step.get(key), str):
            raise invalid(f"{where}.{key} is required and must be a string.")
    delay = step.get("delayDays", 0)
    if not is_int(delay) or not 0 <= delay <= 365:
        raise invalid(f"{where}.delayDays must be an integer from 0 to 365.")
    return {"subject": step["subject"], "bodyHtml": step["bodyHtml"], "delayDays": delay}


def item_list(body: dict, key: str) -> list:
    items = body.get(key)
    if not isinstance(items, list):
        raise invalid(f"{key} is required and must be a list.")
    if len(items) > MAX_ITEMS:
        raise invalid(f"At most {MAX_ITEMS} {key} a request.")
    return items


def leads(items: list) -> list[dict]:
    """Every lead, normalised; a 422 listing each bad item when any is bad."""
    errors = []
    for index, item in enumerate(items):
        errors += [{"index": index, "field": f, "message": m} for f, m in _lead_problems(item)]
    if errors:
        raise ApiError(422, "validation_failed", f"{len({e['index'] for e in errors})} lead(s) are invalid.", errors)
    return [{**item, "email": item["email"].strip().lower()} for item in items]


def _lead_problems(item) -> list[tuple[str | None, str]]:
    if not isinstance(item, dict):
        return [(None, "Each lead must be an object.")]
    problems = []
    if not email_ok(item.get("email")):
        problems.append(("email", "A valid email address is required."))
    for key in STANDARD_FIELDS:
        if key in item and not (item[key] is None or isinstance(item[key], str)):
            problems.append((key, "Must be a string."))
    custom = item.get("customFields", {})
    if not isinstance(custom, dict) or not all(scalar(v) for v in custom.values()):
        problems.append(("customFields", "Must be an object of strings, numbers or booleans."))
    for key, value in item.items():
        if key not in STANDARD_FIELDS and key not in ("email", "customFields") and not scalar(value):
            problems.append((key, "Extra fields must be strings, numbers or booleans."))
    return problems


def emails(items: list) -> list[str]:
    errors = [
        {"index": i, "field": "email", "message": "A valid email address is required."}
        for i, e in enumerate(items)
        if not email_ok(e)
    ]
    if errors:
        raise ApiError(422, "validation_failed", f"{len(errors)} address(es) are invalid.", errors)
    return [e.strip().lower() for e in items]


def webhook(body: dict, known_events: tuple) -> tuple[str, list]:
    url, events = body.get("url"), body.get("events")
    if not isinstance(url, str) or not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise invalid("url (a string) and events (a list of strings) are required.")
    errors = []
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and (parts.hostname or "") in LOOPBACK
    if not parts.netloc or not (parts.scheme == "https" or loopback):
        errors.append({"index": None, "field": "url", "message": "The URL must use https://."})
    if not events:
        errors.append({"index": None, "field": "events", "message": "Name at least one event."})
    errors += [
        {"index": i, "field": "events", "message": f"Unknown event {e!r}."}
        for i, e in enumerate(events)
        if e not in known_events
    ]
    if errors:
        raise ApiError(422, "validation_failed", "The webhook is invalid.", errors)
    return url, list(dict.fromkeys(events))
