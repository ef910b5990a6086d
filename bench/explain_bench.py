"""The node's hot queries on PostgreSQL at 10,000,000 rows: each one's plan, EXPLAIN (ANALYZE,
BUFFERS), in one printed table; and whether partitioning the audit log would pay (issue 19).

    .venv/bin/python bench/explain_bench.py [--rows 10000000] [--keep | --schema NAME]
        [--without-index NAME ...] [--no-partitioning] [--postgres-url URL]

A fresh schema on the server (`--postgres-url`, default the tests' 127.0.0.1:5432/test) is
migrated by `Store.open` and its large tables filled server-side (INSERT ... SELECT from
generate_series, in batches, with progress), shaped like a real MX node's:

- records: `--rows` versions of about rows/1.125 records (10 % of them with a second version,
  2.5 % with a third), of a dozen kinds, owned by MX (60 %), US (35 %) and CA (5 %), the
  partners' ones received from them, 2 % revoked, modified over six years in id order,
  authored by 30 agencies (one of them rare: 0.1 % of the records); their identifiers
  (persons, vehicles, phones, firearms) and the ends of the relationships (10 %);
- releases of half of MX's versions to US, numbered in its release sequence;
- audit_log: `--rows` entries over eight years: users reading records and searching,
  partners' receipts, reads and refusals, the node's syncs and releases;
- matches: `--rows` matches (runs of 5,000, one partner and one kind each), rows/2 hit
  notices, and their match_runs.

The indexes of those tables are dropped for the fill and built again afterwards from their
own definitions (the schema ends as the migrations made it), then VACUUM ANALYZE: the state
autovacuum keeps a node in. The full-text index (record_search) is not filled: the word
search is measured by web_bench.py.

Then every hot query the node runs is captured from the code that runs it (the web pages'
read models, the repositories of the sync server, the release and the record writer), each
SELECT it sends run again under EXPLAIN (ANALYZE, BUFFERS): the access path (scans and the
index each uses), rows, buffers, planning and execution ms, and a flag when a plan reads or
sorts a large share of a table (a Seq Scan of a large table, a sort or an aggregate over more
than --big rows, an index walked over more than --big entries). `--without-index` runs each
plan that uses one of those indexes a second time with them dropped (in a transaction rolled
back): the plan before a migration that added them.

Partitioning (skipped with --no-partitioning): a copy of the audit log partitioned by month of
`at` (PostgreSQL declarative partitioning), the audit page's queries on both, and removing
the oldest year from both (DELETE vs DETACH + DROP of its partitions, rolled back).

`--keep` leaves the schema (its name is printed); `--schema NAME` fills NAME if it holds no
fill of `--rows` yet, else reuses it (its migrations brought up to date first): a rerun does
not refill.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import platform
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HERE = Path(__file__).resolve().parent
MARKER = "bench_explain_fill"
RUN = 5_000  # matches (and hit notices) per matching run
YEARS = 6  # records' first versions are modified over six years from START
START = "2019-01-01"
AUDIT_DAYS = 2_890  # the audit log's entries span about eight years from START
AGENCIES = 30
THIS_PARTY = "MX"
LARGE = (
    "records",
    "record_identifiers",
    "record_links",
    "releases",
    "audit_log",
    "matches",
    "hit_notices",
)
console = Console(highlight=False, width=200)

# Kind of a record by bucket (its hash mod 100): (kind, STIX type, buckets).
KINDS = (
    ("person", "identity", 30),
    ("vehicle", "enlace-vehicle", 15),
    ("phone", "enlace-phone-number", 15),
    ("firearm", "enlace-firearm", 10),
    ("seizure", "enlace-seizure", 10),
    ("relationship", "relationship", 10),
    ("location", "location", 5),
    ("organisation", "threat-actor", 3),
    ("company", "identity", 1),
    ("laboratory", "enlace-clandestine-laboratory", 1),
)
IDENTIFIER_KINDS = {"person": "curp", "vehicle": "vin", "phone": "phone", "firearm": "firearm"}


def say(line: str) -> None:
    console.print(line, markup=False)


# --- the shape of the data, in Python and in SQL alike ---------------------------------------


def hash_u(n: int) -> int:
    """The record number's hash, as bench_u computes it in SQL."""
    return (n * 2654435761) % 4294967296


def kind_of(n: int) -> tuple[str, str]:
    if n <= AGENCIES:
        return "agency", "identity"
    bucket = hash_u(n) % 100
    for kind, stix_type, share in KINDS:
        if bucket < share:
            return kind, stix_type
        bucket -= share
    raise AssertionError("the kinds' shares add up to 100")


def record_id(n: int) -> str:
    return f"{kind_of(n)[1]}--{uuid.UUID(hashlib.md5(str(n).encode()).hexdigest())}"


