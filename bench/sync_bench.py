"""Sync speed and memory: one node pulling N signed records from another over loopback.

    .venv/bin/python bench/sync_bench.py [--records 100000 1000000] [--out DIR]

For each size, the real command line in child processes: a US node (`enlace init`, `enlace
import` of a synthetic CSV of US records releasable to MX, `enlace release --partner MX --all`,
which signs every version: timed as "release+sign"), an empty MX node, both registered with the
invite flow (`partner add`, `partner invite`, `partner add --outbound-token-file`), `enlace
serve` of US on a free loopback port, then `enlace sync US --node MX`: served, signed, verified,
stored, end to end. The resident memory of the server and of the syncing process is polled
(every 50 ms) while each step runs.

In the same run, the reference: the OASIS TAXII server medallion (memory backend) serving the
same objects (the stored STIX JSON of the released versions), pulled by a plain httpx client
(same page size, `match[version]=all`, `match[spec_version]=2.1`, parse and count,
nothing verified or stored); the same
plain client also pulls Enlace's server, for a serving-only comparison.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_bench import ENLACE, machine, tree_rss

HERE = Path(__file__).resolve().parent
SEED = 7
POLL_SECONDS = 0.05
PAGE_SIZE = 1000  # `enlace sync`'s default page size; every client here asks for it
# About this share of the US synthetic records is releasable to MX (seed 7).
RELEASABLE_SHARE = 0.85
MEDALLION_USER, MEDALLION_PASSWORD = "bench", "bench-password"
MEDALLION_ROOT = "bench"

# A plain TAXII 2.1 client: page through a collection's objects, parse each page, count.
PULL = """
import sys, time, httpx, orjson
url, auth, limit, budget = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
headers = {"Accept": "application/taxii+json;version=2.1"}
kind, _, secret = auth.partition(":")
basic = None
if kind == "bearer":
    headers["Authorization"] = "Bearer " + secret
else:
    basic = tuple(secret.split(":", 1))
count, pages, cursor, started = 0, 0, None, time.perf_counter()
with httpx.Client(timeout=600, auth=basic) as client:
    while True:
        params = {"limit": limit, "match[version]": "all", "match[spec_version]": "2.1"}
        if cursor:
            params["next"] = cursor
        response = client.get(url, params=params, headers=headers)
        response.raise_for_status()
        body = orjson.loads(response.content)
        count += len(body.get("objects", []))
        pages += 1
        cursor = body.get("next")
        if not (body.get("more") and cursor):
            break
        if time.perf_counter() - started > budget:
            print("budget", end=" ")
            break
