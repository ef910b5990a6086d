"""`enlace serve`: the node's web interface, TAXII 2.1 and matching services, optionally syncing
its partners on a schedule."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir
from enlace.cli.terminal import plain_text
from enlace.node.errors import NodeError

if TYPE_CHECKING:
    import uvicorn

    from enlace.exchange.sync_schedule import PeriodicSync
    from enlace.jobs.schedule import ScheduledSyncJobs, ScheduledWatchJobs
    from enlace.matching.watch_schedule import PeriodicWatchlistCheck

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)


class InertFormatter(logging.Formatter):
    """Log lines whose message shows only itself on the operator's terminal: a partner's
    text in it (the reason a sync failed, which the partner wrote) loses its control
    characters, so it can neither restyle the terminal nor forge a log line. A traceback,
    added after the message, keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 — logging's name
        return plain_text(super().formatMessage(record))


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
    watch_every: Annotated[
        float | None,
        typer.Option(
            help="Also check every watchlist against every partner every SECONDS (PSI, in "
            "the background); new hits raise alerts (docs/watchlists.md)."
        ),
    ] = None,
    workers: Annotated[
        bool,
        typer.Option(
            "--workers",
            help="On a PostgreSQL node: blind the PSI runs partners start as jobs on the "
            "node's queue, for 'enlace worker' processes to run; with --sync-every, one sync "
            "job per partner per period instead of syncing in this process (with "
            "--watch-every: one watchlist check job).",
        ),
    ] = False,
    tls_cert: Annotated[
        Path | None,
        typer.Option(
            help="PEM certificate (chain) to serve HTTPS with; needs --tls-key.", dir_okay=False
        ),
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option(help="PEM private key (unencrypted) of --tls-cert.", dir_okay=False),
    ] = None,
    plain_http: Annotated[
        bool,
        typer.Option(
            "--plain-http",
            help="Serve plain HTTP on an address other machines reach (tokens cross the "
            "network unencrypted).",
        ),
    ] = False,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            metavar="ADDR",
            help="Address of a reverse proxy whose X-Forwarded-For and X-Forwarded-Proto "
            "headers are believed (repeat for several). None by default: the headers are "
            "ignored and the connection's own address is the client's.",
        ),
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Serve this node's web interface and its partners' TAXII 2.1 until Ctrl-C or SIGTERM."""
    from enlace.partners.transport import is_loopback

    if sync_every is not None and sync_every <= 0:
        raise NodeError("--sync-every must be a positive number of seconds")
    if watch_every is not None and watch_every <= 0:
        raise NodeError("--watch-every must be a positive number of seconds")
    # Checked before anything is opened or bound: a refused start leaves nothing behind.
    if (tls_cert is None) != (tls_key is None):
        raise NodeError("give both --tls-cert and --tls-key (PEM files), or neither")
    proxies = _trusted_proxies(trusted_proxy or [])
    if tls_cert is not None and tls_key is not None:
        _check_tls_files(tls_cert, tls_key)
    elif not is_loopback(host):
        if not plain_http:
            raise NodeError(
                f"refusing to serve plain HTTP on {host}, reachable from other machines: "
                "partners' tokens would cross the network unencrypted; give --tls-cert and "
                "--tls-key (or --plain-http to accept that)"
            )
        stderr.print(
            f"[bold yellow]warning:[/] serving plain HTTP on {host}: partners' tokens and "
            "records cross the network unencrypted (--plain-http)"
        )

    import uvicorn

    from enlace.exchange.sync_schedule import PeriodicSync
    from enlace.node.config import NodeConfig
    from enlace.node.setup import open_node
    from enlace.tracking.indicators.snapshot import refresh_indicators
    from enlace.users.refused_requests import flush_refused_requests
    from enlace.web.app import create_node_app

    config = NodeConfig.load(node)
    if workers:
        from enlace.jobs.queue import queue_conninfo

        queue_conninfo(config.store_url)  # a SQLite node is refused before anything opens
    config, store = open_node(node)
    handler = logging.StreamHandler()
    handler.setFormatter(InertFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    periodic: PeriodicSync | ScheduledSyncJobs | None = None
    watching: PeriodicWatchlistCheck | ScheduledWatchJobs | None = None
    blinding = None
    if workers:
        from enlace.jobs.blinding_pool import QueueBlindingPool

        blinding = QueueBlindingPool(store, config.store_url)
    try:
        app = create_node_app(store, config, blinding=blinding)
        server = _node_server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="info",
                access_log=False,
                ssl_certfile=str(tls_cert) if tls_cert else None,
                ssl_keyfile=str(tls_key) if tls_key else None,
                # Forwarded headers only from the proxies named: otherwise any client could
                # choose the address the audit log records and the login throttle counts.
                proxy_headers=bool(proxies),
                forwarded_allow_ips=proxies or None,
            )
        )
        if sync_every is not None and workers:
            from enlace.jobs.schedule import ScheduledSyncJobs

            periodic = ScheduledSyncJobs(store, config.store_url, sync_every)
            periodic.start()
        elif sync_every is not None:
            periodic = PeriodicSync(
                store,
                config.key_dir,
                sync_every,
                # The pages find the indicators ready after a round that brought records.
                after_changes=lambda: refresh_indicators(store, today=date.today()),
            )
            periodic.start()
        if watch_every is not None and workers:
            from enlace.jobs.schedule import ScheduledWatchJobs

            watching = ScheduledWatchJobs(config.store_url, watch_every)
            watching.start()
        elif watch_every is not None:
            from enlace.matching.watch_schedule import PeriodicWatchlistCheck

            watching = PeriodicWatchlistCheck(
                store, config.key_dir, watch_every, webhook_url=config.webhook_url
            )
            watching.start()
        scheme = "https" if tls_cert else "http"
        console.print(f"node {config.party} serving TAXII 2.1 at {scheme}://{host}:{port}/taxii2/")
        console.print(f"node {config.party} web interface at {scheme}://{host}:{port}/web/")
        # uvicorn handles SIGINT and SIGTERM: it stops accepting, finishes requests, returns.
        server.run()
    finally:
        if blinding is not None:
            blinding.close()
        if watching is not None:
            watching.stop()
        if periodic is not None:
            periodic.stop()
        try:
            # Refused anonymous requests are counted by the minute and written to the log
            # when the minute is over; the node stops, so write the minute in progress too.
            flush_refused_requests(store, include_open=True)
        finally:
            store.close()
    console.print(f"node {config.party} stopped")


def _trusted_proxies(addresses: list[str]) -> list[str]:
    """The --trusted-proxy addresses, each checked to be an IP address or network."""
    import ipaddress

    checked = []
    for address in addresses:
        try:
            network = ipaddress.ip_network(address.strip(), strict=False)
        except ValueError:
            raise NodeError(
                f"--trusted-proxy {address!r} is not an IP address: expected an address such "
                "as 10.0.0.5 or ::1, or a network such as 10.0.0.0/24"
            ) from None
        checked.append(str(network.network_address) if network.num_addresses == 1 else str(network))
    return checked


def _check_tls_files(cert: Path, key: Path) -> None:
    """NodeError naming the file and what was expected, unless `cert` and `key` are a
    readable PEM certificate and its unencrypted private key: uvicorn would fail later
    with a traceback, or prompt for a pass phrase."""
    import ssl

    from enlace.partners.transport import check_certificates

    check_certificates(cert, "--tls-cert")
    try:
        key_text = key.read_bytes()
    except OSError as error:
        raise NodeError(f"cannot read --tls-key {key}: {error.strerror}") from None
    if b"PRIVATE KEY-----" not in key_text or b"ENCRYPTED" in key_text:
        raise NodeError(
            f"--tls-key {key} holds no usable key: expected an unencrypted PEM private key "
            "('-----BEGIN PRIVATE KEY-----')"
        )

    def no_pass_phrase() -> str:
        raise NodeError(f"--tls-key {key} is encrypted: expected an unencrypted PEM private key")

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(cert), str(key), password=no_pass_phrase)
    except ssl.SSLError as error:
        raise NodeError(
            f"--tls-key {key} does not fit --tls-cert {cert} ({error.reason or error}): "
            "expected the private key of that certificate"
        ) from None
