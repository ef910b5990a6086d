"""The liaison officers' deconfliction page: their notices, in Spanish and English, and only
for liaison officers (a real node web server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from enlace.matching.operations import register_operation
from enlace.model.roles import Role
from enlace.store.engine import sqlite_url
from enlace.store.repositories.operations import DeconflictionNotice
from enlace.store.store import Store
from support.web import RunningWeb, serving, switch_language, user_of

pytestmark = pytest.mark.e2e


@pytest.fixture
def web(tmp_path: Path) -> Iterator[RunningWeb]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    try:
        with serving(store, tmp_path / "mx") as running:
            yield running
    finally:
        store.close()


def notice(store: Store, contact: str | None, on: str) -> None:
    day = date.today() + timedelta(days=3)
    operation = register_operation(
        store, reference=f"OP-{on.upper().replace(' ', '-')}", agency="FGR",
        contact="Cmdte. Ríos", targets=[], latitude=19.4, longitude=-99.1,
        starts=day, ends=day, actor="liaison",
    )  # fmt: skip
    with store.unit_of_work() as uow:
        uow.operations.add_notice(
            DeconflictionNotice(
                operation.id, "US", "requester", "ab" * 8, "cd" * 16, on, contact, uow.started_at
            )
        )
        uow.commit()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("es", ["Desconflicto", "Avisos de desconflicto", "el mismo objetivo", "la misma zona y el mismo día", "en espera del contacto"]),
        ("en", ["Deconfliction", "Deconfliction notices", "the same target", "the same area and day", "awaiting the partner"]),
    ],
)  # fmt: skip
def test_a_liaison_officer_reads_the_notices_with_the_partners_contact(
    web: RunningWeb, lang: str, words: list[str]
) -> None:
    notice(web.store, "SA John Miller, jmiller@atf.example", "target")
    notice(web.store, None, "area")
    liaison = web.login(user_of(Role.LIAISON))
    switch_language(liaison, lang)
    page = liaison.get("/web/deconfliction")
    assert page.status_code == 200
    for word in words:
        assert word in page.text
    assert "SA John Miller, jmiller@atf.example" in page.text
    assert "OP-TARGET" in page.text
    assert 'href="/web/deconfliction"' in liaison.get("/web/").text  # in the menu


def test_the_page_is_for_liaison_officers_only_and_says_when_there_is_nothing(
    web: RunningWeb,
) -> None:
    liaison = web.login(user_of(Role.LIAISON))
    assert "Aún no hay avisos de desconflicto" in liaison.get("/web/deconfliction").text
    for role in (Role.ANALYST, Role.ADMINISTRATOR, Role.AUDITOR):
        other = web.login(user_of(role))
        assert other.get("/web/deconfliction").status_code == 403
        assert 'href="/web/deconfliction"' not in other.get("/web/").text
