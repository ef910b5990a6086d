"""The report as HTML (Jinja2 templates shipped in the package) and as PDF (WeasyPrint).

The HTML is self-contained: its style sheet is inlined and each chart is an SVG data URI,
so the one file can be mailed or archived, and WeasyPrint prints the very same document.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from pathlib import Path

import jinja2
from weasyprint import HTML

from enlace.reports import formatting
from enlace.reports.catalogue import LANGUAGES, Language, label, term
from enlace.reports.charts import indicator_chart
from enlace.reports.data import ExchangeFlow, ReportData
from enlace.tracking.indicators.series import IndicatorSeries


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
        evidence=lambda item: evidence_label(item, data.indicators, lang),
    )


def evidence_label(item: str, indicators: tuple[IndicatorSeries, ...], lang: Language) -> str:
    """An action's evidence as a reader names it: an indicator observation by the indicator's
    name and period ('indicator:<id>@<period>'), a record by its id."""
    if not item.startswith("indicator:") or "@" not in item:
        return item
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
