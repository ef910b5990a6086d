"""`enlace partner add|list|invite`, `enlace release`, `enlace revoke` and `enlace sync`: who this node exchanges with, and what."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from enlace.cli.errors import stderr, user_errors
from enlace.cli.options import DEFAULT_NODE, NodeDir, command_group
from enlace.exchange.taxii.protocol import API_ROOT, collection_id
from enlace.exchange.taxii.protocol import MAX_LIMIT as MAX_PAGE_SIZE
from enlace.node.errors import NodeError

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
    from nacl.encoding import HexEncoder
    from nacl.exceptions import CryptoError
    from nacl.signing import VerifyKey

    from enlace.exchange.agencies import share_agencies_with
    from enlace.exchange.credentials import new_token, read_token_file, write_outbound_token
    from enlace.exchange.transport import check_certificates, write_partner_trust
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node
    from enlace.store.repositories.partners import token_hash

    code = party_code(party)
    key_hex = key.strip().lower()
    try:
        VerifyKey(key_hex.encode("ascii"), encoder=HexEncoder)
        if len(key_hex) != 64:
            raise ValueError
    except (CryptoError, ValueError, UnicodeEncodeError, TypeError):
        raise NodeError(f"--key {key!r} is not an Ed25519 public key (64 hex digits)") from None
    _check_partner_url(url, tls_ca=tls_ca, plain_http=plain_http)
    if tls_ca is not None:
        check_certificates(tls_ca, "--tls-ca")  # before anything is written
    inbound = read_token_file(token_file) if token_file is not None else None
    outbound = read_token_file(outbound_token_file) if outbound_token_file is not None else None
    config, store = open_node(node)
    if code == config.party:
        raise NodeError(f"{code} is this node's own party, not a partner")
    try:
        with store.unit_of_work() as uow:
            repo = uow.partners
            existing = repo.get(code)
            if inbound is not None:
                digest = token_hash(inbound)
            elif existing is not None:
                digest = existing.token_hash
            else:
                # No token yet: a hash of a random token nobody holds, so nothing matches it
                # until 'enlace partner invite' makes the real one.
                digest = token_hash(new_token())
            outcome = repo.put(
                party=code,
                url=url,
                verify_key_hex=key_hex,
                token_hash=digest,
                added_at=uow.started_at,
            )
            if outcome != "unchanged":
                uow.audit.append(
                    actor="cli",
                    action=f"partner-{outcome}",
                    subject=code,
                    detail={"url": url, "verify_key": key_hex},
                )
            shared = share_agencies_with(uow, party=config.party, partner=code)
            if shared:
                uow.audit.append(
                    actor="cli", action="agencies-shared", subject=code, detail={"count": shared}
                )
            if outbound is not None:
                # Written before the commit: a failure here leaves the registration unwritten.
                write_outbound_token(config.key_dir, code, outbound)
                uow.audit.append(actor="cli", action="outbound-token-set", subject=code, detail={})
            if tls_ca is not None:
                fingerprint = write_partner_trust(config.key_dir, code, tls_ca)
                uow.audit.append(
                    actor="cli",
                    action="tls-ca-set",
                    subject=code,
                    detail={"sha256": fingerprint},
                )
            uow.commit()
    finally:
        store.close()
    console.print(f"partner {code} {outcome}: {escape(url)}")
    console.print(
        f"  its collection here: /{API_ROOT}/collections/{collection_id(config.party, code)}/"
    )
    if outbound is not None:
        console.print(f"  the token this node presents to {code} is kept in the node's key folder")
    if tls_ca is not None:
        console.print(
            f"  {code}'s https certificate is verified with {escape(str(tls_ca))} (copied)"
        )
    if inbound is None and existing is None:
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
    from enlace.exchange.credentials import new_token, write_secret
    from enlace.model.parties import party_code
    from enlace.node.keys import public_key_hex
    from enlace.node.setup import open_node
    from enlace.store.repositories.partners import token_hash

    code = party_code(party)
    config, store = open_node(node)
    token = new_token()
    try:
        with store.unit_of_work() as uow:
            repo = uow.partners
            existing = repo.get(code)
            if existing is None:
                raise NodeError(
                    f"{code} is not a registered partner: run 'enlace partner add --party {code} "
                    "--url URL --key HEX' first, then invite it"
                )
            repo.put(
                party=code,
                url=existing.url,
                verify_key_hex=existing.verify_key_hex,
                token_hash=token_hash(token),
                added_at=existing.added_at,
            )
            uow.audit.append(actor="cli", action="partner-invited", subject=code, detail={})
            # The file first: if it cannot be written, the old token stays valid.
            write_secret(token_out, token)
            uow.commit()
    finally:
        store.close()
    public_key = public_key_hex(config.key_dir)
    console.print(f"token for {code} written to {escape(str(token_out))} (mode 600)")
    console.print(f"{code} registers this node with:")
    console.print(
        f"  enlace partner add --party {config.party} --url <this node's URL, where 'enlace "
        f"serve' listens> --key {public_key} --outbound-token-file <the token file>"
    )
    console.print(
        "  if this node's certificate comes from a private CA or is self-signed, send that "
        "CA's certificate too: the partner adds --tls-ca <the CA file>"
    )


def _check_partner_url(url: str, *, tls_ca: Path | None, plain_http: bool) -> None:
    """Refuse a partner URL that would send tokens and records in clear over the network."""
    from urllib.parse import urlsplit

    from enlace.exchange.transport import is_loopback

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NodeError(f"--url {url!r} is not an http(s) URL, e.g. https://us-node.example")
    if parts.scheme == "http" and tls_ca is not None:
        raise NodeError(f"--tls-ca is for an https:// URL; --url {url!r} is plain http")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not plain_http:
        raise NodeError(
            f"--url {url!r} is plain http to another machine: the tokens and records would "
            "cross the network unencrypted; use the partner's https:// URL (with --tls-ca "
            "for a private CA), or give --plain-http to accept that"
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
    from enlace.exchange.release import ReleaseRefused, release_all_allowed, release_record
    from enlace.model.parties import party_code
    from enlace.node.keys import load_signing_key
    from enlace.node.setup import open_node

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


@user_errors
def revoke(
    record_id: Annotated[str, typer.Argument(help="The id of a record this node owns.")],
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Revoke a record this node owns; the revocation goes (signed) to every partner that had it."""
    from enlace.exchange.revocation import RevocationRefused, revoke_record
    from enlace.node.keys import load_signing_key
    from enlace.node.setup import open_node

    config, store = open_node(node)
    try:
        key = load_signing_key(config.key_dir)
        with store.unit_of_work() as uow:
            sent = revoke_record(uow, record_id=record_id, signing_key=key, actor="cli")
            uow.commit()
    except RevocationRefused as error:
        raise NodeError(str(error)) from None
    finally:
        store.close()
    console.print(f"record {escape(record_id)} revoked")
    console.print(f"  the revocation was newly released to {sent} partner(s)")


@user_errors
def sync(
    partner: Annotated[str, typer.Argument(help="The partner to pull from, e.g. US.")],
    page_size: Annotated[
        int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="Versions asked for per page.")
    ] = MAX_PAGE_SIZE,
    node: NodeDir = DEFAULT_NODE,
) -> None:
    """Pull what a partner released to this node since the last sync, verified, page by page."""
    from enlace.exchange.sync_client import sync_node_partner
    from enlace.model.parties import party_code
    from enlace.node.setup import open_node

    code = party_code(partner)
    config, store = open_node(node)
    try:
        report = sync_node_partner(store, config.key_dir, code, page_size=page_size, actor="cli")
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
