"""Serving scales out (issue 19), what tests/web/test_serve_two_servers.py does not
cover: two `enlace serve` processes of the same PostgreSQL node, and clients whose requests
alternate between them, as behind a load balancer without sticky sessions. The failed-login
counters that slow down password guessing are the node's, not a server's; a watchlist entry
added through one (a form of the other's page) is shown by the other; a session ended on one
is ended on the other; and a partner's TAXII paging cursor (`next`) handed out by one is
continued by the other, every object once."""

from __future__ import annotations

import re
from itertools import cycle
from pathlib import Path

import httpx
import pytest

from enlace.exchange.taxii.protocol import API_ROOT, TAXII_MEDIA_TYPE, collection_id
from enlace.model.roles import Role
from enlace.node.setup import initialise_node, open_node
from enlace.users.accounts import add_user
from enlace.users.passwords import random_password
from support import timing
from support.exchange import TO_US
from support.nodes import add_phones, cli, free_port, serving

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PHONES = 13
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(page: httpx.Response) -> str:
    found = _CSRF_FIELD.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def _sign_in(client: httpx.Client, form_from: str, post_to: str, user: str, password: str) -> int:
    """Sign in with the login form of one server, posted to `post_to`; the status."""
    token = _csrf(client.get(f"{form_from}/web/login"))
    answer = client.post(
        f"{post_to}/web/login",
        data={"username": user, "password": password, "csrf_token": token},
    )
    return answer.status_code


def test_throttle_watchlist_logout_and_taxii_paging_hold_across_two_servers(
    tmp_path: Path, database_url: str
) -> None:
    mx = tmp_path / "mx"
    initialise_node(mx, party="MX", database_url=database_url)
    us_key = initialise_node(tmp_path / "us", party="US").public_key
    cli("partner", "add", "--party", "US", "--url", "http://127.0.0.1:1", "--key", us_key,
        "--node", str(mx))  # fmt: skip
    token_file = tmp_path / "for-us.token"
    cli("partner", "invite", "--party", "US", "--token-out", str(token_file), "--node", str(mx))
    add_phones(mx, [f"+52 55 4444 {i:04d}" for i in range(PHONES)], owner="MX", markings=TO_US)
    cli("release", "--partner", "US", "--all", "--node", str(mx))
    passwords = {name: random_password(name) for name in ("ana", "carla")}
    _, store = open_node(mx)
    try:
        for name, password in passwords.items():
            add_user(
                store,
                username=name,
                display_name=name.title(),
                password=password,
                roles=[Role.ANALYST],
                language="en",
            )
    finally:
        store.close()

    with (
        serving(mx, free_port()) as one,
        serving(mx, free_port()) as other,
        httpx.Client(timeout=timing.timeout(30)) as browser,
    ):
        # Cookies are per host, not per port: the browser sends the same ones to both, as
        # it would to one address in front of both servers.
        assert _sign_in(browser, one, other, "ana", passwords["ana"]) == 303
        home = browser.get(f"{one}/web/")
        assert home.status_code == 200
        assert "Ana" in home.text

        # A form served by one server, posted to the other: its token is the session's.
        form = browser.get(f"{other}/web/watchlist")
        assert form.status_code == 200
        added = browser.post(
            f"{one}/web/watchlist",
            data={"kind": "phone", "identifier": "+52 55 1234 5678", "csrf_token": _csrf(form)},
        )
        assert added.status_code == 303, added.text
        # The write through one is seen by the other at once.
        listed = browser.get(f"{other}/web/watchlist")
        assert "5512345678" in re.sub(r"\D", "", listed.text)
        forged = browser.post(
            f"{other}/web/watchlist",
            data={"kind": "phone", "identifier": "+52 55 1234 0000", "csrf_token": "forged"},
        )
        assert forged.status_code == 403

        # Ended on one server, the session is ended on the other.
        logout = browser.post(f"{other}/web/logout", data={"csrf_token": _csrf(form)})
        assert logout.status_code == 303
        assert browser.get(f"{one}/web/").status_code == 303  # to the login page

        # Failed logins count on the node, not per server: three wrong on one and two on the
        # other are five, and the sixth attempt — the right password — is held back.
        for server in (one, one, one, other, other):
            assert _sign_in(browser, server, server, "carla", "not her password") == 401
        assert _sign_in(browser, other, one, "carla", passwords["carla"]) == 429

        # A partner's paging: each `next` one server hands out, the other continues from.
        partner = httpx.Client(
            timeout=timing.timeout(30),
            headers={
                "Accept": TAXII_MEDIA_TYPE,
                "Authorization": f"Bearer {token_file.read_text().strip()}",
            },
        )
        path = f"/{API_ROOT}/collections/{collection_id('MX', 'US')}/objects/"
        seen: list[str] = []
        cursor: str | None = None
        servers = cycle((one, other))
        pages = 0
        with partner:
            while True:
                params = {"limit": "4", **({"next": cursor} if cursor else {})}
                page = partner.get(f"{next(servers)}{path}", params=params)
                assert page.status_code == 200, page.text
                body = page.json()
                seen += [item["id"] for item in body.get("objects", [])]
                pages += 1
                if not body.get("more"):
                    break
                cursor = body["next"]
    assert pages > 2
    assert len(seen) == len(set(seen))  # no page repeated
    phones = [s for s in seen if s.startswith("enlace-phone-number--")]
    assert len(phones) == PHONES  # and none skipped
