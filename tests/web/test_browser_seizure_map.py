"""The seizure map in a real browser (Playwright driving Debian's Chromium, no download)
against a real node on loopback: opened from the menu, drawn without one refusal of the CSP
and without any request leaving the node, filtered with the form, a state's count read from
its title and found in the table. Saves the page's screenshots, in both languages, as
docs/images/web/map-{es,en}.png (docs/web.md shows them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from enlace.model.roles import Role
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.web.queries.seizure_map import MapFilter
from support.browser import sign_in
from support.seizure_map import MapData, expected_counts, map_node
from support.web import RunningWeb, serving

pytestmark = pytest.mark.e2e

VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images" / "web"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[RunningWeb, MapData]]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    try:
        data = map_node(store, seizures=400, firearms=60)
        with serving(store, tmp_path / "mx") as running:
            yield running, data
    finally:
        store.close()


def test_the_map_opens_from_the_menu_filters_and_names_each_states_count(
    browser: Browser, node: tuple[RunningWeb, MapData]
) -> None:
    running, data = node
    page = _sign_in(browser, running, Role.ANALYST)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if urlparse(request.url).netloc != urlparse(running.url).netloc
            and not request.url.startswith("data:")
            else None
        ),
    )
    page.click("nav >> text=Mapa")
    expect(page).to_have_url(f"{running.url}/web/map")
    expect(page.locator("h1")).to_have_text("Mapa de decomisos")
    picture = page.locator("svg.seizure-map")
    expect(picture).to_have_attribute("role", "img")
    expect(picture.locator("a.state")).to_have_count(36)
    expect(picture.locator("a.port")).to_have_count(25)
    box = picture.bounding_box()
    assert box is not None
    assert box["width"] > 600
    # Every state is drawn with a size on the screen, Yucatán as well as Texas.
    for code in ("MX-YUC", "US-TX", "MX-CMX"):
        shape = picture.locator(f'a.state[data-code="{code}"] path').bounding_box()
        assert shape is not None
        assert shape["width"] > 2, code
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "map-es.png"), full_page=True)

    # Filter: fentanyl seizures only; the state with the most has them in its title and row.
    page.select_option("select[name=drug]", "fentanyl")
    page.click("#map-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"/web/map\?.*drug=fentanyl"))
    states, _, _ = expected_counts(data, MapFilter(drug="fentanyl"))
    code, (seizures, _) = max(states.items(), key=lambda item: (item[1][0], item[0]))
    title = picture.locator(f'a.state[data-code="{code}"] > title')
    expect(title).to_have_text(re.compile(rf": {seizures} decomisos, 0 recuperaciones$"))
    expect(page.locator(f'tr[id="state-{code}"] td').first).to_have_text(str(seizures))
    assert refused == []
    assert elsewhere == []


def test_the_map_in_english(browser: Browser, node: tuple[RunningWeb, MapData]) -> None:
    running, _ = node
    page = _sign_in(browser, running, Role.COORDINATOR)
    page.goto(f"{running.url}/web/map")
    page.click("nav.langs >> text=English")
    expect(page.locator("h1")).to_have_text("Seizure map")
    expect(page.locator("#legend")).to_contain_text("border port")
    expect(page.locator("#map-table")).to_contain_text("By border port")
    page.screenshot(path=str(SCREENSHOTS / "map-en.png"), full_page=True)


def _sign_in(browser: Browser, web: RunningWeb, role: Role) -> Page:
    """A new browser context signed in as the user holding `role`, in Spanish."""
    return sign_in(browser, web, role, viewport=VIEWPORT)