print(count, pages)
"""

console = Console(highlight=False, width=150)


@dataclass(frozen=True, slots=True)
class Run:
    """One measured child process, with the peak memory of a watched server meanwhile."""

    seconds: float
    client_mb: float
    server_mb: float | None
    output: str


@dataclass(frozen=True, slots=True)
class Row:
    size: int
    step: str
    records: int
    run: Run
    ratio: str = ""
    note: str = ""


def main() -> None:
    args = _arguments()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]sync benchmark[/]  {machine()}  load average {_load()}")
    medallion = _medallion_available()
    rows: list[Row] = []
    for size in args.records:
        rows.extend(_one_size(out, size, args, medallion))
        console.print(_table(rows, args.page_size))
    console.print(
        "seconds: wall time of the child process (start-up included). records/s: records over "
        "those seconds. peak RSS: polled every 50 ms; server = the serving process, client = "
        "the process doing the step. ratio: Enlace rec/s ÷ medallion rec/s at the same size."
    )
    if isinstance(medallion, str):
        console.print(f"medallion rows skipped: {medallion}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--out", type=Path, default=HERE / "out", help="cache and node folders")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE)
    parser.add_argument(
        "--medallion-max",
        type=int,
        default=100_000,
        help="largest size medallion is run at (its memory backend holds and deep-copies "
        "the whole collection on every request)",
    )
    parser.add_argument(
        "--medallion-budget",
        type=float,
        default=120.0,
        help="seconds after which the medallion pull stops; its rate is over what it got",
    )
    parser.add_argument("--keep", action="store_true", help="keep the node folders")
    return parser.parse_args()


# --- one size ----------------------------------------------------------------------------


def _one_size(out: Path, size: int, args: argparse.Namespace, medallion: bool | str) -> list[Row]:
    csv_path = _synthetic_csv(out, size)
    base = out / "sync" / str(size)
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    us, mx = base / "us", base / "mx"
    us_port, mx_port = _free_port(), _free_port()
    us_url, mx_url = f"http://127.0.0.1:{us_port}", f"http://127.0.0.1:{mx_port}"
    us_key = _public_key(_enlace("init", "--party", "US", "--node", str(us)), us)
    mx_key = _public_key(_enlace("init", "--party", "MX", "--node", str(mx)), mx)
    # The invite flow (docs/exchange.md): each adds the other, invites it, and the other
    # registers the token it was given.
    _enlace("partner", "add", "--party", "MX", "--url", mx_url, "--key", mx_key, "--node", str(us))
    _enlace("partner", "invite", "--party", "MX", "--token-out", str(base / "for-mx"),
            "--node", str(us))  # fmt: skip
    _enlace("partner", "add", "--party", "US", "--url", us_url, "--key", us_key,
            "--outbound-token-file", str(base / "for-mx"), "--node", str(mx))  # fmt: skip
    rows: list[Row] = []
    console.print(f"[{size:,}] import")
    imported = _measure(_enlace_command("import", str(csv_path), "--node", str(us)))
    rows.append(Row(size, "import (setup)", size, imported))
    console.print(f"[{size:,}] release+sign")
    released_run = _measure(
        _enlace_command("release", "--partner", "MX", "--all", "--node", str(us))
    )
    released = _released(us)
    rows.append(Row(size, "release+sign", released, released_run))

    with _Serving(us, us_port) as server:
        console.print(f"[{size:,}] enlace sync ({released:,} versions)")
        synced = _measure(
            _enlace_command("sync", "US", "--node", str(mx), "--page-size", str(args.page_size)),
            server=server,
        )
        stored = _received(mx)
        if stored != released:
            raise SystemExit(f"sync stored {stored:,} versions, expected {released:,}")
        token = (mx / "keys" / "partners" / "US.token").read_text().strip()
        objects_url = _enlace_objects_url(us_url, token)
        console.print(f"[{size:,}] plain client ← enlace serve")
        plain = _pull(objects_url, f"bearer:{token}", args.page_size, math.inf, server)
    plain_count = int(plain.output.split()[-2])
    if plain_count != released:
        raise SystemExit(f"the plain client got {plain_count:,} from enlace, not {released:,}")

    reference: Run | str
    reference_count = 0
    if isinstance(medallion, str):
        reference = medallion
    elif size > args.medallion_max:
        reference = (
            f"not run at {size:,} (> --medallion-max {args.medallion_max:,}): its memory "
            "backend keeps every object in memory and deep-copies the whole collection twice "
            "on every objects request"
        )
    else:
        console.print(f"[{size:,}] plain client ← medallion")
        reference, reference_count = _medallion_pull(base, us, args)
    medallion_rate = reference_count / reference.seconds if isinstance(reference, Run) else None

    def ratio(count: int, run: Run) -> str:
        return f"{(count / run.seconds) / medallion_rate:.1f}×" if medallion_rate else ""

    rows.append(
        Row(
            size,
            "enlace sync (end to end)",
            stored,
            synced,
            ratio(stored, synced),
            "served, verified, stored",
        )
    )
    rows.append(
        Row(
            size,
            "plain client ← enlace serve",
            plain_count,
            plain,
            ratio(plain_count, plain),
            "parse + count only",
        )
    )
    if isinstance(reference, Run):
        note = "parse + count only"
        if reference.output.startswith("budget"):
            note += f"; stopped at the {args.medallion_budget:.0f} s budget"
        rows.append(Row(size, "plain client ← medallion", reference_count, reference, "1.0×", note))
    else:
        console.print(f"[{size:,}] medallion skipped: {reference}")
        rows.append(Row(size, "plain client ← medallion", 0, Run(0, 0, None, ""), note="skipped"))
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return rows


# --- the data ----------------------------------------------------------------------------


def _synthetic_csv(out: Path, records: int) -> Path:
    """The first `records` US records releasable to MX (seed 7), written once and cached."""
    path = out / f"synth-us-to-mx-{records}-seed{SEED}.csv"
    if path.exists():
        return path
    from enlace.cli.demo_commands import write_rows
    from enlace.synth import SynthConfig, iter_party_records

    scale = math.ceil(records / RELEASABLE_SHARE * 1.02) + 100  # the share varies a little
    config = SynthConfig(seed=SEED, parties=("MX", "US"), scale=scale)
    console.print(f"generating {records:,} synthetic US records -> {path}")
    allowed = (r for r in iter_party_records(config, "US") if "MX" in r.markings.releasable_to)
    partial = path.with_suffix(".partial")
    written = write_rows(itertools.islice(allowed, records), partial)
    if written != records:
        raise SystemExit(f"the generator gave {written} records at scale {scale}, not {records}")
    partial.rename(path)
    return path


def _released(node: Path) -> int:
    with sqlite3.connect(node / "enlace.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM releases WHERE partner = 'MX'").fetchone()[0])


def _received(node: Path) -> int:
    with sqlite3.connect(node / "enlace.sqlite") as db:
        query = "SELECT count(*) FROM records WHERE received_from = 'US'"
        return int(db.execute(query).fetchone()[0])


# --- enlace ------------------------------------------------------------------------------


def _enlace_command(*args: str) -> list[str]:
    return [sys.executable, "-c", ENLACE, *args]


def _enlace(*args: str) -> str:
    done = subprocess.run(
        _enlace_command(*args),
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"enlace {' '.join(args)}: exit {done.returncode}\n{done.stdout}"
                         f"{done.stderr}")  # fmt: skip
    return done.stdout


def _public_key(_: str, node: Path) -> str:
    from enlace.node.keys import public_key_hex

    return public_key_hex(node / "keys")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Serving:
    """`enlace serve` of `node` in a child process; its pid is what the polling watches."""

    def __init__(self, node: Path, port: int) -> None:
        self.node, self.port = node, port

    def __enter__(self) -> psutil.Process:
        self.log = (self.node.parent / "serve.log").open("wb")
        command = _enlace_command("serve", "--node", str(self.node), "--port", str(self.port))
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        _wait_until(f"http://127.0.0.1:{self.port}/taxii2/", {401}, self.process)
        return psutil.Process(self.process.pid)

    def __exit__(self, *_: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _wait_until(url: str, statuses: set[int], process: subprocess.Popen[bytes],
                auth: tuple[str, str] | None = None) -> None:  # fmt: skip
    deadline = time.monotonic() + 600
    headers = {"Accept": "application/taxii+json;version=2.1"}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited {process.returncode}")
        try:
            if httpx.get(url, timeout=2, auth=auth, headers=headers).status_code in statuses:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url}: the server did not start")


def _enlace_objects_url(base: str, token: str) -> str:
    from enlace.exchange.taxii.protocol import API_ROOT, collection_id

    return f"{base}/{API_ROOT}/collections/{collection_id('US', 'MX')}/objects/"


def _pull(url: str, auth: str, page_size: int, budget: float, server: psutil.Process) -> Run:
    budget_text = "1e12" if math.isinf(budget) else str(budget)
    command = [sys.executable, "-c", PULL, url, auth, str(page_size), budget_text]
    return _measure(command, server=server)


# --- medallion ---------------------------------------------------------------------------


def _medallion_available() -> bool | str:
    try:
        import medallion  # noqa: F401
    except ImportError:
        return "medallion is not installed (pip install medallion, or the dev extras)"
    return True


def _medallion_pull(base: Path, us: Path, args: argparse.Namespace) -> tuple[Run, int]:
    """medallion's memory backend serving the released STIX objects, pulled by the plain
    client; (the run, how many objects it got)."""
    data = base / "medallion-data.json"
    collection = str(uuid.uuid4())
    with sqlite3.connect(us / "enlace.sqlite") as db, data.open("w", encoding="utf-8") as f:
        # medallion orders objects by `date_added`; with a manifest its paging is quadratic
        # in Python (every manifest entry against every object), so the objects carry
        # `date_added` (the release time) and there is no manifest. Sorted by id so that its
        # version filter's sorted inserts append. (Without match[spec_version] its
        # spec-version filter also compares every object with every other: the client
        # sends it, to both servers.)
        rows = db.execute(
            "SELECT r.stix, l.released_at FROM releases l JOIN records r "
            "ON r.id = l.record_id AND r.modified = l.modified "
            "WHERE l.partner = 'MX' ORDER BY r.id, r.modified"
        )
        f.write(
            '{"/discovery": '
            + json.dumps(
                {
                    "title": "bench",
                    "default": f"/{MEDALLION_ROOT}/",
                    "api_roots": [f"/{MEDALLION_ROOT}/"],
                }
            )
            + f', "{MEDALLION_ROOT}": {{"information": '
            + json.dumps(
                {
                    "title": "bench",
                    "versions": ["application/taxii+json;version=2.1"],
                    "max_content_length": 10485760,
                }
            )
            + ', "status": [], "collections": [{"id": "'
            + collection
            + '", "title": "released", "can_read": true, "can_write": false, '
            '"media_types": ["application/stix+json;version=2.1"], "objects": ['
        )
        for index, (stix, added) in enumerate(rows):
            if index:
                f.write(",")
            f.write(stix[:-1] + f', "date_added": "{added}"}}')
        f.write("]}]}}")
    config = base / "medallion.json"
    config.write_text(
        json.dumps(
            {
                "backend": {
                    "module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": str(data),
                    "session_timeout": 3600,
                },
                "users": {MEDALLION_USER: MEDALLION_PASSWORD},
                "taxii": {"max_page_size": args.page_size},
            }
        )
    )
    port = _free_port()
    medallion_bin = str(Path(sys.executable).parent / "medallion")
    with (base / "medallion.log").open("wb") as log:
        process = subprocess.Popen(
            [medallion_bin, "--host", "127.0.0.1", "--port", str(port), str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        root = f"http://127.0.0.1:{port}"
        _wait_until(f"{root}/taxii2/", {200}, process, (MEDALLION_USER, MEDALLION_PASSWORD))
        url = f"{root}/{MEDALLION_ROOT}/collections/{collection}/objects/"
        run = _pull(
            url,
            f"basic:{MEDALLION_USER}:{MEDALLION_PASSWORD}",
            args.page_size,
            args.medallion_budget,
            psutil.Process(process.pid),
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return run, int(run.output.split()[-2])


# --- measuring ---------------------------------------------------------------------------


def _measure(command: list[str], server: psutil.Process | None = None) -> Run:
    """Run `command`, polling its memory (and its descendants') and the server's."""
    env = {**os.environ, "COLUMNS": "120"}
    server_peak = 0
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
        process = psutil.Process(child.pid)
        peak = 0
        stop = threading.Event()

        def poll() -> None:
            nonlocal peak, server_peak
            while not stop.is_set():
                peak = max(peak, tree_rss(process))
                if server is not None:
                    server_peak = max(server_peak, tree_rss(server))
                stop.wait(POLL_SECONDS)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        child.wait()
        seconds = time.perf_counter() - started
        stop.set()
        poller.join()
        log.seek(0)
        output = log.read().strip()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[3:])}: exit {child.returncode}\n{output}")
    return Run(
        seconds=seconds,
        client_mb=peak / 2**20,
        server_mb=server_peak / 2**20 if server is not None else None,
        output=output,
    )


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


# --- reporting ---------------------------------------------------------------------------


def _table(rows: list[Row], page_size: int) -> Table:
    table = Table(title=f"Sync over loopback (SQLite nodes, page size {page_size})")
    for name, justify in (
        ("size", "right"),
        ("step", "left"),
        ("records", "right"),
        ("seconds", "right"),
        ("records/s", "right"),
        ("peak RSS server MB", "right"),
        ("peak RSS client MB", "right"),
        ("ratio to medallion", "right"),
        ("note", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        if row.note == "skipped":
            table.add_row(f"{row.size:,}", row.step, "", "", "", "", "", "", "skipped")
            continue
        table.add_row(
            f"{row.size:,}",
            row.step,
            f"{row.records:,}",
            f"{row.run.seconds:.1f}",
            f"{row.records / row.run.seconds:,.0f}",
            f"{row.run.server_mb:.0f}" if row.run.server_mb is not None else "",
            f"{row.run.client_mb:.0f}",
            row.ratio,
            row.note,
        )
    return table


if __name__ == "__main__":
    main()
