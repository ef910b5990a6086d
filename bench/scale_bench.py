"""Beyond one machine (issue 19), in one run: exact PSI in process and as jobs for 1, 2 and 4
`enlace worker` processes on a PostgreSQL node; then larger runs with the workers only; then
import, release and sync of records into PostgreSQL, grown step by step (scale_records.py).

    .venv/bin/python bench/scale_bench.py [--sizes 1000000] [--worker-counts 1 2 4]
        [--large-sizes 10000000] [--large-workers 2]
        [--records-to 10000000] [--records-step 1000000] [--records-workers 2]
        [--budget-minutes 240] [--local-workers N] [--chunk-items 20000] [--postgres-url URL]

Everything after the first table runs within --budget-minutes from the start: a larger PSI
run is skipped when its estimate (ten times the time per element of the largest run so far
with the same workers) does not fit, and the records stop growing when the next step would
not fit; the largest size reached is printed.

Each size n runs the blinding of one links-mode run n x n (30 % in common), both roles'
steps on one node's pool, as a run between nodes does them: the requester's hash-and-blind
of its set (alpha), the responder's blinding of those points and hash-and-blind of its own
set side by side (beta), the requester's blinding of the responder's points (alpha,
truncated), then the comparison. No HTTP and no store of the run: what is measured is what
the workers take over. Fixed scalars per size, so every configuration must give the same
bytes (checked: a digest of every message).

Configurations: `in-process` (enlace.matching.blinding.BlindingPool with --local-workers
processes, default one per CPU) and `queue xN` (enlace.jobs.blinding_pool.QueueBlindingPool
on a fresh schema of the PostgreSQL server, N `python -m enlace worker` processes started for
it). Each configuration's coordinator is a process of its own, so that its peak RSS is its
own. Columns: wall seconds; speed-up (in-process seconds / these) and overhead (these /
in-process - 1); peak RSS of the coordinator and of the largest worker (a local pool's
process, or an `enlace worker`); bytes per element on the wire ((requester's points +
responder's two answers) / 2n, the same for every configuration: the wire does not change)
and, for the queue, bytes per element written to ``blinding_chunks`` (inputs + outputs).

What stays serial, in the coordinator: packing keys and writing each chunk's input, reading
the outputs back in order, and the comparison (a set of truncated values); in a real run
also the HTTP transfer, the transcript hashes and storing the run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import rbcl
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from enlace.jobs.blinding import pack_keys
from enlace.matching.blinding import BlindingPool, default_workers
from enlace.matching.group import POINT_BYTES
from enlace.matching.psi import truncation_width

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DOMAIN = b"enlace-scale-bench-phone"
SHARED = 0.3
console = Console(highlight=False, width=160)


def keys(n: int) -> tuple[list[bytes], list[bytes]]:
    """Both sides' phone numbers: n each, SHARED of them in common."""
    rng = random.Random(n)
    common = int(n * SHARED)
    numbers = rng.sample(range(10**9, 10**10), 2 * n - common)
    left = numbers[:n]
    right = numbers[:common] + numbers[n:]
    rng.shuffle(right)
    return [f"+52{x}".encode() for x in left], [f"+52{x}".encode() for x in right]


def scalar(name: str, n: int) -> bytes:
    return bytes(
        rbcl.crypto_core_ristretto255_scalar_reduce(hashlib.sha512(f"{name}{n}".encode()).digest())
    )


def one_run(n: int, pool: BlindingPool) -> dict[str, object]:
    """The blinding of one n x n run on `pool`; what the table needs."""
    left, right = keys(n)
    alpha, beta = scalar("alpha", n), scalar("beta", n)
    width = truncation_width(n, n)
    started = time.perf_counter()
    sent = pool.hash_and_blind(DOMAIN, left, alpha)
    doubly_job = pool.start_blind(sent, beta)
    points_job = pool.start_hash_and_blind(DOMAIN, right, beta)
    doubly, points = doubly_job.result(), points_job.result()
    theirs = pool.blind(points, alpha, width=width)
    ours = {doubly[i : i + width] for i in range(0, len(doubly), POINT_BYTES)}
    overlap = sum(theirs[i : i + width] in ours for i in range(0, len(theirs), width))
    seconds = time.perf_counter() - started
    digest = hashlib.sha256(sent + doubly + points + theirs).hexdigest()[:16]
    written = (
        len(pack_keys(left)) + len(sent) + len(pack_keys(right)) + len(points)  # inputs
        + len(sent) + len(doubly) + len(points) + len(theirs)  # outputs
    )  # fmt: skip
    return {
        "seconds": seconds,
        "overlap": overlap,
        "digest": digest,
        "wire_per_element": (len(sent) + len(doubly) + len(points)) / (2 * n),
        "db_per_element": written / (2 * n),
    }


