"""`enlace import` and `enlace export`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from enlace.cli.errors import user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir
from enlace.cli.progress import count_lines, progress_bar

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False)


@user_errors
def import_records(
    file: Annotated[Path, typer.Argument(help="CSV, JSON Lines (.jsonl) or STIX bundle (.json).")],
    node: NodeDir = DEFAULT_NODE,
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, jsonl or stix (default: from the name).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Force an encoding (default: UTF-8, else Latin-1).")
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Import the good rows and write bad ones with reasons to this CSV."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes converting rows (default: one per CPU, up to 4, for a file of "
            "8 MB or more; 0: convert in this process).",
        ),
    ] = None,
) -> None:
    """Import this party's records from a file. By default a file with any bad row changes nothing."""
    from enlace.files.importer import format_summary, import_file
    from enlace.files.readers import detect_format, require_regular_file
    from enlace.node.setup import open_node
    from enlace.tracking.indicators.snapshot import refresh_indicators

    # Before the lines are counted: counting /dev/zero or a named pipe would never end.
    require_regular_file(file)
    config, store = open_node(node)
    try:
        chosen = detect_format(file, fmt)
        total = count_lines(file) - (1 if chosen == "csv" else 0) if chosen != "stix" else None
        with progress_bar(f"importing {file.name}", total) as advance:
            report = import_file(
                store,
                party=config.party,
                path=file,
                fmt=chosen,
                encoding=encoding,
                rejects=rejects,
                on_progress=advance,
                workers=workers,
            )
        if report.imported:
            refresh_indicators(store, today=date.today())  # the pages find them ready
    finally:
        store.close()
    for line in format_summary(report):
        console.print(line)


@user_errors
def export_records(
    out: Annotated[Path, typer.Argument(help="Where to write the STIX 2.1 bundle (.json).")],
    node: NodeDir = DEFAULT_NODE,
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. seizure.")] = None,
    include_received: Annotated[
        bool,
        typer.Option(
            "--include-received",
            help="Also write the records received from partners, each marked with the party "
            "it came from (x_enlace_received_from). They are not this node's to pass on.",
        ),
    ] = False,
) -> None:
    """Export the newest version of every record this node owns as a STIX 2.1 bundle."""
    from enlace.files.exporter import export_bundle
    from enlace.node.setup import open_node

    _config, store = open_node(node)
    try:
        with progress_bar(f"exporting to {out.name}", None) as advance:
            report = export_bundle(
                store,
                path=out,
                kind=kind,
                include_received=include_received,
                on_progress=advance,
            )
    finally:
        store.close()
    console.print(f"wrote {report.records} record(s) to {out}")
    if report.received:
        console.print(
            f"  {report.received} of them received from partners, marked as such "
            "(x_enlace_received_from): not this node's to pass on"
        )
    if report.received_left_out:
        console.print(
            f"  {report.received_left_out} record(s) received from partners left out "
            "(--include-received to add them, marked as received)"
        )
