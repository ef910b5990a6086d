"""`enlace init` and `enlace status`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir
from enlace.cli.terminal import safe_text

if TYPE_CHECKING:
    from enlace.exchange.witness_status import AlertSummary, PartnerWitnessing

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False)


@user_errors
def init(
    party: Annotated[str, typer.Option(help="Party code of this node, e.g. MX or US.")],
    node: NodeDir = DEFAULT_NODE,
    database_url: Annotated[
        str | None,
        typer.Option(help="PostgreSQL URL; default: a SQLite file in the node folder."),
    ] = None,
) -> None:
    """Create a node for a party: database, signing key (owner-only), agencies. Safe to rerun."""
    from enlace.node.setup import initialise_node

    report = initialise_node(node, party=party, database_url=database_url)
    verb = "created" if report.created_config else "already existed; completed"
    console.print(f"node {report.config.party} at {node} {verb}")
    console.print(f"  database: {_safe_url(report.config.store_url)}")
    key_note = "generated" if report.created_key else "kept (existing)"
    console.print(f"  signing key: {report.config.key_dir}/signing.key {key_note}, mode 600")
    console.print(f"  public key: {report.public_key}")
    added = ", ".join(report.agencies_added) or "none (all present)"
    console.print(f"  agencies added: {added}")


@dataclass(frozen=True, slots=True)
class PartnerPosition:
    """Where the pull from one registered partner stands, for `enlace status`."""

    party: str
    last_sync: str | None
    sequence: int  # the partner's release sequence is verified up to here
    highest: int  # the highest number the partner declared
    not_held: dict[str, int]  # numbers of that sequence this node does not hold, by reason

    @property
    def not_held_total(self) -> int:
        """How many items the partner released to this node are not held here."""
        return sum(self.not_held.values())


@user_errors
def status(node: NodeDir = DEFAULT_NODE) -> None:
    """Print what this node holds (records by kind and owner); per partner, how far its
    release sequence is verified, what of it is not held, and how far each side countersigned
    the other's audit log; and the audit alerts witnessing raised."""
    from enlace.exchange.witness_status import alert_summary, partner_witnessing
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            holdings = uow.records.holdings()
            versions = uow.records.count_versions()
            positions = []
            for partner in uow.partners.all():
                cursor = uow.cursors.get(partner.party)
                positions.append(
                    PartnerPosition(
                        partner.party,
                        cursor.updated_at if cursor else None,
                        cursor.sequence if cursor else 0,
                        cursor.highest if cursor else 0,
                        uow.gaps.counts(partner.party),
                    )
                )
            witnessing = partner_witnessing(uow, [p.party for p in positions])
            alerts = alert_summary(uow)
    finally:
        store.close()
    console.print(holdings_table(f"Node {config.party} ({node})", holdings))
    console.print(f"{versions} record version(s) stored")
    for position in positions:
        console.print(partner_table(position))
        if position.not_held_total:
            stderr.print(not_held_warning(position))
    if witnessing:
        console.print(witnessing_table(witnessing))
    if alerts.total:
        stderr.print(alerts_warning(alerts))


def partner_table(p: PartnerPosition) -> Table:
    """One partner's last sync, sequence position and items not held, by reason."""
    table = Table(title=f"Partner {p.party}: what it released to this node", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("last sync", _moment(p.last_sync))
    if p.last_sync is None:
        table.add_row("sequence", "not synced yet")
    else:
        table.add_row("sequence", f"verified up to {p.sequence:,} of {p.highest:,}")
    table.add_row("not held", f"[bold red]{p.not_held_total:,}[/]" if p.not_held_total else "0")
    for reason, count in sorted(p.not_held.items()):
        table.add_row(f"  {safe_text(reason)}", f"{count:,}")
    return table


def not_held_warning(position: PartnerPosition) -> str:
    """The WARNING line for a partner some of whose releases this node does not hold."""
    reasons = ", ".join(f"{n:,} {safe_text(why)}" for why, n in sorted(position.not_held.items()))
    party = position.party
    return (
        f"[bold yellow]WARNING:[/] {position.not_held_total:,} item(s) {party} released to this "
        f"node are not held ({reasons}): they are asked for again at each sync "
        f"('enlace sync {party}'); see 'enlace audit show', actions 'sequence-gap' and 'refusal'"
    )


def witnessing_table(rows: list[PartnerWitnessing]) -> Table:
    """Per partner, the newest checkpoint of each audit log the other side countersigned."""
    table = Table(title="Audit log witnessing: newest checkpoint countersigned")
    table.add_column("partner")
    table.add_column("this node's log, countersigned by the partner")
    table.add_column("the partner's log, countersigned by this node")
    for row in rows:
        ours = row.ours
        theirs = row.theirs
        table.add_row(
            row.party,
            _checkpoint(ours.size, ours.cosigned_at) if ours else "not yet",
            _checkpoint(theirs.size, theirs.seen_at) if theirs else "not yet",
        )
    return table


def alerts_warning(alerts: AlertSummary) -> str:
    """The ALERT block: how many alerts witnessing raised, the newest, and where the rest are.

    An alert's message and parties can hold what a partner sent: each is made inert.
    """
    from enlace.exchange.witness_status import alert_kind

    lines = [
        f"[bold red]ALERT:[/] {alerts.total:,} audit alert(s): a partner's audit log failed "
        "witnessing, or a partner refused this node's checkpoint. Newest first:"
    ]
    for alert in alerts.newest:
        lines.append(
            f"  [bold red]![/] {_moment(alert.raised_at)}  {safe_text(alert_kind(alert.kind))}"
            f"  (log of {safe_text(alert.party)}, found by {safe_text(alert.reporter)})"
        )
        lines.append(f"      {safe_text(alert.message)}")
    if alerts.more:
        lines.append(f"  … and {alerts.more:,} older alert(s)")
    lines.append(
        "  See them all with their evidence: 'enlace audit alerts'. Keep the evidence, compare "
        "it with the partner's, and contact the partner's liaison officer (docs/audit.md, Alerts)."
    )
    return "\n".join(lines)


def _checkpoint(size: int, at: str) -> str:
    return f"{size:,} entries, {_moment(at)}"


def _moment(timestamp: str | None) -> str:
    # '2026-12-03T04:53:58.123456Z' -> '2026-12-03 04:53 UTC'
    if not timestamp:
        return "never"
    return f"{timestamp[:10]} {timestamp[11:16]} UTC"


def holdings_table(title: str, holdings: list[tuple[str, str, int]]) -> Table:
    """A table of (kind, owner, records)."""
    table = Table(title=title)
    table.add_column("kind")
    table.add_column("owner")
    table.add_column("records", justify="right")
    for kind, owner, count in holdings:
        table.add_row(safe_text(kind), safe_text(owner), f"{count:,}")
    return table


def _safe_url(url: str) -> str:
    # Never print a password that may be in a database URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


__all__ = [
    "PartnerPosition",
    "alerts_warning",
    "holdings_table",
    "init",
    "not_held_warning",
    "partner_table",
    "status",
    "witnessing_table",
]
