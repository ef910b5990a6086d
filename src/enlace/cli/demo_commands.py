"""`enlace synth` and `enlace demo`: synthetic data and the main job."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from enlace.cli.errors import user_errors
from enlace.cli.node_commands import holdings_table
from enlace.cli.progress import progress_bar
from enlace.files.importer import format_summary, import_file
from enlace.model.records import Record
from enlace.node.setup import initialise_node, open_node
from enlace.synth import SynthConfig, generate, iter_party_records, row_of, write_truth

console = Console(highlight=False)


def write_rows(records: Iterable[Record], path: Path) -> int:
    """Write records as one importable CSV (union header over kinds); return the row count."""
    rows = (row_of(record) for record in records)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=_union_header())
                writer.writeheader()
            writer.writerow(row)
            count += 1
    return count


def _union_header() -> list[str]:
    from enlace.files.rows import ENVELOPE_COLUMNS
    from enlace.model.records import RECORD_CLASSES, domain_fields

    header = list(ENVELOPE_COLUMNS)
    for cls in RECORD_CLASSES:
        for bound in domain_fields(cls):
            if bound.name not in header:
                header.append(bound.name)
    return header


@user_errors
def synth(
    out: Annotated[Path, typer.Argument(help="Folder for <party>.csv files and truth.csv.")],
    parties: Annotated[str, typer.Option(help="Parties, e.g. MX,US.")] = "MX,US",
    scale: Annotated[int, typer.Option(help="About how many records per party.")] = 1000,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 7,
) -> None:
    """Generate realistic synthetic records per party, with the ground truth of what matches."""
    if scale < 1:
        raise typer.BadParameter("scale must be at least 1", param_hint="--scale")
    codes = tuple(p.strip().upper() for p in parties.split(",") if p.strip())
    config = SynthConfig(seed=seed, parties=codes, scale=scale)
    out.mkdir(parents=True, exist_ok=True)
    for party in codes:
        path = out / f"{party.lower()}.csv"
        with progress_bar(f"generating {party}", None):
            count = write_rows(iter_party_records(config, party), path)
        console.print(f"{party}: {count:,} records -> {path}")
    if len(codes) > 1 and scale <= 200_000:
        write_truth(generate(config).truth, out / "truth.csv")
        console.print(f"ground truth -> {out / 'truth.csv'}")


@user_errors
def demo(
    folder: Annotated[Path, typer.Option(help="Where the demo nodes are created.")] = Path(
        "demo-nodes"
    ),
    scale: Annotated[int, typer.Option(help="About how many records per party.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 7,
) -> None:
    """Create MX and US nodes, fill them with synthetic data and show what each holds."""
    config = SynthConfig(seed=seed, parties=("MX", "US"), scale=scale)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    console.rule("[bold]Enlace demo: two sovereign nodes, MX and US")
    dataset = generate(config)
    write_truth(dataset.truth, data / "truth.csv")
    for party in config.parties:
        node = folder / party.lower()
        report = initialise_node(node, party=party)
        state = "created" if report.created_config else "reused"
        console.print(f"node {party} {state} at {node} (key {report.config.key_dir}/signing.key)")
        csv_path = data / f"{party.lower()}.csv"
        write_rows(dataset.records[party], csv_path)
        node_config, store = open_node(node)
        try:
            with progress_bar(f"importing {csv_path.name} into {party}", None) as advance:
                result = import_file(
                    store, party=node_config.party, path=csv_path, on_progress=advance
                )
            for line in format_summary(result):
                console.print("  " + line)
            with store.unit_of_work() as uow:
                holdings = uow.records.holdings()
        finally:
            store.close()
        console.print(holdings_table(f"What node {party} holds", holdings))
    console.print(
        f"ground truth of shared firearms, phones, vehicles, persons: {data / 'truth.csv'}"
        f" ({len(dataset.truth)} links)"
    )
    console.print(
        "next: 'enlace status --node " + str(folder / "mx") + "', "
        "'enlace export out.json --node " + str(folder / "mx") + "'"
    )
