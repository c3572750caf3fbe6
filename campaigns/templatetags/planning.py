"""Template filters and tags that format capacity: plans, their charts, pool history sparklines."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html

from campaigns import charts
from campaigns.templatetags.live import percent
from campaigns.wording import compact_age

register = template.Library()
STATUS_BADGES = {"active", "warming", "paused"}


@register.filter
def plan_date(day):
    """Day number of a plan (0 = today) -> date."""
    return timezone.localdate() + timedelta(days=int(day))


@register.filter
def sender_badge(status):
    """Badge modifier for a sender status; unknown statuses get the neutral badge."""
    return f"badge--{status}" if status in STATUS_BADGES else "badge--other"


register.filter("percent", percent)


def _scaled_bars(stacks, *, limits, **options):
    """A bar chart with its value scale beside it (sends a day: top, middle, zero)."""
    chart = charts.bar_chart(stacks, limits=limits, **options)
    return format_html('<div class="chart-frame">{}{}</div>', charts.bar_scale(charts.bar_top(stacks, limits)), chart)


@register.simple_tag
def plan_chart(plan):
    days = plan.days
    return _scaled_bars(
        [[d.planned, d.backlog] for d in days],
        limits=[d.available for d in days],
        titles=[
            f"Day {d.day}: {d.planned:,} planned of {d.needed:,} needed, {d.available:,} available, "
            f"{d.backlog:,} waiting"
            for d in days
        ],
        label=f"Sends per day: {plan.message}",
        height=140,
        css="chart--plan",
    )


@register.simple_tag
def pool_history(pool):
    """Remaining volume over the stored history (needs `pool.recent_snapshots` prefetched)."""
    points = [s.remaining for s in getattr(pool, "recent_snapshots", [])]
    return charts.sparkline(
        points,
        width=240,
        height=40,
        top=pool.daily_capacity or None,
        label=f"{pool.name}: remaining volume over the last day ({len(points)} readings)",
        css="chart--history",
    )


@register.simple_tag
def workspace_chart(view):
    plan = view.plan
    stacks = [[row[d] for row in plan.planned] for d in range(len(plan.days))]
    titles = [
        f"Day {d}: {plan.totals[d]:,} planned of {plan.capacity[d]:,}, {plan.waiting[d]:,} waiting" for d in plan.days
    ]
    return _scaled_bars(
        stacks,
        limits=plan.capacity,
        titles=titles,
        label="Planned sends per day against capacity",
        height=180,
        css="chart--workspace",
    )


@register.filter
def ago(moment):
    """Compact age for live pages: "40 s ago", "3 min ago", "2 h ago", "3 d ago"."""
    if not moment:
        return "never"
    return f"{compact_age((timezone.now() - moment).total_seconds())} ago"
