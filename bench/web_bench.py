"""Web pages at scale: median and worst time of every list page and search, served for real.

    .venv/bin/python bench/web_bench.py [--records 1000000 10000000] [--stores sqlite postgresql]
        [--postgres-url URL] [--out DIR] [--repeat 3]

For each size and store it builds a node of MX synthetic records with the real command line
(`enlace init`, `enlace import`, `enlace user add`), or reuses the one it built before (a
marker in the node's folder says what was built: records, store, schema revision), serves it
with `enlace serve` on a free loopback port, signs in as the bench's user and times, with an
HTTP client, every list page and search: `--repeat` requests each, median and worst.
The names and serials searched are taken from the generated CSV, so the node holds them.

On PostgreSQL each node is its own database, created by the bench and kept for reuse; the bench
drops only a database it records having created (`--drop` drops them all and exits).

Growing, with a budget (`--grow STEP --budget-minutes M`): instead of one node per size, one
node per store is grown to the largest size by importing parts of STEP records one after the
other (each part one `enlace import`, as a node grows in use), both stores part by part, and
every page is timed after each part: the growth curve. When the budget is spent the bench stops
after the part under way and reports the largest size reached. A grown node is reused and
continued by the next run with the same stream, step and schema.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import math
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_bench import ENLACE, MX_SHARE, PARTY, SEED, machine

HERE = Path(__file__).resolve().parent
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STORES = ("sqlite", "postgresql")
TARGET_SECONDS = 1.0
USERNAME = "bench.web"
MARKER = "bench-node.json"
# Written just before CREATE DATABASE: the one proof that a database is the bench's to drop.
CREATED = "created-database.txt"
PAGE_500 = 500
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_RECORD_LINK = re.compile(r'href="/web/records/([^"?#/]+)"')
_PAGE_LINK = re.compile(r"[?&;]page=(\d+)")
_PAGE_OF = re.compile(r"\bof\s+(\d[\d,.\u00a0\u202f ]*)")

console = Console(highlight=False, width=160)
T = TypeVar("T")


def say(line: str) -> None:
    """A progress line, printed as written (its "[...]" is not rich markup)."""
    console.print(line, markup=False)


@dataclass(frozen=True, slots=True)
class Node:
    """A built node: where it is, what it holds, and how the bench signs in."""

    store: str
    records: int
    folder: Path
    password: str
    database: str | None  # PostgreSQL: the database the bench created for it
    note: str  # built in how long, or reused


@dataclass(frozen=True, slots=True)
class Picked:
    """What the searches look for: values the node holds, and the record holding each."""

    name: str
    name_id: str
    serial: str
    serial_id: str
    word: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page to time: its label and its address (path and query)."""

    label: str
    path: str
    expect_id: str = ""  # a search: the record it should show


@dataclass(slots=True)
class Timing:
    """The requests of one page on one node."""

    seconds: list[float] = field(default_factory=list)
    status: int = 200
    shown: bool | None = None  # a search: whether the record it looks for was on the page

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def worst(self) -> float:
        return max(self.seconds)


def main() -> None:
    """Parse arguments; build or reuse each node, serve it, time its pages; print the table."""
    args = _arguments()
    out: Path = args.out.resolve()
    (out / "web").mkdir(parents=True, exist_ok=True)
    admin_url = _admin_url(args.postgres_url)
    if args.drop:
        for dropped in drop_built(out, admin_url):
            console.print(f"dropped {dropped}")
        return
    postgres = _postgres_version(admin_url)
    console.print(f"[bold]web benchmark[/]  {machine()}, {postgres}")
    stores = list(args.stores)
    if "postgresql" in stores and "not reachable" in postgres:
        say(f"PostgreSQL left out: {postgres} at {admin_url.render_as_string()}")
        stores.remove("postgresql")
    if args.grow:
        grow(args, out, stores, admin_url)
        return
    columns: list[tuple[str, dict[str, Timing]]] = []
    labels: dict[str, None] = {}  # every page label, in order (a dict keeps it)
    for records in args.records:
        csv_path = synthetic_csv(out, records)
        picked = pick_searches(csv_path)
        say(
            f"[{records:,}] searching name {picked.name!r}, serial {picked.serial!r}, "
            f"word {picked.word!r}"
        )
        for store in stores:
            node = build_node(out, store, records, csv_path, admin_url, rebuild=args.rebuild)
            say(f"[{store} {records:,}] {node.note}")
            with Serving(node) as base_url:
                timings, pages = time_pages(base_url, node.password, picked, args.repeat,
                                            timeout=args.timeout, label=f"{store} {records:,}")  # fmt: skip
            columns.append((f"{_store_name(store)} {records:,}", timings))
            labels.update(dict.fromkeys(page.label for page in pages))
    _report(columns, list(labels), args.repeat)


