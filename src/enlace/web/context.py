"""What every web route of a node needs: its store, configuration and policies.

`create_node_app` puts one `WebContext` in ``app.state.enlace``; routes reach it with
`web_context(request)` (or the `Context` dependency alias). Nothing here is global.
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
    key_dir: Path
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)

    @property
    def party(self) -> str:
        """The party code of this node, e.g. 'MX'."""
        return self.config.party


def web_context(request: Request) -> WebContext:
    """The `WebContext` of the application serving `request`."""
    context = getattr(request.app.state, "enlace", None)
    if not isinstance(context, WebContext):
        raise RuntimeError("this route runs outside create_node_app (no app.state.enlace)")
    return context


Context = Annotated[WebContext, Depends(web_context)]
"""Route parameter alias: `context: Context` gives the node's `WebContext`."""
