"""Where CBP's public drug seizure statistics are found: the files Enlace ships, or a folder.

The published CSV files ship inside the package (`enlace/tracking/data/cbp/`, see the README
there) and are found through `importlib.resources`, so an installed Enlace and a fresh clone
read the same data. `enlace demo --cbp-data DIR` (or ENLACE_CBP_DATA) names another folder.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from enlace.tracking.statistics_csv import StatisticsFileError

_EXPECTED = "CBP's 'Nationwide Drug Seizures' CSV files as published (e.g. cbp_fy20_fy23.csv)"


class CbpDataNotFound(StatisticsFileError):
    """The folder given for the CBP statistics is missing or holds no CSV file."""


def shipped_cbp_folder() -> Traversable:
    """The folder of CBP statistics shipped as package data (`enlace.tracking`, data/cbp)."""
    return resources.files("enlace.tracking") / "data" / "cbp"


def cbp_csv_files(folder: Path | None = None) -> list[Traversable]:
    """The CSV files of `folder` (default: the shipped ones), by name; raise CbpDataNotFound."""
    source: Traversable = shipped_cbp_folder() if folder is None else folder
    if not source.is_dir():
        raise CbpDataNotFound(
            f"CBP statistics folder {source} does not exist or is not a folder; "
            f"expected a folder of {_EXPECTED}"
        )
    files = sorted(
        (entry for entry in source.iterdir() if entry.is_file() and entry.name.endswith(".csv")),
        key=lambda entry: entry.name,
    )
    if not files:
        raise CbpDataNotFound(
            f"CBP statistics folder {source} holds no .csv file; expected {_EXPECTED}"
        )
    return files


@contextmanager
def cbp_csv_paths(folder: Path | None = None) -> Iterator[list[Path]]:
    """The CSV files of `cbp_csv_files` as paths on disk while the block runs.

    Files on disk are used in place. Packed ones (Enlace imported from a zip) are copied to a
    temporary folder, removed when the block ends, under their own names: the import reports
    and audits a file by its name.
    """
    with ExitStack() as stack:
        paths: list[Path] = []
        copies: Path | None = None
        for entry in cbp_csv_files(folder):
            if isinstance(entry, Path):
                paths.append(entry)
                continue
            if copies is None:
                copies = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            copy = copies / entry.name
            copy.write_bytes(entry.read_bytes())
            paths.append(copy)
        yield paths


__all__ = [
    "CbpDataNotFound",
    "cbp_csv_files",
    "cbp_csv_paths",
    "shipped_cbp_folder",
]
