"""A tiny inline SVG line (sparkline) of an indicator's recent values, for the dashboard,
and the words that say what any indicator chart shows (its text alternative).

The tracking page draws full charts with matplotlib (`enlace.reports.charts`); at a glance
a few dozen bytes of SVG say whether a line goes up or down, without a chart library. A
reader who cannot see the line is told the same in words: the first and last values of the
period drawn, and the target (WCAG 1.1.1).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from enlace.reports.charts import TARGET_COLOUR, TREND_COLOUR
from enlace.tracking.indicators.series import IndicatorSeries
from enlace.web.i18n import Formatter

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
        f"<title>{Markup.escape(label)}</title>",
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


def chart_text(series: IndicatorSeries, t: Formatter, *, last: int | None = None) -> str:
    """What a chart of `series` shows, in words and in the reader's language: its name, its
    first and last values and their periods, how many periods, and the target.

    `last`: only the latest `last` points are drawn (the dashboard's sparkline).
    """
    name = t.pick(series.name_es, series.name_en)
    points = series.points[-last:] if last else series.points
    unit = "" if series.unit == "count" else " " + t.term("unit", series.unit)
    if not points:
        text = t("{name}: no observations yet.", name=name)
    elif len(points) == 1:
        text = t(
            "{name}: {value}{unit} in {period}.",
            name=name,
            value=t.number(points[0].value),
            unit=unit,
            period=t.period(points[0], series.period_kind),
        )
    else:
        text = t(
            "{name}: from {first}{unit} in {start} to {last}{unit} in {end}, {n} periods.",
            name=name,
            first=t.number(points[0].value),
            start=t.period(points[0], series.period_kind),
            last=t.number(points[-1].value),
            end=t.period(points[-1], series.period_kind),
            unit=unit,
            n=t.count(len(points)),
        )
    if series.target is not None:
        text += " " + t(
            "Target: {value}{unit} in {period}.",
            value=t.number(series.target.value),
            unit=unit,
            period=t.period(series.target, series.period_kind),
        )
    return text
