"""Import speed and memory: `enlace import` of synthetic CSV into SQLite and PostgreSQL.

    .venv/bin/python bench/import_bench.py [--records 1000000] [--postgres-url URL] [--out DIR]

Generates the CSV once (cached in --out), then runs the real command line, `enlace init` and
`enlace import`, in a child process per target, timing it and polling the resident memory of
the child and of every process it starts (the import's worker processes). In the same run
it times what it costs just to parse the same file with pyarrow and DuckDB, the limit, and
imports a file a tenth the size to show that memory does not grow with the file.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

HERE = Path(__file__).resolve().parent
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PARTY = "MX"
SEED = 7
POLL_SECONDS = 0.05
# Records of the other party are not generated: the generator gives MX about this share of
# `scale` records, so scale = records / share (and a little more) yields enough of them,
# and the file is their first `records` (the last section, transfers of custody, is cut).
MX_SHARE = 0.92

# The child processes. `enlace` is run through its entry point, so `-c` is the main module
# and the import's spawned workers have no script to re-run.
ENLACE = "import sys; from enlace.cli.app import main; sys.argv[0] = 'enlace'; main()"
PARSE_PYARROW = """
import sys, pyarrow.csv as pc
table = pc.read_csv(sys.argv[1], convert_options=pc.ConvertOptions(
    column_types={}, strings_can_be_null=False, auto_dict_encode=False))
print(table.num_rows)
"""
PARSE_DUCKDB = """
import sys, duckdb
query = "SELECT count(*) FROM read_csv(?, header=true, all_varchar=true)"
print(duckdb.connect().execute(query, [sys.argv[1]]).fetchone()[0])
"""

console = Console(highlight=False, width=140)


@dataclass(frozen=True, slots=True)
class Run:
    """One child process: how long it took, its peak memory, what it printed."""

    seconds: float
    peak_mb: float  # sum over the child and its descendants, at the worst moment
    output: str
    halves_mb: tuple[float, float] = (0.0, 0.0)  # the peak in the first and second half

    @property
    def halves(self) -> str:
        """The peaks of the two halves of the run, to show memory does not creep up."""
        first, second = self.halves_mb
        return f"peak in 1st half of the run {first:.0f} MB, 2nd half {second:.0f} MB"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the result table."""

    target: str
    records: int
    run: Run
    reference_seconds: float | None = None  # the fastest parse-only time, for the ratio
    note: str = ""


