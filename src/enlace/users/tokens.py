"""API tokens (tokens de API) for scripts: `Authorization: Bearer <token>`.

A token is shown once, when made; the store keeps its SHA-256 only. Each use and each
refused token of a known user is written to the audit log; a token nobody holds is counted
with the other refused anonymous requests (`enlace.users.refused_requests`).
"""

from __future__ import annotations

import hashlib
import secrets

from enlace.model import timestamps
from enlace.model.text import printable
from enlace.store.repositories.api_tokens import ApiToken
from enlace.store.repositories.users import User
from enlace.store.unit_of_work import UnitOfWorkFactory
from enlace.users.accounts import check_username
from enlace.users.errors import UserError
from enlace.users.refused_requests import WEB_API_TOKEN, count_refused_request

TOKEN_PREFIX = "enl_"  # noqa: S105 — not a secret; lets a leaked token be recognised (and searched for) as ours
MAX_TOKEN_LENGTH = 128


def api_token_hash(token: str) -> str:
    """SHA-256 (hex) of a token: what the store keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    store: UnitOfWorkFactory, username: str, label: str, *, actor: str = "cli"
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
        uow.api_tokens.add(token, api_token_hash(secret))
        uow.audit.append(
            actor=actor, action="token-create", subject=name, detail={"token": token.id}
        )
        uow.commit()
    return token, secret


def list_tokens(store: UnitOfWorkFactory, username: str | None = None) -> list[ApiToken]:
    """The tokens of `username` (or of everyone), oldest first."""
    name = None if username is None else check_username(username)
    with store.unit_of_work() as uow:
        return uow.api_tokens.all(name)


def revoke_token(store: UnitOfWorkFactory, token_id: str, *, actor: str = "cli") -> ApiToken:
    """Revoke a token by its id; it is refused from now on."""
    with store.unit_of_work() as uow:
        row = uow.api_tokens.get(token_id.strip())
        if row is None:
            raise UserError(f"there is no token {token_id!r}: see 'enlace user token --list'")
        now = timestamps.format_timestamp(timestamps.utc_now())
        if row.revoked_at is None:
            uow.api_tokens.revoke(row.id, now)
            uow.audit.append(
                actor=actor, action="token-revoke", subject=row.username, detail={"token": row.id}
            )
            uow.commit()
        revoked = uow.api_tokens.get(row.id)
    assert revoked is not None
    return revoked


def token_user(
    store: UnitOfWorkFactory, secret: str, *, path: str, client: str | None
) -> User | None:
    """The user a bearer token stands for, or None (unknown, revoked, user disabled).

    Every call is audited: `token-use` naming the token and the path, or `token-failure`
    for a revoked token or one of a disabled user; a token nobody holds is counted as a
    refused request (one "refused-requests" entry per minute and client address).
    """
    now = timestamps.format_timestamp(timestamps.utc_now())
    with store.unit_of_work() as uow:
        row = None
        if secret and len(secret) <= MAX_TOKEN_LENGTH:
            row = uow.api_tokens.by_hash(api_token_hash(secret))
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
            if row is None:
                # Nobody known: counted, not an entry each (enlace.users.refused_requests).
                count_refused_request(
                    uow, source=client, reason=f"{WEB_API_TOKEN}: {reason}", target=path
                )
            else:
                log.append(
                    actor=row.username,
                    action="token-failure",
                    subject=printable(path),
                    detail={"reason": reason, "client": client, "token": row.id},
                )
            uow.commit()
            return None
        uow.api_tokens.mark_used(row.id, now)
        log.append(
            actor=user.username,
            action="token-use",
            subject=printable(path),
            detail={"token": row.id, "client": client},
        )
        uow.commit()
        return user
