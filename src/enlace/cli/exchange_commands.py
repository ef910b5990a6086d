"""`enlace partner add|list` and `enlace release`: who this node exchanges with, and what."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from nacl.encoding import HexEncoder
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from enlace.audit.log import AuditLog
from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir
from enlace.exchange.partners import PartnerRepository, token_hash
from enlace.exchange.release import ReleaseRefused, release_all_allowed, release_record
from enlace.exchange.releases import ReleaseRepository
from enlace.exchange.taxii.app import API_ROOT, collection_id
from enlace.model.parties import party_code
from enlace.node.errors import NodeError
from enlace.node.keys import load_signing_key
from enlace.node.setup import open_node

console = Console(highlight=False, soft_wrap=True)


def build_partner_app() -> typer.Typer:
    """The `enlace partner` sub-command group."""
    partner = typer.Typer(
        name="partner",
        help="Other parties' nodes this node exchanges with.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    partner.command("add")(add)
    partner.command("list")(list_partners)
    return partner


@user_errors
def add(
    party: Annotated[str, typer.Option(help="The partner's party code, e.g. US.")],
    url: Annotated[str, typer.Option(help="The partner node's base URL.")],
    key: Annotated[str, typer.Option(help="The partner's Ed25519 public key (64 hex digits).")],
    token_file: Annotated[
        Path,
        typer.Option(
            help="File holding the bearer token the partner will present (only its hash is "
            "stored).",
            dir_okay=False,
        ),
    ],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Register (or update) a partner: its URL, public key and the hash of its token."""
    code = party_code(party)
    key_hex = key.strip().lower()
    try:
        VerifyKey(key_hex.encode("ascii"), encoder=HexEncoder)
        if len(key_hex) != 64:
            raise ValueError
    except (CryptoError, ValueError, UnicodeEncodeError, TypeError):
        raise NodeError(f"--key {key!r} is not an Ed25519 public key (64 hex digits)") from None
    token = token_file.read_text(encoding="utf-8").strip()
    if len(token) < 16:
        raise NodeError(f"{token_file}: the token must be at least 16 characters")
    config, store = open_node(node)
    if code == config.party:
        raise NodeError(f"{code} is this node's own party, not a partner")
    try:
        with store.unit_of_work() as uow:
            outcome = PartnerRepository(uow.connection).put(
                party=code,
                url=url,
                verify_key_hex=key_hex,
                token_hash=token_hash(token),
                added_at=uow.started_at,
            )
            if outcome != "unchanged":
                AuditLog(uow.connection).append(
                    actor="cli",
                    action=f"partner-{outcome}",
                    subject=code,
                    detail={"url": url, "verify_key": key_hex},
                )
            uow.commit()
    finally:
        store.close()
    console.print(f"partner {code} {outcome}: {escape(url)}")
    console.print(
        f"  its collection here: /{API_ROOT}/collections/{collection_id(config.party, code)}/"
    )


@user_errors
def list_partners(node: NodeDir = DEFAULT_NODE) -> None:
    """Print the registered partners and how many versions were released to each."""
    config, store = open_node(node)
    try:
        with store.unit_of_work() as uow:
            partners = PartnerRepository(uow.connection).all()
            counts = {p.party: ReleaseRepository(uow.connection).count(p.party) for p in partners}
    finally:
        store.close()
    table = Table(title=f"Partners of node {config.party}")
    for column in ("party", "url", "public key", "collection", "released", "added"):
        table.add_column(column, overflow="fold")
    for p in partners:
        table.add_row(
            p.party,
            escape(p.url),
            p.verify_key_hex,
            collection_id(config.party, p.party),
            str(counts[p.party]),
            p.added_at,
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
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Release records to a partner (signed): only owned ones its markings allow."""
    if all_allowed == bool(record_ids):
        raise NodeError("give either --all or one or more record ids")
    code = party_code(partner)
    config, store = open_node(node)
    refused = 0
    released = 0
    try:
        key = load_signing_key(config.key_dir)
        if all_allowed:
            with store.unit_of_work() as uow:
                released = release_all_allowed(uow, partner=code, signing_key=key, actor="cli")
                uow.commit()
        for record_id in record_ids or []:
            # One unit of work per record: a refusal is committed as evidence on its own.
            with store.unit_of_work() as uow:
                try:
                    released += release_record(
                        uow, record_id=record_id, partner=code, signing_key=key, actor="cli"
                    )
                    uow.commit()
                except ReleaseRefused as error:
                    refused += 1
                    stderr.print(f"[bold red]refused:[/] {escape(str(error))}")
    except ReleaseRefused as error:
        raise NodeError(str(error)) from None
    finally:
        store.close()
    console.print(f"{released} record version(s) newly released to {code}")
    if refused:
        raise typer.Exit(1)
