"""Indicator speed: every default indicator over N seizure records, SQLite and PostgreSQL vs DuckDB.

    .venv/bin/python bench/indicators_bench.py [--records 10000000] [--postgres-url URL] [--out DIR]

Setup (timed, not what is measured): a pool of real synthetic seizures from `enlace.synth`
(MX's own and US's, as StoredVersion rows: the store's real format) is cycled into N records,
each with a fresh random id and a seizure date spread over 2019-2025; 30 % are US records
received from the partner (`received_from = 'US'`), 1 % get a second, later version with
another quantity, 0.2 % a revoked later version. The rows are bulk-inserted straight into
`records` of a migrated SQLite store and of a migrated PostgreSQL store (a fresh schema), and
into a DuckDB table; both CBP files go through the real `import_cbp_statistics`.

Measured: `compute_indicators(store, default definitions)` on each store, and the same
aggregation written directly in DuckDB over the same rows (newest version per id, not
revoked, JSON fields read from the stored text, the same filters, units and periods), as the
reference. The three must agree. Everything is deleted afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import queue
import random
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from enlace.model.records.events import Seizure
from enlace.model.vocabulary import POUNDS_PER_KG
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.store.tables import records as records_table
from enlace.store.versions import StoredVersion
from enlace.synth import SynthConfig
from enlace.synth.seizures import seizure_records
from enlace.synth.world import World
from enlace.tracking.cbp_data import cbp_csv_paths
from enlace.tracking.indicators.definitions import (
    IndicatorDefinition,
    default_definitions_path,
    load_definitions,
)
from enlace.tracking.indicators.periods import period_of
from enlace.tracking.indicators.series import IndicatorSeries, compute_indicators
from enlace.tracking.statistics import import_cbp_statistics
from import_bench import machine

HERE = Path(__file__).resolve().parent
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = date(2026, 1, 1)
BATCH = 50_000
POOL = {"MX": 3000, "US": 2000}
RECEIVED_SHARE = 0.30
SECOND_VERSION_SHARE = 0.01
REVOKED_SHARE = 0.002
FIRST_DAY, DAYS = date(2019, 1, 1), (date(2025, 9, 30) - date(2019, 1, 1)).days + 1
LATER_MODIFIED = "2026-06-01T00:00:00.000000Z"  # after every synthetic version

console = Console(highlight=False, width=140)

COLUMNS = tuple(records_table.columns.keys())  # the store's own column order


@dataclass(frozen=True, slots=True)
class Template:
    """A real stored seizure, cut where its id and date go."""

    version: StoredVersion
    head: str  # stix up to the id
    middle: str  # between the id and the seizure date
    tail: str  # after the seizure date
    received_from: str | None


@dataclass(frozen=True, slots=True)
class Timing:
    """One measured computation."""

    target: str
    seconds: float
    series: list[IndicatorSeries] | dict[str, dict[str, float]]


def main() -> None:
    """Parse arguments, set up the three databases, time the indicators, print the table."""
    args = _arguments()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]indicators benchmark[/]  {machine()}, DuckDB {duckdb.__version__}")
    console.print(f"disk before: {_disk(out)}")
    definitions = load_definitions(default_definitions_path())
    sqlite_path = out / "indicators-bench.sqlite"
    duck_path = out / "indicators-bench.duckdb"
    for path in (sqlite_path, duck_path):
        _remove(path)
    postgres = _Postgres(args.postgres_url)
    try:
        setup_started = time.perf_counter()
        sqlite_store = Store.open(sqlite_url(str(sqlite_path)))
        pg_store = postgres.open()
        duck = duckdb.connect(str(duck_path))
        rows = _load(args.records, sqlite_path, sqlite_store, postgres, pg_store, duck)
        _load_statistics([sqlite_store, *([pg_store] if pg_store else [])], duck)
        setup_seconds = time.perf_counter() - setup_started
        console.print(
            f"setup: {args.records:,} records ({rows:,} versions) in {setup_seconds:,.0f} s; "
            f"disk now: {_disk(out)}; SQLite file {sqlite_path.stat().st_size / 2**30:.1f} GiB, "
            f"DuckDB file {duck_path.stat().st_size / 2**30:.1f} GiB"
            + (f", PostgreSQL schema {postgres.size_gib():.1f} GiB" if pg_store else "")
        )
        timings = [_time_duckdb(duck, definitions)]
        timings.append(_time_enlace("enlace → SQLite", sqlite_store, definitions))
        if pg_store is not None:
            timings.append(_time_enlace("enlace → PostgreSQL", pg_store, definitions))
        _check_agreement(timings)
        console.print(_table(timings, args.records, rows))
        if pg_store is None:
            console.print(f"PostgreSQL row skipped: {postgres.skipped}")
        sqlite_store.close()
        if pg_store is not None:
            pg_store.close()
        duck.close()
    finally:
        postgres.drop()
        for path in (sqlite_path, duck_path):
            _remove(path)
    console.print(f"cleaned up; disk after: {_disk(out)}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000, help="seizure records")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=HERE / "out", help="where the files go")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


# --- the data ----------------------------------------------------------------------------


def _templates(seed: int) -> list[Template]:
    """Real synthetic seizures of both parties, as the store writes them."""
    world = World(SynthConfig(seed=seed, parties=("MX", "US"), scale=40_000))
    found = []
    for party, count in POOL.items():
        received = None if party == "MX" else party  # the node is MX's: US records came in
        for record in itertools.islice(seizure_records(world, party), count):
            assert isinstance(record, Seizure)  # seizure_records makes only seizures
            version = StoredVersion.of(record, received_from=received)
            day = f'"seizure_date":"{record.seizure_date.isoformat()}"'
            head, rest = version.stix.split(version.id, 1)
            middle, tail = rest.split(day, 1)
            found.append(Template(version, head, middle + '"seizure_date":"', '"' + tail, received))
    return found


def _rows(records: int, seed: int) -> Iterator[list[tuple[object, ...]]]:
    """Batches of record versions in `records`' column order."""
    rng = random.Random(seed)
    templates = _templates(seed)
    mx = [t for t in templates if t.received_from is None]
    us = [t for t in templates if t.received_from is not None]
    added_at = "2026-01-01T00:00:00.000000Z"
    batch: list[tuple[object, ...]] = []
    for _ in range(records):
        template = rng.choice(us if rng.random() < RECEIVED_SHARE else mx)
        v = template.version
        record_id = f"enlace-seizure--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        day = (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat()
        stix = template.head + record_id + template.middle + day + template.tail
        common = (v.stix_type, v.kind, v.owner, v.created_by_ref, v.tlp, v.releasable_to)
        marks = (v.handling, v.evaluation)
        batch.append(
            (
                record_id,
                v.modified,
                *common,
                *marks,
                False,
                _digest(stix),
                v.received_from,
                added_at,
                stix,
            )
        )
        draw = rng.random()
        if draw < SECOND_VERSION_SHARE + REVOKED_SHARE:
            revoked = draw < REVOKED_SHARE
            later = stix.replace(f'"modified":"{v.modified}"', f'"modified":"{LATER_MODIFIED}"')
            if revoked:
                later = later.replace(
                    '"object_marking_refs"', '"revoked":true,"object_marking_refs"'
                )
            else:
                later = _requantify(later, rng)
            batch.append(
                (
                    record_id,
                    LATER_MODIFIED,
                    *common,
                    *marks,
                    revoked,
                    _digest(later),
                    v.received_from,
                    added_at,
                    later,
                )
            )
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _requantify(stix: str, rng: random.Random) -> str:
    head, rest = stix.split('"quantity":', 1)
    _old, tail = rest.split(",", 1)
    return f'{head}"quantity":{float(rng.randint(1, 500))!r},{tail}'


