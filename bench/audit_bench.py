"""Audit log speed with the RFC 9162 tree beside the chain (issue 13): appends, proofs, checks.

    .venv/bin/python bench/audit_bench.py [--entries 1000000] [--batch 1000] [--single 10000]
                                          [--postgres [URL]] [--postgres-entries N] [--out DIR]

Appending: `AuditLog.append_many` in real units of work (one per batch, committed), on two
fresh stores side by side: one growing the stored Merkle tree (the default `AuditTree`), one
given a tree that keeps nothing (the chain alone). The two are fed the same entries, batch by
batch, alternately (which one goes first alternates too), so a machine busy with other work
slows both alike; each unit of work is timed on its own and the times summed. `--batch`
entries per unit of work (a sync page, a release: 1,000), then `--single` entries one per
unit of work (a login, a refusal: the common case), appended to the same logs.

At `--entries` entries (before the single appends), on the store with the tree: inclusion and
consistency proofs for `--samples` random leaves and first sizes (size, time to make, time
to verify with enlace.transparency.proofs, median), `AuditTree.root(size)` at those sizes,
`AuditTree.check()` over the whole log and `AuditLog.verify()` (the chain walk: together what
`enlace audit verify` pays), the rows of audit_tree_nodes and the size of the two stores.

SQLite stores go in a temporary folder under `--out` (removed afterwards). `--postgres`
(default URL postgresql+psycopg://postgres@127.0.0.1:5432/test) runs the same on PostgreSQL, in
two fresh schemas dropped afterwards, with `--postgres-entries` entries (default: --entries).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from enlace.store.engine import sqlite_url
from enlace.store.repositories.audit import AuditItem, AuditLog
from enlace.store.repositories.audit_tree import AuditTree, entry_leaf
from enlace.store.store import Store
from enlace.store.tables import audit_log, audit_tree_nodes
from enlace.transparency.frontier import Frontier
from enlace.transparency.proofs import verify_consistency, verify_inclusion

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_bench import machine

HERE = Path(__file__).resolve().parent
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEED = 7
PROGRESS_EVERY = 10  # progress lines per append run

console = Console(highlight=False, width=150)


class ChainOnly(AuditTree):
    """A tree that keeps nothing: `AuditLog(connection, tree=ChainOnly(connection))` times the
    hash chain alone."""

    def extend(self, entry_hashes: Sequence[str], *, frontier: Frontier | None = None) -> Frontier:
        return Frontier() if frontier is None else frontier


# --- what is measured --------------------------------------------------------------------


@dataclass(slots=True)
class Appended:
    """One append run on one database: the same entries into both stores."""

    target: str
    batch: int
    entries: int
    tree_seconds: float = 0.0
    chain_seconds: float = 0.0

    @property
    def tree_rate(self) -> float:
        return self.entries / self.tree_seconds

    @property
    def chain_rate(self) -> float:
        return self.entries / self.chain_seconds


@dataclass(slots=True)
class Timed:
    """Sizes and times of one operation over samples."""

    sizes: list[int] = field(default_factory=list)  # hashes in each proof
    make: list[float] = field(default_factory=list)
    verify: list[float] = field(default_factory=list)


@dataclass(slots=True)
class AtSize:
    """What was measured on the tree store at `entries` entries."""

    target: str
    entries: int
    inclusion: Timed
    consistency: Timed
    root_at: list[float]
    root_now: float
    check_seconds: float
    check_ok: bool
    verify_seconds: float
    verify_ok: bool
    nodes: int
    tree_store_bytes: int
    chain_store_bytes: int


@dataclass(frozen=True, slots=True)
class Target:
    """A database to run on: two fresh stores (with the tree, chain alone) and their sizes."""

    name: str
    tree: Store
    chain: Store
    entries: int
    store_bytes: Callable[[Store], int]


def main() -> None:
    args = _arguments()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]audit benchmark[/]  {machine()}  load average {_load()}")
    appended: list[Appended] = []
    measured: list[AtSize] = []
    skipped = ""
    folder = Path(tempfile.mkdtemp(prefix="audit-bench-", dir=out))
    try:
        sqlite = Target(
            "SQLite",
            Store.open(sqlite_url(str(folder / "tree.sqlite"))),
            Store.open(sqlite_url(str(folder / "chain.sqlite"))),
            args.entries,
            _sqlite_bytes,
        )
        _run(sqlite, args, appended, measured)
        sqlite.tree.close()
        sqlite.chain.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.postgres:
        with _postgres(args.postgres, args.postgres_entries or args.entries) as postgres:
            if isinstance(postgres, str):
                skipped = postgres
            else:
                _run(postgres, args, appended, measured)
    console.print(_append_table(appended))
    console.print(_size_table(measured, args.samples))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(
        f"entries/s: entries over the summed wall time of their units of work (append_many and "
        f"commit). ratio: with the tree ÷ chain alone. Proof times: median over {args.samples} "
        f"random leaves / first sizes (seed {SEED}), in one open unit of work. Peak RSS of this "
        f"process: {peak:,.0f} MiB. Load average at the end: {_load()}."
    )
    if skipped:
        console.print(f"PostgreSQL rows skipped: {skipped}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries appended")
    parser.add_argument("--batch", type=int, default=1000, help="entries per unit of work")
    parser.add_argument(
        "--single", type=int, default=10_000, help="entries then appended one per unit of work"
    )
    parser.add_argument("--samples", type=int, default=200, help="proofs made and verified")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES_URL,
        default=None,
        metavar="URL",
        help=f"also run on PostgreSQL (URL default {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument(
        "--postgres-entries", type=int, default=0, help="entries on PostgreSQL (default --entries)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the stores go")
    return parser.parse_args()


def _run(
    target: Target, args: argparse.Namespace, appended: list[Appended], measured: list[AtSize]
) -> None:
    appended.append(_append(target, target.entries, args.batch, first_seq=0))
    measured.append(_at_size(target, args.samples))
    if args.single:
        appended.append(_append(target, args.single, 1, first_seq=target.entries))


# --- appending ---------------------------------------------------------------------------


def _items(rng: random.Random, first_seq: int, count: int, batch: int) -> list[AuditItem]:
    """`count` entries as the node writes them: releases in a batch (release.py), single
    entries a login's or a partner's refusal's (users/authentication.py, receiving.py)."""
    if batch > 1:
        return [
            AuditItem(
                "cli",
                "release",
                f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                {
                    "partner": "MX",
                    "modified": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                    f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00.000000Z",
                    "kind": "indicator",
                },
            )
            for _ in range(count)
        ]
    seq = first_seq + 1
    if seq % 2:
        return [AuditItem("alice", "login", "alice", {"client": f"10.0.{seq % 250}.{seq % 7}"})]
    return [
        AuditItem("MX", "refusal", "MX", {"partner": "MX", "refused": 1, "reasons": {"bad": 1}})
    ]


