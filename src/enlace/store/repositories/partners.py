"""Registered partners: other parties' nodes, their public keys and the hash of their token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Row, insert, select, update

from enlace.store.tables import partners


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a bearer token: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Partner:
    """Another party's node as registered here."""

    party: str
    url: str
    verify_key_hex: str
    token_hash: str
    added_at: str


class PartnerRepository:
    """The partners table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def put(
        self, *, party: str, url: str, verify_key_hex: str, token_hash: str, added_at: str
    ) -> Literal["added", "updated", "unchanged"]:
        """Register a partner, or replace its URL, key and token hash."""
        existing = self.get(party)
        if existing is None:
            self._connection.execute(
                insert(partners).values(
                    party=party,
                    url=url,
                    verify_key_hex=verify_key_hex,
                    token_hash=token_hash,
                    added_at=added_at,
                )
            )
            return "added"
        if (existing.url, existing.verify_key_hex, existing.token_hash) == (
            url,
            verify_key_hex,
            token_hash,
        ):
            return "unchanged"
        self._connection.execute(
            update(partners)
            .where(partners.c.party == party)
            .values(url=url, verify_key_hex=verify_key_hex, token_hash=token_hash)
        )
        return "updated"

    def get(self, party: str) -> Partner | None:
        """The partner of that party code, or None."""
        row = self._connection.execute(select(partners).where(partners.c.party == party)).first()
        return _partner(row) if row else None

    def by_token_hash(self, digest: str) -> Partner | None:
        """The partner whose token hashes to `digest`, or None."""
        row = self._connection.execute(
            select(partners).where(partners.c.token_hash == digest).order_by(partners.c.party)
        ).first()
        return _partner(row) if row else None

    def all(self) -> list[Partner]:
        """Every registered partner, by party code."""
        rows = self._connection.execute(select(partners).order_by(partners.c.party))
        return [_partner(row) for row in rows]


def _partner(row: Row[Any]) -> Partner:
    return Partner(
        party=row.party,
        url=row.url,
        verify_key_hex=row.verify_key_hex,
        token_hash=row.token_hash,
        added_at=row.added_at,
    )
