"""A campaign's counters from two sources, merged so they never go above Leadterra's figures.

Leadterra's `/stats` answer is exact as of its call; webhooks arrive sooner but late ones
(a backlog) describe messages the last poll already counted. Adding each webhook on top of
the poll's figures overshot (2,040 sent shown for 1,728 leads). Instead each webhook bumps an
event counter (`sent_events` ...: every event counted once, since deliveries are deduplicated
by event id), and the shown figure is max(last poll, events counted). Both are lower bounds of
Leadterra's true, ever-growing figure, so their max is too: it can lag, never overshoot, and
the next poll sets the exact figure. Every write is one UPDATE computed by the database from
the row as it is then, never from a copy read earlier.
"""

from __future__ import annotations

from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from campaigns.models import Campaign

# counter: the webhook event count that bounds it from below
EVENT_COUNTS = {"sent": "sent_events", "bounced": "bounced_events", "replied": "replied_events"}


def counter_sent(campaigns) -> None:
    """One message.sent delivery for the campaigns in the queryset (one, or none if unknown)."""
    campaigns.update(
        sent_events=F("sent_events") + 1,
        sent=Greatest(F("sent"), F("sent_events") + 1),  # the right side reads the row before this UPDATE
        queued=Greatest(F("queued") - 1, 0),
        updated_at=timezone.now(),
    )


def counter_bounced(campaigns) -> None:
    """One message.bounced delivery: a bounced message was sent, so `sent` is at least `bounced`."""
    campaigns.update(
        bounced_events=F("bounced_events") + 1,
        bounced=Greatest(F("bounced"), F("bounced_events") + 1),
        sent=Greatest(F("sent"), F("bounced_events") + 1),
        updated_at=timezone.now(),
    )


def counter_replied(campaigns) -> None:
    """A lead's first reply seen by webhook (Leadterra's `replied` counts leads, not replies)."""
    campaigns.update(
        replied_events=F("replied_events") + 1,
        replied=Greatest(F("replied"), F("replied_events") + 1),
        updated_at=timezone.now(),
    )


def counters_from_poll(*, campaign_id: int, figures: dict, now) -> bool:
    """Write a /stats answer (`figures`: counter name -> value) in one conditional UPDATE.

    Counters with an event count take max(Leadterra's figure, events counted): a webhook for a
    message Leadterra counted just after answering must not be lost, and the poll can never
    lower a figure below what webhooks proved. True when any counter changed."""
    values = {
        name: Greatest(Value(figure), F(EVENT_COUNTS[name])) if name in EVENT_COUNTS else Value(figure)
        for name, figure in figures.items()
    }
    unchanged = Q(**values)
    changed = Campaign.objects.filter(pk=campaign_id).exclude(unchanged).update(**values, updated_at=now)
    Campaign.objects.filter(pk=campaign_id).update(stats_polled_at=now, stats_error="")
    return bool(changed)
