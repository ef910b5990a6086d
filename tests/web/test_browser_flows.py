"""The web pages in a real browser: Playwright driving Debian's Chromium (no download)
against two real node servers on loopback.

Log in, import a file, release a record, see it arrive on the partner node after a sync,
switch language, download a report; and a user without the role sees neither page nor data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from enlace.model.roles import Role
from enlace.store.tables import audit_log
from support.browser import WebNode, sign_in, two_nodes

PHONE = "+52 656 555 0199"
PHONE_E164 = "+526565550199"
CSV = (
    "type,number,description,tlp,releasable_to,handling,evaluation\n"
    f"phone,{PHONE},Número visto en una carpeta de investigación,amber,US,H2,B2\n"
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[dict[str, WebNode]]:
    with two_nodes(tmp_path) as running:
        yield running


def test_import_release_and_arrival_on_the_partner(
    browser: Browser, nodes: dict[str, WebNode], tmp_path: Path
) -> None:
    mx, us = nodes["MX"].web, nodes["US"].web
    analyst = sign_in(browser, mx, Role.ANALYST)
    analyst.click("nav.menu >> text=Importar")
    upload = tmp_path / "telefonos.csv"
    upload.write_text(CSV, encoding="utf-8")
    analyst.set_input_files("input[name=file]", str(upload))
    analyst.click("#import-form button[type=submit]")
    expect(analyst.locator("#import-result")).to_contain_text("1 versiones nuevas importadas")

    liaison = sign_in(browser, mx, Role.LIAISON)
    liaison.goto(f"{mx.url}/web/records?q={PHONE_E164}")
    liaison.click(f"table.records >> text={PHONE_E164}")
    expect(liaison.locator("#markings")).to_contain_text("TLP:AMBER")
    liaison.select_option("#release-form select[name=partner]", "US")
    liaison.click("#release-form button[type=submit]")
    expect(liaison.locator(".flash.ok")).to_contain_text("Liberado a US")
    expect(liaison.locator("#releases")).to_contain_text("US")

    partner = sign_in(browser, us, Role.LIAISON, lang="en")
    partner.click("nav.menu >> text=Intercambio")
    partner.click("#partners button:has-text('Sincronizar ahora')")
    expect(partner.locator("#sync-result")).to_contain_text("1 versiones nuevas recibidas")
    # Exchange protocol 2: MX's sequence to US is verified, and nothing of it is missing.
    expect(partner.locator("#partners")).to_contain_text("verificada hasta 1 de 1")
    expect(partner.locator("#not-held")).to_have_count(0)
    partner.goto(f"{us.url}/web/records?q=656 555 0199")
    partner.click(f"table.records >> text={PHONE_E164}")
    expect(partner.locator("#signature-status")).to_contain_text("verificada")
    expect(partner.locator("#provenance")).to_contain_text("recibido de MX")
    expect(partner.locator("body")).to_contain_text("Número visto en una carpeta")


def test_language_switch_is_remembered(browser: Browser, nodes: dict[str, WebNode]) -> None:
    mx = nodes["MX"].web
    page = sign_in(browser, mx, Role.ANALYST)
    expect(page.locator("h1")).to_have_text("Tablero")
    page.click("nav.langs >> text=English")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("nav.menu")).to_contain_text("Records")
    page.goto(f"{mx.url}/web/records")
    expect(page.locator("h1")).to_have_text("Records")
    # Another browser, same person: the choice was saved on the account.
    again = sign_in(browser, mx, Role.ANALYST)
    expect(again.locator("h1")).to_have_text("Dashboard")
    again.click("nav.langs >> text=Español")
    expect(again.locator("h1")).to_have_text("Tablero")


def test_browsing_the_pages_logs_no_failed_authentication(
    browser: Browser, nodes: dict[str, WebNode]
) -> None:
    mx = nodes["MX"].web
    page = sign_in(browser, mx, Role.ANALYST)
    for path in ("/web/", "/web/records", "/web/import", "/web/matching"):
        page.goto(f"{mx.url}{path}")
    # The browser's own requests (its icon) must not reach the TAXII routes' auth check.
    with mx.store.unit_of_work() as uow:
        actions = list(
            uow.connection.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars()
        )
    assert "auth-failure" not in actions
    assert "login" in actions


def test_coordinator_downloads_the_meeting_report(
    browser: Browser, nodes: dict[str, WebNode]
) -> None:
    page = sign_in(browser, nodes["MX"].web, Role.COORDINATOR)
    page.click("nav.menu >> text=Seguimiento")
    expect(page.locator("#commitments")).to_contain_text("Vencido")
    with page.expect_download() as spanish:
        page.click("#report-downloads >> text=PDF en español")
    path = spanish.value.path()
    assert spanish.value.suggested_filename == "informe-es.pdf"
    assert path is not None
    assert Path(path).read_bytes().startswith(b"%PDF")
    with page.expect_download() as english:
        page.click("#report-downloads >> text=PDF en inglés")
    assert english.value.suggested_filename == "report-en.pdf"


def test_a_user_without_the_role_sees_neither_the_page_nor_the_data(
    browser: Browser, nodes: dict[str, WebNode], tmp_path: Path
) -> None:
    mx = nodes["MX"].web
    analyst = sign_in(browser, mx, Role.ANALYST)
    analyst.goto(f"{mx.url}/web/records?kind=agency")
    first = analyst.locator("table.records tbody a").first
    name = first.inner_text()
    href = first.get_attribute("href")
    assert href is not None
    assert name

    auditor = sign_in(browser, mx, Role.AUDITOR)
    menu = auditor.locator("nav.menu")
    expect(menu).to_contain_text("Auditoría")
    expect(menu).not_to_contain_text("Registros")
    expect(menu).not_to_contain_text("Importar")
    for path in (href, "/web/records", "/web/import", "/web/exchange", "/web/tracking"):
        answer = auditor.goto(f"{mx.url}{path}")
        assert answer is not None, path
        assert answer.status == 403, path
        expect(auditor.locator("h1")).to_contain_text("No permitido")
        expect(auditor.locator("body")).not_to_contain_text(name)
    auditor.goto(f"{mx.url}/web/audit")
    auditor.locator("#verify").click()  # the chain is checked when asked, not on each view
    expect(auditor.locator("#verification")).to_contain_text("Cadena íntegra")


def test_no_page_breaks_its_content_security_policy(
    browser: Browser, nodes: dict[str, WebNode]
) -> None:
    """Every page the menu offers, charts and bars included, shows in a real browser
    without one refusal of the CSP (`default-src 'self'`, no inline style or script)."""
    mx = nodes["MX"].web
    refused: list[str] = []
    visited = charts_drawn = 0
    for role in (Role.COORDINATOR, Role.ANALYST, Role.LIAISON, Role.AUDITOR, Role.ADMINISTRATOR):
        page = sign_in(browser, mx, role)
        page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        for link in page.locator("nav.menu a").all():
            href = link.get_attribute("href")
            assert href is not None
            page.goto(f"{mx.url}{href}")
            page.wait_for_load_state("load")
            visited += 1
            charts = page.locator("img.chart")
            for index in range(charts.count()):
                # The chart, an SVG image in a data: URI, is drawn (width > 0 once decoded).
                width = charts.nth(index).evaluate("image => image.naturalWidth")
                assert width > 0, href
                charts_drawn += 1
    assert visited >= 8
    assert charts_drawn > 0  # the tracking page's indicators were among them
    assert refused == []
