"""Two real nodes, MX and US, each served by `create_node_app` on loopback and registered as
the other's partner, with one user per role — what the browser tests drive."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from enlace.node.keys import public_key_hex
from enlace.node.setup import initialise_node, open_node
from enlace.partners.credentials import write_outbound_token
from enlace.reports.samples import sample_communique
from enlace.store.repositories.partners import token_hash
from enlace.tracking.ingest import propose
from enlace.tracking.review import review, text_digest
from support.web import RunningWeb, serving

CHROMIUM = Path("/usr/bin/chromium")


@dataclass(slots=True)
class WebNode:
    """One party's node folder and its running web application."""

    party: str
    directory: Path
    web: RunningWeb


def _token(puller: str, server: str) -> str:
    return f"{puller.lower()}-pulls-{server.lower()}-{'0123456789abcdef' * 2}"


@contextmanager
def two_nodes(root: Path) -> Iterator[dict[str, WebNode]]:
    """MX and US nodes on loopback, partners of each other; MX holds the group's meetings."""
    with ExitStack() as stack:
        nodes: dict[str, WebNode] = {}
        for party in ("MX", "US"):
            directory = root / party.lower()
            initialise_node(directory, party=party, actor="test")
            _, store = open_node(directory)
            stack.callback(store.close)
            web = stack.enter_context(serving(store, directory, party=party))
            nodes[party] = WebNode(party, directory, web)
        for party, node in nodes.items():
            other = nodes["US" if party == "MX" else "MX"]
            with node.web.store.unit_of_work() as uow:
                uow.partners.put(
                    party=other.party,
                    url=other.web.url,
                    verify_key_hex=public_key_hex(other.directory / "keys"),
                    token_hash=token_hash(_token(other.party, party)),
                    added_at=uow.started_at,
                )
                uow.commit()
            write_outbound_token(node.directory / "keys", other.party, _token(party, other.party))
        statement = sample_communique("es", today=date.today())
        proposal = propose(
            statement.text, document_date=statement.document_date, source_document=statement.name
        )
        review(
            nodes["MX"].web.store,
            proposal,
            content_sha256=text_digest(statement.text),
            party="MX",
            accept="all",
            actor="test",
        )
        yield nodes
