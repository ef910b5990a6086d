"""Several `enlace serve` processes of one node on one PostgreSQL database (issue 19): a
client whose requests alternate between them, as behind a load balancer without sticky
sessions, keeps its session, its CSRF tokens and its place in the lists, and what it writes
through one server the other shows at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from enlace.model.markings import Markings
from enlace.model.roles import Role
from enlace.node.setup import initialise_node, open_node
from enlace.users.accounts import add_user
from enlace.web.queries.records import PAGE_SIZE
from support import timing
from support.nodes import add_phones, free_port, serving

if TYPE_CHECKING:  # at run time "conftest" may name another folder's conftest
    from conftest import PostgresServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_RECORD_LINK = re.compile(r'href="/web/records/([^"?/]+)"')
PASSWORD = "two-servers-one-node-0123"
NATIONAL = Markings.build(tlp="amber", releasable_to=None, handling="H1")
IMPORTED = "+52 81 8765 4321"


@pytest.fixture
def node(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[Path]:
    """MX's node on a fresh PostgreSQL schema: an analyst, and two pages of phone records."""
    schema, url = postgres_server.new_schema()
    try:
        folder = tmp_path / "mx"
        initialise_node(folder, party="MX", database_url=url)
        _config, store = open_node(folder)
        try:
            add_user(
                store,
                username="analyst",
                display_name="Analyst",
                password=PASSWORD,
                roles=(Role.ANALYST,),
                agency="FGR",
                actor="test",
            )
        finally:
            store.close()
        numbers = [f"+52 55 1000 {n:04d}" for n in range(PAGE_SIZE + 10)]
        add_phones(folder, numbers, owner="MX", markings=NATIONAL)
        yield folder
    finally:
        postgres_server.drop_schema(schema)


def _token(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    found = _CSRF_FIELD.search(page.text)
    assert found is not None, "the page has no csrf_token field"
    return found.group(1)


def _record_ids(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return list(dict.fromkeys(_RECORD_LINK.findall(page.text)))


def test_a_client_alternating_between_two_servers_keeps_its_session_tokens_and_pages(
    node: Path,
) -> None:
    with (
        serving(node, free_port()) as a,
        serving(node, free_port()) as b,
        # One cookie jar for both: cookies do not depend on the port, as behind a balancer.
        httpx.Client(follow_redirects=False, timeout=timing.timeout(30)) as client,
    ):
        # The login form from A, sent to B: the visitor's CSRF cookie is not A's own.
        token = _token(client.get(f"{a}/web/login"))
        signed_in = client.post(
            f"{b}/web/login",
            data={"username": "analyst", "password": PASSWORD, "csrf_token": token},
        )
        assert signed_in.status_code == 303, signed_in.text
        # The session B opened is A's session too.
        home = client.get(f"{a}/web/")
        assert home.status_code == 200, home.text
        assert "Analyst" in home.text

        # The list, a page from each server: the second page follows the first, and is the
        # same page whichever server renders it.
        first = _record_ids(client.get(f"{a}/web/records", params={"sort": "id"}))
        second = _record_ids(client.get(f"{b}/web/records", params={"sort": "id", "page": "2"}))
        assert len(first) == PAGE_SIZE
        assert second
        assert not set(first) & set(second)
        again = _record_ids(client.get(f"{a}/web/records", params={"sort": "id", "page": "2"}))
        assert again == second

        # A form of B's page, posted to A: the session's CSRF token holds on both; the
        # record A imports, B finds.
        session_token = _token(client.get(f"{b}/web/import"))
        body = (
            "type,number,tlp,releasable_to,handling,evaluation,description\n"
            f"phone,{IMPORTED},amber,,H1,B2,\n"
        ).encode()
        imported = client.post(
            f"{a}/web/import",
            data={"csrf_token": session_token, "format": ""},
            files={"file": ("phones.csv", body, "text/csv")},
        )
        assert imported.status_code == 200, imported.text
        found = client.get(f"{b}/web/records", params={"q": IMPORTED})
        assert len(_record_ids(found)) == 1

        # Signing out on A ends the session on B too.
        signed_out = client.post(f"{a}/web/logout", data={"csrf_token": session_token})
        assert signed_out.status_code == 303, signed_out.text
        after = client.get(f"{b}/web/records")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/web/login")
