"""`enlace worker`: take a PostgreSQL node's jobs (the scheduled syncs and watchlist checks
of `enlace serve --sync-every/--watch-every --workers`, the PSI blinding chunks of `enlace
serve --workers`) until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console

from enlace.cli.errors import user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir
from enlace.cli.serve_commands import InertFormatter

# Imported in the command: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)


@user_errors
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs this worker runs at once.")
    ] = 1,
    stalled_after: Annotated[
        float,
        typer.Option(
            min=1.0,
            help="Seconds without a heartbeat after which a worker counts as dead and its "
            "job is queued again (for another worker).",
        ),
    ] = 60.0,
    heartbeat_every: Annotated[
        float,
        typer.Option(
            min=0.1, help="Seconds between this worker's heartbeats (below --stalled-after)."
        ),
    ] = 10.0,
    poll_every: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Seconds between looks for a job put back on the queue (a retry); a new "
            "job is taken at once.",
        ),
    ] = 5.0,
    keep_finished_hours: Annotated[
        int,
        typer.Option(
            min=1,
            help="Hours a job that succeeded stays in the queue's table before a worker "
            "deletes it (failed jobs stay).",
        ),
    ] = 168,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Run this PostgreSQL node's jobs, from its database, until Ctrl-C or SIGTERM."""
    from enlace.jobs.queue import WorkerNode, queue_conninfo
    from enlace.jobs.worker import run_worker
    from enlace.node.config import NodeConfig
    from enlace.node.errors import NodeError
    from enlace.node.setup import open_node

    if heartbeat_every >= stalled_after:
        raise NodeError("--heartbeat-every must be shorter than --stalled-after")
    queue_conninfo(NodeConfig.load(node).store_url)  # refused before anything is opened
    config, store = open_node(node)
    handler = logging.StreamHandler()
    handler.setFormatter(InertFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    try:
        console.print(f"node {config.party} worker taking jobs (concurrency {concurrency})")
        run_worker(
            config.store_url,
            WorkerNode(store=store, key_dir=config.key_dir, webhook_url=config.webhook_url),
            concurrency=concurrency,
            heartbeat_every=heartbeat_every,
            stalled_after=stalled_after,
            poll_every=poll_every,
            keep_finished_hours=keep_finished_hours,
        )
    finally:
        store.close()
    console.print(f"node {config.party} worker stopped")