def coordinator(args: argparse.Namespace) -> None:
    """`--one`: one configuration's run, in this process; its result as JSON on stdout."""
    if args.one == "in-process":
        with BlindingPool(args.local_workers) as pool:
            result = one_run(args.n, pool)
    else:
        from enlace.jobs.blinding_pool import QueueBlindingPool
        from enlace.store.store import Store

        store = Store.open(args.url, migrate=False)
        try:
            with QueueBlindingPool(store, args.url, chunk_items=args.chunk_items) as queue:
                result = one_run(args.n, queue)
        finally:
            store.close()
    # Read once the pool is closed: a local pool's processes are then waited for, and the
    # largest one's peak is the children's.
    result["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["children_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps(result))


def run_configuration(
    args: argparse.Namespace, n: int, name: str, url: str | None, node: Path | None
) -> dict[str, object]:
    command = [sys.executable, __file__, "--one", name, "--n", str(n)]
    command += ["--local-workers", str(args.local_workers), "--chunk-items", str(args.chunk_items)]
    if url is not None:
        command += ["--url", url]
    workers: list[subprocess.Popen[bytes]] = []
    peaks: list[int] = []
    try:
        if name != "in-process" and node is not None and url is not None:
            count = int(name.split("x")[1])
            for _ in range(count):
                workers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "enlace", "worker", "--node", str(node),
                         "--poll-every", "1", "--heartbeat-every", "5", "--stalled-after", "60"],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )  # fmt: skip
            _wait_for_workers(url, count)
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        for worker in workers:
            peaks.append(_peak_rss(worker.pid))
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=120)
        if url is not None:
            with create_engine(url).begin() as connection:  # the next configuration's workers
                connection.execute(text("DELETE FROM procrastinate_workers"))
                connection.execute(text("DELETE FROM procrastinate_jobs"))
    if peaks:
        result["children_rss"] = max(peaks)
    return result


def _wait_for_workers(url: str, count: int) -> None:
    engine = create_engine(url)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                alive = connection.execute(
                    text("SELECT count(*) FROM procrastinate_workers")
                ).scalar_one()
            if alive >= count:
                return
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise RuntimeError(f"{count} enlace worker(s) did not start within 120 s")


