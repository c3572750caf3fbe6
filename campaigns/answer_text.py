"""An SDR's answer as text and as HTML, and guardrail scores in words (pure functions)."""

from __future__ import annotations

import html
import re

MAX_ANSWER_CHARS = 20_000
MAX_INSTRUCTIONS_CHARS = 2_000  # Leadterra's own limit


def clean_answer(text) -> str:
    """The answer as it will be sent, or ValueError with a sentence saying what is wrong."""
    if not isinstance(text, str):
        raise ValueError("Write the answer before sending it.")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValueError("The answer is empty: write it (or keep the draft's text) before sending.")
    if len(text) > MAX_ANSWER_CHARS:
        raise ValueError(f"The answer is {len(text):,} characters long; keep it under {MAX_ANSWER_CHARS:,}.")
    if "\x00" in text:
        raise ValueError("The answer contains a null character; paste it as plain text.")
    return text


def answer_html(text: str) -> str:
    """Paragraphs from blank lines, line breaks kept; everything escaped (it is the SDR's text)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p.strip()).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def score_word(score) -> str:
    if score is None:
        return "not scored"
    if score >= 80:
        return "good"
    if score >= 60:
        return "fair"
    return "weak"


SCORE_NAMES = (
    ("overall", "Overall"),
    ("readability", "Readability"),
    ("personalization", "Personalisation"),
    ("link_quality", "Links"),
)


def scores_in_words(checks: dict) -> list[str]:
    """["Overall 42 of 100 (weak)", …] for the scores Leadterra gave."""
    lines = []
    for key, label in SCORE_NAMES:
        value = checks.get(key)
        if value is not None:
            lines.append(f"{label} {value:g} of 100 ({score_word(value)})")
    return lines


def issue_in_words(issue: dict) -> str:
    message = (issue.get("message") or issue.get("code") or "an unnamed issue").strip()
    message = message[:1].upper() + message[1:]
    if issue.get("severity") in ("block", ""):
        return f"Blocks sending: {message}."
    return f"Warning: {message}."
