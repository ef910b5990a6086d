"""What every web route of a node needs: its store, configuration, key folder and policies.

`create_node_app` puts one `WebContext` in ``app.state.enlace``; a route asks for it with a
``context: Context`` parameter (a FastAPI dependency), other code with
`web_context(request)`. Nothing is global: two node applications in one process (as the
tests run them) each read their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from enlace.node.config import NodeConfig
from enlace.store.store import Store
from enlace.users.authentication import ThrottlePolicy
from enlace.users.sessions import SessionPolicy


@dataclass(frozen=True, slots=True)
class WebContext:
    """The node a web application serves."""

    store: Store
    config: NodeConfig
    key_dir: Path  # the signing key and the partners' tokens (enlace.node.keys, credentials)
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)

    @property
    def party(self) -> str:
        """The party code of this node, e.g. 'MX'."""
        return self.config.party


def web_context(request: Request) -> WebContext:
    """The `WebContext` of the application serving `request` (a FastAPI dependency)."""
    context = getattr(request.app.state, "enlace", None)
    if not isinstance(context, WebContext):
        # A programming error of whoever built the app, not something a user can cause.
        raise RuntimeError("this route runs outside create_node_app (no app.state.enlace)")
    return context


Context = Annotated[WebContext, Depends(web_context)]
"""Route parameter alias: `context: Context` gives the node's `WebContext`."""
