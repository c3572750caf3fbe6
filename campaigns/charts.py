"""Small server-rendered SVG charts: sparkline, stacked bars, lines. No chart library.

Generic on purpose (pool history, capacity plans, campaign sparklines): each helper takes
plain numbers and returns safe SVG markup sized by a viewBox, so it scales with its box.
Colours come from CSS classes (`chart__series--N`, `chart__limit`) with `currentColor`
fallbacks, so the same chart works on the light pages and the dark wall.
Every chart carries role="img" and an aria-label, because a picture alone says nothing
to a screen reader.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, label: str, body: str, css: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text part below is escaped
        f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _scale(top: float, height: float, pad: float):
    """Value -> y coordinate, 0 at the bottom, `top` at `pad` from the top."""
    span = top if top > 0 else 1.0
    return lambda v: height - pad - (max(0.0, v) / span) * (height - 2 * pad)


def downsample(values: Sequence[float], limit: int) -> list[float]:
    """Keep at most `limit` points, taking the max of each bucket (peaks matter most)."""
    values = list(values)
    if len(values) <= limit or limit < 1:
        return values
    size = len(values) / limit
    return [max(values[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)]) for i in range(limit)]


def sparkline(
    values: Sequence[float],
    *,
    width: int = 120,
    height: int = 28,
    label: str = "",
    top: float | None = None,
    area: bool = True,
    css: str = "chart--spark",
) -> SafeString:
    """A tiny line over time. `top` fixes the scale (e.g. capacity) instead of the max."""
    values = downsample(values, width)
    if not values:
        return _svg(width, height, label or "no data", "", css + " chart--empty")
    y = _scale(top if top is not None else max(values), height, 2)
    step = width / max(1, len(values) - 1)
    points = " ".join(f"{_fmt(i * step)},{_fmt(y(v))}" for i, v in enumerate(values))
    if len(values) == 1:
        points = f"0,{_fmt(y(values[0]))} {width},{_fmt(y(values[0]))}"
    body = ""
    if area:
        body += (
            f'<polygon class="chart__area" points="0,{height} {points} {width},{height}" '
            'fill="currentColor" opacity=".12"/>'
        )
    body += (
        f'<polyline class="chart__line" points="{points}" fill="none" stroke="currentColor" '
        'stroke-width="1.5" vector-effect="non-scaling-stroke" stroke-linejoin="round"/>'
    )
    return _svg(width, height, label, body, css)


def bar_top(stacks: Sequence[Sequence[float]], limits: Sequence[float | None] | None = None) -> float:
    """The value at the top edge of bar_chart's drawing: the tallest column or limit, plus 5%."""
    tops = [sum(col) for col in stacks] + [v or 0 for v in (limits or [])]
    return max(tops, default=0) * 1.05


def bar_scale(top: float) -> SafeString:
    """The value scale beside a bar chart: its top, middle and zero, in the chart's own units."""
    marks = "".join(f"<span>{round(v):,}</span>" for v in (top, top / 2, 0)) if top > 0 else ""
    return mark_safe(f'<div class="chart-scale small muted" aria-hidden="true">{marks}</div>')  # noqa: S308 numbers only


def bar_chart(
    stacks: Sequence[Sequence[float]],
    *,
    limits: Sequence[float | None] | None = None,
    width: int = 600,
    height: int = 160,
    label: str = "",
    titles: Sequence[str] | None = None,
    css: str = "chart--bars",
) -> SafeString:
    """Stacked bars, one per column; `stacks[i][s]` is series s of column i (bottom first).

    `limits[i]`, when given, draws a tick across column i (e.g. the day's capacity);
    `titles[i]` becomes the column's tooltip.
    """
    n = len(stacks)
    if not n:
        return _svg(width, height, label or "no data", "", css + " chart--empty")
    y = _scale(bar_top(stacks, limits), height, 1)
    slot = width / n
    gap = min(slot * 0.2, 6)
    parts = []
    for i, col in enumerate(stacks):
        x = i * slot + gap / 2
        parts.append(_column(col, x, slot - gap, y, titles[i] if titles else ""))
        if limits and limits[i] is not None:
            ly = _fmt(y(limits[i]))
            parts.append(
                f'<line class="chart__limit" x1="{_fmt(i * slot)}" x2="{_fmt((i + 1) * slot)}" y1="{ly}" y2="{ly}" '
                'stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke"/>'
            )
    return _svg(width, height, label, "".join(parts), css)


def _column(col: Sequence[float], x: float, w: float, y, title: str) -> str:
    base, out = 0.0, []
    for s, value in enumerate(col):
        if value <= 0:
            continue
        y0, y1 = y(base), y(base + value)
        out.append(
            f'<rect class="chart__series--{s}" x="{_fmt(x)}" y="{_fmt(y1)}" width="{_fmt(w)}" '
            f'height="{_fmt(max(0.5, y0 - y1))}" fill="currentColor" opacity="{max(0.3, 1 - 0.3 * s):.1f}"/>'
        )
        base += value
    if title:
        out.insert(0, f"<g><title>{escape(title)}</title>")
        out.append("</g>")
    return "".join(out)
