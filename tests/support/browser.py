"""Two real nodes, MX and US, each served by `create_node_app` on loopback and registered as
the other's partner, with one user per role — what the browser tests drive."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from enlace.model.roles import Role
from enlace.node.keys import public_key_hex
from enlace.node.setup import initialise_node, open_node
from enlace.partners.credentials import write_outbound_token
from enlace.reports.samples import sample_communique
from enlace.store.repositories.partners import token_hash
from enlace.tracking.ingest import propose
from enlace.tracking.review import review, text_digest
from support import timing
from support.web import RunningWeb, serving, user_of

CHROMIUM = Path("/usr/bin/chromium")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (no browser download); the tests' `browser`."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'python3 run.py test', which installs chromium")
    # Playwright's own timeouts (5 s for `expect`, 30 s for actions), scaled to the machine.
    expect.set_options(timeout=timing.timeout(5) * 1000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def sign_in(
    browser: Browser,
    web: RunningWeb,
    role: Role,
    *,
    lang: str = "es",
    viewport: ViewportSize | None = None,
) -> Page:
    """A new browser context signed in through the login form as the user holding `role`, in
    `lang`, once the home page has opened."""
    context = browser.new_context(
        locale="es-MX" if lang == "es" else "en-US", viewport=viewport, accept_downloads=True
    )
    context.set_default_timeout(timing.timeout(30) * 1000)
    page = context.new_page()
    page.goto(f"{web.url}/web/")
    expect(page).to_have_url(re.compile(r"/web/login"))
    username = user_of(role)
    page.fill("#username", username)
    page.fill("#password", web.passwords[username])
    page.click("form.login-form button[type=submit]")
    expect(page).to_have_url(f"{web.url}/web/")
    return page


@dataclass(slots=True)
class WebNode:
    """One party's node folder and its running web application."""

    party: str
    directory: Path
    web: RunningWeb


def _token(puller: str, server: str) -> str:
    return f"{puller.lower()}-pulls-{server.lower()}-{'0123456789abcdef' * 2}"


@contextmanager
def two_nodes(root: Path) -> Iterator[dict[str, WebNode]]:
    """MX and US nodes on loopback, partners of each other; MX holds the group's meetings."""
    with ExitStack() as stack:
        nodes: dict[str, WebNode] = {}
        for party in ("MX", "US"):
            directory = root / party.lower()
            initialise_node(directory, party=party, actor="test")
            _, store = open_node(directory)
            stack.callback(store.close)
            web = stack.enter_context(serving(store, directory, party=party))
            nodes[party] = WebNode(party, directory, web)
        for party, node in nodes.items():
            other = nodes["US" if party == "MX" else "MX"]
            with node.web.store.unit_of_work() as uow:
                uow.partners.put(
                    party=other.party,
                    url=other.web.url,
                    verify_key_hex=public_key_hex(other.directory / "keys"),
                    token_hash=token_hash(_token(other.party, party)),
                    added_at=uow.started_at,
                )
                uow.commit()
            write_outbound_token(node.directory / "keys", other.party, _token(party, other.party))
        statement = sample_communique("es", today=date.today())
        proposal = propose(
            statement.text, document_date=statement.document_date, source_document=statement.name
        )
        review(
            nodes["MX"].web.store,
            proposal,
            content_sha256=text_digest(statement.text),
            party="MX",
            accept="all",
            actor="test",
        )
        yield nodes
