"""Merge-tag coverage as a gate, not a warning.

- Submitting refuses a token that no lead can fill (neither a standard field nor a custom
  field of this campaign's leads) and braces that do not form a token.
- The review page lists the risks: each token without a fallback that is empty for some leads.
- A launch with such a risk needs a manager to confirm, token by token, the number of leads
  that will get an empty value; a number that grew since the page was read is refused.

Nothing here parses or counts tokens itself: the checks are the editor's
(merge_tags.check_text over preview.known_tokens) and the counts are preview.token_coverage,
read without their cache so a gate never decides on numbers a minute old.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaigns import lead_fields, merge_tags
from campaigns.services.preview import known_tokens, saved_steps, token_coverage
from campaigns.wording import plural

STANDARD = ", ".join(lead_fields.STANDARD_FIELDS)


def _tag(token: str) -> str:
    return "{{" + token + "}}"


@dataclass(frozen=True)
class Risk:
    """A token without a fallback that renders empty for `missing` of the `total` leads."""

    token: str
    missing: int
    total: int
    leads_url: str | None = None

    @property
    def tag(self) -> str:
        return _tag(self.token)

    @property
    def summary(self) -> str:
        return f"{self.tag} empty for {self.missing:,} of {plural(self.total, 'lead')}, no fallback"

    @property
    def override_label(self) -> str:
        return f"Send anyway: {plural(self.missing, 'lead')} will get an empty {self.tag}"

    @property
    def confirmation(self) -> str:
        """The value the launch page's checkbox posts back: the token and the count it showed."""
        return f"{self.token}:{self.missing}"


def coverage_risks(campaign, fresh: bool = False) -> list[Risk]:
    """Every token without a fallback that some of the campaign's leads would receive empty."""
    return risks_of(token_coverage(campaign, fresh=fresh))


def risks_of(coverage) -> list[Risk]:
    """The risks in a preview.Coverage a page has already computed."""
    return [Risk(r.token, r.missing, coverage.total, r.leads_url) for r in coverage.problems]


def submit_refusal(campaign) -> str:
    """Why the saved sequence cannot go for review because of its merge tags ("" when it can)."""
    known = known_tokens(campaign, fresh=True)
    found: dict[tuple, list[str]] = {}
    for number, step in enumerate(saved_steps(campaign), 1):
        for part, text in (("subject", step["subject"]), ("body", step["body_html"])):
            for issue in merge_tags.check_text(text, known):
                places = found.setdefault((issue.kind, issue.raw, issue.message, issue.suggestion), [])
                if f"step {number} {part}" not in places:
                    places.append(f"step {number} {part}")
    if not found:
        return ""
    sentences = [_issue_sentence(*issue, places) for issue, places in found.items()]
    return "Fix the merge tags before sending it for review. " + " ".join(sentences)


def _issue_sentence(kind: str, raw: str, message: str, suggestion: str | None, places: list[str]) -> str:
    where = ", ".join(places)
    if kind == "unknown":
        head = f"“{raw}” ({where}) is not a lead field"
        if suggestion:
            return f"{head} — did you mean “{suggestion}”?"
        return f"{head}: it is not one of {STANDARD}, and no lead of this campaign has it."
    head = f"“{raw}” ({where}): {message.rstrip('.')}"
    return f"{head} — did you mean “{suggestion}”?" if suggestion else f"{head}."


def coverage_message(risks: list[Risk]) -> str:
    """The pre-flight line."""
    if not risks:
        return "Every merge tag has a value or a fallback for every lead."
    return "; ".join(r.summary for r in risks) + ". Add a fallback, fill those leads, or send anyway below."


def parse_confirmations(values) -> dict[str, int]:
    """{token: count} from the launch page's "token:count" checkbox values; anything else is ignored."""
    confirmed = {}
    for value in values or ():
        token, _, count = str(value).partition(":")
        if lead_fields.TOKEN_NAME_RE.match(token) and count.isdigit():
            confirmed[token] = int(count)
    return confirmed


def unconfirmed(risks: list[Risk], confirmed: dict[str, int]) -> list[str]:
    """A sentence for every risk the manager did not confirm at its current count or above."""
    refusals = []
    for risk in risks:
        seen = confirmed.get(risk.token)
        if seen is None:
            refusals.append(
                f"{risk.summary}: add a fallback, fill those leads, or tick “{risk.override_label}” to launch."
            )
        elif risk.missing > seen:
            refusals.append(
                f"{risk.tag} is now empty for {risk.missing:,} of {plural(risk.total, 'lead')}, not the {seen:,} you "
                "confirmed: the leads changed. Check the new count and confirm again."
            )
    return refusals
