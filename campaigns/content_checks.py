"""Email content: a plain-text rendering and friendly deliverability checks.

Pure functions. The checks are warnings, never blockers: an SDR may have a reason.
sanitize() (the email HTML policy) lives in campaigns/email_safe.py; it is re-exported here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from campaigns.email_safe import removed_parts, sanitize

__all__ = ["html_to_text", "sanitize", "step_warnings"]

SUBJECT_MAX = 80  # most inboxes cut the subject around here
BODY_MAX_BYTES = 100_000  # Gmail clips messages past ~102 KB
MAX_LINKS = 3
SPAM_PHRASES = (
    "100% free",
    "act now",
    "buy now",
    "cash bonus",
    "click here",
    "double your",
    "free money",
    "guaranteed",
    "limited time",
    "no obligation",
    "risk-free",
    "urgent",
    "winner",
    "$$$",
)
BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol"}


class _Scan(HTMLParser):
    """Collects text, links and images in one pass; tolerant of broken markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.images_without_alt = 0
        self._skip = 0
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"script", "style", "head", "title"}:
            self._skip += 1
        elif tag == "a" and attrs.get("href"):
            self._href = attrs["href"]
            self.links.append(attrs["href"])
        elif tag == "img" and not (attrs.get("alt") or "").strip():
            self.images_without_alt += 1
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in {"script", "style", "head", "title"}:
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._href:
            if self._href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" ({self._href.removeprefix('mailto:')})")
            self._href = None
        if tag in BLOCK_TAGS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def _scan(html: str) -> _Scan:
    scan = _Scan()
    scan.feed(html or "")
    scan.close()
    return scan


def html_to_text(html: str) -> str:
    """A readable plain-text version of an email body (what text-only clients show)."""
    text = "".join(_scan(html).parts)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def step_warnings(subject: str, body_html: str) -> list[str]:
    """Friendly warnings for one step's content, most important first."""
    warnings = []
    subject, body_html = subject or "", body_html or ""
    if not subject.strip():
        warnings.append("The subject is empty: Leadterra needs one, and inboxes show “(no subject)”.")
    elif len(subject) > SUBJECT_MAX:
        warnings.append(f"The subject is {len(subject)} characters; inboxes cut it around {SUBJECT_MAX}.")
    removed = removed_parts(body_html)
    if removed:
        warnings.append("Removed when saved (mail-unsafe): " + ", ".join(removed) + ".")
    scan = _scan(body_html)
    if not "".join(scan.parts).strip() and scan.images_without_alt == 0:
        warnings.append("The body is empty.")
    if "\n\n" in body_html.strip() and not re.search(r"<(p|br|div|table|ul|ol)\b", body_html, re.I):
        warnings.append("The body is HTML: blank lines collapse into one paragraph. Wrap paragraphs in <p>…</p>.")
    size = len(body_html.encode())
    if size > BODY_MAX_BYTES:
        warnings.append(f"The body is {size // 1000} KB; Gmail clips messages over about 100 KB.")
    if len(scan.links) > MAX_LINKS:
        warnings.append(f"{len(scan.links)} links: cold emails with more than {MAX_LINKS} often land in spam.")
    if scan.images_without_alt:
        n = scan.images_without_alt
        warnings.append(f"{n} image{'s' if n > 1 else ''} without alt text (shown when images are blocked).")
    lowered = f"{subject} {html_to_text(body_html)}".lower()
    phrases = [p for p in SPAM_PHRASES if p in lowered]
    if phrases:
        warnings.append("Spam-filter trigger phrases: " + ", ".join(f"“{p}”" for p in phrases) + ".")
    return warnings