def main() -> None:
    """Parse arguments, run every measurement, print the table."""
    args = _arguments()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]import benchmark[/]  {machine()}")
    big = _synthetic_csv(out, args.records)
    small = _synthetic_csv(out, max(1, args.records // 10))

    rows: list[Row] = []
    pyarrow_run = _measure([sys.executable, "-c", PARSE_PYARROW, str(big)])
    duckdb_run = _measure([sys.executable, "-c", PARSE_DUCKDB, str(big)])
    for name, run in (("parse only: pyarrow.csv", pyarrow_run), ("parse only: DuckDB", duckdb_run)):
        rows.append(Row(name, int(run.output.split()[-1]), run))
    reference = min(pyarrow_run.seconds, duckdb_run.seconds)

    sqlite_run = _import_sqlite(out, big, args.records, workers=None)
    rows.append(Row("enlace → SQLite", args.records, sqlite_run, reference, sqlite_run.halves))
    if args.one_process:
        serial = _import_sqlite(out, big, args.records, workers=0)
        rows.append(Row("enlace → SQLite, 1 process", args.records, serial, reference))
    postgres = _import_postgres(out, big, args.records, args.postgres_url)
    if isinstance(postgres, Run):
        rows.append(Row("enlace → PostgreSQL", args.records, postgres, reference, postgres.halves))
    small_run = _import_sqlite(out, small, max(1, args.records // 10), workers=None)
    growth = sqlite_run.peak_mb / small_run.peak_mb
    rows.append(
        Row(
            "memory flat: SQLite, 1/10 the file",
            max(1, args.records // 10),
            small_run,
            note=f"peak at {args.records:,} = {growth:.2f}× peak at {args.records // 10:,}",
        )
    )
    console.print(_table(rows))
    if not isinstance(postgres, Run):
        console.print(f"PostgreSQL row skipped: {postgres}")
    console.print(
        "seconds: wall time of the whole child process (`enlace import` includes start-up, "
        "counting lines for the progress bar and the commit); peak RSS: the child and its "
        "worker processes together, polled every 50 ms."
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the big file")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--out", type=Path, default=HERE / "out", help="cache and node folders")
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="also import into SQLite with --workers 0, to show what the worker pool gives",
    )
    return parser.parse_args()


# --- the data ----------------------------------------------------------------------------


def _synthetic_csv(out: Path, records: int) -> Path:
    """The first `records` MX records of the synthetic generator, written once and cached."""
    scale = math.ceil(records / MX_SHARE) + 100
    path = out / f"synth-{PARTY.lower()}-{records}-seed{SEED}-scale{scale}.csv"
    if path.exists():
        return path
    from enlace.cli.demo_commands import write_rows
    from enlace.synth import SynthConfig, iter_party_records

    config = SynthConfig(seed=SEED, parties=("MX", "US"), scale=scale)
    console.print(f"generating {records:,} synthetic records -> {path}")
    partial = path.with_suffix(".partial")
    written = write_rows(itertools.islice(iter_party_records(config, PARTY), records), partial)
    if written != records:
        raise SystemExit(f"the generator gave {written} records at scale {scale}, not {records}")
    partial.rename(path)
    return path


# --- the targets -------------------------------------------------------------------------


def _import_sqlite(out: Path, csv_path: Path, records: int, *, workers: int | None) -> Run:
    node = out / "nodes" / f"sqlite-{records}-{'auto' if workers is None else workers}"
    shutil.rmtree(node, ignore_errors=True)
    _enlace("init", "--party", PARTY, "--node", str(node))
    run = _import(csv_path, node, workers)
    _check_imported(run, records, _sqlite_count(node / "enlace.sqlite"))
    shutil.rmtree(node, ignore_errors=True)
    return run


def _import_postgres(out: Path, csv_path: Path, records: int, url: str) -> Run | str:
    """The import into a fresh schema, dropped afterwards; or why it was skipped."""
    base = make_url(url)
    if base.drivername in ("postgresql", "postgres"):
        base = base.set(drivername="postgresql+psycopg")
    admin = create_engine(
        base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}, pool_size=1
    )
    schema = f"enlace_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except SQLAlchemyError as error:
        admin.dispose()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"PostgreSQL not reachable at {base.render_as_string()}: {reason}"
    node = out / "nodes" / f"postgres-{records}"
    shutil.rmtree(node, ignore_errors=True)
    try:
        schema_url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        _enlace(
            "init",
            "--party",
            PARTY,
            "--node",
            str(node),
            "--database-url",
            schema_url.render_as_string(hide_password=False),
        )
        run = _import(csv_path, node, None)
        with admin.connect() as connection:
            held = connection.execute(
                text(f"SELECT count(*) FROM \"{schema}\".records WHERE kind <> 'agency'")
            ).scalar_one()
        _check_imported(run, records, int(held))
        return run
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
        shutil.rmtree(node, ignore_errors=True)


def _import(csv_path: Path, node: Path, workers: int | None) -> Run:
    command = ["import", str(csv_path), "--node", str(node)]
    if workers is not None:
        command += ["--workers", str(workers)]
    return _measure([sys.executable, "-c", ENLACE, *command])


def _enlace(*args: str) -> None:
    subprocess.run([sys.executable, "-c", ENLACE, *args], check=True, capture_output=True)


def _sqlite_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM records WHERE kind <> 'agency'"
        ).fetchone()
    return int(count)


def _check_imported(run: Run, expected: int, held: int) -> None:
    if held != expected:
        raise SystemExit(f"expected {expected:,} records stored, found {held:,}:\n{run.output}")


# --- measuring ---------------------------------------------------------------------------


def _measure(command: list[str]) -> Run:
    """Run `command`, polling the memory of it and its descendants; fail loudly if it fails."""
    env = {**os.environ, "COLUMNS": "120"}
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
        process = psutil.Process(child.pid)
        samples: list[tuple[float, int]] = []
        while child.poll() is None:
            samples.append((time.perf_counter() - started, tree_rss(process)))
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read().strip()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[3:])}: exit {child.returncode}\n{output}")
    peak = max((rss for _, rss in samples), default=0)
    first = max((rss for t, rss in samples if t < seconds / 2), default=0)
    second = max((rss for t, rss in samples if t >= seconds / 2), default=0)
    return Run(seconds, peak / 2**20, output, (first / 2**20, second / 2**20))


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of `process` and all its descendants, in bytes (the benches share it)."""
    total = 0
    try:
        for member in [process, *process.children(recursive=True)]:
            try:
                total += member.memory_info().rss
            except psutil.NoSuchProcess:
                continue
    except psutil.NoSuchProcess:
        pass
    return total


# --- reporting ---------------------------------------------------------------------------


def _table(rows: list[Row]) -> Table:
    table = Table(title="Import of synthetic CSV (MX records, every field validated)")
    for name, justify in (
        ("target", "left"),
        ("records", "right"),
        ("seconds", "right"),
        ("records/s", "right"),
        ("peak RSS MB", "right"),
        ("× parse time", "right"),
        ("note", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        ratio = f"{row.run.seconds / row.reference_seconds:.0f}×" if row.reference_seconds else ""
        table.add_row(
            row.target,
            f"{row.records:,}",
            f"{row.run.seconds:.1f}",
            f"{row.records / row.run.seconds:,.0f}",
            f"{row.run.peak_mb:.0f}",
            ratio,
            row.note,
        )
    return table


def machine() -> str:
    """One line describing this machine (the benches share it)."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} CPU ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


if __name__ == "__main__":
    main()
