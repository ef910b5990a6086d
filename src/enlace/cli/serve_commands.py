"""`enlace serve`: the node's web interface, TAXII 2.1 and matching services, optionally syncing
its partners on a schedule."""

from __future__ import annotations

import logging
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from enlace.cli.errors import user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir
from enlace.node.errors import NodeError

if TYPE_CHECKING:
    import uvicorn

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)


def _node_server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, except that a stop signal ends `run()` normally: uvicorn would
    raise the signal again afterwards, killing the process before the background sync and
    the store are shut down."""
    import uvicorn

    class NodeServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    return NodeServer(config)


@user_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    sync_every: Annotated[
        float | None,
        typer.Option(help="Also sync every registered partner every SECONDS (in the background)."),
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Serve this node's web interface and its partners' TAXII 2.1 until Ctrl-C or SIGTERM."""
    import uvicorn

    from enlace.exchange.sync import PeriodicSync
    from enlace.node.setup import open_node
    from enlace.web.app import create_node_app

    if sync_every is not None and sync_every <= 0:
        raise NodeError("--sync-every must be a positive number of seconds")
    config, store = open_node(node)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    periodic = None
    try:
        app = create_node_app(store, config)
        server = _node_server(
            uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False)
        )
        if sync_every is not None:
            periodic = PeriodicSync(store, config.key_dir, sync_every)
            periodic.start()
        console.print(f"node {config.party} serving TAXII 2.1 at http://{host}:{port}/taxii2/")
        console.print(f"node {config.party} web interface at http://{host}:{port}/web/")
        # uvicorn handles SIGINT and SIGTERM: it stops accepting, finishes requests, returns.
        server.run()
    finally:
        if periodic is not None:
            periodic.stop()
        store.close()
    console.print(f"node {config.party} stopped")
