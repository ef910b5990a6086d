"""Registering partners (registro de contrapartes): who this node exchanges with, and how.

Use cases: `register_partner` (`enlace partner add`) and `invite_partner` (`enlace partner
invite`). Each checks what it was given before anything is written, then writes the partner,
its audit entries and any file in the node's key folder in one unit of work: a file that
cannot be written leaves the registration unwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from nacl.encoding import HexEncoder
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from enlace.model.parties import party_code
from enlace.node.config import NodeConfig
from enlace.node.errors import NodeError
from enlace.partners.agencies import share_agencies_with
from enlace.partners.credentials import (
    new_token,
    read_token_file,
    write_outbound_token,
    write_secret,
)
from enlace.partners.registry import registered_partner
from enlace.partners.transport import check_certificates, is_loopback, write_partner_trust
from enlace.store.repositories.partners import token_hash
from enlace.store.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Registration:
    """What `register_partner` did, for the person who asked."""

    party: str
    outcome: str  # added, updated or unchanged
    can_pull: bool  # the partner holds a token accepted here


def register_partner(
    store: UnitOfWorkFactory,
    config: NodeConfig,
    *,
    party: str,
    url: str,
    key: str,
    token_file: Path | None,
    outbound_token_file: Path | None,
    tls_ca: Path | None,
    plain_http: bool,
    actor: str,
) -> Registration:
    """Use case: register (or update) a partner — its URL, public key, TLS trust and tokens.

    `token_file` holds the token the partner presents here (only its hash is kept);
    `outbound_token_file` the one this node presents to it (kept in the key folder). Without
    an inbound token a new partner cannot pull until `invite_partner` makes one.
    NodeError, with nothing written, for a bad key, URL, token or certificate file.
    """
    code = party_code(party)
    key_hex = verify_key_hex(key)
    check_partner_url(url, tls_ca=tls_ca, plain_http=plain_http)
    if tls_ca is not None:
        check_certificates(tls_ca, "--tls-ca")  # before anything is written
    inbound_token = read_token_file(token_file) if token_file is not None else None
    outbound_token = read_token_file(outbound_token_file) if outbound_token_file else None
    if code == config.party:
        raise NodeError(f"{code} is this node's own party, not a partner")
    with store.unit_of_work() as uow:
        existing = uow.partners.get(code)
        if inbound_token is not None:
            digest = token_hash(inbound_token)
        elif existing is not None:
            digest = existing.token_hash
        else:
            # No token yet: a hash of a random token nobody holds, so nothing matches it
            # until 'enlace partner invite' makes the real one.
            digest = token_hash(new_token())
        outcome = uow.partners.put(
            party=code, url=url, verify_key_hex=key_hex, token_hash=digest, added_at=uow.started_at
        )
        if outcome != "unchanged":
            uow.audit.append(
                actor=actor,
                action=f"partner-{outcome}",
                subject=code,
                detail={"url": url, "verify_key": key_hex},
            )
        shared = share_agencies_with(uow, party=config.party, partner=code)
        if shared:
            uow.audit.append(
                actor=actor, action="agencies-shared", subject=code, detail={"count": shared}
            )
        if outbound_token is not None:
            # Written before the commit: a failure here leaves the registration unwritten.
            write_outbound_token(config.key_dir, code, outbound_token)
            uow.audit.append(actor=actor, action="outbound-token-set", subject=code, detail={})
        if tls_ca is not None:
            fingerprint = write_partner_trust(config.key_dir, code, tls_ca)
            uow.audit.append(
                actor=actor, action="tls-ca-set", subject=code, detail={"sha256": fingerprint}
            )
        uow.commit()
    return Registration(code, outcome, inbound_token is not None or existing is not None)


def invite_partner(store: UnitOfWorkFactory, *, party: str, token_out: Path, actor: str) -> str:
    """Use case: a new token for a registered partner to pull with, written to `token_out`
    (mode 600); the old token stops working. Returns the partner's party code; NotAPartner
    when `party` is not registered (add it first, then invite it)."""
    code = party_code(party)
    token = new_token()
    with store.unit_of_work() as uow:
        existing = registered_partner(uow, code)
        uow.partners.put(
            party=code,
            url=existing.url,
            verify_key_hex=existing.verify_key_hex,
            token_hash=token_hash(token),
            added_at=existing.added_at,
        )
        uow.audit.append(actor=actor, action="partner-invited", subject=code, detail={})
        # The file first: if it cannot be written, the old token stays valid.
        write_secret(token_out, token)
        uow.commit()
    return code


def verify_key_hex(key: str) -> str:
    """`key` as 64 lower-case hex digits of an Ed25519 public key; NodeError otherwise."""
    key_hex = key.strip().lower()
    try:
        VerifyKey(key_hex.encode("ascii"), encoder=HexEncoder)
        if len(key_hex) != 64:
            raise ValueError
    except (CryptoError, ValueError, UnicodeEncodeError, TypeError):
        raise NodeError(f"--key {key!r} is not an Ed25519 public key (64 hex digits)") from None
    return key_hex


def check_partner_url(url: str, *, tls_ca: Path | None, plain_http: bool) -> None:
    """Refuse a partner URL that would send tokens and records in clear over the network."""
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
