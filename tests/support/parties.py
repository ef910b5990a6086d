"""In-process nodes of several parties, each registered with the others, synced over ASGI."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from nacl.signing import SigningKey
from sqlalchemy import select

from enlace.exchange.release import release_one
from enlace.exchange.sync_client import SyncReport, sync_partner
from enlace.exchange.taxii.app import create_app
from enlace.model.markings import Markings
from enlace.store.repositories.partners import token_hash
from enlace.store.store import Store
from enlace.store.tables import records
from enlace.store.versions import StoredVersion
from support.exchange import CA_KEY, MX_KEY, US_KEY, AsgiSyncTransport, phone

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
        app = server.app()
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


def released(server: Node, partner: str, *numbers: str) -> list[str]:
    """Phones owned by `server`'s party, releasable to `partner`, released to it; their ids."""
    markings = Markings.build(
        tlp="amber", releasable_to=f"{server.party} {partner}", handling="H2", evaluation="B2"
    )
    versions = [StoredVersion.of(phone(n, owner=server.party, markings=markings)) for n in numbers]
    with server.store.unit_of_work() as uow:
        uow.records.add(versions, added_at=uow.started_at)
        uow.commit()
    for version in versions:
        release_one(
            server.store,
            record_id=version.id,
            partner=partner,
            signing_key=server.key,
            actor="test",
        )
    return [v.id for v in versions]


def lossy_channel() -> tuple[Tamper, dict[str, str]]:
    """A channel that, on the first page of objects it carries, drops the third object and
    changes the content of the (then) third one under its owner's signature: the puller gets
    a gap "missing" and a refusal "bad-signature". `harmed` names the two ids ("dropped",
    "forged")."""
    harmed: dict[str, str] = {}

    def tamper(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if harmed or response.status_code != 200 or not request.url.path.endswith("/objects/"):
            return response
        body = orjson.loads(response.content)
        objects = body.get("objects") or []
        if len(objects) < 4:
            return response
        harmed["dropped"] = objects.pop(2)["id"]
        forged = objects[2]
        harmed["forged"] = forged["id"]
        # Changed after signing; the signature (and so the manifest's binding) stays.
        forged["x_changed_on_the_way"] = True
        return httpx.Response(
            response.status_code, headers=response.headers, content=orjson.dumps(body)
        )

    return tamper, harmed
