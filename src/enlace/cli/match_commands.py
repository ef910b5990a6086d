"""`enlace match ...`: private matching with a partner, its agreements, hits and disclosures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text
from enlace.matching.kind_names import KIND_NAMES

if TYPE_CHECKING:
    from pathlib import Path

    from enlace.matching.errors import PartnerRefusedMatch
    from enlace.store.store import Store

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)
_KINDS_HELP = f"Kind of identifier: {', '.join(KIND_NAMES)}."
# Agreements also cover deconfliction's kind (docs/deconfliction.md).
_AGREEMENT_KINDS_HELP = f"Kind of identifier: {', '.join(KIND_NAMES)}, or operation."
# enlace.matching.modes.MODES, spelled here so that the help costs no import.
_MODES = ("links", "count", "threshold")
_MODE_HELP = (
    "What the partner learns: links (which records match; the default), count (only how "
    "many: solo conteo) or threshold (links only when at least --threshold are shared: umbral)."
)


class _RunWhenGivenAPartner(TyperGroup):
    """`enlace match US --kind phone` is `enlace match run US --kind phone`.

    The short form is how people (and the matching issue) say it; a first word that is not
    a sub-command and not an option is taken as the partner of a run.
    """

    # `ctx` is the Context of the click that typer bundles, which it does not export.
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


def build_match_app() -> typer.Typer:
    """The `enlace match` sub-command group."""
    match = command_group(
        "match",
        "Private matching with partners: `enlace match PARTNER --kind KIND` runs one "
        "(short for `match run`); also agreements, hit notices, disclosures.",
        cls=_RunWhenGivenAPartner,
    )
    match.command("run")(run)
    match.command("list")(list_matches)
    match.command("hits")(hits)
    match.command("disclose")(disclose)
    match.command("requests")(requests)
    match.command("approve")(approve)
    match.command("refuse")(refuse)
    agreement = command_group(
        "agreement",
        "What this node answers for each partner and kind (acuerdos).",
    )
    agreement.command("set")(agreement_set)
    agreement.command("list")(agreement_list)
    agreement.command("remove")(agreement_remove)
    match.add_typer(agreement, name="agreement")
    return match


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    if not console.is_terminal:  # a log or a pipe gets the results, not bars
        yield lambda done: None
        return
    columns = [SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeElapsedColumn(), transient=True, console=console) as progress:
        task = progress.add_task(label, total=total or None)
        yield lambda done: progress.advance(task, done)


@user_errors
def run(
    partner: Annotated[str, typer.Argument(help="The partner to match with, e.g. US.")],
    kind: Annotated[list[str], typer.Option("--kind", help=_KINDS_HELP + " Repeatable.")],
    workers: Annotated[
        int | None, typer.Option(min=0, help="Blinding processes (default: one per CPU).")
    ] = None,
    on_workers: Annotated[
        bool,
        typer.Option(
            "--on-workers",
            help="On a PostgreSQL node: blind, and derive the name kinds' keys, as jobs for "
            "the node's 'enlace worker' processes (on any machine) instead of in this process.",
        ),
    ] = False,
    show: Annotated[int, typer.Option(min=0, help="Matches to print per kind.")] = 20,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept",
            help="A mode of the partner's agreement this run accepts: "
            f"{', '.join(_MODES)}. Repeatable; default all. Checked before anything is sent.",
        ),
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Find the identifiers this node and PARTNER both hold, privately (PSI), kind by kind."""
    from enlace.matching.kinds import parse_kind
    from enlace.matching.modes import MODES, parse_modes
    from enlace.matching.requester import match_node_partner
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    code = party_code(partner)
    kinds = [parse_kind(k) for k in dict.fromkeys(kind)]
    if "operation" in kind:
        from enlace.matching.errors import MatchingError

        # Its run is followed by the exchange of contacts, which only that command does.
        raise MatchingError("operations are checked with 'enlace operation check PARTNER'")
    accepted = parse_modes(accept) if accept else MODES
    if on_workers:
        from enlace.jobs.queue import queue_conninfo
        from enlace.node.config import NodeConfig

        queue_conninfo(NodeConfig.load(node).store_url)  # a SQLite node: refused at once
    config, store = open_node(node)
    refusals: list[PartnerRefusedMatch] = []
    pool = None
    try:
        if on_workers:
            from enlace.jobs.blinding_pool import QueueBlindingPool

            pool = QueueBlindingPool(store, config.store_url, local_workers=workers)
        outcomes = match_node_partner(
            store,
            config.key_dir,
            code,
            kinds,
            workers=workers,
            progress=_progress,
            on_refusal=refusals.append,
            accept=accepted,
            pool=pool,
        )
    finally:
        if pool is not None:
            pool.close()
        store.close()
    for outcome in outcomes:
        console.print(safe_text(outcome.summary()))
        for found in outcome.matches[:show]:
            console.print(
                f"  {safe_text(found.record_id)}  <->  {code} handle "
                f"{safe_text(found.partner_handle)}"
            )
        if len(outcome.matches) > show:
            console.print(f"  ... and {len(outcome.matches) - show} more ('enlace match list')")
    for refusal in refusals:
        stderr.print(f"[bold red]error:[/] {safe_text(refusal, lines=True)}")
    if refusals:
        raise typer.Exit(1)


