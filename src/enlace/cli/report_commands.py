"""`enlace report`: the progress report of a meeting, HTML and PDF, in Spanish and English."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir
from enlace.cli.terminal import safe_text
from enlace.reports.catalogue import LANGUAGES, Language, language
from enlace.reports.errors import ReportError

if TYPE_CHECKING:
    from enlace.reports.render import ReportFiles
    from enlace.store.store import Store

# Imported in the functions: every command's start-up pays for what this module imports, and
# the renderer (WeasyPrint) alone takes most of a second.

console = Console(highlight=False, soft_wrap=True)


@user_errors
def report(
    meeting: Annotated[
        str | None,
        typer.Option(help="Meeting id (enlace-meeting--...); default: the next meeting."),
    ] = None,
    lang: Annotated[str, typer.Option(help="es, en or both.")] = "both",
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for report-<lang>.html/.pdf; default: NODE/reports."),
    ] = None,
    indicators: Annotated[
        Path | None,
        typer.Option(help="Indicator definitions (TOML); default: the ones Enlace ships."),
    ] = None,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="On a PostgreSQL node: rendered by one of its 'enlace worker' processes "
            "(waits for it), not in this process.",
        ),
    ] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Write the progress report of a meeting (HTML and PDF) and print the files' paths."""
    from enlace.node.setup import open_node
    from enlace.tracking.indicators.definitions import IndicatorDefinitionError

    try:
        languages = _languages(lang)
        config, store = open_node(node)
        try:
            if queue:
                from enlace.jobs.queue import queue_conninfo
                from enlace.jobs.report import render_report_by_worker

                queue_conninfo(config.store_url)  # a SQLite node: refused at once
                files = render_report_by_worker(
                    store,
                    store_url=config.store_url,
                    meeting_id=meeting,
                    languages=languages,
                    indicators=indicators,
                    out=out if out is not None else node / "reports",
                    today=date.today(),
                    queued=lambda job: console.print(
                        f"report job {job} queued; waiting for the node's workers (enlace worker)"
                    ),
                )
            else:
                files = write_meeting_report(
                    store,
                    meeting_id=meeting,
                    languages=languages,
                    out=out if out is not None else node / "reports",
                    indicators=indicators,
                    today=date.today(),
                )
        finally:
            store.close()
    except (ReportError, IndicatorDefinitionError) as error:
        stderr.print(f"[bold red]error:[/] {safe_text(error, lines=True)}", markup=True)
        raise typer.Exit(1) from None
    for written in files:
        console.print(f"report ({written.language}): {written.html}", markup=False)
        console.print(f"report ({written.language}): {written.pdf}", markup=False)


def write_meeting_report(
    store: Store,
    *,
    meeting_id: str | None,
    languages: tuple[Language, ...],
    out: Path,
    indicators: Path | None,
    today: date,
) -> list[ReportFiles]:
    """Compute the indicators, gather the meeting's report and write it in each language."""
    from enlace.reports.queries import meeting_report
    from enlace.reports.render import write_report
    from enlace.tracking.indicators.definitions import default_definitions_path, load_definitions

    definitions = load_definitions(indicators or default_definitions_path())
    data = meeting_report(store, meeting_id=meeting_id, definitions=definitions, today=today)
    return [write_report(data, code, out) for code in languages]


def demo_report(node: Path, *, today: date, cbp_data: Path | None = None) -> list[ReportFiles]:
    """The last step of `enlace demo`: the group's statement, CBP statistics, the report.

    Ingests the sample joint statement (Spanish) into the node and confirms it, imports every
    CSV file of CBP drug seizure statistics in `cbp_data` (default: the ones Enlace ships,
    see `enlace.tracking.cbp_data`), computes the default indicators and writes the next
    meeting's report in Spanish and English. Raises StatisticsFileError (CbpDataNotFound when
    the folder is missing or holds no CSV file).
    """
    from enlace.node.setup import open_node
    from enlace.reports.samples import sample_communique
    from enlace.tracking.cbp_data import cbp_csv_paths
    from enlace.tracking.ingest import propose
    from enlace.tracking.review import review, text_digest
    from enlace.tracking.statistics import describe_import, import_cbp_statistics

    config, store = open_node(node)
    try:
        statement = sample_communique("es", today=today)
        if _already_ingested(store, statement.name):
            console.print(f"{statement.name}: already ingested, kept as it is")
        else:
            proposal = propose(
                statement.text,
                document_date=statement.document_date,
                source_document=statement.name,
            )
            accepted = review(
                store,
                proposal,
                content_sha256=text_digest(statement.text),
                party=config.party,
                accept="all",
                actor="demo",
            ).accepted
            count = {kind: sum(k.startswith(kind) for k in accepted) for kind in "mca"}
            console.print(
                f"{statement.name}: {count['m']} meeting(s), {count['c']} commitment(s), "
                f"{count['a']} action(s) proposed and accepted into {config.party}"
            )
        with cbp_csv_paths(cbp_data) as paths:
            for path in paths:
                for line in describe_import(import_cbp_statistics(store, path, actor="demo")):
                    console.print("  " + line)
        files = write_meeting_report(
            store,
            meeting_id=None,
            languages=LANGUAGES,
            out=node / "reports",
            indicators=None,
            today=today,
        )
    finally:
        store.close()
    for written in files:
        console.print(f"report ({written.language}): {written.html}", markup=False)
        console.print(f"report ({written.language}): {written.pdf}", markup=False)
    return files


def _already_ingested(store: Store, source_document: str) -> bool:
    from enlace.model.records import Meeting

    # The statement's dates follow the day the demo runs: ingesting it again another day
    # would add a second copy of the same meeting.
    with store.unit_of_work() as uow:
        return any(
            Meeting.from_stix(row.stix_object()).source_document == source_document
            for row in uow.records.iter_latest(kind=Meeting.KIND)
        )


def _languages(raw: str) -> tuple[Language, ...]:
    if raw.strip().lower() == "both":
        return LANGUAGES
    return (language(raw),)


__all__ = ["demo_report", "report", "write_meeting_report"]