def _report(columns: list[tuple[str, dict[str, Timing]]], labels: list[str], repeat: int) -> None:
    console.print(_table(columns, labels))
    for title, timings in columns:
        slow = [label for label, timing in timings.items() if timing.median >= TARGET_SECONDS]
        verdict = "met" if not slow else f"not met ({len(slow)} of {len(timings)} pages)"
        console.print(f"target, every page under {TARGET_SECONDS:.0f} s median, {title}: {verdict}")
    console.print(
        f"seconds: wall time of one GET (sent to body read) by httpx over loopback, signed in "
        f"as {USERNAME} (every role); median and worst of {repeat}; "
        "'not shown': the search answered, but the record it looks for was not on its first page."
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES))
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL,
                        help="a server and database the bench may create databases from")  # fmt: skip
    parser.add_argument("--out", type=Path, default=HERE / "out", help="CSV cache and nodes")
    parser.add_argument("--repeat", type=int, default=3, help="requests per page")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one request may take")
    parser.add_argument("--rebuild", action="store_true", help="rebuild nodes even if current")
    parser.add_argument("--drop", action="store_true",
                        help="remove every node and database the bench built in --out, and exit")  # fmt: skip
    parser.add_argument("--grow", type=int, metavar="STEP", default=0,
                        help="grow one node per store to the largest --records, STEP records "
                             "per import, timing every page after each part")  # fmt: skip
    parser.add_argument("--budget-minutes", type=float, default=0,
                        help="with --grow: start no new part after this many minutes")  # fmt: skip
    args = parser.parse_args()
    if args.repeat < 1 or any(records < 100 for records in args.records):
        parser.error("--repeat must be 1 or more and --records 100 or more")
    if args.grow and (args.grow < 100 or max(args.records) % args.grow):
        parser.error("--grow must be 100 or more and divide the largest --records")
    if args.budget_minutes and not args.grow:
        parser.error("--budget-minutes goes with --grow")
    return args


# --- the data ----------------------------------------------------------------------------


def synthetic_csv(out: Path, records: int) -> Path:
    """The first `records` MX synthetic records, generated once and cached (as import_bench)."""
    scale = math.ceil(records / MX_SHARE) + 100
    path = out / f"synth-{PARTY.lower()}-{records}-seed{SEED}-scale{scale}.csv"
    if path.exists():
        return path
    from enlace.cli.demo_commands import write_rows
    from enlace.synth import SynthConfig, iter_party_records

    config = SynthConfig(seed=SEED, parties=("MX", "US"), scale=scale)
    say(f"generating {records:,} synthetic records -> {path}")
    partial = path.with_suffix(".partial")
    started = time.perf_counter()
    rows = _with_progress(itertools.islice(iter_party_records(config, PARTY), records), records)
    written = write_rows(rows, partial)
    if written != records:
        raise SystemExit(f"the generator gave {written} records at scale {scale}, not {records}")
    partial.rename(path)
    say(f"generated in {time.perf_counter() - started:.0f} s")
    return path


