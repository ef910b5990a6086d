"""Witnessing's audit alerts (issue 13) on the dashboard and the exchange page, and the state
of witnessing per partner: in Spanish and English, a partner's text escaped, no banner without
an alert, and shown only to the roles that read those pages (docs/users.md).

MX's node (support.pages) is served on loopback and read with httpx as a browser would; one
test opens the pages in Chromium to show the partner's text stays text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Dialog, expect, sync_playwright

from enlace.model.roles import Role
from enlace.store.engine import sqlite_url
from enlace.store.repositories.witness import Cosigned, Witnessed
from enlace.store.store import Store
from enlace.web.navigation import ALERT_ROLES, EXCHANGE_ROLES
from support import timing
from support.browser import CHROMIUM
from support.pages import mx_node
from support.web import RunningWeb, serving, switch_language, user_of

pytestmark = pytest.mark.e2e

# What a partner's refusal could carry into an alert's message.
HOSTILE = "<script>alert('enlace')</script><b>forged</b> & \"quoted\""
NEWEST = "partner US refused: " + HOSTILE


@pytest.fixture
def web(tmp_path: Path) -> Iterator[RunningWeb]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    try:
        mx_node(store)  # US is MX's partner
        with serving(store, tmp_path / "mx") as running:
            yield running
    finally:
        store.close()


def raise_alerts(store: Store, count: int) -> None:
    """`count` alerts about US's log, then the newest: US refused MX's checkpoint."""
    kinds = ["truncated", "rewritten", "inconsistent", "bad-checkpoint", "split-view"]
    with store.unit_of_work() as uow:
        for n in range(count - 1):
            uow.witness.raise_alert(
                party="US",
                reporter="MX",
                kind=kinds[n % len(kinds)],
                message=f"alert number {n}",
                evidence={"n": n},
                at=f"2026-12-01T10:{n:02d}:00.000000Z",
            )
        uow.witness.raise_alert(
            party="MX",
            reporter="US",
            kind="refused-by-partner",
            message=NEWEST,
            evidence={"refusal": HOSTILE},
            at="2026-12-03T04:53:58.000000Z",
        )
        uow.commit()


def read(client: httpx.Client, path: str, lang: str) -> tuple[str, str]:
    """The page at `path` in `lang`: its HTML as served, and as text (entities unescaped)."""
    assert switch_language(client, lang, path).status_code == 303
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page.text, html.unescape(page.text)


def section(page: str, ident: str) -> str:
    """The element of `page` with id `ident`, up to its closing tag (none nests in itself)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{ident}".*?</\1>', page, flags=re.DOTALL)
    assert found is not None, f"no #{ident} on the page"
    return found.group(0)


def test_no_alert_no_banner_and_witnessing_not_yet_in_both_languages(web: RunningWeb) -> None:
    liaison = web.login(user_of(Role.LIAISON))
    for path in ("/web/", "/web/exchange"):
        for lang in ("es", "en"):
            raw, _ = read(liaison, path, lang)
            assert 'id="audit-alerts"' not in raw, (path, lang)
    _, es = read(liaison, "/web/exchange", "es")
    witnessing = section(es, "witnessing")
    assert "Refrendo de la bitácora de auditoría (testigos)" in witnessing
    assert "Bitácora de este nodo, refrendada por la contraparte" in witnessing
    assert witnessing.count("todavía no") == 2
    _, en = read(liaison, "/web/exchange", "en")
    assert section(en, "witnessing").count("not yet") == 2


def test_the_exchange_page_shows_the_newest_checkpoint_countersigned_each_way(
    web: RunningWeb,
) -> None:
    with web.store.unit_of_work() as uow:
        uow.witness.add_cosigned(Cosigned("US", 1200, "ab" * 32, "n", "2026-12-01T08:00:00Z"))
        uow.witness.add_cosigned(Cosigned("US", 1534, "cd" * 32, "n", "2026-12-03T04:53:58Z"))
        uow.witness.add_witnessed(
            Witnessed("US", "US", 987, "ef" * 32, "n", "2026-12-02T16:04:00Z", None)
        )
        uow.commit()
    liaison = web.login(user_of(Role.LIAISON))
    _, es = read(liaison, "/web/exchange", "es")
    row = section(es, "witnessing")
    assert re.search(r'class="ours">1,534 entradas · 3 dic 2026, 04:53 UTC<', row)
    assert re.search(r'class="theirs">987 entradas · 2 dic 2026, 16:04 UTC<', row)
    _, en = read(liaison, "/web/exchange", "en")
    row = section(en, "witnessing")
    assert re.search(r'class="ours">1,534 entries · Dec 3, 2026, 04:53 UTC<', row)
    assert re.search(r'class="theirs">987 entries · Dec 2, 2026, 16:04 UTC<', row)


