#!/usr/bin/env python3
"""The two commands of the README: `python3 run.py demo` and `python3 run.py test`.

Needs only Python 3.11+: it makes the virtual environment in .venv, installs the project and
its development tools there (again only when pyproject.toml changed), then runs the job.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from ctypes.util import find_library
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".enlace-installed"


def run(*command: str | Path) -> None:
    """Run a command from the project folder; stop with its status if it fails."""
    print("+", " ".join(str(c) for c in command), flush=True)
    # The commands are this script's own (venv tools), never user input.
    result = subprocess.run([str(c) for c in command], cwd=ROOT, check=False)  # noqa: S603
    if result.returncode != 0:
        sys.exit(result.returncode)


# Debian packages the tests use: pdftoppm renders report PDFs to images.
DEBIAN_PACKAGES = {"pdftoppm": "poppler-utils", "chromium": "chromium"}  # chromium: browser tests
# Shared libraries the project loads: WeasyPrint (report PDFs) lays text out with Pango.
DEBIAN_LIBRARIES = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz-subset": "libharfbuzz-subset0",  # WeasyPrint subsets the fonts it embeds
}


def install_debian_packages() -> None:
    """Install the Debian packages whose programs are missing (needs root and apt-get)."""
    missing = sorted(
        {pkg for program, pkg in DEBIAN_PACKAGES.items() if not shutil.which(program)}
        | {pkg for library, pkg in DEBIAN_LIBRARIES.items() if not find_library(library)}
    )
    if not missing:
        return
    if not shutil.which("apt-get") or os.geteuid() != 0:
        sys.exit(f"Enlace's tests need the Debian packages {', '.join(missing)}: install them")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        print("+", " ".join(command), flush=True)
        if subprocess.run(command, env=env, check=False).returncode != 0:  # noqa: S603
            sys.exit(f"could not install {', '.join(missing)} with apt-get")


def set_up() -> None:
    """Create .venv and install the project with its dev extras, when needed."""
    # run.py itself may be started by an older Python: say so plainly.
    if sys.version_info < (3, 11):  # noqa: UP036
        sys.exit(f"Enlace needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def test(extra: list[str]) -> None:
    """Lint, type check, then the whole test suite."""
    install_debian_packages()
    paths = [p for p in ("src", "tests", "bench", "scripts", "run.py") if (ROOT / p).exists()]
    run(BIN / "ruff", "check", *paths)
    run(BIN / "ruff", "format", "--check", *paths)
    run(BIN / "mypy")
    # The 25 slowest steps are printed at the end: the suite must stay under 20 minutes on two
    # cores, and this is where a run that grew shows where.
    run(
        BIN / "python",
        "-m",
        "pytest",
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
        "--durations=25",
        *extra,
    )


def main() -> None:
    """Dispatch `demo` or `test`."""
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test"):
        sys.exit("usage: python3 run.py demo [enlace demo options] | test [pytest options]")
    job, extra = sys.argv[1], sys.argv[2:]
    set_up()
    if job == "demo":
        install_debian_packages()
        run(BIN / "enlace", "demo", *extra)
    else:
        test(extra)


if __name__ == "__main__":
    main()
