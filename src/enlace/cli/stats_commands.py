"""`enlace stats import` (CBP public statistics) and `enlace indicators show`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text

if TYPE_CHECKING:
    from enlace.tracking.indicators.series import IndicatorSeries

# Imported in the commands: every command's start-up pays for what this module imports.

P = ParamSpec("P")
R = TypeVar("R")
console = Console(highlight=False)


def _tracking_errors(command: Callable[P, R]) -> Callable[P, R]:
    """The errors of statistics and indicator files, as one line and exit status 1."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        from enlace.tracking.indicators.definitions import IndicatorDefinitionError
        from enlace.tracking.statistics_csv import StatisticsFileError

        try:
            return command(*args, **kwargs)
        except (StatisticsFileError, IndicatorDefinitionError) as error:
            stderr.print(f"[bold red]error:[/] {safe_text(error, lines=True)}", markup=True)
            raise typer.Exit(1) from None

    return user_errors(run)


@_tracking_errors
def import_statistics(
    file: Annotated[Path, typer.Argument(help="A CBP 'Nationwide Drug Seizures' CSV file.")],
    replace_partial: Annotated[
        bool,
        typer.Option(
            "--replace-partial",
            help="Accept a file that holds fewer months of a fiscal year than the node stores.",
        ),
    ] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Import CBP drug seizure statistics; a newer edition replaces the fiscal years it covers."""
    from enlace.node.setup import open_node
    from enlace.tracking.indicators.snapshot import refresh_indicators
    from enlace.tracking.statistics import describe_import, import_cbp_statistics

    _config, store = open_node(node)
    try:
        report = import_cbp_statistics(store, file, replace_partial=replace_partial)
        refresh_indicators(store, today=date.today())  # the pages find them ready
    finally:
        store.close()
    for line in describe_import(report):
        console.print(line)


@_tracking_errors
def show_indicators(
    node: NodeDir = DEFAULT_NODE,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Indicator definitions (TOML); default: the shipped ones."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the series as JSON.")] = False,
) -> None:
    """Compute every indicator and print its periods, values, baseline and target."""
    from enlace.node.setup import open_node
    from enlace.tracking.indicators.definitions import default_definitions_path, load_definitions
    from enlace.tracking.indicators.series import compute_indicators

    definitions = load_definitions(file or default_definitions_path())
    _config, store = open_node(node)
    try:
        series = compute_indicators(store, definitions, today=date.today())
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([_series_json(s) for s in series], ensure_ascii=False, indent=2))
        return
    for one in series:
        console.print(_series_table(one))


def _series_json(series: IndicatorSeries) -> dict[str, Any]:
    value = asdict(series)
    for point in [*value["points"], value["baseline"], value["target"]]:
        if point is not None:
            point["start"] = point["start"].isoformat()
    if value["latest_month"] is not None:
        value["latest_month"] = value["latest_month"].isoformat()[:7]  # "YYYY-MM"
    return value


def _series_table(series: IndicatorSeries) -> Table:
    table = Table(title=f"{series.name_en}\n{series.name_es}", title_justify="left", min_width=72)
    table.add_column("period")
    table.add_column(f"value ({series.unit})", justify="right")
    table.add_column("baseline / target")
    marks: dict[str, list[str]] = {}
    for name, point in (("baseline", series.baseline), ("target", series.target)):
        if point is not None:
            marks.setdefault(point.period, []).append(f"{name} {point.value:,.1f}")
    shown = set()
    for point in series.points:
        table.add_row(point.period, f"{point.value:,.1f}", ", ".join(marks.get(point.period, [])))
        shown.add(point.period)
    if not series.points:
        table.add_row("—", "no data", "")
    # A baseline or target outside the observed periods still gets its own line.
    for period, texts in sorted(marks.items()):
        if period not in shown:
            table.add_row(period, "", ", ".join(texts))
    notes = [f"id {series.id}", f"per {series.period_kind}"]
    if series.commitment_ref:
        notes.append(f"measures {series.commitment_ref}")
    if series.skipped:
        notes.append(f"{series.skipped:,} record(s) in other units not summed")
    table.caption = "; ".join(notes)
    table.caption_justify = "left"
    return table


def build_stats_app() -> typer.Typer:
    """The `enlace stats` group."""
    app = command_group("stats", "Public statistics (CBP drug seizures).")
    app.command("import")(import_statistics)
    return app


def build_indicators_app() -> typer.Typer:
    """The `enlace indicators` group."""
    app = command_group("indicators", "Indicators of results, from records and statistics.")
    app.command("show")(show_indicators)
    return app
