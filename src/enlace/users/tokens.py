"""API tokens (tokens de API) for scripts: `Authorization: Bearer <token>`.

A token is shown once, when made; the store keeps its SHA-256 only. Each use and each
refused token is written to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from enlace.model import timestamps
from enlace.store.repositories.users import User
from enlace.store.store import Store
from enlace.store.tables import api_tokens
from enlace.users.accounts import check_username
from enlace.users.authentication import printable
from enlace.users.errors import UserError

TOKEN_PREFIX = "enl_"  # noqa: S105 — not a secret; lets a leaked token be recognised (and searched for) as ours
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as listed: never its secret."""

    id: str
    username: str
    label: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


def api_token_hash(token: str) -> str:
    """SHA-256 (hex) of a token: what the store keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    store: Store, username: str, label: str, *, actor: str = "cli"
) -> tuple[ApiToken, str]:
    """Make a token for `username`; return it and its secret (shown this once only)."""
    name = check_username(username)
    label = label.strip() or "script"
    if len(label) > 64:
        raise UserError(f"token label {label[:80]!r} is too long: at most 64 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        id=secrets.token_hex(6),
        username=name,
        label=label,
        created_at=timestamps.format_timestamp(timestamps.utc_now()),
        last_used_at=None,
        revoked_at=None,
    )
    with store.unit_of_work() as uow:
        user = uow.users.get(name)
        if user is None:
            raise UserError(f"there is no user {username!r} on this node: see 'enlace user list'")
        if user.disabled:
            raise UserError(f"user {name!r} is disabled: enable it before giving it a token")
        uow.connection.execute(
            insert(api_tokens).values(
                id=token.id,
                username=name,
                label=label,
                token_hash=api_token_hash(secret),
                created_at=token.created_at,
            )
        )
        uow.audit.append(
            actor=actor, action="token-create", subject=name, detail={"token": token.id}
        )
        uow.commit()
    return token, secret


def list_tokens(store: Store, username: str | None = None) -> list[ApiToken]:
    """The tokens of `username` (or of everyone), oldest first."""
    query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
    if username is not None:
        query = query.where(api_tokens.c.username == check_username(username))
    with store.unit_of_work() as uow:
        rows = uow.connection.execute(query).all()
    return [
        ApiToken(
            id=row.id,
            username=row.username,
            label=row.label,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )
        for row in rows
    ]


def revoke_token(store: Store, token_id: str, *, actor: str = "cli") -> ApiToken:
    """Revoke a token by its id; it is refused from now on."""
    with store.unit_of_work() as uow:
        row = uow.connection.execute(
            select(api_tokens).where(api_tokens.c.id == token_id.strip())
        ).one_or_none()
        if row is None:
            raise UserError(f"there is no token {token_id!r}: see 'enlace user token --list'")
        now = timestamps.format_timestamp(timestamps.utc_now())
        if row.revoked_at is None:
            uow.connection.execute(
                update(api_tokens).where(api_tokens.c.id == row.id).values(revoked_at=now)
            )
            uow.audit.append(
                actor=actor, action="token-revoke", subject=row.username, detail={"token": row.id}
            )
            uow.commit()
    return next(token for token in list_tokens(store, row.username) if token.id == row.id)


def token_user(store: Store, secret: str, *, path: str, client: str | None) -> User | None:
    """The user a bearer token stands for, or None (unknown, revoked, user disabled).

    Every call is audited: `token-use` naming the token and the path, or `token-failure`.
    """
    now = timestamps.format_timestamp(timestamps.utc_now())
    with store.unit_of_work() as uow:
        row = None
        if secret and len(secret) <= MAX_TOKEN_LENGTH:
            row = uow.connection.execute(
                select(api_tokens).where(api_tokens.c.token_hash == api_token_hash(secret))
            ).one_or_none()
        user = uow.users.get(row.username) if row is not None else None
        log = uow.audit
        if row is None or row.revoked_at is not None or user is None or user.disabled:
            reason = (
                "unknown token"
                if row is None
                else "revoked token"
                if row.revoked_at is not None
                else "user disabled or removed"
            )
            log.append(
                actor="anonymous" if row is None else row.username,
                action="token-failure",
                subject=printable(path),
                detail={"reason": reason, "client": client}
                | ({} if row is None else {"token": row.id}),
            )
            uow.commit()
            return None
        uow.connection.execute(
            update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now)
        )
        log.append(
            actor=user.username,
            action="token-use",
            subject=printable(path),
            detail={"token": row.id, "client": client},
        )
        uow.commit()
        return user
