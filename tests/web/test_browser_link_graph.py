"""The link graph page in a real browser (Playwright driving Debian's Chromium, no download)
against a real node on loopback: opened from the record page, drawn without one refusal of
the CSP, and a node followed by keyboard alone. Saves the page's screenshots, in both
languages, as docs/images/web/link-graph-{es,en}.png (docs/web.md shows them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from enlace.model.roles import Role
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from support.browser import sign_in
from support.graphs import Graph, graph_node
from support.web import RunningWeb, serving

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images" / "web"
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
TABS = 80  # more than the links before the list of nodes: the topbar, menu and page


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[RunningWeb, Graph]]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    try:
        graph = graph_node(store)
        with serving(store, tmp_path / "mx") as running:
            yield running, graph
    finally:
        store.close()


def test_the_graph_opens_from_the_record_and_a_node_is_followed_by_keyboard(
    browser: Browser, node: tuple[RunningWeb, Graph]
) -> None:
    running, graph = node
    page = sign_in(browser, running, Role.ANALYST, viewport=VIEWPORT)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{running.url}/web/records/{graph.ids['firearm']}")
    page.click("#link-graph")
    expect(page).to_have_url(f"{running.url}/web/records/{graph.ids['firearm']}/graph")
    expect(page.locator("h1")).to_have_text("Grafo de vínculos")
    picture = page.locator("svg.graph")
    expect(picture).to_have_attribute("role", "img")
    expect(page.locator("#graph-title")).to_contain_text("Grafo de vínculos de Glock 19 BXR123")
    # Drawn: every node has a size on the screen, the edges too.
    expect(picture.locator("a.graph-node")).to_have_count(7)
    box = picture.bounding_box()
    assert box is not None
    assert box["width"] > 400
    assert box["height"] > 400
    expect(page.locator("#in-words")).to_contain_text("asegurado en")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "link-graph-es.png"), full_page=True)

    # Keyboard only: Tab from the top of the page to the person's link in the list of nodes
    # (the picture's own links are out of the tab order), then Enter.
    page.locator("body").focus()
    for _ in range(TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.closest('svg') !== null,"
            " document.activeElement.textContent]"
        )
        assert focused[0] is False, "a link inside the picture took the focus"
        if focused[1] == "Julio Ramírez Soto":
            break
    else:
        pytest.fail("the person's link was not reached by keyboard")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{running.url}/web/records/{graph.ids['person']}")
    expect(page.locator("h1")).to_have_text("Julio Ramírez Soto")
    assert refused == []


def test_the_graph_in_english(browser: Browser, node: tuple[RunningWeb, Graph]) -> None:
    running, graph = node
    page = sign_in(browser, running, Role.LIAISON, viewport=VIEWPORT)
    page.goto(f"{running.url}/web/records/{graph.ids['firearm']}/graph")
    page.click("nav.langs >> text=English")
    expect(page.locator("h1")).to_have_text("Link graph")
    expect(page.locator("#in-words")).to_contain_text("seized in")
    expect(page.locator("#legend")).to_contain_text("Partner's record (handle only)")
    page.screenshot(path=str(SCREENSHOTS / "link-graph-en.png"), full_page=True)
