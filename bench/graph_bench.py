"""The link graph page of a record with 10,000 neighbours: median and worst, served for real.

    .venv/bin/python bench/graph_bench.py [--neighbours 10000] [--stores sqlite postgresql]
        [--postgres-url URL] [--repeat 20] [--explain]

For each store it builds a node (SQLite: a file under a temporary folder; PostgreSQL: a fresh
schema on the server at --postgres-url, dropped afterwards) holding a hub — a phone record
that `--neighbours` phone records are related to — with a few records beyond its first
neighbours (depth 2), one neighbour with 1,000 relationships of its own (past the count's
cap), and matches with a partner. It serves the node's application (`create_node_app`) with
uvicorn on a free loopback port and times, with an HTTP client holding an analyst's API
token, `--repeat` requests of each page: the hub's link graph (10,000 at depth 1), a
neighbour's (the hub at depth 1, its 10,000 at depth 2) and, for comparison, the hub's
record page. The target: the graph page under 1 s.

`--explain` prints the plan of every statement the graph's query runs (SQLite's EXPLAIN
QUERY PLAN, PostgreSQL's EXPLAIN after ANALYZE) and whether any reads a table whole.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from enlace.model.markings import Markings
from enlace.model.records import PhoneNumber, Relationship, derived_id
from enlace.model.roles import Role
from enlace.node.config import NodeConfig
from enlace.node.keys import create_signing_key
from enlace.store.engine import sqlite_url
from enlace.store.repositories.matches import Match
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.users.accounts import add_user
from enlace.users.passwords import random_password
from enlace.users.tokens import create_token
from enlace.web.app import create_node_app
from enlace.web.queries.neighbourhood import neighbourhood
from import_bench import machine

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STORES = ("sqlite", "postgresql")
TARGET_SECONDS = 1.0
USERNAME = "bench.graph"
CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
MARKINGS = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
BEYOND = 40  # neighbours that have records of their own beyond them (depth 2)
BUSY = 1000  # relationships of one neighbour (past the graph's count cap of 200)
MATCHES = 30
_BATCH = 2000
_WHOLE = {
    "sqlite": re.compile(r"\bSCAN (records|record_links|matches|hit_notices|match_handles)\b"),
    "postgresql": re.compile(
        r"Seq Scan on (records|record_links|matches|hit_notices|match_handles)\b"
    ),
}

console = Console(highlight=False, width=150)


@dataclass(frozen=True, slots=True)
class Built:
    """A node the bench built: the hub, one of its neighbours, and how long building took."""

    hub: str
    neighbour: str
    neighbours: int
    records: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Timed:
    """The requests of one page."""

    store: str
    page: str
    path: str
    seconds: list[float]
    nodes: int  # drawn (a graph page)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def worst(self) -> float:
        return max(self.seconds)


def main() -> None:
    """Build, serve and time each store's node; print the table."""
    args = _arguments()
    console.print(f"machine: {machine()}", markup=False)
    console.print(
        f"neighbours: {args.neighbours:,}; requests per page: {args.repeat}", markup=False
    )
    results: list[Timed] = []
    for store_name in args.stores:
        try:
            with _store(store_name, args.postgres_url) as store:
                built = build(store, args.neighbours)
                console.print(
                    f"{store_name}: built {built.records:,} records in {built.seconds:.1f} s",
                    markup=False,
                )
                if args.explain:
                    explain(store, built.hub)
                    explain(store, built.neighbour)
                results.extend(time_pages(store, store_name, built, args.repeat))
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            console.print(f"{store_name}: left out ({reason})", markup=False)
    _print(results)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neighbours", type=int, default=10_000)
    parser.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES))
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    return parser.parse_args()


@contextmanager
def _store(name: str, postgres_url: str) -> Iterator[Store]:
    if name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="graph-bench-") as folder:
            store = Store.open(sqlite_url(str(Path(folder) / "node.sqlite")))
            try:
                yield store
            finally:
                store.close()
        return
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT", pool_size=1)
    schema = "graph_bench_" + uuid.uuid4().hex[:12]
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        store = Store.open(url.render_as_string(hide_password=False))
        try:
            yield store
        finally:
            store.close()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _phone(n: int) -> PhoneNumber:
    return PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "graph-bench", str(n)),
        owner="MX",
        markings=MARKINGS,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"number": f"+5266{n:08d}"},
    )


def _link(name: str, source: str, target: str) -> Relationship:
    return Relationship.from_values(
        id=derived_id("relationship", "graph-bench", name),
        owner="MX",
        markings=MARKINGS,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"relationship_type": "related-to", "source_ref": source, "target_ref": target},
    )