def run_id(prefix: str, number: int) -> str:
    return hashlib.md5(f"{prefix}{number}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Shape:
    """How `rows` versions split into records: ids 1..m have a first version, 10..10a (every
    tenth) a second, 40..40b (every fortieth) a third; m + a + b = rows."""

    rows: int
    m: int
    a: int
    b: int

    @classmethod
    def of(cls, rows: int) -> Shape:
        m = max(AGENCIES + 10, -(-rows * 8 // 9))
        while True:
            a = m // 10
            b = rows - m - a
            if 0 <= b <= a // 4:
                return cls(rows, m, a, b)
            m += 1 if b > a // 4 else -1
            if m <= AGENCIES:
                raise SystemExit(f"--rows {rows} is too few")


def sql_functions(shape: Shape) -> list[str]:
    """The fill's helper functions (inlined by the planner: plain SQL, immutable)."""
    kinds = [kind for kind, _, share in KINDS for _ in range(share)]
    types = [stix_type for _, stix_type, share in KINDS for _ in range(share)]

    def array(values: list[str]) -> str:
        return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"

    seconds = YEARS * 365 * 86400
    return [
        "CREATE FUNCTION bench_u(n bigint) RETURNS bigint LANGUAGE sql IMMUTABLE "
        "AS $$ SELECT (n * 2654435761) % 4294967296 $$",
        "CREATE FUNCTION bench_kind(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT "
        f"CASE WHEN n <= {AGENCIES} THEN 'agency' ELSE ({array(kinds)})[bench_u(n) % 100 + 1] "
        "END $$",
        "CREATE FUNCTION bench_type(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT "
        f"CASE WHEN n <= {AGENCIES} THEN 'identity' ELSE ({array(types)})[bench_u(n) % 100 + 1] "
        "END $$",
        "CREATE FUNCTION bench_id(n bigint) RETURNS text LANGUAGE sql IMMUTABLE "
        "AS $$ SELECT bench_type(n) || '--' || md5(n::text)::uuid::text $$",
        # Versions in id order over the years, a few hours' jitter; later versions days later.
        "CREATE FUNCTION bench_modified(n bigint, v int) RETURNS text LANGUAGE sql IMMUTABLE "
        f"AS $$ SELECT to_char(timestamp '{START}' + make_interval(secs => "
        f"floor(n::float8 / {shape.m} * {seconds}) + bench_u(n) % 86400 "
        "+ (bench_u(n) % 1000000) / 1e6) + make_interval(days => ((v - 1) * "
        '((bench_u(n) / 7) % 300 + 1))::int), \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') $$',
        "CREATE FUNCTION bench_owner(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT "
        "CASE WHEN (bench_u(n) / 100000) % 100 < 60 THEN 'MX' "
        "WHEN (bench_u(n) / 100000) % 100 < 95 THEN 'US' ELSE 'CA' END $$",
        # One agency in a thousand records is the rare one (number 30).
        "CREATE FUNCTION bench_agency(n bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ "
        "SELECT CASE WHEN (bench_u(n) / 100) % 1000 = 999 THEN 30 "
        "ELSE (bench_u(n) / 100) % 1000 % 29 + 1 END $$",
        "CREATE FUNCTION bench_key(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT "
        "CASE bench_kind(n) WHEN 'phone' THEN '+52' || (5500000000 + n)::text "
        "WHEN 'vehicle' THEN upper(substr(md5('vin' || n), 1, 17)) "
        "WHEN 'person' THEN upper(substr(md5('curp' || n), 1, 18)) "
        "ELSE 'SN' || upper(substr(md5('serial' || n), 1, 10)) END $$",
    ]


def versions_sql(shape: Shape) -> str:
    """(g, n, v, latest) of the versions numbered lo..hi: record n's version v."""
    m, a, b = shape.m, shape.a, shape.b
    return (
        "SELECT g, n, v, v = (CASE WHEN n % 40 = 0 AND n <= " + str(40 * b) + " THEN 3 "
        "WHEN n % 10 = 0 AND n <= " + str(10 * a) + " THEN 2 ELSE 1 END) AS latest FROM ("
        f"SELECT g, CASE WHEN g <= {m} THEN g WHEN g <= {m + a} THEN (g - {m}) * 10 "
        f"ELSE (g - {m + a}) * 40 END AS n, "
        f"CASE WHEN g <= {m} THEN 1 WHEN g <= {m + a} THEN 2 ELSE 3 END AS v "
        "FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g) AS s"
    )


def records_fill(shape: Shape) -> str:
    return (
        "INSERT INTO records (id, modified, stix_type, kind, owner, created_by_ref, tlp, "
        "releasable_to, handling, evaluation, revoked, content_digest, received_from, added_at, "
        "stix, latest) "
        "SELECT id, modified, stix_type, kind, owner, agency, "
        "(ARRAY['clear','green','green','green','green','amber','amber','amber','red','green'])"
        "[u % 10 + 1], CASE WHEN owner = 'MX' THEN 'MX US' ELSE owner || ' MX' END, "
        "'H1', 'A2', revoked, md5(id || modified) || md5(modified || id), "
        "CASE WHEN owner = 'MX' THEN NULL ELSE owner END, modified, "
        "(jsonb_build_object('type', stix_type, 'spec_version', '2.1', 'id', id, "
        "'created', bench_modified(n, 1), 'modified', modified, 'created_by_ref', agency, "
        "'revoked', revoked, 'object_marking_refs', "
        "jsonb_build_array('marking-definition--' || md5('tlp' || (u % 10))::uuid)) || "
        "CASE kind "
        "WHEN 'person' THEN jsonb_build_object('given_names', (ARRAY['MARIA','JOSE','ANA',"
        "'LUIS','ROSA','JUAN'])[u % 6 + 1], 'first_surname', (ARRAY['GARCIA','LOPEZ',"
        "'HERNANDEZ','MARTINEZ','PEREZ'])[u / 6 % 5 + 1], 'curp', bench_key(n)) "
        "WHEN 'vehicle' THEN jsonb_build_object('make', 'NISSAN', 'model', 'VERSA', "
        "'vin', bench_key(n)) "
        "WHEN 'phone' THEN jsonb_build_object('number', bench_key(n)) "
        "WHEN 'firearm' THEN jsonb_build_object('make', 'COLT', 'model', 'M4', "
        "'serial', bench_key(n)) "
        "WHEN 'seizure' THEN jsonb_build_object('category', 'drug', 'drug_type', 'fentanyl', "
        "'quantity', u % 500 + 1, 'unit', 'kg', 'description', 'bench seizure ' || n) "
        "WHEN 'relationship' THEN jsonb_build_object('relationship_type', 'related-to', "
        "'source_ref', bench_id(u % " + str(shape.m) + " + 1), "
        "'target_ref', bench_id((u / 13) % " + str(shape.m) + " + 1)) "
        "ELSE jsonb_build_object('name', 'bench ' || kind || ' ' || n) END)::text, latest "
        "FROM (SELECT n, v, latest, bench_u(n) AS u, bench_id(n) AS id, "
        "bench_modified(n, v) AS modified, bench_type(n) AS stix_type, bench_kind(n) AS kind, "
        "CASE WHEN n <= " + str(AGENCIES) + " THEN (ARRAY['MX','US','CA'])[n % 3 + 1] "
        "ELSE bench_owner(n) END AS owner, "
        "CASE WHEN n <= " + str(AGENCIES) + " THEN NULL ELSE bench_id(bench_agency(n)) END "
        "AS agency, (bench_u(n) / 1000000) % 100 < 2 AS revoked "
        "FROM (" + versions_sql(shape) + ") AS vs) AS r"
    )


def identifiers_fill(shape: Shape) -> str:
    kinds = ", ".join(f"'{kind}'" for kind in IDENTIFIER_KINDS)
    case = " ".join(f"WHEN '{kind}' THEN '{key}'" for kind, key in IDENTIFIER_KINDS.items())
    return (
        "INSERT INTO record_identifiers (record_id, modified, kind, key) "
        f"SELECT bench_id(n), bench_modified(n, v), CASE bench_kind(n) {case} END, bench_key(n) "
        f"FROM ({versions_sql(shape)}) AS vs WHERE bench_kind(n) IN ({kinds})"
    )


def links_fill(shape: Shape) -> str:
    return (
        "INSERT INTO record_links (relationship_id, modified, source_id, target_id, "
        "relationship_type) SELECT bench_id(n), bench_modified(n, v), "
        f"bench_id(bench_u(n) % {shape.m} + 1), bench_id((bench_u(n) / 13) % {shape.m} + 1), "
        f"'related-to' FROM ({versions_sql(shape)}) AS vs WHERE bench_kind(n) = 'relationship'"
    )


def releases_fill(shape: Shape) -> str:
    # Half of MX's versions (agencies aside) go to US, numbered on from :base in fill order.
    return (
        "INSERT INTO releases (record_id, modified, partner, released_at, signature, sequence) "
        "SELECT bench_id(n), bench_modified(n, v), 'US', bench_modified(n, v), "
        "encode(sha512(n::text::bytea), 'base64'), "
        "CAST(:base AS bigint) + row_number() OVER (ORDER BY g) "
        f"FROM ({versions_sql(shape)}) AS vs WHERE n > {AGENCIES} AND bench_owner(n) = 'MX' "
        "AND bench_u(n) / 3 % 2 = 0"
    )


AUDIT_FILL = (
    "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, entry_hash) "
    "SELECT g, to_char(timestamp '" + START + "' + make_interval(secs => "
    "g::float8 / :total * " + str(AUDIT_DAYS * 86400) + "), "
    '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'), actor, action, '
    "CASE WHEN action IN ('record-read', 'release', 'receipt', 'revocation') "
    "THEN bench_id(bench_u(g) % :m + 1) WHEN action = 'partner-read' THEN actor "
    "WHEN action = 'export' THEN 'records.csv' ELSE NULL END, "
    'CASE action WHEN \'refusal\' THEN \'{"partner":"\' || actor || \'","reasons":'
    '{"bad-signature":\' || (bench_u(g) % 5 + 1) || \'},"refused":\' || (bench_u(g) % 5 + 1) '
    "|| '}' WHEN 'receipt' THEN '{\"partner\":\"' || actor || '\",\"count\":' || "
    "(bench_u(g) % 1000) || '}' WHEN 'search' THEN '{\"query\":\"garcia\",\"results\":' || "
    "(bench_u(g) % 50) || '}' ELSE NULL END, "
    "md5('p' || g) || md5('q' || g), md5('p' || (g + 1)) || md5('q' || (g + 1)) "
    "FROM (SELECT g, actor, CASE "
    "WHEN left(actor, 8) = 'analyst.' THEN (ARRAY['record-read','record-read','record-read',"
    "'record-read','search','search','login','export','release','revocation'])"
    "[bench_u(g) / 7 % 10 + 1] "
    "WHEN actor IN ('US', 'CA') THEN CASE WHEN bench_u(g) / 7 % 100 = 0 THEN 'refusal' "
    "WHEN bench_u(g) / 7 % 100 < 20 THEN 'receipt' ELSE 'partner-read' END "
    "WHEN actor = 'node' THEN (ARRAY['sync','sync','release','match-run','checkpoint'])"
    "[bench_u(g) / 7 % 5 + 1] ELSE 'import' END AS action "
    "FROM (SELECT g, CASE WHEN bench_u(g) % 100 < 55 THEN 'analyst.' || (bench_u(g) / 100 % 60) "
    "WHEN bench_u(g) % 100 < 80 THEN 'US' WHEN bench_u(g) % 100 < 85 THEN 'CA' "
    "WHEN bench_u(g) % 100 < 97 THEN 'node' ELSE 'cli' END AS actor "
    "FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g) AS a) AS b"
)

# Run r's matches: 5,000 of MX's records (spread over all ids), one partner and one kind.
MATCHES_FILL = (
    "INSERT INTO matches (partner, kind, record_id, partner_handle, run_id, found_at) "
    "SELECT CASE WHEN r % 5 = 0 THEN 'CA' ELSE 'US' END, "
    "(ARRAY['phone','vin','curp','firearm'])[r % 4 + 1], bench_id((g * 7919) % :m + 1), "
    "md5('h' || g), md5('run' || r), to_char(timestamp '" + START + "' + make_interval(secs => "
    "r::float8 / :runs * " + str(AUDIT_DAYS * 86400) + '), \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') '
    "FROM (SELECT g, (g - 1) / "
    + str(RUN)
    + " + 1 AS r FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g) "
    "AS s"
)
NOTICES_FILL = (
    "INSERT INTO hit_notices (run_id, record_id, partner, kind, owner_agency, at) "
    "SELECT md5('answer' || r), bench_id((g * 104729) % :m + 1), "
    "CASE WHEN r % 5 = 0 THEN 'CA' ELSE 'US' END, "
    "(ARRAY['phone','vin','curp','firearm'])[r % 4 + 1], bench_id(r % 29 + 1), "
    "to_char(timestamp '" + START + "' + make_interval(secs => "
    "r::float8 / :runs * " + str(AUDIT_DAYS * 86400) + '), \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') '
    "FROM (SELECT g, (g - 1) / "
    + str(RUN)
    + " + 1 AS r FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS g) "
    "AS s"
)
RUNS_FILL = (
    "INSERT INTO match_runs (id, role, partner, kind, status, started_at, finished_at, "
    "requester_size, responder_size, overlap, mode) "
    "SELECT md5(CAST(:prefix AS text) || r), :role, CASE WHEN r % 5 = 0 THEN 'CA' ELSE 'US' END, "
    "(ARRAY['phone','vin','curp','firearm'])[r % 4 + 1], 'completed', at, at, 200000, 2000000, "
    + str(RUN)
    + ", 'links' FROM (SELECT r, to_char(timestamp '"
    + START
    + "' + make_interval(secs => r::float8 / :runs * "
    + str(AUDIT_DAYS * 86400)
    + '), \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS at FROM generate_series(1, CAST(:runs AS bigint)) AS r) AS s'
)


