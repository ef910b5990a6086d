"""`enlace tracking ingest` and `enlace tracking list`: communiqués into proposed meetings,
commitments and actions, confirmed by a person; the register of what the node tracks."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text
from enlace.model.timestamps import utc_now
from enlace.model.vocabulary import TrackingStatus
from enlace.tracking.errors import TrackingError

if TYPE_CHECKING:
    from enlace.tracking.proposal import Proposal
    from enlace.tracking.register import TrackedItem

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")


def build_tracking_app() -> typer.Typer:
    """The `enlace tracking` sub-command group."""
    tracking = command_group(
        "tracking",
        "Meetings, commitments and actions: ingest communiqués, list what is tracked.",
    )
    tracking.command("ingest")(ingest)
    tracking.command("list")(list_tracked)
    tracking.command("update")(update)
    return tracking


def _tracking_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print a TrackingError as one line and exit 1 (other user errors: `user_errors`)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except TrackingError as error:
            stderr.print(f"[bold red]error:[/] {safe_text(error, lines=True)}", markup=True)
            raise typer.Exit(1) from None

    return run


def _iso_date(raw: str, option: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise TrackingError(f"{option}: found {raw!r}, expected a date YYYY-MM-DD") from None


@_tracking_errors
@user_errors
def ingest(
    file: Annotated[Path, typer.Argument(help="The communiqué, press release or minutes (text).")],
    document_date: Annotated[
        str,
        typer.Option(
            "--date", help="The document's date, YYYY-MM-DD (for 'next Friday', 'el 23 de enero')."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the proposal as JSON.")] = False,
    store_it: Annotated[
        bool, typer.Option("--accept", help="Store the proposals as records (audited).")
    ] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Propose meetings, commitments and actions from a communiqué; store them only with --accept."""
    from enlace.node.setup import open_node
    from enlace.tracking.confirm import accept
    from enlace.tracking.ingest import propose

    day = _iso_date(document_date, "--date")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TrackingError(f"{file}: not UTF-8 text; save the communiqué as UTF-8") from None
    proposal = propose(text, document_date=day, source_document=file.name)
    if as_json:
        typer.echo(json.dumps(proposal.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_proposal(proposal)
    if not store_it:
        stderr.print(
            f"nothing stored: {proposal.size} proposal(s); "
            "review them and run again with --accept to store them"
        )
        return
    config, store = open_node(node)
    try:
        report = accept(store, proposal, party=config.party)
    finally:
        store.close()
    stderr.print(
        f"stored {len(report.meeting_ids)} meeting(s), {len(report.commitment_ids)} "
        f"commitment(s), {len(report.action_ids)} action(s) "
        f"({report.written} new version(s)), owned by {config.party}, national only"
    )


@_tracking_errors
@user_errors
def list_tracked(
    node: NodeDir = DEFAULT_NODE,
    as_json: Annotated[bool, typer.Option("--json", help="Print the register as JSON.")] = False,
    today: Annotated[
        str | None, typer.Option(help="Judge overdue as of this date, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Meetings, then commitments and actions by status, overdue ones first and flagged."""
    from enlace.node.setup import open_node
    from enlace.tracking.register import tracking_register

    day = _iso_date(today, "--today") if today else utc_now().date()
    _config, store = open_node(node)
    try:
        items = tracking_register(store, today=day)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([item.to_json() for item in items], ensure_ascii=False, indent=2))
        return
    _print_register(items)


@_tracking_errors
@user_errors
def update(
    record_id: Annotated[str, typer.Argument(help="The commitment's or action's id.")],
    status: Annotated[
        str | None,
        typer.Option(help="announced, in-progress, delivered or stalled."),
    ] = None,
    due: Annotated[str | None, typer.Option(help="A new due date, YYYY-MM-DD.")] = None,
    evidence: Annotated[
        list[str] | None,
        typer.Option(help="For an action: a record id or 'indicator:<id>@<period>' (repeatable)."),
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Record progress on a commitment or action: a new version with its status, due date or
    evidence (audited; earlier versions are kept)."""
    from enlace.node.setup import open_node
    from enlace.tracking.progress import record_progress

    chosen = None
    if status is not None:
        try:
            chosen = TrackingStatus(status.strip().lower())
        except ValueError:
            raise TrackingError(
                f"--status: found {status!r}, expected one of "
                + ", ".join(s.value for s in TrackingStatus)
            ) from None
    due_date = _iso_date(due, "--due") if due else None
    config, store = open_node(node)
    try:
        report = record_progress(
            store,
            record_id,
            party=config.party,
            status=chosen,
            due_date=due_date,
            evidence=evidence or (),
        )
    finally:
        store.close()
    console.print(
        f"{report.kind} {report.record_id}: {report.status_before} -> {report.status_after} "
        f"(version {report.modified})"
    )


def _print_proposal(proposal: Proposal) -> None:
    console.print(
        f"{safe_text(proposal.source_document)}: {proposal.language}, dated "
        f"{proposal.document_date.isoformat()}"
    )
    table = Table("key", "kind", "what", "when", "who", "because of", show_lines=True)
    for m in proposal.meetings:
        table.add_row(
            m.key,
            "meeting (next)" if m.announced else "meeting",
            safe_text(f"{m.title}, {m.place or 'place not stated'}"),
            (m.meeting_date.isoformat() if m.meeting_date else m.meeting_month) or "",
            safe_text(" ".join((*m.mx_agencies, *m.us_agencies))),
            safe_text("; ".join(m.cues)),
        )
    for c in proposal.commitments:
        table.add_row(
            c.key,
            f"commitment ({c.theme.value})",
            safe_text(c.text),
            c.due_date.isoformat() if c.due_date else "",
            safe_text(" ".join((c.responsible.value, *c.lead_agencies))),
            safe_text("; ".join(c.cues)),
        )
    for a in proposal.actions:
        table.add_row(
            a.key,
            f"action of {a.commitment_key}",
            safe_text(a.description),
            a.due_date.isoformat() if a.due_date else "",
            safe_text(a.owner_agency or ""),
            safe_text("; ".join(a.cues)),
        )
    console.print(table)


def _print_register(items: list[TrackedItem]) -> None:
    if not items:
        console.print("no meetings, commitments or actions held")
        return
    table = Table("kind", "status", "when", "who", "what", "id")
    for item in items:
        status = item.status or ""
        if item.overdue:
            status = f"[bold red]OVERDUE[/] {status}"
        table.add_row(
            item.kind,
            status,
            item.when or "",
            safe_text(item.responsible or ""),
            safe_text(item.text),
            item.id,
        )
    console.print(table)
