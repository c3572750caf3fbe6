"""Counts in sentences read as real plurals with thousands separators, never "lead(s)"."""

import re
from pathlib import Path

import pytest

from campaigns.models import Operation
from campaigns.templatetags.operations import payload_summary, progress_summary
from campaigns.wording import plural

ROOT = Path(__file__).resolve().parents[2]
# A word after a space with "(s)" glued on, as in "2541 lead(s)"; code such as `_key(s)` has no space before it.
PARENTHESISED = re.compile(r"(?<=\s)[a-z]{2,}\(s\)")


@pytest.mark.parametrize(
    ("count", "words", "expected"),
    [
        (0, ("lead",), "0 leads"),
        (1, ("lead",), "1 lead"),
        (2, ("lead",), "2 leads"),
        (2541, ("lead",), "2,541 leads"),
        (1, ("reply", "replies"), "1 reply"),
        (1_000_000, ("reply", "replies"), "1,000,000 replies"),
    ],
)
def test_plural_uses_the_right_word_and_separates_thousands(count, words, expected):
    assert plural(count, *words) == expected


def test_operation_summaries_use_real_plurals():
    one = Operation(kind="suppress", payload={"emails": ["a@x.io"]})
    many = Operation(kind="enroll_leads", payload={"lead_ids": list(range(2541))})
    assert payload_summary(one) == "1 email" and payload_summary(many) == "2,541 leads"
    running = Operation(kind="launch", progress={"enroll": {"sent": 1, "chunks": 1}, "suppress": {"done": 1200}})
    assert progress_summary(running) == "1 lead sent in 1 chunk, 1,200 emails pushed"


def test_no_template_or_product_module_writes_a_parenthesised_plural():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("templates", "campaigns")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".html", ".py"} and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PARENTHESISED.search(line)
    ]
    assert found == []