def _with_progress(rows: Iterator[T], total: int) -> Iterator[T]:
    step = max(100_000, total // 20)
    started = time.perf_counter()
    for number, row in enumerate(rows, 1):
        if number % step == 0:
            say(f"  {number:,} of {total:,} ({time.perf_counter() - started:.0f} s)")
        yield row


def pick_searches(csv_path: Path) -> Picked:
    """What to search for in the node built from `csv_path`, read once and cached beside it."""
    cache = csv_path.with_name(csv_path.name + ".searches.json")
    try:
        return Picked(**json.loads(cache.read_text()))
    except (OSError, ValueError, TypeError):
        pass
    picked = _pick_searches(csv_path)
    cache.write_text(json.dumps(asdict(picked)) + "\n")
    return picked


def _pick_searches(csv_path: Path) -> Picked:
    """A person's name, a firearm's serial (a vehicle's VIN in a file too small to hold one)
    and a seizure's word: of each kind, the record in the middle of the file's records of that
    kind (the generator writes kind after kind)."""
    fields = {"person": "first_surname", "firearm": "serial", "vehicle": "vin",
              "seizure": "description"}  # fmt: skip

    def wanted(row: dict[str, str]) -> str | None:
        kind = row["type"]
        return kind if kind in fields and row[fields[kind]] else None

    counts = dict.fromkeys(fields, 0)
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kind = wanted(row)
            if kind:
                counts[kind] += 1
    if not (counts["person"] and counts["seizure"] and (counts["firearm"] or counts["vehicle"])):
        raise SystemExit(f"{csv_path}: too few records to pick searches from: {counts}")
    middle = {kind: count // 2 for kind, count in counts.items()}
    seen = dict.fromkeys(counts, 0)
    found: dict[str, dict[str, str]] = {}
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kind = wanted(row)
            if kind is None:
                continue
            if seen[kind] == middle[kind]:
                found[kind] = row
                if len(found) == sum(1 for count in counts.values() if count):
                    break
            seen[kind] += 1
    person, seizure = found["person"], found["seizure"]
    serial = ("firearm", "serial") if "firearm" in found else ("vehicle", "vin")
    name = " ".join(person[key] for key in ("given_names", "first_surname", "second_surname"))
    words = re.findall(r"\w+", seizure["description"])
    return Picked(
        name=" ".join(name.split()),
        name_id=person["id"],
        serial=found[serial[0]][serial[1]],
        serial_id=found[serial[0]]["id"],
        word=max(words, key=len),
    )


# --- the nodes ---------------------------------------------------------------------------


def schema_revision() -> str:
    """The newest migration of the code measured: a node built at another is rebuilt."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from enlace.store.schema import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


def build_node(out: Path, store: str, records: int, csv_path: Path, admin_url: URL,
               *, rebuild: bool = False) -> Node:  # fmt: skip
    """The node of `records` records on `store`: reused when its marker matches, else built."""
    folder = out / "web" / f"{store}-{records}"
    revision = schema_revision()
    wanted = {"records": records, "store": store, "revision": revision, "csv": csv_path.name}
    marker = _read_marker(folder)
    if marker and not rebuild and {key: marker.get(key) for key in wanted} == wanted:
        database = marker.get("database")
        return Node(store, records, folder, str(marker["password"]),
                    str(database) if database else None,
                    f"reused (built {marker['built']} in {marker['build_seconds']:.0f} s, "
                    f"{marker['size_mb']:,.0f} MB)")  # fmt: skip
    if marker:
        built = {key: marker.get(key) for key in wanted}
        say(f"[{store} {records:,}] rebuilding: built as {built}, wanted {wanted}")
    _remove_node(folder, admin_url)
    folder.mkdir(parents=True)
    node_dir = folder / "node"
    started = time.perf_counter()
    database = None
    init = ["init", "--party", PARTY, "--node", str(node_dir)]
    if store == "postgresql":
        database = _database_name(out, records)
        _create_database(folder, admin_url, database)
        url = admin_url.set(database=database).render_as_string(hide_password=False)
        init += ["--database-url", url]
    enlace(*init)
    say(f"[{store} {records:,}] importing {csv_path.name}")
    imported = time.perf_counter()
    enlace("import", str(csv_path), "--node", str(node_dir), show=True)
    import_seconds = time.perf_counter() - imported
    password = secrets.token_urlsafe(18)
    roles = [arg for role in _roles() for arg in ("--role", role)]
    enlace("user", "add", USERNAME, *roles, "--language", "en", "--password-stdin",
           "--node", str(node_dir), stdin=password + "\n")  # fmt: skip
    seconds = time.perf_counter() - started
    size = _size_mb(folder, admin_url, database)
    marker = {
        **wanted,
        "database": database,
        "password": password,
        "built": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "build_seconds": seconds,
        "import_seconds": import_seconds,
        "size_mb": size,
    }
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    note = f"built in {seconds:.0f} s (import {import_seconds:.0f} s), {size:,.0f} MB"
    return Node(store, records, folder, password, database, note)


def _roles() -> list[str]:
    from enlace.model.roles import Role

    return [role.value for role in Role]


def _read_marker(folder: Path) -> dict[str, object] | None:
    try:
        found = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _remove_node(folder: Path, admin_url: URL) -> str | None:
    """Remove a node folder and the database the bench created for it, if it did."""
    dropped = None
    created = folder / CREATED
    if created.exists():
        database = created.read_text().strip()
        with _admin(admin_url) as engine, engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        dropped = database
    shutil.rmtree(folder, ignore_errors=True)
    return dropped


def drop_built(out: Path, admin_url: URL) -> list[str]:
    """Remove every node the bench built under `out` and every database it created."""
    removed = []
    for folder in sorted((out / "web").glob("*-*")):
        if folder.is_dir() and ((folder / MARKER).exists() or (folder / CREATED).exists()):
            database = _remove_node(folder, admin_url)
            removed.append(f"{folder}" + (f" and database {database}" if database else ""))
    return removed


def _database_name(out: Path, records: int) -> str:
    # One --out, one set of databases: two checkouts' benches never share one.
    digest = hashlib.sha256(str(out).encode()).hexdigest()[:8]
    return f"enlace_webbench_{records}_{digest}"


def _create_database(folder: Path, admin_url: URL, database: str) -> None:
    with _admin(admin_url) as engine, engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
        ).first()
        if exists:
            raise SystemExit(
                f"database {database} exists but this bench has no record of creating it "
                f"(no {folder / CREATED}): drop it yourself or use another --out"
            )
        (folder / CREATED).write_text(database + "\n")
        connection.execute(text(f'CREATE DATABASE "{database}"'))


def _size_mb(folder: Path, admin_url: URL, database: str | None) -> float:
    if database is None:
        return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20
    with _admin(admin_url) as engine, engine.connect() as connection:
        size = connection.execute(
            text("SELECT pg_database_size(:name)"), {"name": database}
        ).scalar_one()
    return int(size) / 2**20


class _admin:  # noqa: N801 - used as a function in `with`
    """An AUTOCOMMIT engine on the server at `url`, disposed on leaving."""

    def __init__(self, url: URL) -> None:
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1,
                                    connect_args={"connect_timeout": 5})  # fmt: skip

    def __enter__(self) -> Engine:
        return self.engine

    def __exit__(self, *_: object) -> None:
        self.engine.dispose()


def _admin_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _postgres_version(admin_url: URL) -> str:
    try:
        with _admin(admin_url) as engine, engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"PostgreSQL not reachable ({reason})"
    return f"PostgreSQL {str(version).split()[0]}"


def enlace(*args: str, show: bool = False, stdin: str | None = None) -> None:
    """Run the real command line; its output shown live (`show`) or only when it fails."""
    command = [sys.executable, "-c", ENLACE, *args]
    if show:
        done = subprocess.run(command, input=stdin, text=True, check=False)
        output = ""
    else:
        done = subprocess.run(command, input=stdin, text=True, capture_output=True, check=False)
        output = done.stdout + done.stderr
    if done.returncode != 0:
        raise SystemExit(f"enlace {' '.join(args[:2])}: exit {done.returncode}\n{output}")


# --- growing a node part by part, with a budget ------------------------------------------


@dataclass(frozen=True, slots=True)
class Stream:
    """The parts a grown node is made of: part k is the first `step` records of the synthetic
    world of seed SEED + k - 1 (part 1 is the one-file build's CSV of `step` records). Each
    part is a whole world — persons, firearms, vehicles, seizures and what they refer to, in
    the generator's kind-after-kind order — so every size holds every kind, and no part refers
    to a record of a later one. Worlds of other seeds have other ids (the shared agencies
    aside, which a later part imports again unchanged)."""

    out: Path
    records: int  # the largest size asked for
    step: int

    @property
    def scale(self) -> int:
        return math.ceil(self.step / MX_SHARE) + 100

    @property
    def name(self) -> str:
        return f"synth-{PARTY.lower()}-seeds{SEED}+-scale{self.scale}-step{self.step}"

    @property
    def parts(self) -> int:
        return self.records // self.step

    def part(self, number: int) -> Path:
        return self.out / "parts" / f"{self.name}-part{number:04d}.csv"


def write_parts(stream: Stream, failed: list[BaseException]) -> None:
    """Write the parts not yet written, in order, each renamed into place only when whole."""
    try:
        from enlace.cli.demo_commands import write_rows
        from enlace.synth import SynthConfig, iter_party_records

        stream.part(1).parent.mkdir(parents=True, exist_ok=True)
        for number in range(1, stream.parts + 1):
            path = stream.part(number)
            if path.exists():
                continue
            config = SynthConfig(seed=SEED + number - 1, parties=("MX", "US"), scale=stream.scale)
            rows = itertools.islice(iter_party_records(config, PARTY), stream.step)
            partial = path.with_suffix(".partial")
            written = write_rows(rows, partial)
            if written != stream.step:
                raise SystemExit(f"the generator gave {written} records for {path.name}")
            partial.rename(path)
    except BaseException as error:  # the main thread reports it instead of waiting forever
        failed.append(error)


def _wait_for(path: Path, failed: list[BaseException]) -> None:
    announced = False
    while not path.exists():
        if failed:
            raise SystemExit(f"generating the parts failed: {failed[0]!r}")
        if not announced:
            say(f"  waiting for {path.name} to be generated")
            announced = True
        time.sleep(1)


def grown_node(
    out: Path, store: str, stream: Stream, admin_url: URL
) -> tuple[Path, dict[str, object]]:
    """The grown node of `store` for `stream`: its folder and marker (made, with an empty
    node and the bench's user, when there is none or it was grown from something else)."""
    folder = out / "web" / f"{store}-grown-{stream.step}"
    wanted = {"store": store, "revision": schema_revision(), "stream": stream.name}
    marker = _read_marker(folder)
    if marker and {key: marker.get(key) for key in wanted} == wanted:
        return folder, marker
    if marker:
        say(f"[{store}] starting again: grown as {marker.get('stream')} at "
            f"{marker.get('revision')}, wanted {wanted}")  # fmt: skip
    _remove_node(folder, admin_url)
    folder.mkdir(parents=True)
    node_dir = folder / "node"
    init = ["init", "--party", PARTY, "--node", str(node_dir)]
    database = None
    if store == "postgresql":
        database = _database_name(out, 0) + "_grown"
        _create_database(folder, admin_url, database)
        url = admin_url.set(database=database).render_as_string(hide_password=False)
        init += ["--database-url", url]
    enlace(*init)
    password = secrets.token_urlsafe(18)
    roles = [arg for role in _roles() for arg in ("--role", role)]
    enlace("user", "add", USERNAME, *roles, "--language", "en", "--password-stdin",
           "--node", str(node_dir), stdin=password + "\n")  # fmt: skip
    marker = {**wanted, "database": database, "password": password, "parts": 0, "imports": []}
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    return folder, marker


def grow(args: argparse.Namespace, out: Path, stores: list[str], admin_url: URL) -> None:
    """Grow one node per store part by part, timing every page after each part, within the
    budget; print the growth curve (import seconds per part, page medians per size)."""
    stream = Stream(out, max(args.records), args.grow)
    started = time.monotonic()
    budget = args.budget_minutes * 60 or math.inf
    failed: list[BaseException] = []
    threading.Thread(target=write_parts, args=(stream, failed), daemon=True).start()
    say(f"growing to {stream.records:,} records in {stream.parts} parts of {stream.step:,}"
        + (f", budget {args.budget_minutes:.0f} min" if args.budget_minutes else ""))  # fmt: skip
    nodes = {store: grown_node(out, store, stream, admin_url) for store in stores}
    _wait_for(stream.part(1), failed)
    picked = pick_searches(stream.part(1))
    say(f"searching name {picked.name!r}, serial {picked.serial!r}, word {picked.word!r}")
    results: dict[str, list[tuple[int, dict[str, Timing]]]] = {store: [] for store in stores}
    labels: dict[str, None] = {}
    for number in range(1, stream.parts + 1):
        if all(int(str(marker["parts"])) >= number for _, marker in nodes.values()):
            continue
        if time.monotonic() - started > budget:
            say(f"budget of {args.budget_minutes:.0f} min spent: stopping before part {number}")
            break
        _wait_for(stream.part(number), failed)
        for store, (folder, marker) in nodes.items():
            if int(str(marker["parts"])) >= number:
                continue
            size = number * stream.step
            say(f"[{store}] importing part {number} of {stream.parts} (to {size:,} records)")
            began = time.perf_counter()
            enlace("import", str(stream.part(number)), "--node", str(folder / "node"))
            seconds = time.perf_counter() - began
            imports = list(marker["imports"]) if isinstance(marker["imports"], list) else []
            marker.update(parts=number, imports=[*imports, round(seconds, 1)],
                          size_mb=_size_mb(folder, admin_url, _database(marker)))  # fmt: skip
            (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
            say(f"[{store}] part {number} imported in {seconds:.0f} s; "
                f"{marker['size_mb']:,.0f} MB")  # fmt: skip
            timings = _time_grown(store, folder, marker, picked, args, size)
            results[store].append((size, timings))
            labels.update(dict.fromkeys(timings))
    for store, (folder, marker) in nodes.items():
        size = int(str(marker["parts"])) * stream.step
        if not results[store] or results[store][-1][0] != size:
            results[store].append((size, _time_grown(store, folder, marker, picked, args, size)))
            labels.update(dict.fromkeys(results[store][-1][1]))
        imports = marker["imports"] if isinstance(marker["imports"], list) else []
        say(f"[{store}] {size:,} records of {stream.records:,}; import seconds per part of "
            f"{stream.step:,}: {', '.join(f'{s:.0f}' for s in imports)}")  # fmt: skip
    results_path = out / "web" / f"grown-{stream.name}.json"
    results_path.write_text(json.dumps({
        store: [{"records": size, "pages": {label: timing.seconds for label, timing in timings.items()}}
                for size, timings in measured]
        for store, measured in results.items()}, indent=1) + "\n")  # fmt: skip
    columns = [(f"{_store_name(store)} {size:,}", timings)
               for store, measured in results.items() for size, timings in measured]  # fmt: skip
    _report(columns, list(labels), args.repeat)
    say(f"the figures, every request: {results_path}")


def _database(marker: dict[str, object]) -> str | None:
    database = marker.get("database")
    return str(database) if database else None


def _time_grown(store: str, folder: Path, marker: dict[str, object], picked: Picked,
                args: argparse.Namespace, size: int) -> dict[str, Timing]:  # fmt: skip
    node = Node(store, size, folder, str(marker["password"]), _database(marker), "grown")
    with Serving(node) as base_url:
        timings, _ = time_pages(base_url, node.password, picked, args.repeat,
                                timeout=args.timeout, label=f"{store} {size:,}")  # fmt: skip
    return timings


# --- serving and timing ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Serving:
    """`enlace serve` of a node on a free loopback port, for a `with` block: its base URL."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.port = _free_port()

    def __enter__(self) -> str:
        self.log = (self.node.folder / "serve.log").open("wb")
        command = [sys.executable, "-c", ENLACE, "serve", "--node", str(self.node.folder / "node"),
                   "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.__exit__()
                log = (self.node.folder / "serve.log").read_text(errors="replace")
                raise SystemExit(f"enlace serve exited {self.process.returncode}:\n{log}")
            try:
                httpx.get(f"{url}/web/login", timeout=5)
                return url
            except httpx.HTTPError:
                time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"enlace serve did not answer at {url}")

    def __exit__(self, *_: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def sign_in(client: httpx.Client, password: str) -> None:
    """Sign in as the bench's user through the login form, as a browser does."""
    form = client.get("/web/login")
    found = _CSRF_FIELD.search(form.text)
    if found is None:
        raise SystemExit(f"no CSRF field on the login page (HTTP {form.status_code})")
    answer = client.post(
        "/web/login",
        data={"username": USERNAME, "password": password, "csrf_token": found.group(1)},
    )
    if answer.status_code != 303:
        raise SystemExit(f"signing in as {USERNAME}: HTTP {answer.status_code}")


def _records(**query: str | int) -> str:
    return "/web/records?" + urlencode(query) if query else "/web/records"


def last_page(html: str) -> int:
    """The number of the records list's last page, as the first page shows it."""
    numbers = [int(found) for found in _PAGE_LINK.findall(html.replace("&amp;", "&"))]
    for found in _PAGE_OF.findall(html):
        digits = re.sub(r"\D", "", found)
        if digits:
            numbers.append(int(digits))
    return max([1, *numbers])


def _select_options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.DOTALL)
    if select is None:
        return []
    return [value for value in re.findall(r'<option value="([^"]*)"', select.group(1)) if value]


MAP_PERIOD = "/web/map?" + urlencode(
    {"kind": "seizure", "category": "drug", "since": "2024-11-15", "until": "2025-06-10"}
)


def page_list(first_records_page: str, picked: Picked) -> list[Page]:
    """Every page the bench times; the filters' values as the records page offers them."""
    last = last_page(first_records_page)
    kinds = _select_options(first_records_page, "kind")
    kind = next((k for k in kinds if "firearm" in k), kinds[0] if kinds else "")
    owners = _select_options(first_records_page, "owner")
    owner = PARTY if PARTY in owners else (owners[0] if owners else PARTY)
    return [
        Page("dashboard", "/web/"),
        Page("records, first page", _records()),
        Page(f"records, page {PAGE_500} (or the last)", _records(page=min(PAGE_500, last))),
        Page("records, last page", _records(page=last)),
        Page(f"records, kind {kind}", _records(kind=kind)),
        Page(f"records, owner {owner}", _records(owner=owner)),
        Page("search: a name", _records(q=picked.name), picked.name_id),
        Page("search: a serial", _records(q=picked.serial), picked.serial_id),
        Page("search: a word", _records(q=picked.word)),
        Page("map", "/web/map"),
        # Days at both ends (the synthetic records span 2024-10 to 2025-09): the map sums
        # month rows for the whole months and day rows for the partial ones.
        Page("map, drug seizures in a period", MAP_PERIOD),
        Page("tracking", "/web/tracking"),
        Page("matching", "/web/matching"),
        Page("exchange", "/web/exchange"),
        Page("audit", "/web/audit"),
    ]


def time_pages(base_url: str, password: str, picked: Picked, repeat: int, *,
               timeout: float, label: str = "") -> tuple[dict[str, Timing], list[Page]]:  # fmt: skip
    """Sign in, then GET each page `repeat` times; the timings by page label."""
    timings: dict[str, Timing] = {}
    with httpx.Client(base_url=base_url, timeout=timeout, follow_redirects=False) as client:
        sign_in(client, password)
        first = client.get(_records())
        if first.status_code != 200:
            raise SystemExit(f"/web/records: HTTP {first.status_code}")
        pages = page_list(first.text, picked)
        for page in pages:
            timing = timings[page.label] = Timing()
            for _ in range(repeat):
                started = time.perf_counter()
                answer = client.get(page.path)
                timing.seconds.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    timing.status = answer.status_code
                if page.expect_id:
                    shown = page.expect_id in _RECORD_LINK.findall(answer.text)
                    timing.shown = shown if timing.shown is None else timing.shown and shown
            say(f"[{label}] {page.label}: median {timing.median:.3f} s, "
                          f"worst {timing.worst:.3f} s  {page.path}")  # fmt: skip
    return timings, pages


# --- reporting ---------------------------------------------------------------------------


def _store_name(store: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[store]


def _cell(timing: Timing | None) -> str:
    if timing is None:
        return ""
    shown = f"{timing.median:.3f} / {timing.worst:.3f}"
    if timing.median >= TARGET_SECONDS:
        shown = f"[red]{shown}[/]"
    if timing.status != 200:
        shown += f" HTTP {timing.status}"
    if timing.shown is False:
        shown += " not shown"
    return shown


def _table(columns: list[tuple[str, dict[str, Timing]]], labels: list[str]) -> Table:
    table = Table(title="Web pages, signed in: median / worst seconds (target: median under 1 s)")
    table.add_column("page")
    for title, _ in columns:
        table.add_column(title, justify="right")
    for label in labels:
        table.add_row(label, *(_cell(timings.get(label)) for _, timings in columns))
    return table


if __name__ == "__main__":
    main()
