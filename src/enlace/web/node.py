"""What the page routes need of the node they serve: its store, its party, its key folder.

`create_node_app` attaches it once to the application (`attach_node`); a route asks for it
with the `CurrentNode` dependency. Nothing is global: two node applications in one process
(as the tests run them) each read their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from enlace.store.store import Store


@dataclass(frozen=True, slots=True)
class WebNode:
    """The node a web application serves."""

    store: Store
    party: str
    key_dir: Path  # the signing key and the partners' tokens (enlace.node.keys, credentials)
    node_dir: Path | None = None  # the node folder, when it has one (reports are written there)


def attach_node(app: FastAPI, node: WebNode) -> None:
    """Make `node` the node the page routes of `app` read and write."""
    app.state.enlace_node = node


def current_node(request: Request) -> WebNode:
    """The node of the application serving `request` (a FastAPI dependency)."""
    node = getattr(request.app.state, "enlace_node", None)
    if not isinstance(node, WebNode):
        # A programming error of whoever built the app, not something a user can cause.
        raise RuntimeError("the web application has no node: call enlace.web.node.attach_node")
    return node


CurrentNode = Annotated[WebNode, Depends(current_node)]