def build(store: Store, neighbours: int) -> Built:
    """The hub, its neighbours and what lies beyond them; a partner's matches of the hub."""
    started = time.perf_counter()
    hub = _phone(0)
    versions: list[StoredVersion] = [StoredVersion.of(hub)]
    spokes = [_phone(n) for n in range(1, neighbours + 1)]
    for spoke in spokes:
        versions.append(StoredVersion.of(spoke))
        versions.append(StoredVersion.of(_link(f"hub-{spoke.id}", spoke.id, hub.id)))
    beyond = neighbours + 1
    for spoke in spokes[:BEYOND]:
        for _ in range(3):
            other = _phone(beyond)
            beyond += 1
            versions.append(StoredVersion.of(other))
            versions.append(StoredVersion.of(_link(f"beyond-{other.id}", spoke.id, other.id)))
    busy = spokes[-1]
    for n in range(BUSY):  # to records this node does not hold: counted, never drawn
        absent = f"enlace-person--{uuid.UUID(int=n + 1, version=4)}"
        versions.append(StoredVersion.of(_link(f"busy-{n}", busy.id, absent)))
    for start in range(0, len(versions), _BATCH):
        with store.unit_of_work() as uow:
            uow.records.add(versions[start : start + _BATCH], added_at=uow.started_at)
            uow.commit()
    with store.unit_of_work() as uow:
        uow.settings.set_if_absent("party", "MX")
        uow.matches.add_matches(
            [
                Match("US", "phone", hub.id, f"{n:016x}", "ab" * 16, "2025-09-05T10:00:00.000000Z")
                for n in range(MATCHES)
            ]
        )
        uow.commit()
    if store.engine.dialect.name == "postgresql":
        with store.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    records = sum(1 for v in versions if not v.id.startswith("relationship--"))
    return Built(hub.id, spokes[0].id, neighbours, records, time.perf_counter() - started)


def explain(store: Store, record_id: str) -> list[str]:
    """Print each statement's plan for `record_id`'s graph; return the plans' lines that
    read one of the graph's tables whole (none, when every read is by index)."""
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        neighbourhood(store, record_id)
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    dialect = store.engine.dialect.name
    distinct = list(dict(statements).items())  # each statement once
    whole: list[str] = []
    with store.engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        if dialect == "postgresql":
            # A table of a few rows is read whole whatever its indexes (cheaper): with
            # sequential scans priced out, a Seq Scan left in a plan means no index serves it.
            raw.execute("SET enable_seqscan = off")
        for statement, parameters in distinct:
            prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters)
            plan = [str(row[-1] if dialect == "sqlite" else row[0]) for row in cursor.fetchall()]
            cursor.close()
            console.print(f"--- {' '.join(statement.split())[:160]}", markup=False)
            for line in plan:
                console.print(f"    {_cut(line)}", markup=False)
            whole.extend(_cut(line.strip()) for line in plan if _WHOLE[dialect].search(line))
        if dialect == "postgresql":
            raw.execute("RESET enable_seqscan")
    console.print(
        f"{dialect}: {len(statements)} statements ({len(distinct)} distinct) for {record_id}; "
        + ("tables read whole: " + "; ".join(whole) if whole else "every table read by index"),
        markup=False,
    )
    return whole


def _cut(line: str) -> str:
    # The plans repeat the ids of an IN list: a line is enough to see which index is used.
    return line if len(line) <= 140 else line[:139] + "…"


@contextmanager
def serving(store: Store) -> Iterator[tuple[str, str]]:
    """The node's application on a free loopback port: (its URL, an analyst's API token)."""
    with tempfile.TemporaryDirectory(prefix="graph-bench-node-") as folder:
        config = NodeConfig(directory=Path(folder), party="MX")
        create_signing_key(config.key_dir)
        add_user(
            store,
            username=USERNAME,
            display_name="Graph bench",
            password=random_password(USERNAME),
            roles=[Role.ANALYST],
            actor="bench",
        )
        _, secret = create_token(store, USERNAME, "graph bench", actor="bench")
        app = create_node_app(store, config)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the node's web server did not start")
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}", secret
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def time_pages(store: Store, store_name: str, built: Built, repeat: int) -> list[Timed]:
    """`repeat` requests of each page, after one not counted (templates, caches)."""
    many = f"{built.neighbours:,}"
    pages = (
        (f"graph: the hub ({many} at depth 1)", f"/web/records/{built.hub}/graph"),
        (f"graph: a neighbour (hub's {many} at depth 2)", f"/web/records/{built.neighbour}/graph"),
        ("record page: the hub", f"/web/records/{built.hub}"),
    )
    timed: list[Timed] = []
    with (
        serving(store) as (url, token),
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client,
    ):
        for label, path in pages:
            first = client.get(path)
            if first.status_code != 200:
                raise SystemExit(f"{path}: {first.status_code} {first.text[:200]}")
            seconds = []
            for _ in range(repeat):
                started = time.perf_counter()
                answer = client.get(path)
                seconds.append(time.perf_counter() - started)
                answer.raise_for_status()
            nodes = first.text.count('class="graph-node ')
            timed.append(Timed(store_name, label, path, seconds, nodes))
    return timed


def _print(results: list[Timed]) -> None:
    table = Table(title=f"Link graph page, target under {TARGET_SECONDS:g} s")
    for column in ("store", "page", "nodes drawn", "median ms", "worst ms", "target"):
        table.add_column(column, justify="left" if column in ("store", "page") else "right")
    for result in results:
        table.add_row(
            result.store,
            result.page,
            str(result.nodes) if result.nodes else "—",
            f"{result.median * 1000:.0f}",
            f"{result.worst * 1000:.0f}",
            "met" if result.worst < TARGET_SECONDS else "MISSED",
        )
    console.print(table)


if __name__ == "__main__":
    main()
