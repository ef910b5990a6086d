"""The scheduled sync pulls from its partners at once, each on its own (issue 12).

`sync_all_partners` (what `enlace serve --sync-every` runs each period) syncs each due
partner in a thread of its own, a bounded number at a time: one partner stuck or failing
neither delays nor stops the others, and its failure is its outcome alone. The first tests
fake the network sync at its boundary (`sync_node_partner`) to hold a partner as long as
they please; the last runs real syncs of two partners into one store at the same time, so
their pages are stored concurrently. The same with real servers and a partner trickling
through a proxy is in test_hostile_channel.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from enlace.exchange import sync_client
from enlace.exchange.release import release_everything_allowed
from enlace.exchange.sync_client import SyncError, SyncReport, sync_all_partners
from enlace.exchange.taxii.app import create_app
from enlace.model.markings import Markings
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support import timing
from support.exchange import add, phone
from support.parties import Node, party_nodes, pull, received_versions

FakeSync = Callable[..., SyncReport]


def register(store: Store, *parties: str) -> None:
    with store.unit_of_work() as uow:
        for party in parties:
            uow.partners.put(
                party=party,
                url=f"http://127.0.0.1:1/{party}",
                verify_key_hex="00" * 32,
                token_hash="0" * 64,
                added_at=uow.started_at,
            )
        uow.commit()


def fake_network(monkeypatch: pytest.MonkeyPatch, sync: FakeSync) -> None:
    monkeypatch.setattr(sync_client, "sync_node_partner", sync)


def test_a_stuck_partner_delays_none_of_the_others_and_fails_alone(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(store, "CA", "MX", "US")
    others_done = {party: threading.Event() for party in ("MX", "US")}

    def sync(_store: Store, _key_dir: Path, party: str, **_: object) -> SyncReport:
        if party == "CA":
            # CA is listed first and stays stuck until the others are done: one after
            # another, they would wait for CA, and this wait would time out.
            done = all(e.wait(timing.timeout(10)) for e in others_done.values())
            raise SyncError("CA", "http://127.0.0.1:1/CA", f"stuck (others done: {done})")
        others_done[party].set()
        return SyncReport(partner=party, pages=1)

    fake_network(monkeypatch, sync)
    outcome = sync_all_partners(store, tmp_path)

    assert list(outcome) == ["CA", "MX", "US"]  # in the partners' order, as before
    failure = outcome["CA"]
    assert isinstance(failure, SyncError)
    assert "others done: True" in str(failure)
    assert all(isinstance(outcome[p], SyncReport) for p in ("MX", "US"))


def test_at_most_parallel_partners_are_synced_at_once_and_every_one_is(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parties = [f"A{letter}" for letter in "ABCDEFGHIJKL"]  # codes of two letters
    register(store, *parties)
    lock = threading.Lock()
    active: list[str] = []
    most = [0]
    release = threading.Event()

    def sync(_store: Store, _key_dir: Path, party: str, **_: object) -> SyncReport:
        with lock:
            active.append(party)
            most[0] = max(most[0], len(active))
        release.wait(timing.timeout(30))
        with lock:
            active.remove(party)
        return SyncReport(partner=party)

    fake_network(monkeypatch, sync)
    outcome: dict[str, SyncReport | Exception] = {}
    round_ = threading.Thread(target=lambda: outcome.update(sync_all_partners(store, tmp_path)))
    round_.start()
    try:
        timing.wait_until(lambda: len(active) == 8, what="eight partners synced at once")
    finally:
        release.set()
        round_.join(timeout=timing.timeout(30))
    assert not round_.is_alive()
    assert most[0] == 8
    assert list(outcome) == parties
    assert all(isinstance(r, SyncReport) for r in outcome.values())


def test_partners_not_due_are_not_synced(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(store, "CA", "MX", "US")
    synced: list[str] = []

    def sync(_store: Store, _key_dir: Path, party: str, **_: object) -> SyncReport:
        synced.append(party)
        return SyncReport(partner=party)

    fake_network(monkeypatch, sync)
    outcome = sync_all_partners(store, tmp_path, due=lambda party: party != "MX")
    assert sorted(synced) == list(outcome) == ["CA", "US"]
    assert sync_all_partners(store, tmp_path, due=lambda _party: False) == {}


TO_US = Markings.build(tlp="amber", releasable_to="US", handling="H2", evaluation="B2")


@pytest.fixture
def nodes(new_store_url: Callable[[], str]) -> Iterator[dict[str, Node]]:
    with party_nodes({p: new_store_url() for p in ("MX", "US", "CA")}) as made:
        yield made


def test_syncs_of_two_partners_at_once_store_every_page_into_one_store(
    nodes: dict[str, Node],
) -> None:
    # Ten pages from each partner, stored as they come: on SQLite the two syncs take the
    # store's one write lock in turn, page by page, and must wait for it, never fail.
    us = nodes["US"]
    for party, prefix in (("MX", "+52 55 7100 "), ("CA", "+1 613 555 ")):
        server = nodes[party]
        numbers = [f"{prefix}{i:04d}" for i in range(70)]
        add(
            server.store,
            *(StoredVersion.of(phone(n, owner=party, markings=TO_US)) for n in numbers),
        )
        assert (
            release_everything_allowed(
                server.store, partner="US", signing_key=server.key, actor="t"
            )
            >= 70
        )
    # The servers' applications are built here: building FastAPI applications in two threads
    # at once races on the warnings filters pytest sets (a warning becomes an error).
    apps = {
        party: create_app(nodes[party].store, party, signing_key=nodes[party].key)
        for party in ("MX", "CA")
    }
    start = threading.Barrier(2, timeout=timing.timeout(10))
    reports: dict[str, SyncReport] = {}
    failures: list[BaseException] = []

    def sync(party: str) -> None:
        try:
            start.wait()
            reports[party] = pull(us, nodes[party], app=apps[party])
        except BaseException as error:  # kept for the assertion below, with its message
            failures.append(error)

    threads = [threading.Thread(target=sync, args=(party,)) for party in ("MX", "CA")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timing.timeout(60))
    assert failures == []
    for party in ("MX", "CA"):
        assert reports[party].refused_total == 0
        assert received_versions(us, party) == released_to_us(nodes[party])
    with us.store.unit_of_work() as uow:
        assert uow.audit.verify().ok


def released_to_us(node: Node) -> set[tuple[str, str]]:
    with node.store.unit_of_work() as uow:
        return {(r.record_id, r.modified) for r in uow.releases.page("US", version="all")}
