"""Word-level diffs of a sequence against its last approved version, for the review page.

Everything is escaped before <ins>/<del> are added, so user text (and its HTML) is shown as
text and can never inject markup into the review page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# An HTML tag is one token (a reviewer reads "<p>" as a unit), then words, spaces, punctuation.
# Merge tokens stay whole too, so "{{firstName}}" -> "{{company}}" is one replacement.
TOKEN_RE = re.compile(r"<[^>]*>|\{\{[^{}]*\}\}|\w+|\s+|[^\w\s]", re.UNICODE)


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(text or "")


def _segments(a: list[str], b: list[str]) -> list[tuple[str, str, str]]:
    """("equal", text, text) and ("change", old, new) runs, in order."""
    segments = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        segments.append(("equal" if op == "equal" else "change", old, new))
    return segments


def _coalesce(segments):
    """Fold a lone space between two changes into them, so a rewritten phrase reads as one
    <del>old phrase</del><ins>new phrase</ins> instead of alternating word by word."""
    out: list[list[str]] = []
    for i, (kind, old, new) in enumerate(segments):
        between = 0 < i < len(segments) - 1 and segments[i - 1][0] == segments[i + 1][0] == "change"
        if kind == "equal" and between and not old.strip():
            kind = "change"
        if kind == "change" and out and out[-1][0] == "change":
            out[-1][1] += old
            out[-1][2] += new
        else:
            out.append([kind, old, new])
    return out


def diff_words(old: str, new: str) -> SafeString:
    """`new` with removed words in <del> and added words in <ins>, all text escaped."""
    out = []
    for kind, removed, added in _coalesce(_segments(tokenize(old), tokenize(new))):
        if kind == "equal":
            out.append(escape(added))
            continue
        if removed:
            out.append(f"<del>{escape(removed)}</del>")
        if added:
            out.append(f"<ins>{escape(added)}</ins>")
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


@dataclass
class StepDiff:
    change: str  # "new", "removed", "changed" or "unchanged"
    position: int | None  # position in the current sequence (None when removed)
    old_position: int | None
    subject: SafeString
    body: SafeString
    old_delay: int | None
    new_delay: int | None

    @property
    def delay_changed(self) -> bool:
        return self.old_delay != self.new_delay


@dataclass
class SequenceDiff:
    is_new: bool  # never approved: everything is new
    name: SafeString
    name_changed: bool
    steps: list[StepDiff]

    @property
    def changed(self) -> bool:
        return self.is_new or self.name_changed or any(s.change != "unchanged" for s in self.steps)

    @property
    def counts(self) -> dict[str, int]:
        counts = {"new": 0, "removed": 0, "changed": 0, "unchanged": 0}
        for step in self.steps:
            counts[step.change] += 1
        return counts


def _step(change, old, new, old_pos, new_pos) -> StepDiff:
    old = old or {"subject": "", "body_html": "", "delay_days": None}
    new = new or {"subject": "", "body_html": "", "delay_days": None}
    return StepDiff(
        change=change,
        position=new_pos,
        old_position=old_pos,
        subject=diff_words(old["subject"], new["subject"]),
        body=diff_words(old["body_html"], new["body_html"]),
        old_delay=old["delay_days"],
        new_delay=new["delay_days"],
    )


def _key(step: dict) -> tuple:
    return (step["subject"], step["body_html"], step["delay_days"])


def sequence_diff(approved: dict | None, current: dict) -> SequenceDiff:
    """Compare two snapshots ({"name", "steps": [...]}) step by step.

    Steps are aligned by content first, so inserting a step in the middle shows one new
    step instead of every later step as changed; what remains is paired by order.
    """
    if approved is None:
        steps = [_step("new", None, s, None, i + 1) for i, s in enumerate(current["steps"])]
        return SequenceDiff(True, diff_words("", current["name"]), True, steps)
    old, new = approved["steps"], current["steps"]
    matcher = SequenceMatcher(None, [_key(s) for s in old], [_key(s) for s in new], autojunk=False)
    steps: list[StepDiff] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pairs = zip(range(i1, i2), range(j1, j2), strict=True)  # equal blocks have equal lengths
            steps += [_step("unchanged", old[i], new[j], i + 1, j + 1) for i, j in pairs]
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        for k in range(max(len(olds), len(news))):
            i = olds[k] if k < len(olds) else None
            j = news[k] if k < len(news) else None
            change = "changed" if i is not None and j is not None else ("removed" if j is None else "new")
            steps.append(
                _step(
                    change,
                    old[i] if i is not None else None,
                    new[j] if j is not None else None,
                    None if i is None else i + 1,
                    None if j is None else j + 1,
                )
            )
    name_changed = approved["name"] != current["name"]
    return SequenceDiff(False, diff_words(approved["name"], current["name"]), name_changed, steps)
