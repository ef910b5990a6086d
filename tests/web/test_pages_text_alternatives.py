"""What a reader who cannot see the page is given: charts in words, and a skip link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from enlace.model.roles import Role
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.tracking.indicators.definitions import IndicatorPoint
from enlace.tracking.indicators.series import IndicatorSeries
from enlace.web.i18n import Formatter
from enlace.web.sparkline import chart_text, sparkline
from support.pages import mx_node
from support.web import RunningWeb, serving, switch_language, user_of

SERIES = IndicatorSeries(
    id="fentanyl-seized",
    name_es="Fentanilo asegurado",
    name_en="Fentanyl seized",
    unit="kg",
    period_kind="month",
    points=(
        IndicatorPoint("2025-07", date(2025, 7, 1), 120.0),
        IndicatorPoint("2025-08", date(2025, 8, 1), 95.5),
        IndicatorPoint("2025-09", date(2025, 9, 1), 1310.0),
    ),
    baseline=None,
    target=IndicatorPoint("2025-12", date(2025, 12, 1), 1500.0),
    commitment_ref=None,
)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "es",
            "Fentanilo asegurado: de 120 kilogramos en jul 2025 a 1,310 kilogramos en sep 2025,"
            " 3 periodos. Meta: 1,500 kilogramos en dic 2025.",
        ),
        (
            "en",
            "Fentanyl seized: from 120 kilograms in Jul 2025 to 1,310 kilograms in Sep 2025,"
            " 3 periods. Target: 1,500 kilograms in Dec 2025.",
        ),
    ],
)
def test_a_chart_is_said_in_words_first_and_last_value_and_period(lang: str, expected: str) -> None:
    assert chart_text(SERIES, Formatter("es" if lang == "es" else "en")) == expected


def test_a_sparkline_says_only_the_periods_it_draws_and_one_value_in_words() -> None:
    t = Formatter("en")
    assert chart_text(SERIES, t, last=2).startswith(
        "Fentanyl seized: from 95.5 kilograms in Aug 2025 to 1,310 kilograms in Sep 2025, 2 "
    )
    single = replace(SERIES, points=SERIES.points[:1], target=None)
    assert chart_text(single, t) == "Fentanyl seized: 120 kilograms in Jul 2025."
    empty = replace(SERIES, points=(), target=None)
    assert chart_text(empty, Formatter("es")) == "Fentanilo asegurado: aún sin observaciones."


def test_a_sparkline_is_an_image_whose_name_is_its_text_alternative() -> None:
    words = chart_text(SERIES, Formatter("es"), last=12)
    svg = str(sparkline([p.value for p in SERIES.points], target=1500.0, label=words))
    assert 'role="img"' in svg
    assert f'aria-label="{words}"' in svg
    assert f"<title>{words}</title>" in svg
    hostile = str(sparkline([1.0, 2.0], label='<script>"'))
    assert "<script>" not in hostile
    assert "&lt;script&gt;&#34;" in hostile


@pytest.fixture
def web(tmp_path: Path) -> Iterator[RunningWeb]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    mx_node(store)
    try:
        with serving(store, tmp_path / "mx") as running:
            yield running
    finally:
        store.close()


FOCUSABLE = re.compile(r"<(a|button|input|select|textarea)\b[^>]*>", re.IGNORECASE)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("lang", "words"), [("es", "Saltar al contenido"), ("en", "Skip to content")]
)
def test_the_first_thing_a_keyboard_reaches_is_a_skip_link_to_the_main_content(
    web: RunningWeb, lang: str, words: str
) -> None:
    visitor = web.client()
    switch_language(visitor, lang)
    analyst = web.login(user_of(Role.ANALYST))
    switch_language(analyst, lang)
    for client, path in ((visitor, "/web/login"), (analyst, "/web/"), (analyst, "/web/records")):
        page = client.get(path).text
        body = page.split("<body>", 1)[1]
        first = FOCUSABLE.search(body)
        assert first is not None
        assert first.group(0) == '<a class="skip-link" href="#main">'
        assert body[first.end() :].startswith(f"{words}</a>")
        assert '<main id="main" tabindex="-1">' in page


def test_a_chart_is_drawn_once_per_series_and_language_and_again_when_the_series_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from enlace.web.pages import tracking

    drawn: list[tuple[str, str]] = []

    def draw(series: IndicatorSeries, lang: str) -> str:
        drawn.append((series.id, lang))
        return f"<svg>{series.points[-1].value} {lang}</svg>"

    monkeypatch.setattr(tracking, "indicator_chart", draw)
    tracking._chart_source.cache_clear()
    first = tracking._chart_source(SERIES, "en")
    assert tracking._chart_source(replace(SERIES), "en") == first  # an equal series: kept
    assert drawn == [("fentanyl-seized", "en")]
    tracking._chart_source(SERIES, "es")
    changed = replace(SERIES, points=(*SERIES.points[:-1], replace(SERIES.points[-1], value=9.0)))
    assert tracking._chart_source(changed, "en") != first
    assert drawn == [
        ("fentanyl-seized", "en"),
        ("fentanyl-seized", "es"),
        ("fentanyl-seized", "en"),
    ]
    tracking._chart_source.cache_clear()
