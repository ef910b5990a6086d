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
    from enlace.tracking.review import ReviewReport

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
    tracking.command("edit")(edit)
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
    accept_keys: Annotated[
        str | None,
        typer.Option(
            "--accept",
            help="Store these proposals as records: 'all', or keys as listed, e.g. m1,c2.",
        ),
    ] = None,
    reject_keys: Annotated[
        str | None,
        typer.Option("--reject", help="Reject these proposals, e.g. c3 (never stored)."),
    ] = None,
    edits_file: Annotated[
        Path | None,
        typer.Option(
            "--edits",
            help="A TOML or JSON file of corrections per proposal key; an edited one is accepted.",
        ),
    ] = None,
    keep: Annotated[
        bool,
        typer.Option(
            "--review", help="Keep the proposals for review (web page) without deciding any."
        ),
    ] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Propose meetings, commitments and actions from a communiqué; accept, reject or correct
    each (what is left undecided is kept for review)."""
    from enlace.node.setup import open_node
    from enlace.tracking.documents import read_document
    from enlace.tracking.ingest import propose
    from enlace.tracking.review import review, text_digest

    day = _iso_date(document_date, "--date")
    text = read_document(file)
    proposal = propose(text, document_date=day, source_document=file.name)
    if as_json:
        typer.echo(json.dumps(proposal.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_proposal(proposal)
    edits = _read_edits(edits_file) if edits_file else {}
    accepting = _keys(accept_keys, "--accept")
    if not (keep or accepting or reject_keys or edits):
        _say_if_already_read(node, text_digest(text), file.name)
        stderr.print(
            f"nothing stored: {proposal.size} proposal(s); review them and run again with "
            "--accept all, --accept KEYS --reject KEYS, --edits FILE, or --review"
        )
        return
    config, store = open_node(node)
    try:
        report = review(
            store,
            proposal,
            content_sha256=text_digest(text),
            party=config.party,
            accept="all" if accepting == ("all",) else accepting,
            reject=_keys(reject_keys, "--reject"),
            edits=edits,
        )
    finally:
        store.close()
    _print_review(report, party=config.party)


def _keys(raw: str | None, option: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    keys = tuple(k.strip().lower() for k in raw.split(",") if k.strip())
    if not keys:
        raise TrackingError(f"{option}: no keys given; write 'all' or keys such as m1,c2")
    return keys


def _read_edits(path: Path) -> dict[str, dict[str, object]]:
    """The edit file: a table per proposal key of field = value (TOML), or the same as a
    JSON object."""
    import tomllib

    from enlace.tracking.documents import read_document

    raw_text = read_document(path, what="the --edits file")
    try:
        loaded: object = (
            json.loads(raw_text) if path.suffix.lower() == ".json" else tomllib.loads(raw_text)
        )
    except (ValueError, tomllib.TOMLDecodeError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise TrackingError(f"--edits: {path}: not valid {kind}: {error}") from None
    if not isinstance(loaded, dict) or not all(isinstance(v, dict) for v in loaded.values()):
        raise TrackingError(
            f"--edits: {path}: expected one table per proposal key, e.g. [c1] due_date = "
            '"2026-03-31"'
        )
    return {
        str(key).lower(): {
            str(name): (
                "|".join(str(v) for v in value)
                if isinstance(value, list)
                else (value.isoformat() if isinstance(value, date) else value)
            )
            for name, value in fields.items()
        }
        for key, fields in loaded.items()
    }


def _say_if_already_read(node: Path, digest: str, name: str) -> None:
    """Tell, before any decision, that the node holds this text already (under any name)."""
    from enlace.node.config import CONFIG_NAME
    from enlace.node.setup import open_node
    from enlace.tracking.review import ACCEPTED, REJECTED, held_document

    if not (node / CONFIG_NAME).is_file():
        return  # reading a communiqué needs no node; there is nothing to compare with
    _, store = open_node(node)
    try:
        held = held_document(store, digest)
    finally:
        store.close()
    if held is None:
        return
    same = "" if held.proposal.source_document == name else " (same text)"
    parts = [
        f"{label} {', '.join(keys)}"
        for label, keys in (
            ("accepted", held.decided(ACCEPTED)),
            ("rejected", held.decided(REJECTED)),
            ("pending", held.pending),
        )
        if keys
    ]
    stderr.print(
        f"already read as {safe_text(held.proposal.source_document)}{same}: {'; '.join(parts)}"
    )


def _print_review(report: ReviewReport, *, party: str) -> None:
    if report.already_read_as is not None:
        same = "" if report.already_read_as == report.source_document else " (same text)"
        stderr.print(
            f"already read as {safe_text(report.already_read_as)}{same}: decisions taken "
            "then are kept; nothing is stored twice"
        )
    if report.already_decided:
        stderr.print(f"already decided before: {', '.join(report.already_decided)}")
    for key, record_id in report.accepted.items():
        joined = (
            f" (same meeting as the one held: {record_id}, source added)"
            if key in report.reconciled
            else ""
        )
        console.print(f"accepted {key}: {record_id}{joined}")
    if report.rejected:
        console.print(f"rejected: {', '.join(report.rejected)}")
    if report.pending:
        console.print(
            f"pending review: {', '.join(report.pending)} "
            "(decide them on /web/tracking/review, or run again with --accept/--reject)"
        )
    stderr.print(f"{report.written} new version(s) stored, owned by {party}, national only")


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
    table = Table("kind", "status", "when", "who", "what", "sources", "id")
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
            safe_text(", ".join(item.sources)),
            item.id,
        )
    console.print(table)


@_tracking_errors
@user_errors
def edit(
    record_id: Annotated[str, typer.Argument(help="The meeting's, commitment's or action's id.")],
    mechanism: Annotated[str | None, typer.Option(help="A meeting's mechanism.")] = None,
    sequence: Annotated[str | None, typer.Option(help="A meeting's number (2 = second).")] = None,
    meeting_date: Annotated[
        str | None, typer.Option("--date", help="A meeting's date, YYYY-MM-DD.")
    ] = None,
    month: Annotated[str | None, typer.Option(help="A meeting's month, YYYY-MM.")] = None,
    place: Annotated[str | None, typer.Option(help="A meeting's place.")] = None,
    theme: Annotated[str | None, typer.Option(help="A commitment's theme.")] = None,
    responsible: Annotated[
        str | None, typer.Option(help="A commitment's MX, US or joint; an action's agency.")
    ] = None,
    agencies: Annotated[
        str | None,
        typer.Option(help="A commitment's lead agencies, e.g. FGR|ATF ('' clears them)."),
    ] = None,
    due: Annotated[str | None, typer.Option(help="A due date, YYYY-MM-DD ('' clears it).")] = None,
    text_es: Annotated[str | None, typer.Option(help="The text in Spanish.")] = None,
    text_en: Annotated[str | None, typer.Option(help="The text in English.")] = None,
    values: Annotated[
        list[str] | None,
        typer.Option("--set", help="Any other field: FIELD=VALUE, e.g. us_agencies=DHS|DOJ."),
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Correct a meeting, commitment or action: a new version with the fields given
    (audited; earlier versions are kept). '' clears a field that may be empty."""
    from enlace.node.setup import open_node
    from enlace.tracking.edit import edit_record

    changes: dict[str, object] = {
        name: value
        for name, value in (
            ("mechanism", mechanism),
            ("sequence", sequence),
            ("date", meeting_date),
            ("month", month),
            ("place", place),
            ("theme", theme),
            ("responsible", responsible),
            ("agencies", agencies),
            ("due", due),
        )
        if value is not None
    }
    kind = record_id.split("--", 1)[0]
    if text_es is not None:
        changes["description_es" if kind == "enlace-action" else "text_es"] = text_es
    if text_en is not None:
        changes["description_en" if kind == "enlace-action" else "text_en"] = text_en
    for item in values or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise TrackingError(f"--set: found {item!r}, expected FIELD=VALUE")
        changes[name.strip()] = value
    config, store = open_node(node)
    try:
        report = edit_record(store, record_id, changes, party=config.party)
    finally:
        store.close()
    console.print(
        f"{report.kind} {report.record_id}: changed {', '.join(report.changed)} "
        f"(version {report.modified})"
    )