def _peak_rss(pid: int) -> int:
    """The peak resident memory (VmHWM) of a live process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    args = _arguments()
    if args.one:
        coordinator(args)
        return
    deadline = time.monotonic() + args.budget_minutes * 60
    admin = _admin_url(args.postgres_url)
    schema = "bench_scale_" + uuid.uuid4().hex[:12]
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = admin.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    console.print(f"machine: {machine()}; load {os.getloadavg()}; {time.strftime('%H:%M:%S')}")
    table = _psi_table("Exact PSI n x n: blinding in process and as jobs for enlace workers")
    large = _psi_table("Exact PSI n x n, larger runs: as jobs for enlace workers only")
    per_element: dict[str, float] = {}  # configuration -> seconds per element, largest run
    try:
        from enlace.node.config import NodeConfig
        from enlace.store.store import Store

        Store.open(url).close()  # migrated: the queue's and the blinding tables
        with tempfile.TemporaryDirectory(prefix="scale-bench-") as folder:
            node = Path(folder) / "node"
            (node / "keys").mkdir(parents=True)
            NodeConfig(directory=node, party="MX", database_url=url).save()
            for n in args.sizes:
                baseline: float | None = None
                digest = None
                names = ["in-process", *(f"queue x{c}" for c in args.worker_counts)]
                for name in names:
                    console.print(
                        f"n = {n:,}: {name} ... {time.strftime('%H:%M:%S')}", markup=False
                    )
                    r = run_configuration(args, n, name, url, node)
                    seconds = float(r["seconds"])  # type: ignore[arg-type]
                    per_element[name] = seconds / n
                    baseline = seconds if baseline is None else baseline
                    if digest is not None and r["digest"] != digest:
                        raise RuntimeError(f"{name} gave other bytes than in-process at n = {n}")
                    digest = r["digest"]
                    _add_row(table, n, name, r, baseline)
            if args.sizes:
                console.print(table)
            name = f"queue x{args.large_workers}"
            for n in args.large_sizes:
                estimate = per_element.get(name, 0.0) * n * 1.1
                left = deadline - time.monotonic()
                if estimate > left:
                    console.print(
                        f"n = {n:,}: {name} skipped: about {estimate / 60:.0f} min expected, "
                        f"{left / 60:.0f} min of the budget left"
                    )
                    continue
                console.print(f"n = {n:,}: {name} ... {time.strftime('%H:%M:%S')}", markup=False)
                r = run_configuration(args, n, name, url, node)
                per_element[name] = float(r["seconds"]) / n  # type: ignore[arg-type]
                _add_row(large, n, name, r, None)
                console.print(large)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
    console.print(
        f"in-process: BlindingPool({args.local_workers}); queue: QueueBlindingPool, chunks of "
        f"{args.chunk_items:,} items; load after the PSI: {os.getloadavg()}; "
        f"{time.strftime('%H:%M:%S')}"
    )
    if args.records_to:
        from scale_records import grow
        from scale_records import table as records_table

        rows, held = grow(
            admin,
            target=args.records_to,
            step=args.records_step,
            workers=args.records_workers,
            deadline=deadline,
            console=console,
        )
        if args.sizes:
            console.print(table)
        if args.large_sizes:
            console.print(large)
        console.print(records_table(rows))
        console.print(
            f"records: {held:,} of {args.records_to:,} reached within the budget; load after: "
            f"{os.getloadavg()}; {time.strftime('%H:%M:%S')}"
        )


def _psi_table(title: str) -> Table:
    table = Table(title=title)
    for column in ("n", "configuration", "seconds", "speed-up", "overhead",
                   "coordinator RSS MB", "largest worker RSS MB", "wire B/elem", "DB B/elem",
                   "overlap", "digest"):  # fmt: skip
        table.add_column(column, justify="left" if column == "configuration" else "right")
    return table


def _add_row(table: Table, n: int, name: str, r: dict[str, object], baseline: float | None) -> None:
    seconds = float(r["seconds"])  # type: ignore[arg-type]
    table.add_row(
        f"{n:,}",
        name,
        f"{seconds:.1f}",
        "—" if baseline is None else f"{baseline / seconds:.2f}",
        "—" if baseline is None else f"{seconds / baseline - 1:+.0%}",
        f"{int(r['rss']) / 2**20:.0f}",  # type: ignore[call-overload]
        f"{int(r['children_rss']) / 2**20:.0f}",  # type: ignore[call-overload]
        f"{float(r['wire_per_element']):.1f}",  # type: ignore[arg-type]
        "—" if name == "in-process" else f"{float(r['db_per_element']):.1f}",  # type: ignore[arg-type]
        f"{r['overlap']:,}",
        str(r["digest"]),
    )


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} CPU, {memory:.0f} GiB, Python {platform.python_version()}"


def _admin_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--worker-counts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--large-sizes", type=int, nargs="*", default=[10_000_000])
    parser.add_argument("--large-workers", type=int, default=2)
    parser.add_argument("--records-to", type=int, default=10_000_000, help="0: no records part")
    parser.add_argument("--records-step", type=int, default=1_000_000)
    parser.add_argument("--records-workers", type=int, default=2)
    parser.add_argument("--budget-minutes", type=float, default=240.0)
    parser.add_argument("--local-workers", type=int, default=default_workers())
    parser.add_argument("--chunk-items", type=int, default=20_000)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main()
