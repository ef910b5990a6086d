"""The import page refuses what the importer refuses, with a 400 page and nothing written: a
cell past the csv module's 131,072 characters was a 500, a NUL was stored on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from enlace.model.roles import Role
from enlace.node.keys import create_signing_key
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from support.pages import mx_node
from support.web import RunningWeb, serving, session_csrf, user_of

pytestmark = pytest.mark.e2e

HEADER = "type,number,tlp,releasable_to,handling,evaluation,description\n"
GOOD = "phone,+52 81 8123 4567,amber,US,H1,B2,\n"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[RunningWeb]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    mx_node(store)
    create_signing_key(tmp_path / "mx" / "keys")
    try:
        with serving(store, tmp_path / "mx") as running:
            yield running
    finally:
        store.close()


def _versions(store: Store) -> int:
    with store.unit_of_work() as uow:
        return uow.records.count_versions()


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("x" * 140_000, "131,072"),  # past the csv module's own limit: was a 500
        ("x" * 40_000, "32,768"),
        ("Agua\x00Prieta", "NUL"),
    ],
)
def test_an_upload_the_importer_refuses_is_a_400_page_and_writes_nothing(
    web: RunningWeb, cell: str, said: str
) -> None:
    analyst = web.login(user_of(Role.ANALYST))
    token = session_csrf(analyst, "/web/import")
    before = _versions(web.store)
    body = (HEADER + GOOD + f"phone,+52 81 8123 4568,amber,US,H1,B2,{cell}\n").encode()
    answer = analyst.post(
        "/web/import",
        data={"csrf_token": token, "format": ""},
        files={"file": ("phones.csv", body, "text/csv")},
    )
    assert answer.status_code == 400
    assert said in answer.text
    assert "description" in answer.text  # the column, on line 3 of the file
    assert "3" in answer.text
    assert _versions(web.store) == before