def _append(target: Target, entries: int, batch: int, *, first_seq: int) -> Appended:
    """Append `entries` in units of work of `batch`, alternately to both stores."""
    result = Appended(target.name, batch, entries)
    rng = random.Random(SEED + first_seq)
    done = 0
    units = 0
    report_every = max(entries // PROGRESS_EVERY, 1)
    next_report = report_every
    started = time.perf_counter()
    while done < entries:
        count = min(batch, entries - done)
        items = _items(rng, first_seq + done, count, batch)
        # Alternate which store goes first: neither always follows the other's commit.
        order = ("tree", "chain") if units % 2 == 0 else ("chain", "tree")
        for which in order:
            store = target.tree if which == "tree" else target.chain
            begun = time.perf_counter()
            with store.unit_of_work() as uow:
                log = (
                    uow.audit
                    if which == "tree"
                    else AuditLog(uow.connection, tree=ChainOnly(uow.connection))
                )
                log.append_many(items)
                uow.commit()
            elapsed = time.perf_counter() - begun
            if which == "tree":
                result.tree_seconds += elapsed
            else:
                result.chain_seconds += elapsed
        done += count
        units += 1
        if done >= next_report or done == entries:
            next_report += report_every
            console.print(
                f"  [{target.name}] batch {batch:,}: {done:,}/{entries:,} entries, "
                f"{time.perf_counter() - started:,.0f} s; with tree {done / result.tree_seconds:,.0f}"
                f"/s, chain alone {done / result.chain_seconds:,.0f}/s; load {_load()}"
            )
    return result


# --- at N entries ------------------------------------------------------------------------


def _at_size(target: Target, samples: int) -> AtSize:
    size = target.entries
    rng = random.Random(SEED)
    console.print(f"  [{target.name}] proofs at {size:,} entries")
    with target.tree.unit_of_work() as uow:
        tree = uow.audit_tree
        connection = uow.connection
        begun = time.perf_counter()
        root = tree.root()
        root_now = time.perf_counter() - begun
        if tree.size() != size:
            raise SystemExit(f"the tree holds {tree.size():,} leaves, not {size:,}")

        inclusion = Timed()
        for index in rng.sample(range(size), min(samples, size)):
            hex_hash = connection.execute(
                select(audit_log.c.entry_hash).where(audit_log.c.seq == index + 1)
            ).scalar_one()
            begun = time.perf_counter()
            proof = tree.inclusion_proof(index, size)
            inclusion.make.append(time.perf_counter() - begun)
            leaf = entry_leaf(str(hex_hash))
            begun = time.perf_counter()
            verify_inclusion(leaf_hash=leaf, index=index, size=size, proof=proof, root=root)
            inclusion.verify.append(time.perf_counter() - begun)
            inclusion.sizes.append(len(proof))

        consistency = Timed()
        root_at: list[float] = []
        for first in rng.sample(range(1, size), min(samples, size - 1)):
            begun = time.perf_counter()
            first_root = tree.root(first)
            root_at.append(time.perf_counter() - begun)
            begun = time.perf_counter()
            proof = tree.consistency_proof(first, size)
            consistency.make.append(time.perf_counter() - begun)
            begun = time.perf_counter()
            verify_consistency(
                first_size=first,
                first_root=first_root,
                second_size=size,
                second_root=root,
                proof=proof,
            )
            consistency.verify.append(time.perf_counter() - begun)
            consistency.sizes.append(len(proof))

        console.print(f"  [{target.name}] AuditTree.check() over {size:,} entries")
        begun = time.perf_counter()
        checked = tree.check()
        check_seconds = time.perf_counter() - begun
        console.print(f"  [{target.name}] AuditLog.verify() over {size:,} entries")
        begun = time.perf_counter()
        verified = uow.audit.verify()
        verify_seconds = time.perf_counter() - begun
        nodes = int(
            connection.execute(select(func.count()).select_from(audit_tree_nodes)).scalar_one()
        )
    return AtSize(
        target=target.name,
        entries=size,
        inclusion=inclusion,
        consistency=consistency,
        root_at=root_at,
        root_now=root_now,
        check_seconds=check_seconds,
        check_ok=checked.ok and checked.root == root,
        verify_seconds=verify_seconds,
        verify_ok=verified.ok and verified.entries == size,
        nodes=nodes,
        tree_store_bytes=target.store_bytes(target.tree),
        chain_store_bytes=target.store_bytes(target.chain),
    )


# --- the databases -----------------------------------------------------------------------


def _sqlite_bytes(store: Store) -> int:
    with store.engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        pages = connection.execute(text("PRAGMA page_count")).scalar_one()
        page_size = connection.execute(text("PRAGMA page_size")).scalar_one()
    return int(pages) * int(page_size)


@contextmanager
def _postgres(url: str, entries: int) -> Iterator[Target | str]:
    """Two fresh schemas on the server (with the tree, chain alone), dropped afterwards; or
    why PostgreSQL was skipped."""
    base: URL = make_url(url)
    if base.drivername in ("postgresql", "postgres"):
        base = base.set(drivername="postgresql+psycopg")
    admin = create_engine(
        base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}, pool_size=1
    )
    schemas = {which: f"enlace_abench_{which}_{uuid.uuid4().hex[:10]}" for which in ("t", "c")}
    stores: list[Store] = []
    try:
        with admin.connect() as connection:
            for schema in schemas.values():
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as error:
        admin.dispose()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        yield f"PostgreSQL not reachable at {base.render_as_string()}: {reason}"
        return
    try:
        for schema in schemas.values():
            schema_url = base.update_query_dict(
                {"options": f"-csearch_path={schema}", "application_name": schema}
            )
            stores.append(Store.open(schema_url.render_as_string(hide_password=False)))

        def schema_bytes(store: Store) -> int:
            schema = schemas["t"] if store is stores[0] else schemas["c"]
            with admin.connect() as connection:
                size = connection.execute(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": schema},
                ).scalar_one()
            return int(size or 0)

        yield Target("PostgreSQL", stores[0], stores[1], entries, schema_bytes)
    finally:
        for store in stores:
            store.close()
        with admin.connect() as connection:
            for schema in schemas.values():
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# --- the tables --------------------------------------------------------------------------


