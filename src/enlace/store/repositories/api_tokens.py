"""API tokens as stored: the api_tokens table (the SHA-256 of each token, never the token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from enlace.store.tables import api_tokens


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as listed: never its secret."""

    id: str
    username: str
    label: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class ApiTokenRepository:
    """The api_tokens table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, token: ApiToken, token_hash: str) -> None:
        """Store a new token under the SHA-256 (hex) of its secret."""
        self._connection.execute(
            insert(api_tokens).values(
                id=token.id,
                username=token.username,
                label=token.label,
                token_hash=token_hash,
                created_at=token.created_at,
                last_used_at=token.last_used_at,
                revoked_at=token.revoked_at,
            )
        )

    def get(self, token_id: str) -> ApiToken | None:
        """The token with this id, or None."""
        row = self._connection.execute(
            select(api_tokens).where(api_tokens.c.id == token_id)
        ).one_or_none()
        return None if row is None else _token(row)

    def by_hash(self, token_hash: str) -> ApiToken | None:
        """The token whose secret has this SHA-256 (hex), or None."""
        row = self._connection.execute(
            select(api_tokens).where(api_tokens.c.token_hash == token_hash)
        ).one_or_none()
        return None if row is None else _token(row)

    def all(self, username: str | None = None) -> list[ApiToken]:
        """The tokens of `username` (or of everyone), oldest first (then by id)."""
        query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
        if username is not None:
            query = query.where(api_tokens.c.username == username)
        return [_token(row) for row in self._connection.execute(query)]

    def mark_used(self, token_id: str, at: str) -> None:
        """Record that the token was used at `at`."""
        self._connection.execute(
            update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at)
        )

    def revoke(self, token_id: str, at: str) -> None:
        """Record that the token was revoked at `at`: it is refused from then on."""
        self._connection.execute(
            update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=at)
        )


def _token(row: Row[Any]) -> ApiToken:
    return ApiToken(
        id=row.id,
        username=row.username,
        label=row.label,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
