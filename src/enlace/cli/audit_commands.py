"""`enlace audit verify`, `show`, `prove`, `check-proof` and `alerts`: the node's tamper-evident
audit log, proofs of its entries an auditor checks without a node, and the alerts witnessing
raised about it or a partner's."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text

if TYPE_CHECKING:
    from enlace.store.repositories.audit import AuditEntry
    from enlace.store.repositories.witness import AuditAlert

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)


def build_audit_app() -> typer.Typer:
    """The `enlace audit` sub-command group."""
    audit = command_group(
        "audit",
        "The node's append-only, hash-chained audit log: verify it, show it, prove an entry.",
    )
    audit.command("verify")(verify)
    audit.command("show")(show)
    audit.command("prove")(prove)
    audit.command("check-proof")(check_proof)
    audit.command("alerts")(alerts)
    return audit


@user_errors
def verify(
    node: NodeDir = DEFAULT_NODE,
    against_partner: Annotated[
        list[str] | None,
        typer.Option(
            "--against-partner",
            help="Also ask this partner (repeatable) for the newest checkpoint of this log it "
            "countersigned, and check it against the entries now.",
        ),
    ] = None,
) -> None:
    """Check the audit log's chain, its Merkle tree and every countersignature partners made;
    exit 1 naming each problem (the first edited, deleted or moved entry, a rewrite after a
    partner countersigned, a forged countersignature, an altered tree)."""
    from enlace.exchange.audit_proofs import verify_against_partner, verify_audit
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    partners = [party_code(p) for p in against_partner or []]
    config, store = open_node(node)
    try:
        report = verify_audit(store, config.key_dir)
        asked = [verify_against_partner(store, config.key_dir, p) for p in partners]
    finally:
        store.close()
    chain = report.chain
    if chain.ok:
        console.print(safe_text(chain.message, lines=True))
        if chain.last_seq is not None:
            console.print(
                f"record this hash outside node {config.party} (e.g. in the meeting minutes); "
                "a later verify must show the same entry with the same hash, or the log was "
                "rewritten"
            )
    else:
        stderr.print(f"[bold red]error:[/] {safe_text(chain.message, lines=True)}")
    for line in report.lines():
        console.print(safe_text(line, lines=True))
    for problem in report.problems:
        stderr.print(f"[bold red]error:[/] {safe_text(problem, lines=True)}")
    for answer in asked:
        if answer.ok:
            console.print(safe_text(answer.message, lines=True))
        else:
            stderr.print(f"[bold red]error:[/] {safe_text(answer.message, lines=True)}")
    if not report.ok or not all(answer.ok for answer in asked):
        raise typer.Exit(1)


@user_errors
def show(
    node: NodeDir = DEFAULT_NODE,
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest entries.")] = 20,
) -> None:
    """Print the newest entries of the audit log, oldest first."""
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            audit = uow.audit
            entries = audit.latest(limit)
            total = audit.count()
    finally:
        store.close()
    console.print(entries_table(f"Audit log of node {config.party} ({node})", entries))
    console.print(f"{len(entries)} of {total} entries shown; run 'enlace audit verify' to check")


@user_errors
def prove(
    entry: Annotated[int, typer.Argument(help="The entry's number (seq) in the audit log.")],
    node: NodeDir = DEFAULT_NODE,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the proof to this file instead of printing it."),
    ] = None,
) -> None:
    """Print the proof of one audit entry: the entry, its inclusion proof and the newest
    checkpoint partners countersigned (enlace-audit-proof/v1 JSON, see docs/audit.md)."""
    from enlace.exchange.audit_proofs import prove_entry
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        proof = prove_entry(store, config.key_dir, entry)
    finally:
        store.close()
    if out is None:
        # Raw bytes: the console would wrap a long line or read brackets as markup.
        sys.stdout.buffer.write(proof.file_bytes())
        sys.stdout.flush()
    else:
        out.write_bytes(proof.file_bytes())
    where = "" if out is None else f"written to {out}: "
    stderr.print(safe_text(where + proof.summary, lines=True))


@user_errors
def check_proof(
    file: Annotated[Path, typer.Argument(help="The proof file 'enlace audit prove' wrote.")],
    key: Annotated[
        str,
        typer.Option("--key", help="The public key (64 hex digits) of the node whose log it is."),
    ],
    witness_key: Annotated[
        list[str] | None,
        typer.Option(
            "--witness-key",
            help="A partner's public key whose countersignature the checkpoint must carry "
            "(repeat for several).",
        ),
    ] = None,
) -> None:
    """Check an audit proof anywhere, with no node: the entry, its inclusion in the
    checkpoint, the log's signature and each witness's countersignature. Exit 0 if all hold."""
    from enlace.exchange.audit_proofs import MAX_PROOF_BYTES, check_proof

    with file.open("rb") as handle:
        # One byte more than a proof may have: enough to refuse a larger file unread.
        document = handle.read(MAX_PROOF_BYTES + 1)
    result = check_proof(document, key, witness_key or [])
    for outcome in result.outcomes:
        line = safe_text(outcome.line(), lines=True)
        (console if outcome.ok else stderr).print(line)
    if not result.ok:
        stderr.print(
            f"[bold red]error:[/] the proof of entry {result.seq} does not hold "
            f"({sum(not o.ok for o in result.outcomes)} check(s) failed)"
        )
        raise typer.Exit(1)
    if result.witnesses:
        witnessed = f"countersigned by {', '.join(result.witnesses)}"
    elif result.unchecked:
        witnessed = "no countersignature checked"
    else:
        witnessed = "NOT countersigned: the checkpoint is signed by the log alone"
    console.print(
        f"proof holds: entry {result.seq} is in the log {safe_text(result.origin)} at size "
        f"{result.tree_size}, {safe_text(witnessed)}"
    )
    if result.unchecked:
        console.print(
            f"not checked: the countersignature(s) of {safe_text(', '.join(result.unchecked))} "
            "(give each partner's key with --witness-key to check it)"
        )


def entries_table(title: str, entries: list[AuditEntry]) -> Table:
    """A table of audit entries; hashes shortened to their first 12 hex digits."""
    table = Table(title=safe_text(title))
    for column in ("seq", "at", "actor", "action", "subject", "detail", "hash"):
        # Fold rather than cut: an auditor must see every character of what was logged.
        table.add_column(column, justify="right" if column == "seq" else "left", overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.at,
            safe_text(entry.actor, spelt=True),
            safe_text(entry.action, spelt=True),
            safe_text(entry.subject or "", spelt=True),
            safe_text(entry.detail_json or "", spelt=True),
            entry.entry_hash[:12],
        )
    return table


@user_errors
def alerts(
    node: NodeDir = DEFAULT_NODE,
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest alerts.")] = 1000,
) -> None:
    """Print the alerts witnessing raised, newest first, each with its evidence as kept."""
    from enlace.exchange.witness_status import alert_summary
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            summary = alert_summary(uow, newest=limit)
    finally:
        store.close()
    if not summary.total:
        console.print(f"no audit alert on node {config.party}")
        return
    console.print(f"Audit alerts of node {config.party} ({safe_text(node)}), newest first")
    for alert in summary.newest:
        console.print(alert_block(alert))
    console.print(f"{len(summary.newest)} of {summary.total} alerts shown")


def alert_block(alert: AuditAlert) -> str:
    """One alert as lines: what, whose log, who found it, its message and its evidence as
    kept, every character of which is shown (an auditor compares it with the partner's)."""
    from enlace.exchange.witness_status import alert_kind

    return "\n".join(
        [
            f"[bold red]alert {alert.id}[/] · {safe_text(alert.raised_at)} · "
            f"{safe_text(alert_kind(alert.kind), spelt=True)}",
            f"  whose log: {safe_text(alert.party, spelt=True)} · "
            f"found by: {safe_text(alert.reporter, spelt=True)}",
            f"  message: {safe_text(alert.message, spelt=True)}",
            f"  evidence: {safe_text(alert.evidence, spelt=True)}",
        ]
    )
