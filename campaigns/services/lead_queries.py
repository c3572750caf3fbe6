"""Read-only questions about a campaign's leads: one table page, status counts, coverage.

Built for 100,000 leads a campaign: keyset pages (WHERE id > last ORDER BY id LIMIT n,
served by the (campaign, status, id) index) instead of OFFSET, and no COUNT(*) over a
search; the only count is one GROUP BY status.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from campaigns import lead_fields
from campaigns.models import Lead, SenderPool
from campaigns.services import preview

PAGE_SIZE = 50


@dataclass
class LeadPage:
    leads: list
    next_after: int | None  # the id to continue after, None on the last page
    first: bool


def lead_missing_q(token: str) -> Q:
    """Leads for which `{{token}}` would render as an empty string.

    The editor's coverage counts with the same condition, so its "show these leads"
    links land on exactly the leads it counted.
    """
    if not lead_fields.TOKEN_NAME_RE.match(token):
        return Q(pk__in=[])  # not a token at all: no lead can be missing it
    return preview.missing_q(token)


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


def sends_today(*, pending: int) -> dict:
    """What enrolling `pending` new leads into a running campaign does to today's sending."""
    pools = list(SenderPool.objects.all())
    remaining = sum(p.remaining for p in pools) if pools else None
    waiting = max(0, pending - remaining) if remaining is not None else None
    return {"added": pending, "remaining": remaining, "waiting": waiting}
