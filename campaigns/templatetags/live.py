"""Template filters and tags that format live numbers: rates, "updated N s ago", sparklines."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from campaigns import charts
from campaigns.services.desk import sla_level
from campaigns.services.live import StatsFreshness, resample, stale_after
from campaigns.wording import happened_at

register = template.Library()


@register.filter
def percent(value, digits: int = 1) -> str:
    """A share as a percentage: 0.1234 -> '12.3%' (|percent:0 -> '12%'); '–' when there is none.

    The one percent filter: the planning and lifecycle libraries register this same function."""
    try:
        return f"{float(value) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return "–"


def age_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


@register.simple_tag
def updated_ago(freshness) -> str:
    """The label static/js/live.js keeps ticking between refreshes; stale turns it amber."""
    if freshness.polled_at is None:
        state, text = (
            ("updated is-stale", "no numbers yet · last poll failed")
            if freshness.failing
            else ("updated", "waiting for the first numbers")
        )
        return format_html('<span class="{}" data-live-age>{}</span>', state, text)
    seconds = max(0, int((timezone.now() - freshness.polled_at).total_seconds()))
    state = " is-stale" if freshness.stale else ""
    suffix = " · last poll failed" if freshness.failing else ""
    return format_html(
        '<span class="updated{}" data-live-age data-updated="{}" data-stale-after="{}" data-suffix="{}">'
        "updated {} ago{}</span>",
        state,
        freshness.polled_at.isoformat(),
        int(stale_after().total_seconds()),
        suffix,
        age_text(seconds),
        suffix,
    )


@register.simple_tag
def sparkline(points, label: str = "", css: str = "") -> str:
    """A generic sparkline, fed on a regular time grid."""
    return charts.sparkline(resample(points), width=320, height=56, label=label, css=f"chart--spark {css}")


@register.filter
def label(value: str) -> str:
    """not_interested -> Not interested."""
    return str(value).replace("_", " ").capitalize()


@register.filter
def age(when) -> str:
    """How long ago, in the same words static/js/live.js ticks with ("12 s", "3 min")."""
    if not when:
        return ""
    return age_text(max(0, int((timezone.now() - when).total_seconds())))


@register.filter
def stats_failing(campaign) -> bool:
    return StatsFreshness.of(polled_at=campaign.stats_polled_at, failed_at=campaign.stats_failed_at).failing


@register.simple_tag
def rows_freshness(campaigns) -> StatsFreshness | None:
    """One "updated … ago" for a page of rows: the newest good poll; failing if any row's last poll failed."""
    launched = [c for c in campaigns if c.stats_polled_at or c.stats_failed_at]
    if not launched:
        return None
    polled = max((c.stats_polled_at for c in launched if c.stats_polled_at), default=None)
    failing = any(StatsFreshness.of(polled_at=c.stats_polled_at, failed_at=c.stats_failed_at).failing for c in launched)
    fresh = StatsFreshness.of(polled_at=polled, failed_at=None)
    return StatsFreshness(polled_at=polled, failing=failing, stale=fresh.stale or failing)


def wait_text(seconds: int) -> str:
    """A wait to the second, as static/js/desk.js ticks it: '45 s', '3 min 12 s', '2 h 05 min'."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


register.filter("wait", wait_text)

SLA_WORDS = {"ok": "On time", "late": "Due soon", "over": "Overdue"}


@register.filter
def sla_word(level: str) -> str:
    """The words beside a wait's colour: the SLA is never told by colour alone."""
    return SLA_WORDS.get(level, "")


@register.filter
def waited(since, now) -> int:
    """Whole seconds from `since` to `now`, never negative (for |wait and |sla_of)."""
    return max(0, int((now - since).total_seconds())) if since and now else 0


@register.filter
def sla_of(seconds: int, target: int) -> str:
    return sla_level(seconds, target)


@register.filter
def happened(when):
    """A past event's time for display, never later than now: "|happened|naturaltime" cannot say
    "from now" for something that already happened (tests/unit/test_true_dates.py checks every
    relative date in the templates goes through it)."""
    return happened_at(when, timezone.now()) if when else when


# The campaign list's rows (campaigns/_list_rows.html), drawn here rather than cell by cell in
# the template language: 50 rows of eight cells cost ~1 ms a row in template lookups, filters
# and an include per row, most of the list page's and its live rows partial's time.
ROW = (
    '<tr id="campaign-row-{}">\n  <td><a href="{}">{}</a></td>\n'
    '  <td><span class="badge badge--{}">{}</span></td>\n'
    '  <td class="num">{}</td>\n  <td class="num">{}</td>\n  {}\n  {}\n  <td>{}</td>\n'
    '  <td class="num"><time datetime="{}" title="{}">{}</time></td>\n</tr>\n'
)
DASH = mark_safe('<span class="muted">–</span>')  # noqa: S308 (a constant)


def _sent_cell(c):
    shown = f"{c.sent:,}" if c.remote_id else DASH
    if stats_failing(c):
        return format_html('<td class="num is-stale" title="The last poll failed: {}">{}</td>', c.stats_error, shown)
    return format_html('<td class="num">{}</td>', shown)


def _replied_cell(c):
    if not c.remote_id:
        return format_html('<td class="num">{}</td>', DASH)
    return format_html(
        '<td class="num">{} <span class="muted small">{}</span></td>', f"{c.replied:,}", percent(c.reply_rate)
    )


def _title_time(local) -> str:
    """The date filter's "j M Y, H:i" without its general-purpose formatter (a third of a row's time)."""
    return f"{local.day} {str(MONTHS_3[local.month]).title()} {local.year}, {local:%H:%M}"


def _row(c, url_of) -> tuple:
    changed = timezone.localtime(c.updated_at)
    return (
        c.pk, url_of(c.pk), c.name, c.status, c.get_status_display(), c.step_count, f"{c.lead_count:,}",
        _sent_cell(c), _replied_cell(c), c.owner.get_username(),
        changed.isoformat(), _title_time(changed), naturaltime(c.updated_at),
    )  # fmt: skip


@register.simple_tag
def campaign_rows(campaigns):
    """Context: campaigns from the list query (annotated with step_count; lead_count is stored)."""
    sample = reverse("campaign_detail", args=[0])  # one reverse() for the page, not one per row
    prefix, suffix = sample.rsplit("/0/", 1)

    def url_of(pk):
        return f"{prefix}/{pk}/{suffix}"

    return format_html_join("\n", ROW, (_row(c, url_of) for c in campaigns))
