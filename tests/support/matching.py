"""Real node servers on loopback (uvicorn in threads) with the matching routes, over bare
stores or over node folders, and synthetic records from enlace.synth with their ground truth."""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from nacl.signing import SigningKey
from sqlalchemy import select

from enlace.cli.demo_exchange import register_partners
from enlace.exchange.taxii.app import create_app
from enlace.matching.agreements import set_agreement
from enlace.matching.api import create_matching_router
from enlace.matching.blinding import BlindingPool
from enlace.matching.kinds import KIND_NAMES
from enlace.model.records import Person, Record, derived_id
from enlace.node.keys import load_signing_key
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store
from enlace.store.tables import match_handles
from enlace.store.versions import StoredVersion
from enlace.synth.config import SynthConfig
from enlace.synth.generator import generate
from enlace.synth.truth import truth_rows
from support import timing
from support.nodes import free_port
from support.parties import Node, party_nodes, token


@dataclass(slots=True)
class ServedNode:
    party: str
    store: Store
    url: str

    @property
    def node(self) -> Node:
        return Node(self.party, self.store)


@dataclass(slots=True)
class ServedFolder:
    party: str
    folder: Path
    store: Store
    url: str


def _matching_app(
    store: Store, party: str, key: SigningKey, *, workers: int, pool: BlindingPool | None = None
) -> FastAPI:
    """A node's TAXII app with the matching routes (blinding with `pool` when given)."""
    return create_app(
        store,
        party,
        signing_key=key,
        extra_routers=[create_matching_router(store, party, workers=workers, pool=pool)],
    )


@contextmanager
def _serving(apps: dict[str, FastAPI]) -> Iterator[dict[str, str]]:
    """Each party's app served over real HTTP on its own port of 127.0.0.1, started before
    the block and stopped after it: party -> URL."""
    servers = []
    urls: dict[str, str] = {}
    try:
        for party, app in apps.items():
            port = free_port()
            server = uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            servers.append((server, thread))
            urls[party] = f"http://127.0.0.1:{port}"
        timing.wait_until(
            lambda: all(server.started for server, _ in servers),
            what="the node servers to start",
            timeout=20,
        )
        yield urls
    finally:
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(timeout=timing.timeout(10))


@contextmanager
def served_nodes(
    urls: dict[str, str],
    *,
    workers: int = 0,
    blinding: Callable[[str, Store], BlindingPool | None] | None = None,
) -> Iterator[dict[str, ServedNode]]:
    """Nodes of the given parties, each served over real HTTP on 127.0.0.1, each registered
    with the others at its real URL; `blinding(party, store)` the pool a node answers runs
    with (None: `workers` local processes), closed at the end."""
    with party_nodes(urls) as nodes, ExitStack() as pools:
        apps = {}
        for party, node in nodes.items():
            pool = None if blinding is None else blinding(party, node.store)
            if pool is not None:
                pools.enter_context(pool)
            apps[party] = _matching_app(node.store, party, node.key, workers=workers, pool=pool)
        with _serving(apps) as served_at:
            served = {
                party: ServedNode(party, node.store, served_at[party])
                for party, node in nodes.items()
            }
            for here in served.values():
                with here.store.unit_of_work() as uow:
                    repo = uow.partners
                    for other in served.values():
                        if other.party != here.party:
                            held = repo.get(other.party)
                            assert held is not None
                            repo.put(
                                party=other.party,
                                url=other.url,
                                verify_key_hex=held.verify_key_hex,
                                token_hash=held.token_hash,
                                added_at=held.added_at,
                            )
                    uow.commit()
            yield served


