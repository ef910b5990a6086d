"""In-process nodes of several parties, each registered with the others, synced over ASGI."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from nacl.signing import SigningKey
from sqlalchemy import select

from enlace.exchange.sync_client import SyncReport, sync_partner
from enlace.exchange.taxii.app import create_app
from enlace.store.repositories.partners import token_hash
from enlace.store.store import Store
from enlace.store.tables import records
from support.exchange import CA_KEY, MX_KEY, US_KEY, AsgiSyncTransport

KEYS = {"MX": MX_KEY, "US": US_KEY, "CA": CA_KEY}


def token(puller: str, server: str) -> str:
    """The token `puller` presents to `server`."""
    return f"{puller.lower()}-pulls-{server.lower()}-0123456789abcdef"


@dataclass(slots=True)
class Node:
    party: str
    store: Store
    _app: FastAPI | None = None

    @property
    def key(self) -> SigningKey:
        return KEYS[self.party]

    def app(self) -> FastAPI:
        """This node's TAXII app, made once: making it costs more than a small sync."""
        if self._app is None:
            self._app = create_app(self.store, self.party, signing_key=self.key)
        return self._app


def register_all(nodes: Iterable[Node]) -> None:
    """Make each store the node of its party, with every other party registered."""
    nodes = list(nodes)
    for node in nodes:
        with node.store.unit_of_work() as uow:
            uow.settings.set_if_absent("party", node.party)
            repo = uow.partners
            for other in nodes:
                if other.party == node.party:
                    continue
                repo.put(
                    party=other.party,
                    url=f"http://{other.party.lower()}.test",
                    verify_key_hex=other.key.verify_key.encode().hex(),
                    token_hash=token_hash(token(other.party, node.party)),
                    added_at=uow.started_at,
                )
            uow.commit()


@contextmanager
def party_nodes(urls: dict[str, str]) -> Iterator[dict[str, Node]]:
    """Nodes of the given parties (party -> store URL), registered pairwise, closed after."""
    nodes = {party: Node(party, Store.open(url)) for party, url in urls.items()}
    try:
        register_all(nodes.values())
        yield nodes
    finally:
        for node in nodes.values():
            node.store.close()


def pull(puller: Node, server: Node) -> SyncReport:
    """`puller` syncs from `server`, in process."""
    with httpx.Client(transport=AsgiSyncTransport(server.app())) as client:
        return sync_partner(
            puller.store,
            partner=server.party,
            token=token(puller.party, server.party),
            client=client,
            page_size=7,
        )


def received_versions(node: Node, owner: str) -> set[tuple[str, str]]:
    """(record id, modified) of every version `node` received from `owner`."""
    with node.store.unit_of_work() as uow:
        query = select(records.c.id, records.c.modified).where(records.c.received_from == owner)
        return {(row.id, row.modified) for row in uow.connection.execute(query)}
