"""The report as HTML (Jinja2 templates shipped in the package) and as PDF (WeasyPrint).

The HTML is self-contained: its style sheet is inlined and each chart is an SVG data URI,
so the one file can be mailed or archived, and WeasyPrint prints the very same document.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import jinja2
from weasyprint import HTML

from enlace.reports import formatting
from enlace.reports.catalogue import LANGUAGES, Language, label, term
from enlace.reports.charts import indicator_chart
from enlace.reports.data import CommitmentItem, ExchangeFlow, ReportData
from enlace.tracking.indicators.definitions import IndicatorPoint
from enlace.tracking.indicators.periods import PeriodKind, next_period
from enlace.tracking.indicators.series import STALE_AFTER_MONTHS, IndicatorSeries, is_stale


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """The files written for one language."""

    language: Language
    html: Path
    pdf: Path


def render_html(data: ReportData, lang: Language) -> str:
    """The report in `lang` as one self-contained HTML document."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        data=data,
        lang=lang,
        other_lang=next(other for other in LANGUAGES if other != lang),
        charts={series.id: _chart_uri(series, lang) for series in data.indicators},
        exchange=_exchange_by_partner(data.exchange),
        status_counts=data.status_counts(),
        overdue_counts=data.overdue_counts(),
        L=lambda key: label(key, lang),
        T=lambda vocabulary, value: term(vocabulary, value, lang),
        number=lambda value: formatting.number(value, lang),
        count=lambda value: formatting.count(value, lang),
        long_date=lambda day: formatting.long_date(day, lang),
        short_date=lambda day: formatting.short_date(day, lang),
        month_name=lambda day: formatting.month_name(day, lang),
        ordinal_meeting=lambda sequence: formatting.ordinal_meeting(sequence, lang),
        period=lambda point, kind: formatting.period_label(point.period, point.start, kind, lang),
        evidence=lambda item: evidence_label(item, data.indicators, lang, data.evidence_titles),
        honest={series.id: indicator_view(series, data, lang) for series in data.indicators},
        measured_by=_measured_by(data.indicators, lang),
    )


@dataclass(frozen=True, slots=True)
class IndicatorView:
    """What the report says about an indicator's data beyond its figures, in one language."""

    latest_data: str | None  # the month the data reach, as a reader names it
    stale_note: str | None  # why the data are stale; None when they are not
    latest_partial: str | None  # "3 of 12 months" when the latest period is partial
    last_complete: IndicatorPoint | None  # shown when the latest period is partial
    change: str | None  # latest full period against the baseline, "+12.3 %"
    on_track: bool | None  # whether that change goes the desired way; None: no direction
    direction: str | None
    commitment: CommitmentItem | None
    commitment_missing: str | None  # the linked commitment's id when the node lacks it
    baseline_late: str | None  # the warning when the baseline is not before the commitment
    partial_periods: tuple[str, ...]  # "2026 (3 of 12 months)" for each partial period


def indicator_view(series: IndicatorSeries, data: ReportData, lang: Language) -> IndicatorView:
    """Stale data, partial periods, the change against the baseline (full periods only) and
    the commitment an indicator measures, for one language."""
    on = data.meeting.sort_date
    stale_note = None
    latest_data = None
    if series.latest_month is not None:
        latest_data = formatting.month_name(series.latest_month, lang)
        if is_stale(series, on):
            stale_note = (
                label("stale_note", lang)
                .replace("{month}", latest_data)
                .replace("{months}", str(STALE_AFTER_MONTHS[series.period_kind]))
            )
    latest_partial = None
    last_complete = None
    if series.points:
        coverage = series.coverage(series.points[-1].period)
        if coverage is not None:
            latest_partial = (
                label("partial_months", lang)
                .replace("{have}", str(coverage[0]))
                .replace("{of}", str(coverage[1]))
            )
            last_complete = series.last_complete()
    change = None
    on_track = None
    full = series.last_complete()
    # Only a full period is set against the baseline (itself a full period's figure): a
    # partial year next to a full one would read as a fall that is only missing months.
    if full is not None and series.baseline is not None and series.baseline.value:
        ratio = (full.value - series.baseline.value) / series.baseline.value
        shown = formatting.number(abs(ratio) * 100, lang)
        sign = "" if shown == "0" else "+" if ratio > 0 else "−"
        change = f"{sign}{shown} %"
        # No verdict on a change too small to show (the published baseline is rounded).
        if series.direction is not None and sign:
            on_track = (full.value > series.baseline.value) == (series.direction == "up")
    commitment = next((c for c in data.commitments if c.id == series.commitment_ref), None)
    baseline_late = None
    agreed = commitment.agreed_at if commitment is not None else None
    if series.baseline is not None and agreed is not None:
        kind = cast(PeriodKind, series.period_kind)
        baseline_end = next_period(series.baseline.start, kind)
        if baseline_end > agreed.sort_date:
            baseline_late = (
                label("baseline_late", lang)
                .replace(
                    "{period}",
                    formatting.period_label(
                        series.baseline.period, series.baseline.start, series.period_kind, lang
                    ),
                )
                .replace("{date}", formatting.short_date(agreed.sort_date, lang))
            )
    return IndicatorView(
        latest_data=latest_data,
        stale_note=stale_note,
        latest_partial=latest_partial,
        last_complete=last_complete,
        change=change,
        on_track=on_track,
        direction=series.direction,
        commitment=commitment,
        commitment_missing=(
            series.commitment_ref
            if series.commitment_ref is not None and commitment is None
            else None
        ),
        baseline_late=baseline_late,
        partial_periods=tuple(
            f"{formatting.period_label(point.period, point.start, series.period_kind, lang)} ("
            + label("partial_months", lang)
            .replace("{have}", str(coverage[0]))
            .replace("{of}", str(coverage[1]))
            + ")"
            for point in series.points
            if (coverage := series.coverage(point.period)) is not None
        ),
    )


