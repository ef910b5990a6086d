"""What the node tells browsers, and what a browser from another site cannot make it do.

Item 6 of issue 14: no `Cache-Control: no-store` on signed-in pages, no HSTS under TLS, a
CSP without `default-src`, `/openapi.json` readable without signing in, and a language
switch by GET that changes the account.
"""

from __future__ import annotations

import asyncio
import html
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.users.accounts import get_user
from enlace.web.i18n import translate
from enlace.web.navigation import menu_for
from enlace.web.security import CSRF_MISMATCH
from support import timing
from support.web import RunningWeb, serving, session_csrf, user_of

pytestmark = pytest.mark.e2e

# What a page would need that the CSP refuses: inline script, inline style, event handlers.
_INLINE = re.compile(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


@pytest.fixture
def web(store: Store, tmp_path: Path) -> Iterator[RunningWeb]:
    with serving(store, tmp_path / "node") as running:
        yield running


def _pages(role: Role) -> list[str]:
    return [item.path for item in menu_for(frozenset({role}))]


def test_every_signed_in_page_is_no_store_and_needs_nothing_the_csp_refuses(
    web: RunningWeb,
) -> None:
    seen = 0
    for role in Role:
        client = web.login(user_of(role))
        for path in _pages(role):
            page = client.get(path)
            assert page.status_code == 200, (role, path)
            assert page.headers["cache-control"] == "no-store", (role, path)
            policy = page.headers["content-security-policy"]
            assert "default-src 'self'" in policy
            assert "script-src" not in policy  # scripts fall back to 'self' only
            assert "unsafe-inline" not in policy
            found = _INLINE.search(page.text)
            assert found is None, (role, path, page.text[found.start() - 80 : found.end() + 80])
            seen += 1
    assert seen >= len(Role) * 2
    anonymous = web.client().get("/web/login")
    assert anonymous.headers["cache-control"] == "no-store"
    static = web.client().get("/web/static/enlace.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")


def test_hsts_is_sent_under_tls_and_not_over_plain_http(web: RunningWeb) -> None:
    async def over_tls(path: str) -> httpx.Response:
        # The application as it sees a request that arrived over TLS (scheme https).
        transport = httpx.ASGITransport(app=web.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1") as tls:
            return await tls.get(path)

    for path in ("/web/login", "/taxii2/"):
        answer = asyncio.run(over_tls(path))
        assert answer.headers["strict-transport-security"] == "max-age=31536000", path
    plain = web.client().get("/web/login")
    assert "strict-transport-security" not in plain.headers


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc", "/taxii2/openapi.json"])
def test_the_api_description_is_served_to_nobody(web: RunningWeb, path: str) -> None:
    admin = web.login(user_of(Role.ADMINISTRATOR))
    for client in (web.client(), admin):
        answer = client.get(path, follow_redirects=True)
        assert answer.status_code in (401, 404), (path, answer.status_code)
        assert '"paths"' not in answer.text
        assert "swagger" not in answer.text.lower()


def test_the_language_switch_changes_nothing_by_get_nor_without_the_token(
    web: RunningWeb,
) -> None:
    client = web.login(user_of(Role.ANALYST))
    by_get = client.get("/web/language", params={"lang": "en", "next": "/web/records"})
    assert by_get.status_code == 404  # no such page by GET: an image or a link cannot do it
    forged = client.post("/web/language", data={"lang": "en", "next": "/web/records"})
    assert forged.status_code == 403
    assert translate("es", CSRF_MISMATCH) in html.unescape(forged.text)
    account = get_user(web.store, user_of(Role.ANALYST))
    assert account is not None
    assert account.language == "es"
    assert "enlace_lang" not in client.cookies
    assert client.get("/web/records").headers["content-language"] == "es"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "https://evil.example"}, id="other-origin"),
        pytest.param({"Origin": "null"}, id="null-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site"),
        pytest.param({"Sec-Fetch-Site": "same-site"}, id="same-site"),
    ],
)
def test_a_form_from_another_site_is_refused_even_with_the_token(
    web: RunningWeb, headers: dict[str, str]
) -> None:
    client = web.login(user_of(Role.ANALYST))
    token = session_csrf(client, "/web/")
    answer = client.post("/web/logout", data={"csrf_token": token}, headers=headers)
    assert answer.status_code == 403
    assert client.get("/web/login").status_code == 303  # still signed in


def test_a_form_from_the_node_itself_passes_the_origin_check(web: RunningWeb) -> None:
    client = web.login(user_of(Role.ANALYST))
    token = session_csrf(client, "/web/")
    answer = client.post(
        "/web/logout",
        data={"csrf_token": token},
        headers={"Origin": web.url, "Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status_code == 303
    assert client.get("/web/").status_code == 303  # signed out: to the login page


def test_a_cross_site_form_is_refused_before_its_body_is_sent(web: RunningWeb) -> None:
    parts = urlsplit(web.url)
    assert parts.hostname is not None
    assert parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=timing.timeout(10)) as s:
        s.sendall(
            f"POST /web/login HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Origin: https://evil.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000\r\n\r\n".encode()
        )  # and no body: the answer must not wait for it
        answer = s.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 403"), answer[:200]