@user_errors
def list_matches(
    partner: Annotated[str | None, typer.Option(help="Only matches with this partner.")] = None,
    kind: Annotated[str | None, typer.Option(help=_KINDS_HELP)] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """The matches (coincidencias) found so far: local record, partner, kind, partner handle."""
    from enlace.matching.kinds import parse_kind
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    code = party_code(partner) if partner else None
    wanted = parse_kind(kind).value if kind else None
    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            found = uow.matches.matches(partner=code, kind=wanted)
    finally:
        store.close()
    table = Table("record", "partner", "kind", "partner handle", "found at")
    for item in found:
        table.add_row(
            *map(safe_text, (item.record_id, item.partner, item.kind, item.partner_handle)),
            item.found_at,
        )
    console.print(table)
    console.print(f"{len(found)} match(es)")


@user_errors
def hits(
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 50,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Hit notices (avisos de coincidencia): which partner matched which of our records."""
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            notices = uow.matches.hit_notices(limit=limit)
    finally:
        store.close()
    table = Table("at", "partner", "kind", "record", "owner agency")
    for notice in notices:
        table.add_row(
            notice.at,
            *map(safe_text, (notice.partner, notice.kind, notice.record_id)),
            safe_text(notice.owner_agency or "-"),
        )
    console.print(table)
    console.print(f"{len(notices)} hit notice(s)")


@user_errors
def disclose(
    partner: Annotated[str, typer.Argument(help="The partner holding the record, e.g. US.")],
    handle: Annotated[str, typer.Argument(help="The partner's handle, from 'enlace match list'.")],
    reason: Annotated[str | None, typer.Option(help="Why the record is needed.")] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Ask PARTNER to release its matched record HANDLE to this node (solicitud de divulgación)."""
    from enlace.matching.requester import request_node_disclosure
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    code = party_code(partner)
    config, store = open_node(node)
    try:
        remote = request_node_disclosure(
            store, config.key_dir, code, handle=handle.strip().lower(), reason=reason, actor="cli"
        )
    finally:
        store.close()
    console.print(
        f"disclosure request sent to {code}: their request {remote}, pending their decision; "
        "an approved record arrives by 'enlace sync'"
    )


@user_errors
def requests(
    everything: Annotated[
        bool, typer.Option("--all", help="Also decided and outgoing requests.")
    ] = False,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh",
            help="First ask each partner what became of this node's pending requests to it.",
        ),
    ] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Disclosure requests partners made for this node's matched records (pending by default)."""
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        if refresh:
            _refresh_outgoing(store, config.key_dir)
        with store.unit_of_work() as uow:
            found = uow.disclosures.all(status=None if everything else "pending")
    finally:
        store.close()
    if not everything:
        found = [r for r in found if r.direction == "incoming"]
    table = Table("id", "direction", "partner", "record / handle", "status", "requested", "reason")
    for item in found:
        table.add_row(
            str(item.id),
            item.direction,
            safe_text(item.partner),
            safe_text(item.record_id or item.handle or ""),
            safe_text(item.status + (f" ({item.decision_reason})" if item.decision_reason else "")),
            safe_text(item.requested_at),
            safe_text(item.reason or ""),
        )
    console.print(table)
    console.print(f"{len(found)} request(s)")


def _refresh_outgoing(store: Store, key_dir: Path) -> None:
    """Ask every partner with pending requests from this node what became of them."""
    from enlace.matching.requester import refresh_all_disclosures

    for partner, decided in refresh_all_disclosures(store, key_dir, actor="cli"):
        for item in decided:
            then = (
                f"the record arrives by 'enlace sync {partner}'"
                if item.status == "approved"
                else f"their reason: {safe_text(item.reason or '(none given)')}"
            )
            console.print(
                f"{partner} {safe_text(item.status)} request {safe_text(item.remote_id)} "
                f"(handle {safe_text(item.handle)}): {then}"
            )
        if not decided:
            console.print(f"{partner}: no decision yet on this node's pending request(s)")


@user_errors
def approve(
    request_id: Annotated[int, typer.Argument(help="The request's id ('enlace match requests').")],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Approve a disclosure request: release the record to the partner (its markings apply)."""
    from enlace.matching.disclosure import approve_request
    from enlace.node.keys import load_signing_key
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        key = load_signing_key(config.key_dir)
        approval = approve_request(store, request_id=request_id, signing_key=key, actor="cli")
    finally:
        store.close()
    decided = approval.request
    if approval.newly_released:
        console.print(
            f"request {request_id} approved: {safe_text(decided.record_id)} released to "
            f"{decided.partner}; "
            "it travels at their next sync"
        )
    else:
        console.print(
            f"request {request_id} approved: {safe_text(decided.record_id)} was already "
            "released to "
            f"{decided.partner}"
        )


@user_errors
def refuse(
    request_id: Annotated[int, typer.Argument(help="The request's id ('enlace match requests').")],
    reason: Annotated[
        str,
        typer.Option(
            help="Why (kept in the request and the audit log; the partner reads it when it "
            "asks what became of its request)."
        ),
    ],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Refuse a disclosure request, with a reason."""
    from enlace.matching.disclosure import refuse_request
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        decided = refuse_request(store, request_id=request_id, reason=reason, actor="cli")
    finally:
        store.close()
    console.print(f"request {request_id} from {decided.partner} refused")


@user_errors
def agreement_set(
    partner: Annotated[str, typer.Argument(help="The partner, e.g. US.")],
    kind: Annotated[list[str], typer.Option("--kind", help=_AGREEMENT_KINDS_HELP + " Repeatable.")],
    max_set_size: Annotated[
        int, typer.Option(help="The most identifiers the partner may send in one run.")
    ],
    runs_per_day: Annotated[int, typer.Option(help="Runs per kind per UTC day.")] = 1,
    mode: Annotated[str, typer.Option(help=_MODE_HELP)] = "links",
    threshold: Annotated[
        int | None,
        typer.Option(help="Threshold mode: the least shared identifiers for links (k)."),
    ] = None,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Answer PARTNER's match runs on these kinds automatically, within these caps and in
    this mode."""
    from enlace.matching.agreements import agree_to_match
    from enlace.matching.kinds import parse_kind
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    code = party_code(partner)
    kinds = [parse_kind(k).value for k in dict.fromkeys(kind)]
    _, store = open_node(node)
    try:
        agree_to_match(
            store,
            partner=code,
            kinds=kinds,
            max_set_size=max_set_size,
            runs_per_day=runs_per_day,
            actor="cli",
            mode=mode.strip().lower(),
            threshold=threshold,
        )
    finally:
        store.close()
    console.print(
        f"agreement with {code}: {', '.join(kinds)}; at most {max_set_size:,} identifiers "
        f"a run, {runs_per_day} run(s) a day per kind; {_mode_text(mode.strip().lower(), threshold)}"
    )


def _mode_text(mode: str, threshold: int | None) -> str:
    if mode == "count":
        return "count only (the partner learns how many, not which)"
    if mode == "threshold":
        return f"threshold {threshold:,} (links only when at least {threshold:,} are shared)"
    return "links"


@user_errors
def agreement_list(node: NodeDir = DEFAULT_NODE) -> None:
    """The matching agreements: partner, kind, mode, caps."""
    from enlace.node.setup import open_node

    _, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            agreements = uow.agreements.all()
    finally:
        store.close()
    table = Table("partner", "kind", "mode", "max set size", "runs per day", "updated")
    for item in agreements:
        table.add_row(
            item.partner,
            item.kind,
            item.mode if item.threshold is None else f"{item.mode} {item.threshold:,}",
            f"{item.max_set_size:,}",
            str(item.runs_per_day),
            item.updated_at,
        )
    console.print(table)


@user_errors
def agreement_remove(
    partner: Annotated[str, typer.Argument(help="The partner, e.g. US.")],
    kind: Annotated[list[str], typer.Option("--kind", help=_AGREEMENT_KINDS_HELP + " Repeatable.")],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Stop answering PARTNER's runs on these kinds."""
    from enlace.matching.agreements import end_agreements
    from enlace.matching.kinds import parse_kind
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    code = party_code(partner)
    kinds = [parse_kind(k).value for k in dict.fromkeys(kind)]
    _, store = open_node(node)
    try:
        end_agreements(store, partner=code, kinds=kinds, actor="cli")
    finally:
        store.close()
    console.print(f"agreement with {code} removed for {', '.join(kinds)}")