def _digest(stix: str) -> str:
    # The store's digest is SHA-256 over the content without timestamps; no indicator reads
    # it, so the setup hashes the text as it is, which costs a fifth as much.
    return hashlib.sha256(stix.encode()).hexdigest()


def _load(
    records: int,
    sqlite_path: Path,
    sqlite_store: Store,
    postgres: _Postgres,
    pg_store: Store | None,
    duck: duckdb.DuckDBPyConnection,
) -> int:
    """Insert every batch into the three databases at once; return the number of versions.

    One thread per database, each fed by a short queue: SQLite, psycopg and DuckDB release
    the GIL while they write, so the three loads and the generator overlap.
    """
    sqlite_store.close()  # the setup writes with its own connection
    sinks = [_SqliteSink(sqlite_path), _DuckSink(duck)]
    if pg_store is not None:
        sinks.append(_PostgresSink(postgres))
    queues: list[queue.Queue[list[tuple[object, ...]] | None]] = [
        queue.Queue(maxsize=3) for _ in sinks
    ]
    failures: list[BaseException] = []

    def drain(sink: _Sink, feed: queue.Queue[list[tuple[object, ...]] | None]) -> None:
        try:
            while (batch := feed.get()) is not None:
                sink.write(batch)
            sink.finish()
        except BaseException as error:  # reported by the main thread
            failures.append(error)
            while feed.get() is not None:  # keep the producer from blocking
                pass

    threads = [
        threading.Thread(target=drain, args=(sink, feed), daemon=True)
        for sink, feed in zip(sinks, queues, strict=True)
    ]
    for thread in threads:
        thread.start()
    total = 0
    started = time.perf_counter()
    for number, batch in enumerate(_rows(records, seed=7), start=1):
        for feed in queues:
            feed.put(batch)
        total += len(batch)
        if number % 40 == 0:
            rate = total / (time.perf_counter() - started)
            console.print(f"  setup: {total:,} versions generated ({rate:,.0f}/s)")
        if failures:
            break
    for feed in queues:
        feed.put(None)
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return total


