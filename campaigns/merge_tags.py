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
- Leadterra pastes a lead's value into bodyHtml as it is. So every token in a body is
  compiled into an HTML-derived token (`{{company}}` -> `{{company_html}}`,
  `{{firstName|there}}` -> `{{firstName_or_1_html}}`) whose value lead_payload() fills
  with the HTML-escaped lead value (or the fallback, which is already HTML: it was
  sanitised with the body). Subjects are plain text and keep the raw value.
- lead_payload() builds the dict sent to POST /campaigns/:id/leads/bulk: email,
  firstName, lastName, company, jobTitle and, in `customFields`, the lead's custom fields
  plus the derived fields. Control characters and line breaks in every value become one
  space (a subject is one line; a CSV cell may hold a newline).
- render_sent() renders compiled content with a payload exactly as Leadterra does; the
  preview uses compile_steps + lead_payload + render_sent, so it shows the sent bytes.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass

from campaigns.lead_fields import STANDARD_FIELDS, TEXT_FIELDS

TOKEN_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([^{}]*))?\}\}")
# Leadterra's own token syntax (what it fills at send time; it knows no fallbacks).
SENT_TOKEN_RE = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
# A run of whitespace holding at least one control character or line/paragraph separator.
_BREAKS = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029][\s\x00-\x1f\x7f-\x9f\u2028\u2029]*")

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


def single_line(value) -> str:
    """`value` as text on one line: each run of control characters/line breaks becomes one space."""
    return _BREAKS.sub(" ", "" if value is None else str(value))


def compile_steps(steps: list[dict]) -> tuple[list[dict], dict[str, tuple[str, str, bool]]]:
    """Rewrite tokens for Leadterra: fallbacks and body tokens into derived tokens, all canonical.

    `steps` are {"subject", "body_html", "delay_days"} dicts. Returns the rewritten steps
    and {derived_token: (field_token, fallback, is_html)}; one (field, fallback, is_html)
    shares one derived token across all steps. A derived name never equals a token the
    steps use themselves.
    """
    used = {t.name for step in steps for text in (step["subject"], step["body_html"]) for t in tokens(text)}
    derived: dict[str, tuple[str, str, bool]] = {}
    by_spec: dict[tuple[str, str, bool], str] = {}
    numbers: dict[tuple[str, str], int] = {}

    def name_for(spec: tuple[str, str, bool]) -> str:
        name, fallback, is_html = spec
        if fallback:
            numbers.setdefault((name, fallback), len(numbers) + 1)
        candidate = name + (f"_or_{numbers[(name, fallback)]}" if fallback else "") + ("_html" if is_html else "")
        while candidate in used or candidate in derived:
            candidate += "_"
        return candidate

    def rewriter(is_html: bool):
        def rewrite(match):
            spec = (match.group(1), (match.group(2) or "").strip(), is_html)
            if not spec[1] and not is_html:
                return "{{" + spec[0] + "}}"
            if spec not in by_spec:
                by_spec[spec] = name_for(spec)
                derived[by_spec[spec]] = spec
            return "{{" + by_spec[spec] + "}}"

        return rewrite

    compiled = []
    for step in steps:
        subject = TOKEN_RE.sub(rewriter(False), step["subject"])
        body = TOKEN_RE.sub(rewriter(True), step["body_html"])
        compiled.append({**step, "subject": subject, "body_html": body})
    return compiled, derived


def lead_payload(lead, derived: dict[str, tuple] | None = None) -> dict:
    """The Leadterra lead dict for `lead`: values on one line, derived fields filled.

    An HTML-derived field holds the escaped value, or the fallback as written in the
    (sanitised) body; a plain one holds the value or the fallback.
    """
    values = {k: single_line(v) for k, v in lead_values(lead).items()}
    custom = {k: single_line(v) for k, v in (lead.custom_fields or {}).items()}
    for key, (name, fallback, *is_html) in (derived or {}).items():
        value = values.get(name, "")
        if is_html and is_html[0]:
            custom[key] = html.escape(value) if value else fallback
        else:
            custom[key] = value or fallback
    payload = {"email": lead.email, **{token: values[token] for token in TEXT_FIELDS}}
    if custom:
        payload["customFields"] = custom
    return payload


def render_sent(text: str, payload: dict) -> str:
    """`text` (compiled) filled from `payload` as Leadterra fills it at send time.

    Top-level fields first, then customFields; a missing field renders as "". One pass:
    a value that contains braces is never filled again.
    """
    custom = payload.get("customFields") or {}

    def fill(match):
        found = payload.get(match.group(1), custom.get(match.group(1)))
        return "" if found is None or isinstance(found, dict) else str(found)

    return SENT_TOKEN_RE.sub(fill, text or "")


def _visible(value: str) -> str:
    """`value` with what can't be seen made visible: ␣ for a space at either end, [U+XXXX] for a
    format character (a raw direction override would also flip the sentence it is quoted in)."""
    shown = "".join(f"[U+{ord(c):04X}]" if unicodedata.category(c) == "Cf" else c for c in single_line(value))
    core = shown.strip(" ")
    if not core:
        return "␣" * len(shown)
    start = shown.index(core)
    return "␣" * start + core + "␣" * (len(shown) - start - len(core))


def invisible_notes(values: dict[str, str], names) -> list[str]:
    """Short notes on what a reader cannot see in the values of `names` (spaces at the ends,
    line breaks, control, zero-width and direction characters), e.g. for the preview."""
    notes = []
    for name in names:
        value = values.get(name) or ""
        found = []
        if value != value.strip():
            found.append("spaces at the start or end")
        if _BREAKS.search(value):
            found.append("a line break or control character (sent as one space)")
        hidden = sorted({c for c in value if unicodedata.category(c) == "Cf"})
        found += [f"U+{ord(c):04X} {unicodedata.name(c, 'format character')}" for c in hidden]
        if found:
            notes.append(f"{{{{{name}}}}} “{_visible(value)}” has " + ", ".join(found) + ".")
    return notes
