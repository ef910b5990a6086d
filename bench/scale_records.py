"""The records part of `bench/scale_bench.py`: import, release and sync into PostgreSQL,
grown step by step towards --records-to, each step timed and its memory polled.

Two nodes on the PostgreSQL server, each in a fresh schema: US (`enlace init
--database-url`) and MX, registered with each other by the invite flow. US runs
--records-workers `enlace worker` processes and `enlace serve`. Each step of --records-step
records: the next records of the synthetic generator (US records releasable to MX, seed 7)
written to a CSV (not timed), then the real command line, each in a child process:

- `enlace import STEP.csv --node us`: parsed, checked, stored (search rows included);
- `enlace release --partner MX --all --queue --node us`: one job per batch of 1,000
  records, signed by the workers; releases only what is not yet released (a step's
  records column counts the versions released, which may be a few fewer than imported);
- `enlace sync US --node mx`: served by US, verified, stored by MX; pulls only the new pages.

Each row: the records held after the step, records/s of the step, the peak resident memory
of the step's process (and its children), of the largest worker during the release (its
peak is reset before each step: /proc/PID/clear_refs) and of the server during the sync. A
flat curve is the claim: records/s and memory per step do not fall or grow with what is
already held. Steps stop when the next one would pass the budget; the largest size reached
is printed.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_bench import RELEASABLE_SHARE, SEED, _enlace, _free_port, _measure, _public_key, _Serving

STEPS = ("import", "release + sign (queue)", "sync (end to end)")


@dataclass(frozen=True, slots=True)
class StepRow:
    held: int
    step: str
    records: int
    seconds: float
    process_mb: float
    other_mb: float | None  # the largest worker (release) or the server (sync)


def grow(
    admin: URL,
    *,
    target: int,
    step: int,
    workers: int,
    deadline: float,
    console: Console,
) -> tuple[list[StepRow], int]:
    """Grow the two nodes towards `target` records; the rows and the size reached."""
    schemas = {
        party: f"bench_records_{party.lower()}_{uuid.uuid4().hex[:8]}" for party in ("US", "MX")
    }
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for schema in schemas.values():
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    urls = {
        party: admin.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        for party, schema in schemas.items()
    }
    rows: list[StepRow] = []
    held = 0
    running: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="scale-records-") as folder:
            base = Path(folder)
            us, mx = base / "us", base / "mx"
            port = _free_port()
            _enlace("init", "--party", "US", "--node", str(us), "--database-url", urls["US"])
            _enlace("init", "--party", "MX", "--node", str(mx), "--database-url", urls["MX"])
            us_key, mx_key = _public_key("", us), _public_key("", mx)
            _enlace("partner", "add", "--party", "MX", "--url", "http://127.0.0.1:9",
                    "--key", mx_key, "--node", str(us))  # fmt: skip
            _enlace("partner", "invite", "--party", "MX", "--token-out", str(base / "for-mx"),
                    "--node", str(us))  # fmt: skip
            _enlace("partner", "add", "--party", "US", "--url", f"http://127.0.0.1:{port}",
                    "--key", us_key, "--outbound-token-file", str(base / "for-mx"),
                    "--node", str(mx))  # fmt: skip
            for _ in range(workers):
                running.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "enlace", "worker", "--node", str(us),
                         "--poll-every", "1"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )
                )  # fmt: skip
            from enlace.cli.demo_commands import write_rows
            from enlace.synth import SynthConfig, iter_party_records

            scale = math.ceil(target / RELEASABLE_SHARE * 1.02) + 100
            config = SynthConfig(seed=SEED, parties=("MX", "US"), scale=scale)
            source = (
                r for r in iter_party_records(config, "US") if "MX" in r.markings.releasable_to
            )
            step_seconds = 0.0
            total_released = 0
            with _Serving(us, port) as server:
                while held < target:
                    left = deadline - time.monotonic()
                    if rows and step_seconds * 1.15 > left:
                        console.print(
                            f"records: stopping at {held:,}: the next step would take about "
                            f"{step_seconds / 60:.0f} min, {left / 60:.0f} min of the budget left"
                        )
                        break
                    started = time.monotonic()
                    count = min(step, target - held)
                    csv_path = base / "step.csv"
                    console.print(f"records: generating {held + 1:,}..{held + count:,}")
                    written = write_rows(itertools.islice(source, count), csv_path)
                    if written != count:
                        raise SystemExit(f"the generator gave {written:,} records, not {count:,}")
                    console.print(f"records: {held + count:,}: import, release, sync")
                    imported = _measure(_command("import", str(csv_path), "--node", str(us)))
                    _reset_peaks(running)
                    released = _measure(
                        _command(
                            "release", "--partner", "MX", "--all", "--queue", "--node", str(us)
                        )
                    )
                    worker_peak = max(_peak_rss(w.pid) for w in running) if running else 0
                    synced = _measure(_command("sync", "US", "--node", str(mx)), server=server)
                    held += count
                    now_released = _check(admin, schemas, held)
                    shipped, total_released = now_released - total_released, now_released
                    rows += [
                        StepRow(held, STEPS[0], count, imported.seconds, imported.client_mb, None),
                        StepRow(
                            held,
                            STEPS[1],
                            shipped,
                            released.seconds,
                            released.client_mb,
                            worker_peak / 2**20,
                        ),
                        StepRow(
                            held,
                            STEPS[2],
                            shipped,
                            synced.seconds,
                            synced.client_mb,
                            synced.server_mb,
                        ),
                    ]
                    console.print(table(rows))
                    step_seconds = time.monotonic() - started
                    csv_path.unlink()
    finally:
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
        with engine.connect() as connection:
            for schema in schemas.values():
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
    return rows, held


def table(rows: list[StepRow]) -> Table:
    out = Table(title="Import, release and sync into PostgreSQL, step by step")
    for column in ("held after", "step", "records", "seconds", "records/s", "process MB",
                   "largest worker / server MB"):  # fmt: skip
        out.add_column(column, justify="left" if column == "step" else "right")
    for row in rows:
        out.add_row(
            f"{row.held:,}",
            row.step,
            f"{row.records:,}",
            f"{row.seconds:.1f}",
            f"{row.records / row.seconds:,.0f}",
            f"{row.process_mb:.0f}",
            "—" if row.other_mb is None else f"{row.other_mb:.0f}",
        )
    return out


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "enlace", *args]


def _check(admin: URL, schemas: dict[str, str], expected: int) -> int:
    """What was released so far, each version received once. A few records of a step may
    not be releasable: a relationship or sighting whose referenced record is not released
    to MX (the reference rule); about 3 % of the synthetic records."""
    engine = create_engine(admin)
    try:
        with engine.connect() as connection:
            released = connection.execute(
                text(f"SELECT count(*) FROM \"{schemas['US']}\".releases WHERE partner = 'MX'")
            ).scalar_one()
            received = connection.execute(
                text(f"SELECT count(*) FROM \"{schemas['MX']}\".records WHERE received_from = 'US'")
            ).scalar_one()
    finally:
        engine.dispose()
    if released < expected * 0.9 or received != released:
        raise SystemExit(
            f"after {expected:,} records: {released:,} released and {received:,} received"
        )
    return int(released)


def _reset_peaks(processes: list[subprocess.Popen[bytes]]) -> None:
    """Reset each process's peak resident memory (Linux: "5" to clear_refs), so that the
    next reading is this step's peak."""
    for process in processes:
        with contextlib.suppress(OSError):
            Path(f"/proc/{process.pid}/clear_refs").write_text("5")


def _peak_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover - run through scale_bench.py
    raise SystemExit("run bench/scale_bench.py --records-to N")