@pytest.mark.parametrize("path", ["/web/", "/web/exchange"])
def test_the_alert_banner_counts_shows_the_newest_and_escapes_the_partners_text(
    web: RunningWeb, path: str
) -> None:
    raise_alerts(web.store, 8)
    liaison = web.login(user_of(Role.LIAISON))

    raw, es = read(liaison, path, "es")
    banner = section(es, "audit-alerts")
    assert "Alertas de la bitácora de auditoría: 8" in banner
    assert "Conserve la evidencia" in banner
    assert "oficial de enlace de la contraparte" in banner
    assert banner.count('class="audit-alert"') == 5  # the newest five
    assert "rechazado por la contraparte: no quiso refrendar nuestro punto de control" in banner
    assert "bitácora de MX, detectado por US" in banner
    assert "3 dic 2026, 04:53 UTC" in banner
    assert "Y 3 alertas anteriores." in banner
    assert "«enlace audit alerts»" in banner
    assert NEWEST in banner  # as text, once the entities are read
    assert "alert number 2" not in banner  # older than the newest five: counted only
    # Served escaped: the partner's markup is text, not markup.
    raw_banner = section(raw, "audit-alerts")
    assert "&lt;script&gt;alert(" in raw_banner
    assert "<script>" not in raw_banner
    assert "<b>forged" not in raw_banner

    _, en = read(liaison, path, "en")
    banner = section(en, "audit-alerts")
    assert "Audit alerts: 8" in banner
    assert "refused by the partner: it would not countersign our checkpoint" in banner
    assert "log of MX, found by US" in banner
    assert "Dec 3, 2026, 04:53 UTC" in banner
    assert "And 3 older alerts." in banner
    assert "split view: another partner was shown a different history" in banner


def test_only_the_roles_that_read_the_pages_see_the_alerts(web: RunningWeb) -> None:
    raise_alerts(web.store, 2)
    for role in Role:
        client = web.login(user_of(role))
        raw, _ = read(client, "/web/", "en")
        shown = role in ALERT_ROLES
        assert ('id="audit-alerts"' in raw) is shown, role
        assert ("countersign our checkpoint" in raw) is shown, role
        exchange = client.get("/web/exchange")
        if role in EXCHANGE_ROLES:
            assert exchange.status_code == 200, role
            assert 'id="audit-alerts"' in exchange.text
            assert 'id="witnessing"' in exchange.text
        else:
            assert exchange.status_code == 403, role
            assert "audit-alert" not in exchange.text
            assert "alert number" not in exchange.text
            assert 'id="witnessing"' not in exchange.text
    # The dashboard's link to the exchange page: for those who may open it.
    auditor, _ = read(web.login(user_of(Role.AUDITOR)), "/web/", "en")
    assert "/web/exchange#witnessing" not in section(auditor, "audit-alerts")
    liaison, _ = read(web.login(user_of(Role.LIAISON)), "/web/", "en")
    assert "/web/exchange#witnessing" in section(liaison, "audit-alerts")


def test_in_a_browser_the_banner_shows_the_partners_markup_as_text(web: RunningWeb) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'python3 run.py test', which installs chromium")
    raise_alerts(web.store, 1)
    username = user_of(Role.LIAISON)
    expect.set_options(timeout=timing.timeout(5) * 1000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            context = browser.new_context(locale="es-MX")
            context.set_default_timeout(timing.timeout(30) * 1000)
            page = context.new_page()
            dialogs: list[str] = []

            def opened(dialog: Dialog) -> None:  # a script of the partner's text ran
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", opened)
            page.goto(f"{web.url}/web/")
            page.fill("#username", username)
            page.fill("#password", web.passwords[username])
            page.click("form.login-form button[type=submit]")
            expect(page).to_have_url(f"{web.url}/web/")
            for path in ("/web/", "/web/exchange"):
                page.goto(f"{web.url}{path}")
                banner = page.locator("#audit-alerts")
                expect(banner).to_contain_text("Alertas de la bitácora de auditoría: 1")
                expect(banner.locator(".alert-message")).to_have_text(NEWEST)
                expect(banner.locator("b")).to_have_count(0)  # the partner's <b> is not markup
                expect(banner.locator("script")).to_have_count(0)
            assert dialogs == []
        finally:
            browser.close()