# --- the schema ------------------------------------------------------------------------------


def admin_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def schema_url(admin: URL, schema: str) -> str:
    return admin.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def pg_connect(admin: URL, schema: str) -> psycopg.Connection[Any]:
    """A plain psycopg connection to the schema: statements sent as written (no parameter
    parsing, so a literal '%' in them stays one)."""
    return psycopg.connect(
        host=admin.host or "127.0.0.1",
        port=admin.port or 5432,
        user=admin.username,
        password=admin.password,
        dbname=admin.database,
        options=f"-csearch_path={schema}",
    )


def marker(engine: Engine, schema: str) -> dict[str, Any] | None:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND "
                 "table_name = :t"), {"s": schema, "t": MARKER}
        ).first()  # fmt: skip
        if found is None:
            return None
        row = connection.execute(text(f'SELECT facts FROM "{schema}".{MARKER}')).first()
    return None if row is None else dict(json.loads(row[0]))


@dataclass(slots=True)
class Indexes:
    """A table's indexes and key constraints, to drop for a fill and build again after."""

    drops: list[str] = field(default_factory=list)
    builds: list[str] = field(default_factory=list)


def table_indexes(connection: Any, table: str) -> Indexes:
    found = Indexes()
    rows = connection.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid), c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = t.oid "
            "WHERE t.relname = :t AND t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
            "ORDER BY c.conname NULLS LAST, i.relname"
        ),
        {"t": table},
    ).all()
    for name, definition, constraint, constraint_definition in rows:
        if constraint is not None:
            found.drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
            found.builds.append(
                f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraint_definition}'
            )
        else:
            found.drops.append(f'DROP INDEX "{name}"')
            found.builds.append(definition)
    return found