def _measured_by(indicators: tuple[IndicatorSeries, ...], lang: Language) -> dict[str, list[str]]:
    """Commitment id -> the names of the indicators that measure it."""
    names: dict[str, list[str]] = {}
    for series in indicators:
        if series.commitment_ref is not None:
            names.setdefault(series.commitment_ref, []).append(
                series.name_es if lang == "es" else series.name_en
            )
    return names


def evidence_label(
    item: str,
    indicators: tuple[IndicatorSeries, ...],
    lang: Language,
    titles: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """An action's evidence as a reader names it: an indicator observation by the indicator's
    name and period ('indicator:<id>@<period>'), a record by its title (its id only when
    the node does not hold it)."""
    if not item.startswith("indicator:") or "@" not in item:
        title = (titles or {}).get(item)
        if title is None:
            return item
        return title[0] if lang == "es" else title[1]
    indicator_id, period = item.removeprefix("indicator:").split("@", 1)
    for series in indicators:
        if series.id == indicator_id:
            name = series.name_es if lang == "es" else series.name_en
            start = next((p.start for p in series.points if p.period == period), None)
            if start is None:
                return f"{name} ({period})"
            return f"{name} ({formatting.period_label(period, start, series.period_kind, lang)})"
    return item


def write_pdf(html: str, path: Path) -> None:
    """Print an HTML report to PDF with WeasyPrint."""
    HTML(string=html, base_url=str(_TEMPLATES)).write_pdf(path)


def render_files(data: ReportData, lang: Language) -> tuple[str, bytes]:
    """The report in `lang` as HTML text and PDF bytes (what `write_report` writes)."""
    html = render_html(data, lang)
    return html, HTML(string=html, base_url=str(_TEMPLATES)).write_pdf()


def write_report(data: ReportData, lang: Language, out: Path) -> ReportFiles:
    """Write report-<lang>.html and report-<lang>.pdf into `out` (created if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    html = render_html(data, lang)
    html_path = out / f"report-{lang}.html"
    pdf_path = out / f"report-{lang}.pdf"
    html_path.write_text(html, encoding="utf-8")
    write_pdf(html, pdf_path)
    return ReportFiles(language=lang, html=html_path, pdf=pdf_path)


_TEMPLATES = Path(__file__).with_name("templates")


@functools.cache
def _environment() -> jinja2.Environment:
    # Built on first use, not at import; autoescape because commitment texts come from
    # communiqués and partners' records.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _chart_uri(series: IndicatorSeries, lang: Language) -> str | None:
    if not series.points and series.baseline is None and series.target is None:
        return None
    svg = indicator_chart(series, lang).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _exchange_by_partner(
    flows: tuple[ExchangeFlow, ...],
) -> list[tuple[str, list[tuple[str, int, int]], tuple[int, int]]]:
    """(partner, [(kind, released, received)], (total released, total received)) per partner."""
    table: dict[str, dict[str, list[int]]] = {}
    for flow in flows:
        row = table.setdefault(flow.partner, {}).setdefault(flow.kind, [0, 0])
        row[0 if flow.direction == "released" else 1] += flow.versions
    result = []
    for partner in sorted(table):
        rows = sorted(
            ((kind, pair[0], pair[1]) for kind, pair in table[partner].items()),
            key=lambda r: (-(r[1] + r[2]), r[0]),
        )
        totals = (sum(r[1] for r in rows), sum(r[2] for r in rows))
        result.append((partner, rows, totals))
    return result
