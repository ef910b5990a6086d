"""Real nodes: two `enlace serve` processes syncing both ways, and a sync killed with SIGKILL.

These run the real command line in subprocesses over loopback TCP, on SQLite node folders.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from functools import partial
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import func, select

from enlace.exchange.release import release_all_allowed
from enlace.exchange.taxii.app import create_app
from enlace.node.keys import load_signing_key, public_key_hex
from enlace.node.setup import initialise_node, open_node
from enlace.partners.credentials import write_outbound_token
from enlace.store.repositories.partners import token_hash
from enlace.store.tables import records
from enlace.store.versions import StoredVersion
from support import timing
from support.exchange import NATIONAL, TO_MX, TO_US, phone
from support.nodes import add_phones, cli, counts, enlace, free_port, served_in_thread, serving

pytestmark = pytest.mark.e2e


def stored_from_mx(node: Path) -> int:
    with closing(sqlite3.connect(node / "enlace.sqlite", timeout=timing.timeout(30))) as db:
        query = "SELECT count(*) FROM records WHERE received_from = 'MX'"
        return int(db.execute(query).fetchone()[0])


def stored_or_exited(node: Path, threshold: int, process: subprocess.Popen[bytes]) -> bool:
    """Whether `node` holds `threshold` versions from MX, or the sync `process` has ended."""
    return stored_from_mx(node) >= threshold or process.poll() is not None


def test_two_real_nodes_sync_both_ways(tmp_path: Path) -> None:
    mx, us = tmp_path / "mx", tmp_path / "us"
    mx_key = initialise_node(mx, party="MX").public_key
    us_key = initialise_node(us, party="US").public_key
    mx_port, us_port = free_port(), free_port()
    mx_url, us_url = f"http://127.0.0.1:{mx_port}", f"http://127.0.0.1:{us_port}"
    # Registration, as docs/exchange.md describes it: add, invite, add with the invite.
    cli("partner", "add", "--party", "US", "--url", us_url, "--key", us_key, "--node", str(mx))
    out = cli("partner", "invite", "--party", "US", "--token-out", str(tmp_path / "for-us"),
              "--node", str(mx))  # fmt: skip
    assert mx_key in out
    cli("partner", "add", "--party", "MX", "--url", mx_url, "--key", mx_key,
        "--outbound-token-file", str(tmp_path / "for-us"), "--node", str(us))  # fmt: skip
    cli("partner", "invite", "--party", "MX", "--token-out", str(tmp_path / "for-mx"),
        "--node", str(us))  # fmt: skip
    cli("partner", "add", "--party", "US", "--url", us_url, "--key", us_key,
        "--outbound-token-file", str(tmp_path / "for-mx"), "--node", str(mx))  # fmt: skip
    add_phones(mx, [f"+52 55 8000 {i:04d}" for i in range(40)], owner="MX", markings=TO_US)
    add_phones(mx, [f"+52 55 8100 {i:04d}" for i in range(5)], owner="MX", markings=NATIONAL)
    add_phones(us, [f"+1 915 555 {i:04d}" for i in range(25)], owner="US", markings=TO_MX)
    add_phones(us, [f"+1 915 556 {i:04d}" for i in range(5)], owner="US", markings=NATIONAL)
    cli("release", "--partner", "US", "--all", "--node", str(mx))
    cli("release", "--partner", "MX", "--all", "--node", str(us))

    with serving(mx, mx_port, "--sync-every", "0.5"), serving(us, us_port):
        pulled = enlace("sync", "MX", "--node", str(us), "--page-size", "7")
        assert pulled.returncode == 0, pulled.stderr
        assert "received:" in pulled.stdout
        pushed = enlace("sync", "US", "--node", str(mx), "--page-size", "7")
        assert pushed.returncode == 0, pushed.stderr
        again = enlace("sync", "MX", "--node", str(us))
        assert again.returncode == 0, again.stderr
        assert "received:     0" in again.stdout
        # The MX server also syncs from US every half second: a new release arrives alone.
        add_phones(us, ["+1 915 557 0001"], owner="US", markings=TO_MX)
        cli("release", "--partner", "MX", "--all", "--node", str(us))
        timing.wait_until(
            lambda: counts(mx, "US")[0] >= counts(us, "MX")[2],
            what="MX's scheduled sync to receive what US released",
            timeout=20,
            interval=0.2,
        )

    us_received, us_signatures, _ = counts(us, "MX")
    _, _, mx_released = counts(mx, "US")
    assert us_received == us_signatures == mx_released >= 40
    mx_received, mx_signatures, _ = counts(mx, "US")
    _, _, us_released = counts(us, "MX")
    assert mx_received == mx_signatures == us_released >= 26
    for node in (mx, us):
        verified = enlace("audit", "verify", "--node", str(node))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "audit log intact" in verified.stdout
    for secret in (mx / "keys" / "partners" / "US.token", us / "keys" / "partners" / "MX.token"):
        assert secret.stat().st_mode & 0o777 == 0o600


@pytest.fixture
def mx_serving(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """An MX node (in-process server on loopback) that released 3,000 versions to US."""
    mx = tmp_path / "mx"
    initialise_node(mx, party="MX")
    us_key = initialise_node(tmp_path / "us", party="US").public_key
    token = "us-pulls-mx-0123456789abcdef"
    config, store = open_node(mx)
    numbers = [f"+52 33 {4000 + i // 10000:04d} {i % 10000:04d}" for i in range(3000)]
    with store.unit_of_work() as uow:
        uow.partners.put(
            party="US",
            url="http://127.0.0.1:1",
            verify_key_hex=us_key,
            token_hash=token_hash(token),
            added_at=uow.started_at,
        )
        uow.records.add([StoredVersion.of(phone(n)) for n in numbers], added_at=uow.started_at)
        released = release_all_allowed(
            uow, partner="US", signing_key=load_signing_key(config.key_dir), actor="t"
        )
        uow.commit()
    port = free_port()
    server_config = uvicorn.Config(
        create_app(store, "MX", signing_key=load_signing_key(config.key_dir)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    try:
        with served_in_thread(server_config):
            yield f"http://127.0.0.1:{port}", released, mx
    finally:
        store.close()


def test_sync_killed_with_sigkill_then_rerun_stores_every_version_exactly_once(
    tmp_path: Path, mx_serving: tuple[str, int, Path]
) -> None:
    url, released, mx = mx_serving
    assert released >= 3000
    us = tmp_path / "us"
    config, store = open_node(us)
    with store.unit_of_work() as uow:
        uow.partners.put(
            party="MX",
            url=url,
            verify_key_hex=public_key_hex(mx / "keys"),
            token_hash=token_hash("not-used-here-0123456789"),
            added_at=uow.started_at,
        )
        uow.commit()
    store.close()
    write_outbound_token(config.key_dir, "MX", "us-pulls-mx-0123456789abcdef")
    command = [sys.executable, "-m", "enlace", "sync", "MX", "--node", str(us), "--page-size", "25"]
    chance = random.Random(20251125)
    # Kill at random points of the run: once the store holds a random number of versions,
    # plus a random few milliseconds (mid-page, mid-commit or between pages).
    thresholds = sorted(chance.sample(range(1, released), 3))
    seen = []
    for threshold in thresholds:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        timing.wait_until(
            partial(stored_or_exited, us, threshold, process),
            what=f"the sync to store {threshold} versions (it made no progress)",
            timeout=60,
            interval=0.01,
        )
        time.sleep(chance.uniform(0, 0.05))  # part of the test: a random moment to kill at
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=timing.timeout(10))
        seen.append(stored_from_mx(us))
    finished = enlace("sync", "MX", "--node", str(us), "--page-size", "25")
    assert finished.returncode == 0, finished.stderr
    received, signatures, _ = counts(us, "MX")
    assert received == signatures == released, seen
    assert any(0 < n < released for n in seen), seen
    _, store = open_node(us)
    try:
        with store.unit_of_work() as uow:
            distinct = select(func.count()).select_from(
                select(records.c.id, records.c.modified).distinct().subquery()
            )
            assert uow.connection.execute(distinct).scalar_one() == uow.records.count_versions()
            receipts = [e.detail for e in uow.audit.entries()
                        if e.action == "receipt"]  # fmt: skip
    finally:
        store.close()
    assert sum(r["received"] for r in receipts) == released