@contextmanager
def served_folders(
    root: Path, parties: tuple[str, ...] = ("MX", "US")
) -> Iterator[dict[str, ServedFolder]]:
    """Node folders of `parties` under `root` (made as `enlace init` makes them), each served
    over real HTTP on 127.0.0.1 with the matching routes and made the others' partner by the
    real invite flow; their stores closed after."""
    folders = {party: root / party.lower() for party in parties}
    stores: dict[str, Store] = {}
    try:
        apps = {}
        for party, folder in folders.items():
            initialise_node(folder, party=party)
            config, store = open_node(folder)
            stores[party] = store
            apps[party] = _matching_app(store, party, load_signing_key(config.key_dir), workers=0)
        with _serving(apps) as urls:
            register_partners(folders, urls)
            yield {
                party: ServedFolder(party, folders[party], stores[party], urls[party])
                for party in parties
            }
    finally:
        for store in stores.values():
            store.close()


def agree(
    responder: ServedNode,
    partner: str,
    *,
    max_set_size: int = 100_000,
    runs: int = 10,
    kinds: tuple[str, ...] = KIND_NAMES,
    mode: str = "links",
    threshold: int | None = None,
) -> None:
    """`responder` answers `partner` on `kinds` within the caps, in `mode`."""
    with responder.store.unit_of_work() as uow:
        for kind in kinds:
            set_agreement(
                uow,
                partner=partner,
                kind=kind,
                max_set_size=max_set_size,
                runs_per_day=runs,
                at=uow.started_at,
                actor="test",
                mode=mode,
                threshold=threshold,
            )
        uow.commit()


def requester_token(requester: str, responder: str) -> str:
    """The token `requester` presents to `responder` (as party_nodes registers them)."""
    return token(requester, responder)


@dataclass(slots=True)
class SynthWorld:
    records: dict[str, list[Record]]
    # (MX record id, US record id) of the same real thing -> what differs between them
    truth_pairs: dict[tuple[str, str], str]

    def expected(self, kind: str) -> set[tuple[str, str]]:
        """The truth pairs an exact match on `kind` must find: both records carry an
        identifier of the kind, and the variation between them does not change it."""
        mx = keys_by_record(self.records["MX"], kind)
        us = keys_by_record(self.records["US"], kind)
        return {
            (a, b)
            for (a, b), variation in self.truth_pairs.items()
            if a in mx and b in us and not _changes(kind, variation)
        }


def synth_world(scale: int = 400, seed: int = 11) -> SynthWorld:
    """Synthetic MX and US records and the truth, plus US copies of persons MX holds that
    the US record knows by their CURP (the generator writes CURPs on MX records only)."""
    dataset = generate(SynthConfig(seed=seed, scale=scale))
    records = {party: list(items) for party, items in dataset.records.items()}
    pairs = {}
    for row in truth_rows(dataset.truth):
        by_party = {row["party_a"]: row["record_a"], row["party_b"]: row["record_b"]}
        pairs[(by_party["MX"], by_party["US"])] = row["variation"]
    mx_people = [r for r in records["MX"] if isinstance(r, Person) and r.curp]
    for index, person in enumerate(mx_people[: max(3, len(mx_people) // 3)]):
        copy = dataclasses.replace(
            person,
            id=derived_id("identity", "psi-test-us-person", str(index)),
            owner="US",
            created_by_ref=None,
        )
        records["US"].append(copy)
        pairs[(person.id, copy.id)] = "US record carries the CURP"
    return SynthWorld(records, pairs)


def _changes(kind: str, variation: str) -> bool:
    # Variations under which the two records' identifiers of `kind` really differ.
    if kind == "plate":
        return variation.startswith("re-plated")
    if kind == "firearm":
        return "misread" in variation
    return False


def load(node: ServedNode, records: list[Record]) -> None:
    with node.store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(r) for r in records], added_at=uow.started_at)
        uow.commit()


def keys_by_record(records: list[Record], kind: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for record in records:
        for k, key in record.identifier_keys():
            if k == kind:
                found[record.id].add(key)
    return dict(found)


def handle_records(store: Store, partner: str) -> dict[str, str]:
    """handle -> record id, as the responder `store` gave them to `partner`."""
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(
            select(match_handles.c.handle, match_handles.c.record_id).where(
                match_handles.c.partner == partner
            )
        )
        return {row[0]: row[1] for row in rows}
