"""Read-only questions about a campaign's leads: one table page, status counts, coverage.

Built for 100,000 leads a campaign: keyset pages (WHERE id > last ORDER BY id LIMIT n,
served by the (campaign, status, id) index) instead of OFFSET, and no COUNT(*) over a
search; the only counts are one GROUP BY status and one per merge token.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from campaigns import merge_tags
from campaigns.models import Lead, SenderPool

PAGE_SIZE = 50


@dataclass
class LeadPage:
    leads: list
    next_after: int | None  # the id to continue after, None on the last page
    first: bool


def lead_missing_q(token: str) -> Q:
    """Leads for which `{{token}}` would render as an empty string."""
    attr = merge_tags.STANDARD_FIELDS.get(token)
    if attr:
        return Q(**{attr: ""})
    if not merge_tags.TOKEN_RE.fullmatch("{{" + token + "}}"):
        return Q(pk__in=[])  # not a token at all: nothing can be missing it
    key = f"custom_fields__{token}"
    return Q(**{f"{key}__isnull": True}) | Q(**{key: ""})


def lead_page(*, campaign, status: str = "", search: str = "", missing: str = "", after: int = 0) -> LeadPage:
    """One page of the leads table; the next page starts after the last id shown."""
    leads = Lead.objects.filter(campaign=campaign)
    if status:
        leads = leads.filter(status=status)
    if search:
        term = search.strip()
        leads = leads.filter(
            Q(email__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(company__icontains=term)
        )
    if missing:
        leads = leads.filter(lead_missing_q(missing))
    rows = list(leads.filter(pk__gt=after).order_by("pk")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return LeadPage(leads=rows, next_after=rows[-1].pk if more else None, first=not after)


def lead_status_counts(*, campaign) -> dict[str, int]:
    """{status: count} including zeros, plus "all" (one indexed GROUP BY)."""
    counts = dict.fromkeys(Lead.Status.values, 0)
    grouped = Lead.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("pk")).order_by()
    for status, n in grouped:
        counts[status] = n
    counts["all"] = sum(counts.values())
    return counts


def campaign_tokens(campaign) -> dict[str, bool]:
    """{token: has a fallback everywhere it is used} over the campaign's steps."""
    tokens: dict[str, bool] = {}
    for step in campaign.steps.all():
        for text in (step.subject, step.body_html):
            for match in merge_tags.TOKEN_RE.finditer(text or ""):
                name, fallback = match.group(1), match.group(2)
                tokens[name] = tokens.get(name, True) and bool(fallback)
    return tokens


def lead_coverage(*, campaign, total: int | None = None) -> list[dict]:
    """For each token the steps use: how many leads have no value for it."""
    if total is None:
        total = Lead.objects.filter(campaign=campaign).count()
    rows = []
    for token, has_fallback in sorted(campaign_tokens(campaign).items()):
        missing = Lead.objects.filter(campaign=campaign).filter(lead_missing_q(token)).count() if total else 0
        rows.append(
            {
                "token": token,
                "missing": missing,
                "filled": total - missing,
                "share": (total - missing) / total if total else 1.0,
                "has_fallback": has_fallback,
                "renders_empty": missing > 0 and not has_fallback,
            }
        )
    return rows


def sends_today(*, pending: int) -> dict:
    """What enrolling `pending` new leads into a running campaign does to today's sending."""
    pools = list(SenderPool.objects.all())
    remaining = sum(p.remaining for p in pools) if pools else None
    waiting = max(0, pending - remaining) if remaining is not None else None
    return {"added": pending, "remaining": remaining, "waiting": waiting}
