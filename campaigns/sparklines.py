"""Server-rendered SVG sparklines: a line over time with a soft area and the last point marked.

Pure functions of numbers (no queries). Times may be irregular (snapshots are taken only
when something changed), so x is real time, not the index of the point.
"""

from __future__ import annotations

from datetime import datetime
from html import escape


def _scale(values: list[float], size: float, pad: float) -> list[float]:
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return [pad + (v - low) / span * (size - 2 * pad) for v in values]


def sparkline_svg(
    points: list[tuple[datetime | float, float]], *, width: int = 180, height: int = 40, label: str = "", css_class=""
) -> str:
    """An inline <svg> for `points` [(time, value), …]; a flat baseline when there is no history."""
    title = f"<title>{escape(label)}</title>" if label else ""
    head = (
        f'<svg class="{escape(css_class)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" preserveAspectRatio="none">{title}'
    )
    if len(points) < 2:
        y = height - 3
        return f'{head}<line class="spark__base" x1="0" y1="{y}" x2="{width}" y2="{y}"/></svg>'
    xs = [p[0].timestamp() if isinstance(p[0], datetime) else float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    sx = _scale(xs, width, 2)
    # Values grow upwards; a flat series sits on the baseline rather than mid-air.
    sy = [height - v for v in _scale(ys, height, 3)] if max(ys) != min(ys) else [height - 3.0] * len(ys)
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(sx, sy, strict=True))
    area = f"M{sx[0]:.1f},{height} L{line.replace(' ', ' L')} L{sx[-1]:.1f},{height} Z"
    return (
        f'{head}<path class="spark__area" d="{area}"/>'
        f'<polyline class="spark__line" points="{line}" fill="none"/>'
        # A zero-length round-capped line stays a circle when the SVG is stretched to its box.
        f'<line class="spark__dot" x1="{sx[-1]:.1f}" y1="{sy[-1]:.1f}" x2="{sx[-1]:.1f}" y2="{sy[-1]:.1f}"/></svg>'
    )
