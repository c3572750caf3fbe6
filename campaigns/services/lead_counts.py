"""A campaign's stored lead count (Campaign.lead_count), kept exact in one place.

Pages read the stored number: counting a campaign's leads per request scans them (the list
once per row, the editor three times). Whatever adds or removes leads calls
lead_count_refresh() in the same transaction, after its writes: the CSV import when it
applies, anything that deletes leads. It recounts rather than adds, so it is exact whatever
happened before (a redelivered task, rows changed outside these services): one index-only
count of one campaign, paid on a write, not on every read.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from campaigns.models import Campaign, Lead


def lead_count_refresh(*, campaign_id: int) -> int:
    """Recount one campaign's leads and store the figure; returns it. Not an edit: updated_at stays."""
    count = Lead.objects.filter(campaign_id=campaign_id).count()
    Campaign.objects.filter(pk=campaign_id).update(lead_count=count)
    return count


def lead_counts_refresh_all() -> int:
    """Recount every campaign in one UPDATE (the migration that adds the column, a repair)."""
    counted = Lead.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign").annotate(n=Count("pk"))
    return Campaign.objects.update(lead_count=Coalesce(Subquery(counted.values("n")[:1]), 0))
