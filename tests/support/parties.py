"""In-process nodes of several parties, each registered with the others, synced over ASGI."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
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

    @property
    def key(self) -> SigningKey:
        return KEYS[self.party]


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


Tamper = Callable[[httpx.Request, httpx.Response], httpx.Response]


class TamperingTransport(AsgiSyncTransport):
    """The in-process channel between two nodes, with a hostile hand on it: `tamper` sees
    each request and the node's answer, and returns what the puller gets instead."""

    def __init__(self, app: Any, tamper: Tamper) -> None:
        super().__init__(app)
        self.tamper = tamper

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.tamper(request, super().handle_request(request))


def pull(
    puller: Node,
    server: Node,
    *,
    tamper: Tamper | None = None,
    page_size: int = 7,
    from_start: bool = False,
    app: Any = None,
) -> SyncReport:
    """`puller` syncs from `server`, in process (through `tamper`, when given); `app` is
    `server`'s TAXII application when the caller built it already."""
    if app is None:
        app = create_app(server.store, server.party, signing_key=server.key)
    transport = AsgiSyncTransport(app) if tamper is None else TamperingTransport(app, tamper)
    with httpx.Client(transport=transport) as client:
        return sync_partner(
            puller.store,
            partner=server.party,
            token=token(puller.party, server.party),
            client=client,
            page_size=page_size,
            from_start=from_start,
        )


def received_versions(node: Node, owner: str) -> set[tuple[str, str]]:
    """(record id, modified) of every version `node` received from `owner`."""
    with node.store.unit_of_work() as uow:
        query = select(records.c.id, records.c.modified).where(records.c.received_from == owner)
        return {(row.id, row.modified) for row in uow.connection.execute(query)}
