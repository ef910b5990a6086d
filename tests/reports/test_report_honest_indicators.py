"""Honest indicators in the report: stale data and partial years flagged, in both languages.

CBP's fy20_fy23 edition ends in September 2023 and starts in October 2019, so a calendar-year
indicator over it has a partial 2019 (3 months) and a partial 2023 (9 months), and at the
February 2026 meeting of the tracking node its data are long out of date.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from enlace.model.records import Action
from enlace.reports.catalogue import Language
from enlace.reports.formatting import number
from enlace.reports.queries import build_report_data
from enlace.reports.render import render_html
from enlace.store.store import Store
from enlace.tracking.cbp_data import shipped_cbp_folder
from enlace.tracking.indicators.definitions import load_definitions
from enlace.tracking.indicators.series import compute_indicators
from enlace.tracking.progress import record_progress
from enlace.tracking.statistics import import_cbp_statistics
from support.reports import TODAY, TrackingNode, tracking_node

NEWER = Path(str(shipped_cbp_folder())) / "cbp_fy20_fy23.csv"

FLAGS = {
    "es": {
        "stale": "⚠ desactualizado: los datos más recientes son de septiembre de 2023, "
        "más de 15 meses antes de la reunión",
        "latest_partial": "(2023) parcial: 9 de 12 meses",
        "partial_list": "2019 (3 de 12 meses); 2023 (9 de 12 meses)",
        "full": "Último periodo completo",
        "measures": "Mide el compromiso:",
        "measured_by": "Medido por: Metanfetamina asegurada por año calendario",
        "baseline_late": "la línea base (AF 2026) no es anterior al compromiso",
        "evidence": "; Número telefónico: +52",
    },
    "en": {
        "stale": "⚠ stale: the latest data are from September 2023, more than 15 months "
        "before the meeting",
        "latest_partial": "(2023) partial: 9 of 12 months",
        "partial_list": "2019 (3 of 12 months); 2023 (9 of 12 months)",
        "full": "Latest full period",
        "measures": "Measures the commitment:",
        "measured_by": "Measured by: Methamphetamine seized per calendar year",
        "baseline_late": "the baseline (FY 2026) is not from before the commitment",
        "evidence": "; Phone number: +52",
    },
}


def _definitions(tmp_path: Path, node: TrackingNode) -> Path:
    path = tmp_path / "indicators.toml"
    path.write_text(
        f"""
[[indicator]]
id = "meth-year"
name_es = "Metanfetamina asegurada por año calendario"
name_en = "Methamphetamine seized per calendar year"
unit = "lbs"
source = "statistics"
measure = "sum"
period = "calendar-year"
filters = {{ region = "Southwest Border", drug_type = "Methamphetamine" }}
baseline = {{ period = 2020, value = 150000 }}
direction = "down"
commitment = "{node.delivered}"

[[indicator]]
id = "fentanyl-fy-late-baseline"
name_es = "Fentanilo por año fiscal"
name_en = "Fentanyl per fiscal year"
unit = "lbs"
source = "statistics"
measure = "sum"
period = "fiscal-year"
filters = {{ region = "Southwest Border", drug_type = "Fentanyl" }}
baseline = {{ period = "FY2026", value = 1 }}
target = {{ period = "FY2027", value = 2 }}
commitment = "{node.overdue}"
""",
        encoding="utf-8",
    )
    return path


def _text(html: str) -> str:
    body = re.sub(r"<(style|title)>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture
def report_texts(store: Store, tmp_path: Path) -> tuple[dict[str, str], list[float]]:
    node = tracking_node(store)
    import_cbp_statistics(store, NEWER)
    with store.unit_of_work() as uow:
        # Read to the end: an abandoned iterator would leave PostgreSQL's cursor open.
        actions = [
            Action.from_stix(row.stix_object()) for row in uow.records.iter_latest(kind=Action.KIND)
        ]
        phone = sorted(row.id for row in uow.records.iter_latest(kind="phone"))[0]
    scanners = next(a.id for a in actions if (a.description_en or "").startswith("Scanners"))
    record_progress(store, scanners, party="MX", evidence=[phone])
    definitions = load_definitions(_definitions(tmp_path, node))
    series = compute_indicators(store, definitions, today=TODAY)
    data = build_report_data(store, meeting_id=None, indicators=series, today=TODAY)
    assert data.meeting.id == node.next_meeting
    values = [p.value for p in series[0].points]
    return {lang: _text(render_html(data, lang)) for lang in ("es", "en")}, values


@pytest.mark.parametrize("lang", ["es", "en"])
def test_stale_source_and_partial_years_are_flagged(
    report_texts: tuple[dict[str, str], list[float]], lang: Language
) -> None:
    texts, _ = report_texts
    text = texts[lang]
    flags = FLAGS[lang]
    assert flags["stale"] in text
    assert flags["latest_partial"] in text
    assert flags["partial_list"] in text


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_partial_year_is_never_set_against_the_baseline(
    report_texts: tuple[dict[str, str], list[float]], lang: Language
) -> None:
    texts, values = report_texts
    text = texts[lang]
    # Points run 2019..2023; 2022 is the latest full year, and the change is 2022's.
    full_2022 = values[3]
    change = number(abs(full_2022 - 150000) / 150000 * 100, lang)
    assert f"{FLAGS[lang]['full']} {number(full_2022, lang)} (2022)" in text
    assert f"{'+' if full_2022 > 150000 else '−'}{change} %" in text
    partial_2023 = number(abs(values[4] - 150000) / 150000 * 100, lang)
    assert f"{partial_2023} %" not in text


@pytest.mark.parametrize("lang", ["es", "en"])
def test_indicator_and_commitment_shown_together_and_evidence_by_title(
    report_texts: tuple[dict[str, str], list[float]], lang: Language
) -> None:
    texts, _ = report_texts
    text = texts[lang]
    flags = FLAGS[lang]
    assert flags["measures"] in text
    assert flags["measured_by"] in text
    assert flags["baseline_late"] in text
    assert flags["evidence"] in text
    assert "enlace-phone-number--" not in text
