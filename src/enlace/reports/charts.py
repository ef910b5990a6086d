"""One chart per indicator: its trend against baseline and target, as SVG text.

Matplotlib's object API on the Agg canvas (never pyplot): no global figure state, no GUI
backend, safe in a server process. Tick labels, numbers and the legend are in the report's
language, formatted by Babel as the rest of the report.
"""

from __future__ import annotations

import io
from datetime import date

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from enlace.reports import formatting
from enlace.reports.catalogue import Language, label, term
from enlace.tracking.indicators.series import IndicatorSeries

# Colours used only by charts, so a test can find the charts on a rendered page.
TREND_COLOUR = "#0072b2"
BASELINE_COLOUR = "#6c757d"
TARGET_COLOUR = "#d55e00"
CHART_SIZE_INCHES = (6.7, 2.6)


def indicator_chart(series: IndicatorSeries, lang: Language) -> str:
    """The SVG of an indicator's trend, with its baseline and target as horizontal lines."""
    figure = Figure(figsize=CHART_SIZE_INCHES, dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    days = [_x(point.start) for point in series.points]
    values = [point.value for point in series.points]
    axes.plot(
        days,
        values,
        color=TREND_COLOUR,
        linewidth=2.0,
        marker="o" if len(days) <= 24 else None,
        markersize=3.5,
        label=label("trend", lang),
    )
    partial = [p for p in series.points if series.coverage(p.period) is not None]
    if partial:
        # A partial period holds fewer months than a full one: drawn hollow, so its lower
        # value is not read as a fall (the figures table gives its months of data).
        axes.plot(
            [_x(p.start) for p in partial],
            [p.value for p in partial],
            linestyle="none",
            marker="o",
            markersize=7,
            markerfacecolor="white",
            markeredgecolor=TREND_COLOUR,
            label=label("partial", lang),
        )
    for point, colour, style, key in (
        (series.baseline, BASELINE_COLOUR, "--", "baseline"),
        (series.target, TARGET_COLOUR, ":", "target"),
    ):
        if point is None:
            continue
        period = formatting.period_label(point.period, point.start, series.period_kind, lang)
        axes.axhline(
            point.value,
            color=colour,
            linestyle=style,
            linewidth=1.6,
            label=f"{label(key, lang)} ({period}): {formatting.number(point.value, lang)}",
        )
        axes.plot([_x(point.start)], [point.value], marker="D", color=colour, markersize=5)
    _format_axes(axes, series, lang)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False, fontsize=7)
    figure.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.3)
    buffer = io.StringIO()
    # No date or random ids in the SVG: the same data gives the same report. Text stays
    # text ("svg.fonttype": "none"), not one path per glyph: WeasyPrint drew those glyph
    # paths one SVG node at a time, the largest cost of the PDF (bench/report_bench.py).
    with rc_context({"svg.hashsalt": series.id, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _format_axes(axes: Axes, series: IndicatorSeries, lang: Language) -> None:
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=7)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: formatting.number(v, lang)))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
    axes.margins(x=0.03, y=0.12)  # room above a target on the top edge
    axes.set_ylim(bottom=0)
    axes.set_ylabel(term("unit", series.unit, lang), fontsize=7)
    # Periods are placed by their first day, as days since 1970 (no date converter needed).
    starts = sorted(
        {p.start for p in series.points}
        | {p.start for p in (series.baseline, series.target) if p is not None}
    )
    if series.period_kind == "month":
        ticks = _month_ticks(starts[0], starts[-1]) if starts else []
        labels = [formatting.short_month(t, lang) for t in ticks]
    else:
        # One tick per period, labelled as the period is named (2023, FY 2023, AF 2023).
        named = {p.start: p.period for p in series.points}
        for extra in (series.baseline, series.target):
            if extra is not None:
                named.setdefault(extra.start, extra.period)
        ticks = starts
        labels = [formatting.period_label(named[t], t, series.period_kind, lang) for t in ticks]
    axes.set_xticks([_x(t) for t in ticks], labels)


_EPOCH = date(1970, 1, 1)


def _x(day: date) -> float:
    return float((day - _EPOCH).days)


def _month_ticks(first: date, last: date, most: int = 8) -> list[date]:
    """First days of months from `first` to `last`, every n-th so that at most `most` remain."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = max(1, -(-months // most))
    ticks = []
    for index in range(0, months, step):
        year, month = divmod(first.month - 1 + index, 12)
        ticks.append(date(first.year + year, month + 1, 1))
    return ticks
