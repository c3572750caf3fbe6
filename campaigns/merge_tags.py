"""Merge tokens: parsing, rendering, fallbacks and coverage.

CONTRACT (the sequence editor work owns and completes this module):
- Tokens are `{{name}}` and, our own extension, `{{name|fallback}}`.
- Leadterra renders a missing field as "". At launch, compile_steps() rewrites each
  `{{name|fallback}}` into a derived token and lead_payload() fills that derived field
  for every lead, so Leadterra never renders an empty value where a fallback was given.
- lead_payload() builds the dict sent to POST /campaigns/:id/leads/bulk: email,
  firstName, lastName, company, jobTitle and, in `customFields`, the lead's custom fields
  plus the derived fallback fields.
"""

from __future__ import annotations

import re

TOKEN_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([^{}]*))?\}\}")
STANDARD_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "company": "company",
    "jobTitle": "job_title",
    "email": "email",
}


def lead_values(lead) -> dict[str, str]:
    """Every token name this lead can fill, with its value ('' when missing)."""
    values = {token: (getattr(lead, attr, "") or "") for token, attr in STANDARD_FIELDS.items()}
    for key, value in (lead.custom_fields or {}).items():
        values[key] = "" if value is None else str(value)
    return values


def render(text: str, values: dict[str, str]) -> str:
    """Render as Leadterra will (after fallbacks are compiled): missing -> fallback or ''."""

    def fill(match):
        name, fallback = match.group(1), match.group(2)
        value = values.get(name, "")
        return value if value else (fallback or "")

    return TOKEN_RE.sub(fill, text)


def compile_steps(steps: list[dict]) -> tuple[list[dict], dict[str, tuple[str, str]]]:
    """Rewrite fallback tokens into derived tokens.

    `steps` are {"subject", "body_html", "delay_days"} dicts. Returns the rewritten steps
    and {derived_token: (field_token, fallback)}.
    """
    derived: dict[str, tuple[str, str]] = {}

    def rewrite(match):
        name, fallback = match.group(1), match.group(2)
        if fallback is None:
            return match.group(0)
        key = f"{name}_or_{len(derived) + 1}"
        for existing, spec in derived.items():
            if spec == (name, fallback):
                key = existing
                break
        derived[key] = (name, fallback)
        return "{{" + key + "}}"

    compiled = []
    for step in steps:
        subject, body = TOKEN_RE.sub(rewrite, step["subject"]), TOKEN_RE.sub(rewrite, step["body_html"])
        compiled.append({**step, "subject": subject, "body_html": body})
    return compiled, derived


def lead_payload(lead, derived: dict[str, tuple[str, str]] | None = None) -> dict:
    """The Leadterra lead dict for `lead`, with derived fallback fields filled."""
    values = lead_values(lead)
    custom = {k: ("" if v is None else str(v)) for k, v in (lead.custom_fields or {}).items()}
    for key, (name, fallback) in (derived or {}).items():
        custom[key] = values.get(name) or fallback
    payload = {
        "email": lead.email,
        "firstName": lead.first_name,
        "lastName": lead.last_name,
        "company": lead.company,
        "jobTitle": lead.job_title,
    }
    if custom:
        payload["customFields"] = custom
    return payload
