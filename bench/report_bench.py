"""Time `enlace report --lang both` (Spanish and English, HTML and PDF) on the demo node.

    .venv/bin/python bench/report_bench.py                 # builds the demo nodes once (~15 s)
    .venv/bin/python bench/report_bench.py --node DIR      # an existing node folder
    .venv/bin/python bench/report_bench.py --runs 5

Each run is the real command line in a child process, start-up included, as a coordinator
runs it. Prints one row per run and the median, with the load average: the machine may be
shared, so compare commits in the same session (DECISIONS.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_OUT = Path(__file__).with_name("out")


def enlace(*args: str) -> list[str]:
    return [sys.executable, "-m", "enlace", *args]


def demo_node() -> Path:
    """The MX node of `enlace demo`, built once under bench/out/."""
    folder = BENCH_OUT / "report-demo"
    node = folder / "mx"
    if not (node / "reports").exists():
        BENCH_OUT.mkdir(exist_ok=True)
        subprocess.run(
            enlace("demo", "--folder", str(folder)), check=True, stdout=subprocess.DEVNULL
        )
    return node


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", type=Path, help="a node folder (default: the demo's MX node)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    node = args.node or demo_node()
    seconds = []
    print(f"node {node}; load average {os.getloadavg()[0]:.2f} at start")
    print("| run | seconds | load average (1 min) |")
    print("| ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as out:
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            subprocess.run(
                enlace("report", "--node", str(node), "--lang", "both", "--out", out),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            seconds.append(time.perf_counter() - started)
            print(f"| {run} | {seconds[-1]:.2f} | {os.getloadavg()[0]:.2f} |")
    print(f"| **median** | **{statistics.median(seconds):.2f}** | |")


if __name__ == "__main__":
    main()
