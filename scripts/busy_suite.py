"""The whole test suite on a busy machine: does it still pass, and how long does it take?

    .venv/bin/python scripts/busy_suite.py [--runs 3] [--busy N] [-- PYTEST OPTIONS]

Starts N CPU-bound processes (default: one per CPU; each hashes in a loop), runs the suite
beside them as `run.py test` does (`pytest -n 2 -p no:cacheprovider`, from this checkout's
src/), `--runs` times, and prints a table: each run's outcome, duration and pytest's summary
line. The busy processes are killed at the end whatever happens (an error, Ctrl-C, SIGTERM),
and leave by themselves if this script is killed outright. Each run's output is kept in a
log file, named in the table. Exit status 0 when every run passed.

The suite scales its timeouts by the load it sees when it starts (tests/support/timing.py);
ENLACE_TEST_TIMEOUT_SCALE, when set, is passed on and fixes the scale instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
PYTEST = ("-m", "pytest", "-n", "2", "-p", "no:cacheprovider")

# One busy process: hashes for ever, and leaves when its parent (this script) is gone.
BUSY_LOOP = """
import hashlib, os
parent = os.getppid()
digest = b"enlace"
while os.getppid() == parent:
    for _ in range(20_000):
        digest = hashlib.sha256(digest).digest()
"""


@dataclass(frozen=True, slots=True)
class Run:
    number: int
    returncode: int
    seconds: float
    summary: str
    log: Path

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def busy_processes(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` CPU-bound processes, running until the block ends (however it ends)."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            processes.append(
                subprocess.Popen(  # noqa: S603 — this interpreter, a fixed program
                    [sys.executable, "-c", BUSY_LOOP],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        yield processes
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait()


def stop_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so that the busy processes are killed."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def run_suite(number: int, pytest_args: list[str], logs: Path) -> Run:
    """The suite once, its output in a log file; the outcome."""
    log = logs / f"run-{number}.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    started = time.monotonic()
    with log.open("wb") as out:
        result = subprocess.run(  # noqa: S603 — this interpreter running pytest
            [sys.executable, *PYTEST, *pytest_args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.monotonic() - started
    lines = [line.strip("= ") for line in log.read_text(errors="replace").splitlines()]
    summary = next((line for line in reversed(lines) if line), "(no output)")
    return Run(number, result.returncode, seconds, summary, log)


def table(runs: list[Run]) -> str:
    rows = [("run", "result", "duration", "pytest says", "log")]
    for run in runs:
        result = "passed" if run.passed else f"FAILED ({run.returncode})"
        minutes, seconds = divmod(round(run.seconds), 60)
        rows.append(
            (str(run.number), result, f"{minutes}m {seconds:02d}s", run.summary, str(run.log))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Options after -- go to pytest, e.g. -- -m 'not e2e'.",
    )
    parser.add_argument("--runs", type=int, default=3, help="how many times (default 3)")
    parser.add_argument(
        "--busy", type=int, default=cpus(), help="busy processes (default: one per CPU)"
    )
    parser.add_argument("--logs", type=Path, help="folder for the logs (default: a new one)")
    args, pytest_args = parser.parse_known_args()
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]
    if args.runs < 1 or args.busy < 0:
        parser.error("--runs must be at least 1 and --busy not negative")
    logs = args.logs or Path(tempfile.mkdtemp(prefix="enlace-busy-suite-"))
    logs.mkdir(parents=True, exist_ok=True)

    stop_on_sigterm()
    runs: list[Run] = []
    print(f"{args.busy} busy process(es) on {cpus()} CPU(s); logs in {logs}", flush=True)
    try:
        with busy_processes(args.busy):
            for number in range(1, args.runs + 1):
                load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
                print(f"run {number}/{args.runs} (load average {load:.2f}) ...", flush=True)
                runs.append(run_suite(number, pytest_args, logs))
                print(f"  {runs[-1].summary}", flush=True)
    finally:
        if runs:
            print()
            print(table(runs))
    return 0 if all(run.passed for run in runs) and len(runs) == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
