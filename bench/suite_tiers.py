"""How long the test suite's tiers take: the fast tier (no server, no process) and the rest.

    .venv/bin/python bench/suite_tiers.py [--runs 1] [--tier fast|e2e|all ...]

Runs `pytest -m "not e2e" -n 2 -p no:cacheprovider` (the fast tier: unit, store and service
tests, no server or subprocess) and `pytest -m e2e -n 2 -p no:cacheprovider` (real servers and
processes), each `--runs` times, from this checkout, and prints a table: wall time, tests
passed, the load average when the run started, and whether it met the fast tier's target of
three minutes. The target is a figure of the issue that asked for the tier, measured here, never
in a timed test. There is no reference tool to compare with: the figure to compare is the same
command on the commit before, run in the same session (see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from import_bench import machine

ROOT = Path(__file__).resolve().parent.parent
TIERS = {"fast": "not e2e", "e2e": "e2e"}
FAST_TARGET_SECONDS = 180.0
_SUMMARY = re.compile(r"=+ (.*(?:passed|failed|error).*) in [\d.]+s")


@dataclass(frozen=True, slots=True)
class TierRun:
    tier: str
    seconds: float
    summary: str
    load: float
    ok: bool


def run_tier(tier: str) -> TierRun:
    """Run one tier once; its wall time and pytest's summary line."""
    load = os.getloadavg()[0]
    command = [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider"]
    command += ["-m", TIERS[tier]]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    found = _SUMMARY.findall(done.stdout)
    summary = found[-1] if found else (done.stdout.strip().splitlines() or ["no output"])[-1]
    return TierRun(tier, seconds, summary, load, done.returncode == 0)


def main() -> None:
    """Parse the options, run the tiers, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of each tier")
    parser.add_argument(
        "--tier", choices=[*TIERS, "all"], action="append", help="tiers to run (default: fast)"
    )
    options = parser.parse_args()
    chosen = options.tier or ["fast"]
    tiers = list(TIERS) if "all" in chosen else chosen
    print(f"machine: {machine()}")
    print(f"{'tier':<6} {'run':>3} {'wall s':>8} {'load':>5}  {'target':<12} pytest")
    failed = False
    for tier in tiers:
        for number in range(1, options.runs + 1):
            result = run_tier(tier)
            failed |= not result.ok
            target = ""
            if tier == "fast":
                met = result.seconds <= FAST_TARGET_SECONDS
                target = "≤ 180 s: " + ("met" if met else "NOT met")
            print(
                f"{tier:<6} {number:>3} {result.seconds:>8.1f} {result.load:>5.2f}  "
                f"{target:<12} {result.summary}",
                flush=True,
            )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