def _append_table(rows: list[Appended]) -> Table:
    table = Table(title="appending to the audit log: chain alone vs chain + RFC 9162 tree")
    for name in ("database", "entries per unit of work", "entries"):
        table.add_column(name, justify="right" if name != "database" else "left")
    for name in ("chain alone /s", "with tree /s", "ratio", "tree overhead"):
        table.add_column(name, justify="right")
    for row in rows:
        ratio = row.tree_rate / row.chain_rate
        table.add_row(
            row.target,
            f"{row.batch:,}",
            f"{row.entries:,}",
            f"{row.chain_rate:,.0f}",
            f"{row.tree_rate:,.0f}",
            f"{ratio:.2f}",
            f"{row.tree_seconds / row.chain_seconds - 1:+.0%} time",
        )
    return table


def _size_table(rows: list[AtSize], samples: int) -> Table:
    table = Table(title=f"the tree at N entries (median of {samples})")
    table.add_column("database")
    table.add_column("N", justify="right")
    table.add_column("what")
    table.add_column("size", justify="right")
    table.add_column("make / time", justify="right")
    table.add_column("verify", justify="right")
    for row in rows:
        lines: list[tuple[str, str, str, str]] = []
        for name, timed in (
            ("inclusion proof", row.inclusion),
            ("consistency proof", row.consistency),
        ):
            hashes = statistics.median(timed.sizes)
            lines.append(
                (
                    name,
                    f"{hashes:.0f} hashes, {hashes * 32:,.0f} B (max {max(timed.sizes)})",
                    _ms(statistics.median(timed.make)),
                    _ms(statistics.median(timed.verify)),
                )
            )
        lines += [
            ("root(size), random sizes", "32 B", _ms(statistics.median(row.root_at)), ""),
            ("root() (stored frontier)", "32 B", _ms(row.root_now), ""),
            (
                "AuditTree.check() (whole log)",
                "ok" if row.check_ok else "FAILED",
                f"{row.check_seconds:,.1f} s",
                "",
            ),
            (
                "AuditLog.verify() (chain walk)",
                "ok" if row.verify_ok else "FAILED",
                f"{row.verify_seconds:,.1f} s",
                "",
            ),
            (
                "audit_tree_nodes rows",
                f"{row.nodes:,} ({row.nodes / row.entries:.2%} of entries)",
                "",
                "",
            ),
            (
                "store size",
                f"{row.tree_store_bytes / 2**20:,.0f} MiB vs "
                f"{row.chain_store_bytes / 2**20:,.0f} MiB chain alone",
                "",
                "",
            ),
        ]
        for position, line in enumerate(lines):
            lead = (row.target, f"{row.entries:,}") if position == 0 else ("", "")
            table.add_row(*lead, *line)
    return table


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f} ms"


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


if __name__ == "__main__":
    main()
