"""The matching page's list of runs names each run's mode (vínculos, solo conteo, umbral),
in the reader's language; a count-only run says what was learned, and only that."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from enlace.model.roles import Role
from enlace.node.keys import create_signing_key
from enlace.store.engine import sqlite_url
from enlace.store.repositories.match_runs import MatchRun
from enlace.store.store import Store
from support.pages import mx_node
from support.web import RunningWeb, serving, switch_language, user_of

pytestmark = pytest.mark.e2e


def runs(store: Store) -> None:
    """A count-only run and a threshold run below k, as the requester records them."""
    with store.unit_of_work() as uow:
        for run_id, mode, k, status, overlap in (
            ("a" * 32, "count", None, "completed", 8),
            ("b" * 32, "threshold", 7, "below-threshold", None),
        ):
            uow.match_runs.add(
                MatchRun(
                    id=run_id, role="requester", partner="US", kind="phone", status=status,
                    started_at=uow.started_at, finished_at=uow.started_at, requester_size=13,
                    responder_size=16, overlap=overlap, order_seed=None, set_digest=None,
                    mode=mode, threshold=k, agreement_sha256="0" * 64,
                )
            )  # fmt: skip
        uow.commit()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[RunningWeb]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    mx_node(store)
    runs(store)
    create_signing_key(tmp_path / "mx" / "keys")
    try:
        with serving(store, tmp_path / "mx") as running:
            yield running
    finally:
        store.close()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "es",
            [
                "Modo", "solo conteo", "umbral 7", "bajo el umbral",
                "US tiene 8 de nuestros 13 identificadores de este tipo (solo conteo, por acuerdo)",
            ],
        ),
        (
            "en",
            [
                "Mode", "count only", "threshold 7", "below threshold",
                "US holds 8 of our 13 identifiers of this kind (count only, by agreement)",
            ],
        ),
    ],
)  # fmt: skip
def test_the_runs_list_names_each_run_s_mode_in_the_reader_s_language(
    web: RunningWeb, lang: str, words: list[str]
) -> None:
    liaison = web.login(user_of(Role.LIAISON))
    switch_language(liaison, lang)
    page = liaison.get("/web/matching")
    assert page.status_code == 200
    runs_panel = page.text.split('id="runs"', 1)[1].split("</section>", 1)[0]
    for word in words:
        assert word in runs_panel, word