def fill(engine: Engine, pg: psycopg.Connection[Any], shape: Shape, batch: int) -> dict[str, Any]:
    """Fill the large tables (indexes dropped, built again after); the marker's facts."""
    started = time.perf_counter()
    for statement in sql_functions(shape):
        pg.execute(statement)
    pg.commit()
    n = shape.rows
    # A run's hit notices name records (g * 104729) % m + 1: distinct while m is prime to it.
    assert shape.m % 104729, "pick another --rows"
    runs = -(-n // RUN)
    notices = n // 2
    notice_runs = -(-notices // RUN)
    seconds: dict[str, float] = {}
    with engine.begin() as connection:
        saved = {table: table_indexes(connection, table) for table in LARGE}
        for table in LARGE:
            for statement in saved[table].drops:
                connection.exec_driver_sql(statement)
        connection.execute(
            text(
                "INSERT INTO partners (party, url, verify_key_hex, token_hash, added_at) "
                "VALUES ('US', 'https://us.example', :k, :t, '2019-01-01T00:00:00.000000Z'), "
                "('CA', 'https://ca.example', :k, :t, '2019-01-01T00:00:00.000000Z')"
            ),
            {"k": "0" * 64, "t": "1" * 64},
        )
    jobs: list[tuple[str, str, int, dict[str, int]]] = [
        ("records", records_fill(shape), n, {}),
        ("record_identifiers", identifiers_fill(shape), n, {}),
        ("record_links", links_fill(shape), n, {}),
        ("releases", releases_fill(shape), n, {}),
        ("audit_log", AUDIT_FILL, n, {"total": n, "m": shape.m}),
        ("matches", MATCHES_FILL, n, {"m": shape.m, "runs": runs}),
        ("hit_notices", NOTICES_FILL, notices, {"m": shape.m, "runs": notice_runs}),
    ]
    for table, sql, total, params in jobs:
        began = time.perf_counter()
        written = 0
        for lo in range(1, total + 1, batch):
            hi = min(total, lo + batch - 1)
            # releases: numbered on from the rows written before (one sequence, no gaps).
            values: dict[str, int] = {"lo": lo, "hi": hi, "base": written, **params}
            with engine.begin() as connection:
                written += connection.execute(text(sql), values).rowcount
            elapsed = time.perf_counter() - began
            say(f"  {table}: {hi:,} of {total:,} ({written:,} rows, {elapsed:.0f} s)")
        seconds[table] = time.perf_counter() - began
    with engine.begin() as connection:
        connection.execute(text(RUNS_FILL), {"prefix": "run", "role": "requester", "runs": runs})
        connection.execute(
            text(RUNS_FILL), {"prefix": "answer", "role": "responder", "runs": notice_runs}
        )
        connection.exec_driver_sql(
            "INSERT INTO release_counters (partner, last_sequence, last_released_at) "
            "SELECT 'US', max(sequence), max(released_at) FROM releases"
        )
        connection.exec_driver_sql(
            "INSERT INTO record_counts (kind, owner, records) "
            "SELECT kind, owner, count(*) FROM records WHERE latest GROUP BY kind, owner"
        )
    for table in LARGE:
        began = time.perf_counter()
        with engine.begin() as connection:
            connection.exec_driver_sql("SET maintenance_work_mem = '1GB'")
            for statement in saved[table].builds:
                connection.exec_driver_sql(statement)
        seconds[f"{table} indexes"] = time.perf_counter() - began
        say(
            f"  {table}: {len(saved[table].builds)} indexes built in {seconds[f'{table} indexes']:.0f} s"
        )
    vacuum(engine)
    facts = {
        "rows": n,
        "m": shape.m,
        "a": shape.a,
        "b": shape.b,
        "runs": runs,
        "notice_runs": notice_runs,
        "filled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "fill_seconds": round(time.perf_counter() - started),
        "seconds": {k: round(v) for k, v in seconds.items()},
    }
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {MARKER} (facts text NOT NULL)")
        connection.execute(text(f"INSERT INTO {MARKER} VALUES (:f)"), {"f": json.dumps(facts)})
    return facts


def vacuum(engine: Engine) -> None:
    began = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in (*LARGE, "match_runs", "record_counts", "partners", "release_counters"):
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    say(f"  VACUUM (ANALYZE) in {time.perf_counter() - began:.0f} s")


def table_sizes(engine: Engine) -> list[tuple[str, int, int, int]]:
    """(table, rows estimated, heap bytes, index bytes) of the large tables."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid), "
                "pg_indexes_size(c.oid) FROM pg_class c WHERE c.relkind IN ('r', 'p') "
                "AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relname = ANY(:t) "
                "ORDER BY pg_total_relation_size(c.oid) DESC"
            ),
            {"t": list(LARGE)},
        ).all()
    return [(str(a), int(b), int(c), int(d)) for a, b, c, d in rows]


# --- the hot queries -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Picks:
    """Values the queries look for, all held by the fill."""

    three_versions: str  # a record with three versions
    matched: str  # a record with matches
    relationship_end: str  # a record some relationship names
    phone_text: str  # a phone number as typed
    rare_agency: str
    common_agency: str
    actor: str
    subject: str
    newest_run: str
    ids: tuple[str, ...]  # 500 ids, as a sync page or a release batch brings them
    mid_sequence: int
    mid_entry: int
    first_id_half: str  # an id in the middle of the id order
    last_day: date  # of the audit log
    last_month: date  # the 30 days before it


def picks(engine: Engine, facts: dict[str, Any]) -> Picks:
    m = int(facts["m"])
    phone = next(n for n in range(m // 2, m) if kind_of(n) == ("phone", "enlace-phone-number"))
    with engine.connect() as connection:
        counter = connection.execute(
            text("SELECT last_sequence FROM release_counters WHERE partner = 'US'")
        ).scalar_one()
        source = connection.execute(
            text("SELECT source_id FROM record_links WHERE source_id > :a ORDER BY source_id "
                 "LIMIT 1"), {"a": record_id(m // 3)}
        ).scalar_one()  # fmt: skip
        subject = connection.execute(
            text("SELECT subject FROM audit_log WHERE seq > :s AND action = 'record-read' "
                 "ORDER BY seq LIMIT 1"), {"s": facts["rows"] // 2}
        ).scalar_one()  # fmt: skip
        newest = connection.execute(
            text("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1")
        ).scalar_one()
        half = connection.execute(
            text("SELECT id FROM records WHERE latest AND id > 'l' ORDER BY id LIMIT 1")
        ).scalar_one()
    matched = (7919 % m) + 1  # the first match's record
    return Picks(
        three_versions=record_id(40 * (int(facts["b"]) // 2)),
        matched=record_id(matched),
        relationship_end=str(source),
        phone_text="+52 " + str(5500000000 + phone),
        rare_agency=record_id(AGENCIES),
        common_agency=record_id(1),
        actor="analyst.17",
        subject=str(subject),
        newest_run=run_id("run", int(facts["runs"])),
        ids=tuple(record_id(n) for n in range(m // 2, m // 2 + 500)),
        mid_sequence=int(counter) // 2,
        mid_entry=int(facts["rows"]) // 2,
        first_id_half=str(half),
        last_day=date.fromisoformat(str(newest)[:10]),
        last_month=date.fromisoformat(str(newest)[:10]) - timedelta(days=30),
    )


Query = tuple[str, Callable[[Any], object]]


def hot_queries(p: Picks) -> list[Query]:
    """(name, what runs it) for every hot path; the store is the argument."""
    from enlace.web.listing import Sort
    from enlace.web.queries.audit import AuditFilter, audit_view
    from enlace.web.queries.exchange import exchange_view, partner_standings
    from enlace.web.queries.matching import MatchFilter, matching_view
    from enlace.web.queries.records import (
        RecordFilter,
        record_detail,
        search_choices,
        search_records,
    )

    def uow(work: Callable[[Any], object]) -> Callable[[Any], object]:
        def run(store: Any) -> object:
            with store.unit_of_work() as unit:
                result = work(unit)
                if isinstance(result, Iterator):
                    return list(result)
                return result

        return run

    june = date(2023, 6, 15)
    return [
        # The records list (web/queries/records.py) and its search form.
        ("records: first page", lambda s: search_records(s, RecordFilter())),
        ("records: page 500", lambda s: search_records(s, RecordFilter(page=500))),
        ("records: page 2000 (deepest)", lambda s: search_records(s, RecordFilter(page=2000))),
        ("records: oldest first", lambda s: search_records(s, RecordFilter(sort="modified"))),
        ("records: kind firearm", lambda s: search_records(s, RecordFilter(kind="firearm"))),
        ("records: owner US", lambda s: search_records(s, RecordFilter(owner="US"))),
        ("records: sorted by kind", lambda s: search_records(s, RecordFilter(sort="kind"))),
        ("records: received", lambda s: search_records(s, RecordFilter(origin="received"))),
        ("records: tlp red", lambda s: search_records(s, RecordFilter(tlp="red"))),
        (
            "records: a month",
            lambda s: search_records(
                s, RecordFilter(since=date(2022, 3, 1), until=date(2022, 3, 31))
            ),
        ),
        (
            "records: common agency",
            lambda s: search_records(s, RecordFilter(agency=p.common_agency)),
        ),
        ("records: rare agency", lambda s: search_records(s, RecordFilter(agency=p.rare_agency))),
        ("records: a phone typed", lambda s: search_records(s, RecordFilter(text=p.phone_text))),
        ("records: an id typed", lambda s: search_records(s, RecordFilter(text=p.three_versions))),
        ("records: search form", search_choices),
        # A record's page: versions, author, releases, links (matches, relationships...).
        ("record page: 3 versions", lambda s: record_detail(s, p.three_versions, party="MX")),
        ("record page: matched", lambda s: record_detail(s, p.matched, party="MX")),
        ("record page: related", lambda s: record_detail(s, p.relationship_end, party="MX")),
        # Newest versions: the record writer, a sync page's check, a release's batches.
        ("writer: newest held (500 ids)", uow(lambda u: u.records._newest_held(p.ids))),
        ("sync: holdings of a page", uow(lambda u: u.records.holdings_of(p.ids))),
        ("release: references", uow(lambda u: u.records.latest_among(p.ids))),
        ("release --all: a batch", uow(lambda u: u.records.latest_after(p.first_id_half))),
        (
            "release --all: batch end",
            uow(lambda u: u.records.latest_id_after(p.first_id_half, skip=999)),
        ),
        (
            "release: already released",
            uow(lambda u: u.releases.released_among("US", [(i, "x") for i in p.ids])),
        ),
        ("newest version of a record", uow(lambda u: u.records.latest(p.three_versions))),
        # The sync server: a page of released versions after the partner's cursor.
        (
            "sync server: a page",
            uow(lambda u: u.releases.page("US", after=p.mid_sequence, version="all", limit=1001)),
        ),
        (
            "sync server: statements",
            uow(lambda u: u.releases.statements_page("US", after=p.mid_sequence, limit=1001)),
        ),
        (
            "sync server: newest of an id",
            uow(lambda u: u.releases.page("US", ids=[p.ids[0]], version="last", limit=1001)),
        ),
        # The audit log: the page and its filters, the writer's head, the check in steps.
        ("audit: first page", lambda s: audit_view(s)),
        ("audit: page 50", lambda s: audit_view(s, page=50)),
        ("audit: oldest first", lambda s: audit_view(s, sort=Sort("seq", descending=False))),
        ("audit: an actor", lambda s: audit_view(s, wanted=AuditFilter(actor=p.actor))),
        ("audit: a record", lambda s: audit_view(s, wanted=AuditFilter(subject=p.subject))),
        (
            "audit: refusals",
            lambda s: audit_view(s, wanted=AuditFilter(action="refusal"), known={"refusal"}),
        ),
        ("audit: a day", lambda s: audit_view(s, wanted=AuditFilter(since=june, until=june))),
        (
            "audit: a month, 2023",
            lambda s: audit_view(
                s, wanted=AuditFilter(since=date(2023, 6, 1), until=date(2023, 6, 30))
            ),
        ),
        (
            "audit: the last month",
            lambda s: audit_view(s, wanted=AuditFilter(since=p.last_month, until=p.last_day)),
        ),
        (
            "audit: an actor in a month",
            lambda s: audit_view(
                s,
                wanted=AuditFilter(actor=p.actor, since=date(2023, 6, 1), until=date(2023, 6, 30)),
            ),
        ),
        ("audit: append's head", uow(lambda u: u.audit.latest(1))),
        # A step of the check from the web page: its entries are streamed (planned only).
        # (AuditLog.verify(start, limit) reads these two; run here apart, as the fill's
        # hashes do not chain and verify would stop at the first entry.)
        (
            "audit: verify, a step",
            uow(
                lambda u: (
                    list(itertools.islice(u.audit.entries(after=p.mid_entry), 20_000)),
                    u.audit._count_after(p.mid_entry + 20_000),
                )
            ),
        ),
        # Matching results: the page, a run's matches, the dashboard's runs.
        ("matching: page", lambda s: matching_view(s)),
        ("matching: a run", lambda s: matching_view(s, wanted=MatchFilter(run=p.newest_run))),
        ("matching: partner CA", lambda s: matching_view(s, wanted=MatchFilter(partner="CA"))),
        ("dashboard: latest match runs", uow(lambda u: u.matches.latest_match_runs(5))),
        ("dashboard: latest hit runs", uow(lambda u: u.matches.latest_hit_runs(5))),
        ("dashboard: partner standings", uow(partner_standings)),
        # The exchange page: released, received, refusals.
        ("exchange: page", lambda s: exchange_view(s)),
    ]


@dataclass(slots=True)
class Statement:
    query: str
    number: int
    sql: str
    streamed: bool = False  # read as a stream, stopped by its reader: planned, not run
    plan: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] | None = None  # without the --without-index indexes


def capture(store: Any, pg: psycopg.Connection[Any], queries: list[Query]) -> list[Statement]:
    """Run each query for real; the SELECTs it sent, with their parameters inlined."""
    sent: list[tuple[str, Any, bool]] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:  # fmt: skip
        head = statement.lstrip().upper()
        if executemany or not head.startswith(("SELECT", "WITH")) or not FROM.search(head):
            return
        options = context.execution_options if context is not None else {}
        streamed = bool(options.get("yield_per") or options.get("stream_results"))
        sent.append((statement, parameters, streamed))

    statements: list[Statement] = []
    literal = psycopg.ClientCursor(pg)
    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        for name, work in queries:
            sent.clear()
            began = time.perf_counter()
            try:
                work(store)
            except Exception as error:  # a query that fails is reported, the rest still run
                say(f"  {name}: FAILED {type(error).__name__}: {error}")
                statements.append(Statement(name, 0, f"failed: {type(error).__name__}: {error}"))
                continue
            say(f"  {name}: {len(sent)} statements, {time.perf_counter() - began:.3f} s")
            for number, (sql, parameters, streamed) in enumerate(sent, 1):
                statements.append(
                    Statement(name, number, literal.mogrify(sql, parameters), streamed)
                )
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    return statements


def explain(pg: psycopg.Connection[Any], sql: str, *, analyze: bool = True) -> dict[str, Any]:
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    row = pg.execute(f"EXPLAIN ({options}) {sql}").fetchone()
    assert row is not None
    found = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return dict(found[0])


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


FROM = re.compile(r"\bFROM\b")
SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan")


def summary(explained: dict[str, Any], big: int) -> tuple[str, str, int, int, float, float]:
    """(access path, flags, rows, buffers, planning ms, execution ms) of a plan."""
    top = explained["Plan"]
    path: list[str] = []
    flags: list[str] = []
    for node in nodes(top):
        kind = node["Node Type"]
        loops = int(node.get("Actual Loops", 1))
        kept = int(node.get("Actual Rows", node.get("Plan Rows", 0)))
        read = (kept + int(node.get("Rows Removed by Filter", 0))) * loops
        relation = node.get("Relation Name", "")
        index = node.get("Index Name", "")
        if kind in SCANS and kind != "Bitmap Index Scan":
            step = f"{kind} {relation}" + (f" ({index})" if index else "")
            if kind == "Bitmap Heap Scan":
                inner = [c.get("Index Name", "") for c in nodes(node) if c.get("Index Name")]
                step += f" ({', '.join(inner)})"
            if step not in path:
                path.append(step)
        if kind == "Seq Scan" and relation in LARGE and read > big:
            flags.append(f"Seq Scan of {relation} ({read:,} rows)")
        elif kind in SCANS and relation in LARGE and read > big:
            flags.append(f"{kind} of {relation} reads {read:,} rows")
        if kind in ("Sort", "Incremental Sort", "Aggregate", "HashAggregate", "GroupAggregate"):
            fed = sum(int(c.get("Actual Rows", c.get("Plan Rows", 0))) * int(c.get("Actual Loops", 1))
                      for c in node.get("Plans", []))  # fmt: skip
            if fed > big:
                flags.append(f"{kind} of {fed:,} rows")
    jit = explained.get("JIT")
    if jit:
        flags.append(f"JIT {float(jit.get('Timing', {}).get('Total', 0.0)):.0f} ms")
    buffers = int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0))
    return (
        "; ".join(path) or top["Node Type"],
        "; ".join(dict.fromkeys(flags)),
        int(top.get("Actual Rows", top.get("Plan Rows", 0))),
        buffers,
        float(explained.get("Planning Time", 0.0)),
        float(explained.get("Execution Time", 0.0)),
    )


def uses(explained: dict[str, Any], indexes: set[str]) -> bool:
    return any(node.get("Index Name") in indexes for node in nodes(explained["Plan"]))


def explain_all(
    pg: psycopg.Connection[Any], statements: list[Statement], without: list[str]
) -> None:
    for statement in statements:
        if statement.number:
            statement.plan = explain(pg, statement.sql, analyze=not statement.streamed)
            pg.rollback()
    if without:
        hidden = set(without)
        again = [s for s in statements if s.number and uses(s.plan, hidden)]
        if again:
            for name in without:
                pg.execute(f'DROP INDEX "{name}"')
            for statement in again:
                statement.before = explain(pg, statement.sql, analyze=not statement.streamed)
            pg.rollback()  # the indexes are back


def plans_table(statements: list[Statement], big: int, without: list[str]) -> Table:
    table = Table(title=f"Hot queries: EXPLAIN (ANALYZE, BUFFERS); flagged past {big:,} rows")
    for column in ("query", "#", "access path (scan, index)", "rows", "buffers", "plan ms",
                   "ms", "flag"):  # fmt: skip
        table.add_column(column, justify="right" if column in ("#", "rows", "buffers", "plan ms",
                                                               "ms") else "left")  # fmt: skip
    if without:
        table.add_column(f"without {', '.join(without)}: path, ms, flag")
    for s in statements:
        if not s.number:
            table.add_row(s.query, "", s.sql, *[""] * (5 + bool(without)))
            continue
        path, flags, rows, buffers, planning, execution = summary(s.plan, big)
        if s.streamed:
            path += " [streamed: planned, not run; rows estimated]"
        cells = [s.query, str(s.number), path, f"{rows:,}", f"{buffers:,}", f"{planning:.2f}",
                 f"{execution:.2f}", f"[red]{flags}[/]" if flags else ""]  # fmt: skip
        if without:
            if s.before is None:
                cells.append("")
            else:
                b_path, b_flags, _, _, _, b_ms = summary(s.before, big)
                cells.append(
                    f"{b_path}; {b_ms:.2f} ms" + (f"; [red]{b_flags}[/]" if b_flags else "")
                )
        table.add_row(*cells)
    return table


# --- partitioning the audit log --------------------------------------------------------------


def months(first: str, last: str) -> list[tuple[str, str]]:
    year, month = int(first[:4]), int(first[5:7])
    found = []
    while f"{year:04d}-{month:02d}" <= last[:7]:
        nxt = (year + month // 12, month % 12 + 1)
        found.append((f"{year:04d}-{month:02d}", f"{nxt[0]:04d}-{nxt[1]:02d}"))
        year, month = nxt
    return found


def partitioned_copy(pg: psycopg.Connection[Any]) -> int:
    """audit_log_parted: the audit log partitioned by month of `at`, with the same indexes
    (its primary key must hold the partition key: (seq, at)). Its partitions' count."""
    pg.execute("DROP TABLE IF EXISTS audit_log_parted CASCADE")
    bounds = pg.execute("SELECT min(at), max(at) FROM audit_log").fetchone()
    assert bounds is not None
    pg.execute(
        "CREATE TABLE audit_log_parted (LIKE audit_log INCLUDING DEFAULTS) PARTITION BY RANGE (at)"
    )
    spans = months(bounds[0], bounds[1])
    for start, end in spans:
        pg.execute(
            f"CREATE TABLE audit_log_parted_{start.replace('-', '_')} PARTITION OF "
            f"audit_log_parted FOR VALUES FROM ('{start}') TO ('{end}')"
        )
    pg.commit()
    began = time.perf_counter()
    pg.execute("INSERT INTO audit_log_parted SELECT * FROM audit_log")
    pg.commit()
    say(f"  audit_log copied into {len(spans)} partitions in {time.perf_counter() - began:.0f} s")
    began = time.perf_counter()
    pg.execute("SET maintenance_work_mem = '1GB'")
    pg.execute("ALTER TABLE audit_log_parted ADD PRIMARY KEY (seq, at)")
    for columns in ("actor, seq", "subject, seq", "action, seq", "at"):
        pg.execute(f"CREATE INDEX ON audit_log_parted ({columns})")
    pg.commit()
    say(f"  its indexes built in {time.perf_counter() - began:.0f} s")
    pg.autocommit = True
    try:
        pg.execute("VACUUM (ANALYZE) audit_log_parted")
    finally:
        pg.autocommit = False
    return len(spans)


def audit_shapes(rows: int) -> list[tuple[str, str]]:
    """The audit page's statements (as audit_view sends them), {t} for the table."""
    day, next_day = "2023-06-15", "2023-06-16"
    month, next_month = "2023-06-01", "2023-07-01"
    return [
        ("first page", "SELECT * FROM {t} ORDER BY seq DESC LIMIT 100"),
        ("a day: count", "SELECT count(*) FROM (SELECT seq FROM {t} WHERE at >= '" + day +
         "' AND at < '" + next_day + "' LIMIT 10001) AS c"),
        ("a day: page", "SELECT * FROM {t} WHERE at >= '" + day + "' AND at < '" + next_day +
         "' ORDER BY seq DESC LIMIT 100"),
        ("a month: count", "SELECT count(*) FROM (SELECT seq FROM {t} WHERE at >= '" + month +
         "' AND at < '" + next_month + "' LIMIT 10001) AS c"),
        ("a month: page 20", "SELECT * FROM {t} WHERE at >= '" + month + "' AND at < '" +
         next_month + "' ORDER BY seq DESC LIMIT 100 OFFSET 1900"),
        ("an actor: page", "SELECT * FROM {t} WHERE actor = 'analyst.17' ORDER BY seq DESC "
         "LIMIT 100"),
        ("an actor in a month", "SELECT * FROM {t} WHERE actor = 'analyst.17' AND at >= '" +
         month + "' AND at < '" + next_month + "' ORDER BY seq DESC LIMIT 100"),
        ("append's head", "SELECT seq, entry_hash FROM {t} ORDER BY seq DESC LIMIT 1"),
        ("an entry by seq", f"SELECT * FROM {{t}} WHERE seq = {rows // 2}"),
        ("verify: a step of 20,000", f"SELECT * FROM {{t}} WHERE seq > {rows // 2} ORDER BY seq "
         "LIMIT 20000"),
    ]  # fmt: skip


def partitioning(pg: psycopg.Connection[Any], rows: int, big: int) -> Table:
    count = partitioned_copy(pg)
    table = Table(title=f"Audit log: one table vs {count} monthly partitions (PostgreSQL "
                        "declarative partitioning by `at`), warm, second run")  # fmt: skip
    for column in ("statement", "one table: path", "plan ms", "ms", "partitioned: path",
                   "plan ms", "ms"):  # fmt: skip
        table.add_column(column, justify="right" if "ms" in column else "left")
    for name, shape in audit_shapes(rows):
        cells = [name]
        for t in ("audit_log", "audit_log_parted"):
            explain(pg, shape.format(t=t))  # warm, as a page viewed twice
            path, _, _, _, planning, execution = summary(explain(pg, shape.format(t=t)), big)
            if t == "audit_log_parted":
                path = re.sub(r"audit_log_parted_\d{4}_\d{2}", "(month)", path)
                path = re.sub(r"\(audit_log_parted_\d{4}_\d{2}_[a-z_]+\)", "(its index)", path)
                path = "; ".join(dict.fromkeys(path.split("; ")))
            cells += [path[:90], f"{planning:.2f}", f"{execution:.2f}"]
        pg.rollback()
        table.add_row(*cells)
    first = pg.execute("SELECT min(at) FROM audit_log").fetchone()
    assert first is not None
    year = str(first[0])[:4]
    until = str(int(year) + 1)
    began = time.perf_counter()
    removed = pg.execute(f"DELETE FROM audit_log WHERE at < '{until}'").rowcount
    deleted = time.perf_counter() - began
    pg.rollback()
    parts = [
        str(name)
        for (name,) in pg.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'audit_log_parted'::regclass AND c.relname < "
            f"'audit_log_parted_{until}' ORDER BY c.relname"
        ).fetchall()
    ]
    began = time.perf_counter()
    for name in parts:
        pg.execute(f"ALTER TABLE audit_log_parted DETACH PARTITION {name}")
        pg.execute(f"DROP TABLE {name}")
    dropped = time.perf_counter() - began
    pg.rollback()
    table.add_row(f"remove the year {year} ({removed:,} entries), rolled back",
                  "DELETE", "", f"{deleted * 1000:,.0f}",
                  f"DETACH + DROP of {len(parts)} partitions", "", f"{dropped * 1000:,.0f}")  # fmt: skip
    return table


# --- the run ---------------------------------------------------------------------------------


def machine(engine: Engine) -> str:
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SHOW server_version").scalar_one()
        settings = {
            name: connection.exec_driver_sql(f"SHOW {name}").scalar_one()
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost")
        }
    memory = psutil.virtual_memory().total / 2**30
    shown = ", ".join(f"{k} {v}" for k, v in settings.items())
    return (f"{os.cpu_count()} CPU, {memory:.0f} GiB, Python {platform.python_version()}, "
            f"PostgreSQL {version} ({shown})")  # fmt: skip


def main() -> None:
    args = arguments()
    admin = admin_url(args.postgres_url)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    schema = args.schema or "bench_explain_" + uuid.uuid4().hex[:12]
    keep = args.keep or bool(args.schema)
    say(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine(engine)}; load {os.getloadavg()}")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    from enlace.store.store import Store

    began = time.perf_counter()
    store = Store.open(schema_url(admin, schema))  # migrated (brought up to date, when reused)
    say(f"migrations applied in {time.perf_counter() - began:.1f} s")
    pg = pg_connect(admin, schema)
    big = args.big or max(50_000, args.rows // 100)
    try:
        facts = marker(engine, schema)
        if facts is not None and facts.get("rows") != args.rows:
            raise SystemExit(f"schema {schema} holds a fill of {facts.get('rows')} rows, "
                             f"not {args.rows:,}: give another --schema")  # fmt: skip
        if facts is None:
            say(f"filling schema {schema} to {args.rows:,} rows")
            facts = fill(store.engine, pg, Shape.of(args.rows), args.batch)
            say(f"filled in {facts['fill_seconds']:,} s")
        else:
            say(f"reusing schema {schema}: {args.rows:,} rows filled {facts['filled_at']} "
                f"in {facts['fill_seconds']:,} s")  # fmt: skip
            pg.execute("ANALYZE")  # for indexes a new migration added
            pg.commit()
        console.print(sizes_table(store.engine, schema))
        queries = hot_queries(picks(store.engine, facts))
        if args.only:
            queries = [q for q in queries if any(word in q[0] for word in args.only)]
        say("running the hot queries (captured from the code that runs them)")
        statements = capture(store, pg, queries)
        explain_all(pg, statements, args.without_index)
        console.print(plans_table(statements, big, args.without_index))
        flagged = [s for s in statements if s.number and summary(s.plan, big)[1]]
        say(f"{len(statements)} statements of {len(queries)} queries; {len(flagged)} flagged")
        out = HERE / "out"
        out.mkdir(exist_ok=True)
        dump = out / f"explain-{schema}.json"
        dump.write_text(json.dumps(
            [{"query": s.query, "number": s.number, "sql": s.sql, "streamed": s.streamed,
              "plan": s.plan, "before": s.before} for s in statements], indent=1))  # fmt: skip
        say(f"every statement and plan: {dump}")
        if not args.no_partitioning:
            say("partitioning: the audit log, copied into monthly partitions")
            try:
                console.print(partitioning(pg, args.rows, big))
            finally:
                pg.rollback()
                pg.execute("DROP TABLE IF EXISTS audit_log_parted CASCADE")
                pg.commit()
    finally:
        pg.close()
        store.close()
        if keep:
            say(f"kept schema {schema} (reuse: --schema {schema})")
        else:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()
    say(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load after: {os.getloadavg()}")


def sizes_table(engine: Engine, schema: str) -> Table:
    table = Table(title=f"Large tables of schema {schema}")
    for column in ("table", "rows", "heap MB", "indexes MB"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, rows, heap, indexes in table_sizes(engine):
        table.add_row(name, f"{rows:,}", f"{heap / 2**20:,.0f}", f"{indexes / 2**20:,.0f}")
    return table


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000,
                        help="record versions, audit entries and matches (each)")  # fmt: skip
    parser.add_argument("--batch", type=int, default=1_000_000, help="rows per INSERT")
    parser.add_argument("--keep", action="store_true", help="leave the schema for reuse")
    parser.add_argument("--schema", help="fill this schema, or reuse its fill (kept)")
    parser.add_argument("--without-index", nargs="+", default=[], metavar="NAME",
                        help="also plan without these indexes (dropped, rolled back)")  # fmt: skip
    parser.add_argument("--no-partitioning", action="store_true")
    parser.add_argument("--only", nargs="+", help="only the queries whose name holds a word")
    parser.add_argument("--big", type=int, default=0,
                        help="flag past this many rows (default 1 %% of --rows, 50,000 at least)")  # fmt: skip
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args()
    if args.schema and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.schema):
        parser.error("--schema: lower-case letters, digits and _")
    return args


if __name__ == "__main__":
    main()
