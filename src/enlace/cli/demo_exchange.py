"""The exchange half of `enlace demo`: partners, two real `enlace serve` servers, release, sync.

Everything goes through the real pieces: the `enlace partner add` / `enlace partner invite`
commands, `enlace serve` subprocesses on loopback ports, `release_everything_allowed` and the HTTP
sync client. Nothing here is a shortcut a real deployment would not take.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from enlace.cli import exchange_commands
from enlace.exchange.references import withheld_for_references
from enlace.exchange.release import release_everything_allowed
from enlace.exchange.sync_client import SyncReport, sync_node_partner
from enlace.model.records.references import REFERRING_KINDS
from enlace.node.errors import NodeError
from enlace.node.keys import load_signing_key, public_key_hex
from enlace.node.setup import open_node
from enlace.store.repositories.audit import AuditVerification
from enlace.store.tables import audit_log, records
from enlace.store.versions import StoredRow

START_SECONDS = 30.0
STOP_SECONDS = 10.0
START_ATTEMPTS = 3


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(slots=True)
class RunningNode:
    """One `enlace serve` subprocess."""

    party: str
    node: Path
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL when it has not stopped in STOP_SECONDS."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start(party: str, node: Path) -> RunningNode:
    log = node / "demo-serve.log"
    last_output = ""
    for _ in range(START_ATTEMPTS):  # a port taken between probe and bind: try another
        port = free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                [sys.executable, "-m", "enlace", "serve", "--node", str(node),
                 "--host", "127.0.0.1", "--port", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        running = RunningNode(party, node, f"http://127.0.0.1:{port}", process, log)
        try:
            if _wait_until_serving(running):
                return running
        except BaseException:
            running.stop()
            raise
        running.stop()
        last_output = log.read_text(encoding="utf-8", errors="replace").strip()
    tail = last_output.splitlines()[-1] if last_output else "no output"
    raise NodeError(f"'enlace serve' for node {party} did not start ({tail}); see {log}")


def _wait_until_serving(running: RunningNode) -> bool:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            return False
        try:
            # Unauthenticated, the discovery answers 401: the server is up and listening.
            if httpx.get(f"{running.url}/taxii2/", timeout=1).status_code in (200, 401):
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


@contextmanager
def serving(nodes: dict[str, Path]) -> Iterator[dict[str, RunningNode]]:
    """Start `enlace serve` for each node; always stop every one started, whatever happens."""
    with ExitStack() as stack:
        running: dict[str, RunningNode] = {}
        for party, node in nodes.items():
            server = _start(party, node)
            stack.callback(server.stop)
            running[party] = server
        yield running


def register_partners(nodes: dict[str, Path], urls: dict[str, str]) -> None:
    """Make each node the other's partner with the real flow: add, invite, add the invite.

    Each invite token is written by `enlace partner invite` to a file of mode 600, copied by
    `enlace partner add --outbound-token-file` into the receiving node's key folder (mode 600),
    then deleted. No token is ever printed.
    """
    keys = {party: _public_key(node) for party, node in nodes.items()}
    parties = list(nodes)
    # Their messages (with instructions for people doing this by hand) are not shown here.
    with exchange_commands.console.capture():
        for party in parties:
            for partner in parties:
                if partner != party:
                    exchange_commands.add(
                        party=partner, url=urls[partner], key=keys[partner], node=nodes[party]
                    )
        for party in parties:
            for partner in parties:
                if partner == party:
                    continue
                token_file = nodes[party] / f"invite-for-{partner.lower()}.token"
                try:
                    exchange_commands.invite(party=partner, token_out=token_file, node=nodes[party])
                    exchange_commands.add(
                        party=party,
                        url=urls[party],
                        key=keys[party],
                        outbound_token_file=token_file,
                        node=nodes[partner],
                    )
                finally:
                    token_file.unlink(missing_ok=True)


def _public_key(node: Path) -> str:
    config, store = open_node(node)
    store.close()
    return public_key_hex(config.key_dir)


def release_allowed(node: Path, partner: str) -> int:
    """Release to `partner` every owned record its markings allow; how many were new."""
    config, store = open_node(node)
    try:
        key = load_signing_key(config.key_dir)
        released = release_everything_allowed(store, partner=partner, signing_key=key, actor="demo")
    finally:
        store.close()
    return released


def sync_from(node: Path, partner: str) -> SyncReport:
    """Pull over HTTP what `partner` released to this node."""
    config, store = open_node(node)
    try:
        return sync_node_partner(store, config.key_dir, partner, actor="demo")
    finally:
        store.close()


@dataclass(slots=True)
class Standing:
    """What a node holds with respect to its partner, after the exchange."""

    released: int = 0  # record versions released to the partner
    received: int = 0  # record versions received from the partner
    refused: int = 0
    national_only: int = 0
    not_releasable: int = 0
    names_withheld: int = 0  # releasable by its markings, but names what the partner may not hold
    audit: AuditVerification | None = None
    refused_by_reason: Counter[str] = field(default_factory=Counter)


def standing(node: Path, partner: str) -> Standing:
    """Totals for the report: released, received, refused, kept at home; the audit check."""
    config, store = open_node(node)
    result = Standing()
    try:
        with store.unit_of_work() as uow:
            connection = uow.connection
            result.released = uow.releases.count(partner)
            result.received = int(
                connection.execute(
                    select(func.count()).where(records.c.received_from == partner)
                ).scalar_one()
            )
            # One `refusal` entry per page, counting its refused objects (older stores: one
            # entry per object).
            result.refused = sum(
                int(detail.get("refused", 1)) if isinstance(detail, dict) else 1
                for detail in (
                    json.loads(text or "{}")
                    for text in connection.execute(
                        select(audit_log.c.detail).where(audit_log.c.action == "refusal")
                    ).scalars()
                )
            )
            releasable: list[StoredRow] = []  # of the kinds that can name other records
            for row in uow.records.iter_latest():
                if row.received_from is not None or row.owner != config.party:
                    continue
                if not row.releasable_to:
                    result.national_only += 1
                elif partner not in row.releasable_to:
                    result.not_releasable += 1
                elif not row.revoked and row.kind in REFERRING_KINDS:
                    releasable.append(row)
            # Asked after the streaming read is done: the rule reads the store itself.
            result.names_withheld = len(
                withheld_for_references(uow, party=config.party, partner=partner, rows=releasable)
            )
            result.audit = uow.audit.verify()
    finally:
        store.close()
    return result
