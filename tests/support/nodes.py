"""Real nodes: node folders driven by the command line, in process or as subprocesses,
`enlace serve` processes and uvicorn servers in threads, on loopback."""

from __future__ import annotations

import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.model.markings import Markings
from enlace.node.setup import open_node
from enlace.store.tables import records
from enlace.store.versions import StoredVersion
from support import timing
from support.exchange import phone

# Ports for the tests' servers come from below the kernel's ephemeral range (32768-60999 on
# Linux): a port the kernel hands out for bind(("127.0.0.1", 0)) is one it may hand again, to
# another xdist worker's probe or to any outgoing connection, in the moment between the probe
# and the server's own bind; CI once failed on exactly that ("address already in use"). Each
# xdist worker draws from a band of its own, so two workers never pick the same port, and
# within it at random, so two test runs on one machine rarely do.
_PORT_BASE = 12_000
_PORT_BAND = 2_000
_PORT_BANDS = 10
_handed: set[int] = set()


def _band() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % _PORT_BANDS if worker.isdigit() else 0
    start = _PORT_BASE + index * _PORT_BAND
    return range(start, start + _PORT_BAND)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now, not handed out before in this process, from
    this xdist worker's band below the ephemeral range."""
    band = _band()
    for _ in range(200):
        port = random.choice(band)
        if port in _handed:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed.add(port)
        return port
    raise RuntimeError(f"no free port on 127.0.0.1 in {band.start}-{band.stop - 1}")


def enlace(
    *args: str, timeout: float = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `enlace ARGS` as a person does: a subprocess of this interpreter (the environment,
    PYTHONPATH included, passed on, with `env` added); its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "enlace", *args],
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=timing.timeout(timeout),
    )


def cli(*args: str) -> str:
    """Run `enlace ARGS` in this process; assert it succeeded; return its output."""
    result = CliRunner().invoke(build_app(), list(args))
    assert result.exit_code == 0, result.output
    return result.output


def wait_until_serving(
    url: str, process: subprocess.Popen[bytes], log: Path, verify: ssl.SSLContext | bool = True
) -> None:
    """Wait until the `enlace serve` `process` answers at `url`; fail with its log if not."""

    def answering() -> bool:
        if process.poll() is not None:
            pytest.fail(f"enlace serve exited {process.returncode}: {log.read_text()}")
        try:
            probe = httpx.get(f"{url}/taxii2/", timeout=timing.timeout(1), verify=verify)
        except httpx.HTTPError:
            return False
        return probe.status_code == 401

    timing.wait_until(
        answering,
        what=f"enlace serve to start answering at {url}",
        timeout=30,
        interval=0.1,
        detail=log.read_text,
    )


@contextmanager
def serving(
    node: Path, port: int, *extra: str, scheme: str = "http", verify: ssl.SSLContext | bool = True
) -> Iterator[str]:
    """`enlace serve` of `node` on 127.0.0.1:`port` in a subprocess; SIGTERM at the end.
    With `scheme` https, `extra` gives --tls-cert/--tls-key and `verify` trusts them."""
    # A second server of the same node (tests of several servers) logs to a file of its own.
    log = node.parent / f"{node.name}-serve.log"
    if log.exists():
        log = node.parent / f"{node.name}-serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "enlace", "serve", "--node", str(node), "--port", str(port),
             *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, log, verify)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=timing.timeout(20))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"enlace serve did not stop on SIGTERM: {log.read_text()}")
    assert code == 0, log.read_text()


def add_phones(node: Path, numbers: list[str], *, owner: str, markings: Markings) -> None:
    """Store phone-number records of `owner` in the node folder `node`."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            uow.records.add(
                [StoredVersion.of(phone(n, owner=owner, markings=markings)) for n in numbers],
                added_at=uow.started_at,
            )
            uow.commit()
    finally:
        store.close()


def counts(node: Path, partner: str) -> tuple[int, int, int]:
    """(versions received from partner, their signatures, versions released to partner)."""
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            query = select(func.count()).select_from(records)
            got = uow.connection.execute(query.where(records.c.received_from == partner))
            received = int(got.scalar_one())
            signatures = uow.signatures.count(partner)
            released = uow.releases.count(partner)
            assert uow.audit.verify().ok
    finally:
        store.close()
    return received, signatures, released


@contextmanager
def served_in_thread(config: uvicorn.Config) -> Iterator[uvicorn.Server]:
    """A real uvicorn server for `config`, in a thread, started before the block and
    stopped after it (the tests' partner nodes on loopback)."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    timing.wait_until(
        lambda: server.started,
        what="the uvicorn server in a thread to start",
        timeout=10,
        interval=0.02,
    )
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=timing.timeout(10))