class _Sink:
    def write(self, batch: list[tuple[object, ...]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError


class _SqliteSink(_Sink):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.connection: sqlite3.Connection | None = None
        self.insert = (
            f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        )

    def write(self, batch: list[tuple[object, ...]]) -> None:
        if self.connection is None:  # made in the thread that uses it
            self.connection = sqlite3.connect(self.path)
            # Setup only: the file is thrown away afterwards, no journal needed.
            self.connection.execute("PRAGMA journal_mode=OFF")
            self.connection.execute("PRAGMA synchronous=OFF")
            self.connection.execute("PRAGMA cache_size=-2000000")
        self.connection.executemany(self.insert, batch)

    def finish(self) -> None:
        if self.connection is not None:
            self.connection.commit()
            self.connection.close()


class _DuckSink(_Sink):
    def __init__(self, duck: duckdb.DuckDBPyConnection) -> None:
        self.duck = duck
        duck.execute("SET memory_limit = '4GB'")  # leaves the databases' caches room
        duck.execute(
            "CREATE TABLE records (id VARCHAR, modified VARCHAR, kind VARCHAR, owner VARCHAR, "
            "revoked BOOLEAN, received_from VARCHAR, stix VARCHAR)"
        )
        duck.execute("BEGIN TRANSACTION")

    def write(self, batch: list[tuple[object, ...]]) -> None:
        arrow = pa.table(
            {
                "id": [r[0] for r in batch],
                "modified": [r[1] for r in batch],
                "kind": [r[3] for r in batch],
                "owner": [r[4] for r in batch],
                "revoked": [r[10] for r in batch],
                "received_from": [r[12] for r in batch],
                "stix": [r[14] for r in batch],
            }
        )
        self.duck.register("batch", arrow)
        self.duck.execute("INSERT INTO records SELECT * FROM batch")
        self.duck.unregister("batch")

    def finish(self) -> None:
        self.duck.execute("COMMIT")
        self.duck.execute("CHECKPOINT")


class _PostgresSink(_Sink):
    def __init__(self, postgres: _Postgres) -> None:
        self.postgres = postgres
        self.connection = postgres.raw_connection()
        postgres.drop_indexes(self.connection)

    def write(self, batch: list[tuple[object, ...]]) -> None:
        self.postgres.copy(self.connection, batch)

    def finish(self) -> None:
        self.postgres.restore_indexes(self.connection)
        self.connection.close()


def _load_statistics(stores: list[Store], duck: duckdb.DuckDBPyConnection) -> None:
    # Both editions Enlace ships (cbp_fy19_fy22.csv, cbp_fy20_fy23.csv), older first.
    with cbp_csv_paths() as paths:
        for store in stores:
            for path in paths:
                import_cbp_statistics(store, path, actor="bench")
    with stores[0].unit_of_work() as uow:
        columns = "fiscal_year, month, region, drug_type, quantity_lbs, event_count"
        held = uow.connection.exec_driver_sql(f"SELECT {columns} FROM cbp_drug_seizures").all()
        assert uow.statistics.count_rows() == len(held)
    duck.register(
        "cbp_rows",
        pa.table({name: [row[i] for row in held] for i, name in enumerate(columns.split(", "))}),
    )
    duck.execute("CREATE TABLE cbp AS SELECT * FROM cbp_rows")
    duck.unregister("cbp_rows")


class _Postgres:
    """A fresh schema on the server for the benchmark, dropped afterwards."""

    def __init__(self, url: str) -> None:
        base = make_url(url)
        if base.drivername in ("postgresql", "postgres"):
            base = base.set(drivername="postgresql+psycopg")
        self.base = base
        self.schema = f"enlace_ibench_{uuid.uuid4().hex[:12]}"
        self.skipped = ""
        self.admin = create_engine(
            base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}, pool_size=1
        )
        self.created = False

    def open(self) -> Store | None:
        try:
            with self.admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            self.skipped = f"PostgreSQL not reachable at {self.base.render_as_string()}: {reason}"
            return None
        self.created = True
        url = self.base.update_query_dict({"options": f"-csearch_path={self.schema}"})
        return Store.open(url.render_as_string(hide_password=False))

    def raw_connection(self) -> psycopg.Connection:
        url = self.base.set(drivername="postgresql")
        return psycopg.connect(
            url.render_as_string(hide_password=False), options=f"-csearch_path={self.schema}"
        )

    def drop_indexes(self, connection: psycopg.Connection) -> None:
        # Built again after the load, as one sort each: faster than keeping them up to date.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE records DROP CONSTRAINT pk_records")
            cursor.execute("DROP INDEX ix_records_kind_owner")
        connection.commit()

    def restore_indexes(self, connection: psycopg.Connection) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(
                "ALTER TABLE records ADD CONSTRAINT pk_records PRIMARY KEY (id, modified)"
            )
            cursor.execute("CREATE INDEX ix_records_kind_owner ON records (kind, owner)")
            cursor.execute("ANALYZE records")
        connection.commit()

    def copy(self, connection: psycopg.Connection, batch: list[tuple[object, ...]]) -> None:
        buffer = io.StringIO()
        for row in batch:
            buffer.write("\t".join(_copy_cell(value) for value in row))
            buffer.write("\n")
        with connection.cursor() as cursor:
            columns = ", ".join(COLUMNS)
            with cursor.copy(f"COPY records ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
        connection.commit()

    def size_gib(self) -> float:
        with self.admin.connect() as connection:
            size = connection.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relkind = 'r'"
                ),
                {"schema": self.schema},
            ).scalar_one()
        return float(size or 0) / 2**30

    def drop(self) -> None:
        if self.created:
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        self.admin.dispose()


