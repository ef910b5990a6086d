"""A tiny inline SVG line (sparkline) of an indicator's recent values, for the dashboard.

The tracking page draws full charts with matplotlib (`enlace.reports.charts`); at a glance
a few dozen bytes of SVG say whether a line goes up or down, without a chart library.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from enlace.reports.charts import TARGET_COLOUR, TREND_COLOUR

WIDTH = 140
HEIGHT = 32
_PAD = 3


def sparkline(values: Sequence[float], *, target: float | None = None, label: str = "") -> Markup:
    """An SVG polyline of `values` (oldest first), with a dotted target line when given."""
    if not values:
        return Markup("")
    top = max([*values, target or 0.0]) or 1.0
    step = (WIDTH - 2 * _PAD) / max(1, len(values) - 1)

    def y(value: float) -> float:
        return round(HEIGHT - _PAD - (HEIGHT - 2 * _PAD) * value / top, 1)

    points = " ".join(f"{round(_PAD + i * step, 1)},{y(v)}" for i, v in enumerate(values))
    parts = [
        f'<svg class="spark" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{Markup.escape(label)}">',
        f'<polyline fill="none" stroke="{TREND_COLOUR}" stroke-width="1.6" points="{points}"/>',
    ]
    if target is not None:
        ty = y(target)
        parts.append(
            f'<line x1="{_PAD}" x2="{WIDTH - _PAD}" y1="{ty}" y2="{ty}" stroke="{TARGET_COLOUR}" '
            'stroke-width="1" stroke-dasharray="2,2"/>'
        )
    last_x = round(_PAD + (len(values) - 1) * step, 1)
    parts.append(f'<circle cx="{last_x}" cy="{y(values[-1])}" r="2.2" fill="{TREND_COLOUR}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — numbers and escaped text only
