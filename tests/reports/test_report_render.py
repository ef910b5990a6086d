"""The report rendered in Spanish and English, as HTML and PDF, checked on its page images.

The PDF is turned into images with pdftoppm and into text with pdftotext (poppler), as a
reader would see it: pages, section headings, the overdue commitment first, numbers and
dates written per language, and charts that are drawn (their colours are on the page of
each indicator).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import colors
from matplotlib import image as mpimg

from enlace.reports.catalogue import Language
from enlace.reports.charts import TARGET_COLOUR, TREND_COLOUR
from enlace.reports.queries import build_report_data
from enlace.reports.render import ReportFiles, write_report
from enlace.store.store import Store
from support import timing
from support.reports import (
    DELIVERED_EN,
    DELIVERED_ES,
    OVERDUE_EN,
    OVERDUE_ES,
    STALLED_EN,
    STALLED_ES,
    TODAY,
    fentanyl_series,
    labs_series,
    tracking_node,
)

HEADINGS = {
    "es": ("Compromisos y acciones", "Indicadores", "Intercambio de información"),
    "en": ("Commitments and actions", "Indicators", "Information exchange"),
}
TEXTS = {
    "es": (OVERDUE_ES, STALLED_ES, DELIVERED_ES),
    "en": (OVERDUE_EN, STALLED_EN, DELIVERED_EN),
}
# The report date, and a baseline of 2,150.5 lbs: CLDR writes numbers alike for es_MX and
# en_US, dates not.
DATES = {"es": "20 de enero de 2026", "en": "January 20, 2026"}
PAGE_FOOTER = {"es": r"Página (\d+) de (\d+)", "en": r"Page (\d+) of (\d+)"}
BASELINE_TEXT = "2,150.5"


@pytest.fixture(params=["es", "en"])
def lang(request: pytest.FixtureRequest) -> Language:
    """Each test runs once per report language."""
    code: Language = request.param
    return code


@pytest.fixture
def written(store: Store, tmp_path: Path, lang: Language) -> ReportFiles:
    """The report of the next meeting in `lang`, HTML and PDF, from a store on each database."""
    tracking_node(store)
    data = build_report_data(
        store, meeting_id=None, indicators=[fentanyl_series(), labs_series()], today=TODAY
    )
    return write_report(data, lang, tmp_path / "out")


def page_images(pdf: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(pdf), str(folder / "page")],
        check=True,
        timeout=timing.timeout(60),
    )
    return sorted(folder.glob("page-*.png"))


def page_text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-layout", *pages, str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=timing.timeout(60),
    ).stdout


def pixels_of(png: Path, colour: str, tolerance: float = 0.06) -> int:
    """How many pixels of the image are within `tolerance` of `colour` on every channel."""
    rgb = np.asarray(mpimg.imread(png))[..., :3]
    wanted = np.array(colors.to_rgb(colour))
    return int(np.all(np.abs(rgb - wanted) <= tolerance, axis=-1).sum())


@pytest.mark.e2e
def test_pdf_has_its_pages_headings_and_overdue_commitment_first(
    written: ReportFiles, lang: Language, tmp_path: Path
) -> None:
    pdf = written.pdf
    images = page_images(pdf, tmp_path / f"png-{lang}")
    text = page_text(pdf)
    footers = re.findall(PAGE_FOOTER[lang], text)
    assert len(images) >= 2
    assert footers == [(str(n), str(len(images))) for n in range(1, len(images) + 1)]
    # A heading is a line of its own (a theme may have the same words).
    found = [re.search(rf"^\s*{heading}\s*$", text, re.MULTILINE) for heading in HEADINGS[lang]]
    positions = [match.start() if match else -1 for match in found]
    assert all(p >= 0 for p in positions), (positions, text)
    assert positions == sorted(positions)
    overdue, stalled, delivered = (text.find(t) for t in TEXTS[lang])
    assert 0 <= overdue < stalled < delivered
    assert DATES[lang] in text
    assert BASELINE_TEXT in text
    other = "en" if lang == "es" else "es"
    assert HEADINGS[other][0] not in text


@pytest.mark.e2e
def test_each_indicator_chart_is_drawn_on_its_page(
    written: ReportFiles, lang: Language, tmp_path: Path
) -> None:
    pdf = written.pdf
    images = page_images(pdf, tmp_path / f"charts-{lang}")
    names = {
        "es": (fentanyl_series().name_es, labs_series().name_es),
        "en": (fentanyl_series().name_en, labs_series().name_en),
    }[lang]
    for name in names:
        pages = [n for n in range(1, len(images) + 1) if name in page_text(pdf, n)]
        assert pages, name
        image = images[pages[0] - 1]
        # The trend line and the target line are drawn: a few hundred pixels of each colour
        # at 50 dpi, where a blank chart area has none.
        assert pixels_of(image, TREND_COLOUR) > 100, name
        assert pixels_of(image, TARGET_COLOUR) > 30, name
    pages_without_charts = [
        image for n, image in enumerate(images, 1) if not any(x in page_text(pdf, n) for x in names)
    ]
    assert all(pixels_of(image, TREND_COLOUR) == 0 for image in pages_without_charts)


def test_html_is_self_contained_and_in_its_language(written: ReportFiles, lang: Language) -> None:
    html = written.html.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert "<link" not in html
    assert "TLP:AMBER+STRICT" in html
    for heading in HEADINGS[lang]:
        assert heading in html
    # Evidence written 'indicator:<id>@<period>' is shown by the indicator's name and period.
    evidence = {
        "es": "Evidencia: Fentanilo asegurado en la frontera suroeste (nov 2025)",
        "en": "Evidence: Fentanyl seized at the Southwest border (Nov 2025)",
    }
    assert evidence[lang] in html
