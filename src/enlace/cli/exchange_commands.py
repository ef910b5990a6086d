"""`enlace partner add|list|invite`, `enlace release`, `enlace revoke` and `enlace sync`: who this node exchanges with, and what."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.cli.terminal import safe_text
from enlace.exchange.taxii.protocol import API_ROOT, collection_id
from enlace.exchange.taxii.protocol import MAX_LIMIT as MAX_PAGE_SIZE
from enlace.node.errors import NodeError

if TYPE_CHECKING:
    from enlace.exchange.witness import WitnessReport

# Imported in the commands: every command's start-up pays for what this module imports.

console = Console(highlight=False, soft_wrap=True)


def build_partner_app() -> typer.Typer:
    """The `enlace partner` sub-command group."""
    partner = command_group(
        "partner",
        "Other parties' nodes this node exchanges with.",
    )
    partner.command("add")(add)
    partner.command("list")(list_partners)
    partner.command("invite")(invite)
    return partner


@user_errors
def add(
    party: Annotated[str, typer.Option(help="The partner's party code, e.g. US.")],
    url: Annotated[str, typer.Option(help="The partner node's base URL.")],
    key: Annotated[str, typer.Option(help="The partner's Ed25519 public key (64 hex digits).")],
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the bearer token the partner will present (only its hash is "
            "stored). Optional: 'enlace partner invite' can make one instead.",
            dir_okay=False,
        ),
    ] = None,
    outbound_token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the token THIS node presents to the partner (its invite); it "
            "is copied into the node's key folder, mode 600.",
            dir_okay=False,
        ),
    ] = None,
    tls_ca: Annotated[
        Path | None,
        typer.Option(
            help="PEM certificate(s) to trust for the partner's https URL (its private CA or "
            "its self-signed certificate); copied into the node's key folder. Without it, "
            "the system's CAs are trusted.",
            dir_okay=False,
        ),
    ] = None,
    plain_http: Annotated[
        bool,
        typer.Option(
            "--plain-http",
            help="Allow an http:// URL on another machine (tokens and records cross the "
            "network unencrypted).",
        ),
    ] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Register (or update) a partner: its URL, public key, TLS trust and the tokens used."""
    from enlace.node.setup import open_node
    from enlace.partners.registration import register_partner

    config, store = open_node(node)
    try:
        done = register_partner(
            store,
            config,
            party=party,
            url=url,
            key=key,
            token_file=token_file,
            outbound_token_file=outbound_token_file,
            tls_ca=tls_ca,
            plain_http=plain_http,
            actor="cli",
        )
    finally:
        store.close()
    code = done.party
    console.print(f"partner {code} {done.outcome}: {safe_text(url)}")
    console.print(
        f"  its collection here: /{API_ROOT}/collections/{collection_id(config.party, code)}/"
    )
    if outbound_token_file is not None:
        console.print(f"  the token this node presents to {code} is kept in the node's key folder")
    if tls_ca is not None:
        console.print(
            f"  {code}'s https certificate is verified with {safe_text(str(tls_ca))} (copied)"
        )
    if not done.can_pull:
        console.print(
            f"  {code} cannot pull from this node yet: run 'enlace partner invite --party {code}'"
        )


