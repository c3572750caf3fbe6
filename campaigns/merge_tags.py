"""Merge tokens: parsing, checking, rendering and launch-time fallback compilation.

Pure functions (no database): the services in campaigns/services/preview.py add the
lead queries (coverage, custom field names, worst-case lead) on top.

- Tokens are `{{name}}` and, our own extension, `{{name|fallback}}`.
- Leadterra renders a missing field as "" and knows nothing of fallbacks. At launch,
  compile_steps() rewrites each `{{name|fallback}}` into a derived token
  (`{{firstName_or_1}}`) and lead_payload() fills that derived field for every lead with
  the lead's value or the fallback, so Leadterra never renders an empty value where a
  fallback was given. compile_steps() also writes every token in its canonical form
  (`{{ firstName }}` -> `{{firstName}}`) so we never depend on Leadterra's whitespace rules.
- lead_payload() builds the dict sent to POST /campaigns/:id/leads/bulk: email,
  firstName, lastName, company, jobTitle and, in `customFields`, the lead's custom fields
  plus the derived fallback fields.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

TOKEN_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([^{}]*))?\}\}")
STANDARD_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "company": "company",
    "jobTitle": "job_title",
    "email": "email",
}
IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# What is left once the valid tokens are blanked out. Each alternative is a way people
# actually get braces wrong; the first that matches at a position wins.
_HOLE = "\x00"  # stands in for a valid token's characters in the residue
MALFORMED_RE = re.compile(
    r"\{\{[^{}\n]{0,80}\}\}"  # braces right, inside wrong: {{first name}}, {{}}
    r"|\{\{[^{}\n]{0,80}\}(?!\})"  # {{firstName}
    r"|(?<!\{)\{[^{}\n]{0,80}\}\}"  # {firstName}}
    r"|\{+\x00+\}*|\x00+\}+"  # {{{firstName}}} (extra braces around a valid token)
    r"|\{\{|\}\}"  # an opening or closing pair with no partner
)
SINGLE_BRACE_RE = re.compile(r"(?<!\{)\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}(?!\})")


@dataclass(frozen=True)
class Token:
    name: str
    fallback: str | None
    start: int
    raw: str


@dataclass(frozen=True)
class Issue:
    kind: str  # "unknown" | "malformed"
    raw: str
    start: int
    message: str
    suggestion: str | None = None


def tokens(text: str) -> list[Token]:
    """Every well-formed token in `text`, in order. An empty fallback counts as none."""
    found = []
    for match in TOKEN_RE.finditer(text or ""):
        fallback = match.group(2)
        fallback = fallback.strip() if fallback is not None else None
        found.append(Token(match.group(1), fallback or None, match.start(), match.group(0)))
    return found


def _suggest(name: str, known: set[str]) -> str | None:
    """The known token `name` was probably meant to be: same letters in another case, or close."""
    by_case = {k.lower(): k for k in known}
    if name.lower() in by_case:
        return by_case[name.lower()]
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    for k in known:
        if re.sub(r"[^a-z0-9]", "", k.lower()) == squashed:
            return k
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return close[0] if close else None


def _malformed(text: str, known: set[str]) -> list[Issue]:
    residue = TOKEN_RE.sub(lambda m: _HOLE * len(m.group(0)), text)
    issues = []
    for match in MALFORMED_RE.finditer(residue):
        raw = text[match.start() : match.end()]
        word = re.search(r"[A-Za-z_][A-Za-z0-9_ ]*", raw.split("|")[0])
        guess = _suggest(word.group(0).replace(" ", ""), known) if word else None
        suggestion = "{{" + guess + "}}" if guess else None
        issues.append(Issue("malformed", raw, match.start(), "Braces don't form a merge tag.", suggestion))
    for match in SINGLE_BRACE_RE.finditer(residue):
        guess = _suggest(match.group(1), known)
        if guess:  # single braces are normal text unless they wrap a field name
            raw = match.group(0)
            issues.append(Issue("malformed", raw, match.start(), "Merge tags need double braces.", "{{" + guess + "}}"))
    return issues


def check_text(text: str, known: set[str]) -> list[Issue]:
    """Unknown and malformed tokens in `text`, in order of appearance."""
    text = text or ""
    issues = _malformed(text, known)
    for token in tokens(text):
        if token.name not in known:
            guess = _suggest(token.name, known)
            message = f"No lead field is called “{token.name}”: it would render empty."
            issues.append(Issue("unknown", token.raw, token.start, message, "{{" + guess + "}}" if guess else None))
    return sorted(issues, key=lambda i: i.start)


def lead_values(lead) -> dict[str, str]:
    """Every token name this lead can fill, with its value ('' when missing)."""
    values = {token: (getattr(lead, attr, "") or "") for token, attr in STANDARD_FIELDS.items()}
    for key, value in (lead.custom_fields or {}).items():
        values[key] = "" if value is None else str(value)
    return values


def render(text: str, values: dict[str, str]) -> str:
    """Render as Leadterra will (after fallbacks are compiled): missing -> fallback or ''.

    Malformed braces are left as they are, as Leadterra leaves them.
    """

    def fill(match):
        value = values.get(match.group(1), "")
        fallback = (match.group(2) or "").strip()
        return value if value else fallback

    return TOKEN_RE.sub(fill, text or "")


def compile_steps(steps: list[dict]) -> tuple[list[dict], dict[str, tuple[str, str]]]:
    """Rewrite fallback tokens into derived tokens, and every token into canonical form.

    `steps` are {"subject", "body_html", "delay_days"} dicts. Returns the rewritten steps
    and {derived_token: (field_token, fallback)}; the same (field, fallback) pair shares
    one derived token across all steps.
    """
    derived: dict[str, tuple[str, str]] = {}
    by_spec: dict[tuple[str, str], str] = {}

    def rewrite(match):
        name, fallback = match.group(1), (match.group(2) or "").strip()
        if not fallback:
            return "{{" + name + "}}"
        spec = (name, fallback)
        if spec not in by_spec:
            by_spec[spec] = f"{name}_or_{len(by_spec) + 1}"
            derived[by_spec[spec]] = spec
        return "{{" + by_spec[spec] + "}}"

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
