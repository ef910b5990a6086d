"""Three real nodes (MX, US, CA): `enlace serve` processes on loopback, registered pairwise with
the invite flow, mixed releasability, syncs in every direction; each holds exactly what was
released to it, and a received record is never passed on to a third party."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.model.markings import Markings
from enlace.node.keys import public_key_hex
from enlace.node.setup import open_node
from enlace.store.tables import records
from enlace.store.versions import StoredVersion
from support.exchange import phone
from support.nodes import cli, enlace, free_port, serving

pytestmark = pytest.mark.e2e

PARTIES = ("MX", "US", "CA")


def marked(releasable_to: str | None) -> Markings:
    return Markings.build(tlp="amber", releasable_to=releasable_to, handling="H2", evaluation="B2")


# (owner, releasable_to, how many): MX->US only, MX->US+CA, national only, ...
PLAN = [
    ("MX", "US", 4),
    ("MX", "US CA", 3),
    ("MX", None, 2),
    ("MX", "CA", 2),
    ("US", "MX CA", 3),
    ("US", "MX", 2),
    ("US", None, 1),
    ("CA", "MX", 2),
    ("CA", "MX US", 2),
]
PREFIX = {"MX": "+52 55 6{}00 ", "US": "+1 915 55{} ", "CA": "+1 613 55{} "}


def add_records(node: Path, owner: str) -> dict[str, list[str]]:
    """Store the owner's planned records; return record ids by releasability."""
    made: dict[str, list[str]] = {}
    versions = []
    for number, (who, releasable_to, count) in enumerate(PLAN):
        if who != owner:
            continue
        for i in range(count):
            record = phone(
                PREFIX[owner].format(number) + f"{i:04d}",
                owner=owner,
                markings=marked(releasable_to),
            )
            versions.append(StoredVersion.of(record))
            made.setdefault(releasable_to or "", []).append(record.id)
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            uow.records.add(versions, added_at=uow.started_at)
            uow.commit()
    finally:
        store.close()
    return made


def received(node: Path, owner: str) -> set[tuple[str, str]]:
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            query = select(records.c.id, records.c.modified).where(
                records.c.received_from == owner, records.c.owner == owner
            )
            return {(r.id, r.modified) for r in uow.connection.execute(query)}
    finally:
        store.close()


def released(node: Path, partner: str) -> set[tuple[str, str]]:
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            page = uow.releases.page(partner, version="all")
            return {(r.record_id, r.modified) for r in page}
    finally:
        store.close()


def agencies(node: Path) -> int:
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            query = select(func.count()).select_from(records).where(records.c.kind == "agency")
            return int(uow.connection.execute(query).scalar_one())
    finally:
        store.close()


def last_audit(node: Path) -> tuple[str, str | None, object]:
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            (entry,) = uow.audit.latest(1)
            return entry.action, entry.subject, entry.detail
    finally:
        store.close()


def test_three_real_nodes_each_hold_exactly_what_was_released_to_them(tmp_path: Path) -> None:
    dirs = {p: tmp_path / p.lower() for p in PARTIES}
    ports = {p: free_port() for p in PARTIES}
    urls = {p: f"http://127.0.0.1:{ports[p]}" for p in PARTIES}
    keys = {}
    for party in PARTIES:
        cli("init", "--party", party, "--node", str(dirs[party]))
        keys[party] = public_key_hex(dirs[party] / "keys")
    assert agencies(dirs["CA"]) == 0  # no catalogue entry: no agencies
    assert agencies(dirs["MX"]) > 0
    # Registration, pairwise, as docs/exchange.md describes it: add, invite, add the invite.
    for here, there in itertools.permutations(PARTIES, 2):
        cli("partner", "add", "--party", there, "--url", urls[there], "--key", keys[there],
            "--node", str(dirs[here]))  # fmt: skip
    for server, puller in itertools.permutations(PARTIES, 2):
        invite = tmp_path / f"{puller}-pulls-{server}.token"
        cli("partner", "invite", "--party", puller, "--token-out", str(invite),
            "--node", str(dirs[server]))  # fmt: skip
        cli("partner", "add", "--party", server, "--url", urls[server], "--key", keys[server],
            "--outbound-token-file", str(invite), "--node", str(dirs[puller]))  # fmt: skip
    made = {party: add_records(dirs[party], party) for party in PARTIES}
    for owner, partner in itertools.permutations(PARTIES, 2):
        cli("release", "--partner", partner, "--all", "--node", str(dirs[owner]))

    mx_to_us_only = made["MX"]["US"]
    with (
        serving(dirs["MX"], ports["MX"]),
        serving(dirs["US"], ports["US"]),
        serving(dirs["CA"], ports["CA"]),
    ):
        # The real command line once (a subprocess); the other syncs run the same command
        # in this process, still over HTTP to the three servers.
        done = enlace("sync", "MX", "--node", str(dirs["CA"]), "--page-size", "3")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "refused:      0" in done.stdout
        for puller, server in itertools.permutations(PARTIES, 2):
            out = cli("sync", server, "--node", str(dirs[puller]), "--page-size", "3")
            assert "refused:      0" in out
        # US, holding MX's US-only records, tries to pass one on to CA: refused and audited.
        onward = CliRunner().invoke(
            build_app(), ["release", "--partner", "CA", mx_to_us_only[0], "--node", str(dirs["US"])]
        )
        assert onward.exit_code == 1
        assert "received from MX" in onward.output
        action, subject, detail = last_audit(dirs["US"])
        assert (action, subject) == ("release-refused", mx_to_us_only[0])
        assert isinstance(detail, dict)
        assert detail["partner"] == "CA"
        again = cli("release", "--partner", "CA", "--all", "--node", str(dirs["US"]))
        assert "0 record version(s) newly released" in again
        for puller, server in itertools.permutations(PARTIES, 2):
            out = cli("sync", server, "--node", str(dirs[puller]))
            assert "received:     0" in out

    for owner, holder in itertools.permutations(PARTIES, 2):
        expected = released(dirs[owner], holder)
        assert received(dirs[holder], owner) == expected, (owner, holder)
        # ... and exactly what the markings allow: every record naming the holder.
        allowed = {rid for rel, ids in made[owner].items() if holder in rel.split() for rid in ids}
        # Agencies (identities) travel too since 'partner add' shares them; the rest must be
        # exactly the records whose markings name the holder.
        records = {rid for rid, _ in expected if not rid.startswith("identity--")}
        assert records == allowed, (owner, holder)
    held_by_ca = {rid for rid, _ in received(dirs["CA"], "MX")} | {
        rid for rid, _ in received(dirs["CA"], "US")
    }
    assert not held_by_ca & set(mx_to_us_only)
    for party in PARTIES:
        assert not any(rid in made[party].get("", []) for other in PARTIES for rid, _ in
                       received(dirs[other], party))  # fmt: skip
        assert "audit log intact" in cli("audit", "verify", "--node", str(dirs[party]))