def _copy_cell(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    # COPY's text format: backslash, tab and newline escaped.
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


# --- measuring ---------------------------------------------------------------------------


def _time_enlace(target: str, store: Store, definitions: list[IndicatorDefinition]) -> Timing:
    started = time.perf_counter()
    series = compute_indicators(store, definitions, today=TODAY)
    return Timing(target, time.perf_counter() - started, series)


_DUCK_PERIOD = {
    "month": "substr(day, 1, 7)",
    "calendar-year": "substr(day, 1, 4)",
    "fiscal-year": "'FY' || CAST(CAST(substr(day, 1, 4) AS INTEGER) "
    "+ CASE WHEN substr(day, 6, 2) >= '10' THEN 1 ELSE 0 END AS VARCHAR)",
}


def _time_duckdb(duck: duckdb.DuckDBPyConnection, definitions: list[IndicatorDefinition]) -> Timing:
    """The same indicators, hand-written in DuckDB SQL: the reference."""
    started = time.perf_counter()
    results: dict[str, dict[str, float]] = {}
    for d in definitions:
        if d.source == "statistics":
            # CBP's months are in the fiscal year: October of FY2023 is October 2022.
            day = (
                "printf('%04d-%02d-01', CASE WHEN month >= 10 THEN fiscal_year - 1 "
                "ELSE fiscal_year END, month)"
            )
            where = " AND ".join(
                f"{name} IN ({', '.join(repr(v) for v in values)})" for name, values in d.filters
            )
            value = "sum(event_count)" if d.measure == "count" else "sum(quantity_lbs)"
            if d.unit == "kg":
                value += f" / {POUNDS_PER_KG!r}"
            sql = (
                f"SELECT {_DUCK_PERIOD[d.period]} AS period, {value} "
                f"FROM (SELECT *, {day} AS day FROM cbp) WHERE {where or 'true'} GROUP BY period"
            )
            results[d.id] = {str(p): float(v) for p, v in duck.execute(sql).fetchall()}
    records = [d for d in definitions if d.source == "records"]
    if records:
        results |= _duck_records(duck, records)
    return Timing("DuckDB, hand-written SQL (reference)", time.perf_counter() - started, results)


_DUCK_FIELDS = ("seizure_date", "category", "drug_type", "state", "port_code", "quantity", "unit")


def _duck_records(
    duck: duckdb.DuckDBPyConnection, definitions: list[IndicatorDefinition]
) -> dict[str, dict[str, float]]:
    """Every seizure indicator in one DuckDB query: newest versions, JSON read once per row."""
    assert all(d.record_kind == "seizure" for d in definitions), "the bench knows seizures only"
    columns = []
    for d in definitions:
        conditions = []
        for name, values in d.filters:
            listed = ", ".join(repr(v) for v in values)
            if name == "kind":
                continue
            if name == "owner":
                conditions.append(f"owner IN ({listed})")
            elif name == "origin":
                conditions.append(
                    {"own": "received_from IS NULL", "partners": "received_from IS NOT NULL"}.get(
                        values[0], "true"
                    )
                )
            else:
                conditions.append(f"f[{_DUCK_FIELDS.index(name) + 1}] IN ({listed})")
        where = " AND ".join(conditions) or "true"
        if d.measure == "count":
            columns.append(f"sum(CASE WHEN {where} THEN 1 END)")
            continue
        factors = {
            "kg": {"kg": 1.0, "lbs": 1 / POUNDS_PER_KG},
            "lbs": {"lbs": 1.0, "kg": POUNDS_PER_KG},
            "count": {"count": 1.0},
        }[d.unit]
        cases = " ".join(
            f"WHEN '{unit}' THEN CAST(f[6] AS DOUBLE) * {factor!r}"
            for unit, factor in factors.items()
        )
        columns.append(f"sum(CASE WHEN {where} THEN CASE f[7] {cases} END END)")
    paths = ", ".join(f"'$.{name}'" for name in _DUCK_FIELDS)
    sql = (
        f"SELECT f[1] AS day, {', '.join(columns)} FROM ("
        f"SELECT owner, received_from, revoked, json_extract_string(stix, [{paths}]) AS f "
        "FROM records WHERE kind = 'seizure' "
        "QUALIFY row_number() OVER (PARTITION BY id ORDER BY modified DESC) = 1"
        ") WHERE NOT revoked GROUP BY day"
    )
    results: dict[str, dict[str, float]] = {d.id: {} for d in definitions}
    for day, *totals in duck.execute(sql).fetchall():
        for d, value in zip(definitions, totals, strict=True):
            if value is not None:
                label = period_of(date.fromisoformat(day), d.period)[0]
                results[d.id][label] = results[d.id].get(label, 0.0) + float(value)
    return results


def _as_values(timing: Timing) -> dict[str, dict[str, float]]:
    if isinstance(timing.series, dict):
        return timing.series
    return {s.id: {p.period: p.value for p in s.points if p.value} for s in timing.series}


def _check_agreement(timings: list[Timing]) -> None:
    reference = _as_values(timings[0])
    for timing in timings[1:]:
        got = _as_values(timing)
        for indicator, expected in reference.items():
            if set(got[indicator]) != set(expected) or any(
                abs(got[indicator][p] - v) > 1e-6 * max(1.0, abs(v)) for p, v in expected.items()
            ):
                raise SystemExit(f"{timing.target} disagrees with DuckDB on {indicator}")
    console.print("SQLite, PostgreSQL and DuckDB agree on every indicator and period")


# --- reporting ---------------------------------------------------------------------------


def _table(timings: list[Timing], records: int, versions: int) -> Table:
    table = Table(
        title=f"All default indicators over {records:,} seizure records ({versions:,} versions)"
    )
    for name, justify in (
        ("target", "left"),
        ("seconds", "right"),
        ("records/s", "right"),
        ("× DuckDB", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    reference = timings[0].seconds
    for timing in timings:
        table.add_row(
            timing.target,
            f"{timing.seconds:,.2f}",
            f"{records / timing.seconds:,.0f}",
            f"{timing.seconds / reference:.1f}×",
        )
    return table


def _disk(path: Path) -> str:
    usage = shutil.disk_usage(path)
    return f"{usage.used / 2**30:.0f} GiB used, {usage.free / 2**30:.0f} GiB free"


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