@user_errors
def invite(
    party: Annotated[str, typer.Option(help="The registered partner's party code, e.g. US.")],
    token_out: Annotated[
        Path,
        typer.Option(
            help="Where to write the new token for the partner (mode 600); send it to the "
            "partner over a secure channel, then delete it.",
            dir_okay=False,
        ),
    ],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Make a new token for a registered partner to pull from this node (replaces the old)."""
    from enlace.node.keys import public_key_hex
    from enlace.node.setup import open_node
    from enlace.partners.registration import invite_partner

    config, store = open_node(node)
    try:
        code = invite_partner(store, party=party, token_out=token_out, actor="cli")
    finally:
        store.close()
    public_key = public_key_hex(config.key_dir)
    console.print(f"token for {code} written to {safe_text(str(token_out))} (mode 600)")
    console.print(f"{code} registers this node with:")
    console.print(
        f"  enlace partner add --party {config.party} --url <this node's URL, where 'enlace "
        f"serve' listens> --key {public_key} --outbound-token-file <the token file>"
    )
    console.print(
        "  if this node's certificate comes from a private CA or is self-signed, send that "
        "CA's certificate too: the partner adds --tls-ca <the CA file>"
    )


@user_errors
def list_partners(node: NodeDir = DEFAULT_NODE) -> None:
    """Print the registered partners and how many versions were released to each."""
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            partners = uow.partners.all()
            counts = {p.party: uow.releases.count(p.party) for p in partners}
    finally:
        store.close()
    table = Table(title=f"Partners of node {config.party}")
    for column in ("party", "url", "public key", "collection", "released", "added"):
        table.add_column(column, overflow="fold")
    for p in partners:
        table.add_row(
            safe_text(p.party),
            safe_text(p.url),
            safe_text(p.verify_key_hex),
            collection_id(config.party, p.party),
            str(counts[p.party]),
            safe_text(p.added_at),
        )
    console.print(table)


@user_errors
def release(
    partner: Annotated[str, typer.Option(help="The partner's party code, e.g. US.")],
    record_ids: Annotated[
        list[str] | None, typer.Argument(help="Record ids to release (newest version).")
    ] = None,
    all_allowed: Annotated[
        bool, typer.Option("--all", help="Release every owned record its markings allow.")
    ] = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="With --all on a PostgreSQL node: one job per batch of 1,000 records on "
            "the node's queue, run by its 'enlace worker' processes; waits for them.",
        ),
    ] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Release records to a partner (signed): only owned ones its markings allow."""
    from enlace.exchange.release import (
        ReleaseRefused,
        release_everything_allowed,
        release_records,
    )
    from enlace.model.parties import party_code
    from enlace.node.keys import load_signing_key
    from enlace.node.setup import open_node

    if all_allowed == bool(record_ids):
        raise NodeError("give either --all or one or more record ids")
    if queue and not all_allowed:
        raise NodeError("--queue is for --all: a few records are released in this process")
    code = party_code(partner)
    config, store = open_node(node)
    refused = 0
    try:
        key = load_signing_key(config.key_dir)
        if queue:
            from enlace.jobs.queue import queue_conninfo
            from enlace.jobs.release import release_by_workers

            queue_conninfo(config.store_url)  # a SQLite node: refused before anything is done
            queued = release_by_workers(
                store,
                store_url=config.store_url,
                partner=code,
                actor="cli",
                queued=lambda jobs: console.print(
                    f"{jobs} batch job(s) queued; waiting for the node's workers (enlace worker)"
                ),
            )
            released = queued.released
        elif all_allowed:
            released = release_everything_allowed(store, partner=code, signing_key=key, actor="cli")
        else:
            outcome = release_records(
                store, record_ids=record_ids or [], partner=code, signing_key=key, actor="cli"
            )
            released, refused = outcome.released, len(outcome.refused)
            for refusal in outcome.refused:
                stderr.print(f"[bold red]refused:[/] {safe_text(refusal, lines=True)}")
    except ReleaseRefused as error:
        raise NodeError(str(error)) from None
    finally:
        store.close()
    console.print(f"{released} record version(s) newly released to {code}")
    if refused:
        raise typer.Exit(1)


@user_errors
def revoke(
    record_id: Annotated[str, typer.Argument(help="The id of a record this node owns.")],
    reason: Annotated[
        str,
        typer.Option(
            help="Why: withdrawn, erroneous, releasability-changed or legal-order "
            "(sent in the tombstone)."
        ),
    ] = "withdrawn",
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Revoke a record this node owns; a signed tombstone (no content) goes to every party
    that had it."""
    from enlace.exchange.revocation import RevocationRefused, revoke_owned_record
    from enlace.node.keys import load_signing_key
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        key = load_signing_key(config.key_dir)
        sent = revoke_owned_record(
            store, record_id=record_id, signing_key=key, actor="cli", reason=reason
        )
    except RevocationRefused as error:
        raise NodeError(str(error)) from None
    finally:
        store.close()
    console.print(f"record {safe_text(record_id)} revoked")
    console.print(f"  its tombstone (no content) was newly sent to {sent} party(ies)")


@user_errors
def consent(
    record_id: Annotated[str, typer.Argument(help="The id of a record this node owns.")],
    holder: Annotated[str, typer.Option(help="The partner that holds it, e.g. US.")],
    to: Annotated[str, typer.Option("--to", help="The party it may pass it on to, e.g. CA.")],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Consent (signed) that a partner pass the newest version of a record on to a third party."""
    from enlace.exchange.consent import ConsentRefused, consent_to_onward_release
    from enlace.model.parties import party_code
    from enlace.node.keys import load_signing_key
    from enlace.node.setup import open_node

    holder_code, recipient = party_code(holder, field="--holder"), party_code(to, field="--to")
    config, store = open_node(node)
    try:
        key = load_signing_key(config.key_dir)
        new = consent_to_onward_release(
            store,
            record_id=record_id,
            holder=holder_code,
            recipient=recipient,
            signing_key=key,
            actor="cli",
        )
    except ConsentRefused as error:
        raise NodeError(str(error)) from None
    finally:
        store.close()
    said = "consent sent" if new else "that consent was already given"
    console.print(
        f"{said}: {holder_code} may pass record {safe_text(record_id)} on to {recipient} "
        "(it goes to them at their next sync)"
    )


@user_errors
def sync(
    partner: Annotated[str, typer.Argument(help="The partner to pull from, e.g. US.")],
    page_size: Annotated[
        int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="Versions asked for per page.")
    ] = MAX_PAGE_SIZE,
    from_start: Annotated[
        bool,
        typer.Option(
            "--from-start",
            help="Read the partner's collection again from its first page (versions held are "
            "skipped; objects refused before are checked again). Audited.",
        ),
    ] = False,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Pull what a partner released to this node since the last sync, verified, page by page."""
    from enlace.exchange.sync_client import sync_node_partner
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node
    from enlace.tracking.indicators.snapshot import refresh_indicators

    code = party_code(partner)
    config, store = open_node(node)
    try:
        report = sync_node_partner(
            store, config.key_dir, code, page_size=page_size, actor="cli", from_start=from_start
        )
        if report.received or report.revoked:
            refresh_indicators(store, today=date.today())  # the pages find them ready
    finally:
        store.close()
    console.print(f"sync from {code}: {report.pages} page(s)")
    console.print(f"  received:     {report.received}")
    console.print(f"  already held: {report.already_held}")
    console.print(f"  refused:      {report.refused_total}")
    for reason, count in sorted(report.refused.items()):
        console.print(f"    {reason}: {count}")
    if report.refused_total:
        console.print("  refusals are in the audit log ('enlace audit show'), action 'refusal'")
    if report.revoked:
        console.print(f"  revocations:  {report.revoked} (held as revoked, content kept)")
    if report.filled:
        console.print(f"  gaps filled:  {report.filled}")
    console.print(f"  sequence:     verified up to {report.sequence} of {report.highest} released")
    if report.not_held_total:
        stderr.print(
            f"[bold yellow]WARNING:[/] {report.not_held_total} item(s) {code} released to this "
            "node are not held: "
            + ", ".join(f"{n} {why}" for why, n in sorted(report.not_held.items()))
            + " (asked for again at each sync; audited as 'sequence-gap')"
        )
    _print_witnessing(report.witness)


def _print_witnessing(witness: WitnessReport | None) -> None:
    # The audit logs' witnessing (issue 13): an alert is what an officer must act on.
    if witness is None:
        return
    if witness.witnessed is not None:
        console.print(
            f"  audit:        countersigned {witness.partner}'s log at {witness.witnessed} entries"
        )
    if witness.cosigned is not None:
        console.print(
            f"  audit:        {witness.partner} countersigned this node's log at {witness.cosigned} entries"
        )
    if witness.problem:
        stderr.print(
            f"[bold yellow]WARNING:[/] audit not witnessed this time: {safe_text(witness.problem)}"
        )
    for alert in witness.alerts:
        stderr.print(f"[bold red]AUDIT ALERT:[/] {safe_text(alert)}")
    if witness.alerts:
        stderr.print("  the evidence is kept: 'enlace status' lists the alerts")
