"""Checking a username and password (inicio de sesión), slowing down whoever guesses.

Failures are counted per username and per client address. After `free_failures` in a row
(`client_free_failures` for an address, which many people behind one proxy may share) the
key is blocked for `first_block`, doubling with each further failure up to `longest_block`; while blocked no password is even checked. A success clears the count
of that username and that address. A failure for an existing account is audited
("login-failure"); a failure for a username no account has, and an attempt while blocked,
are counted with the other refused anonymous requests (`enlace.users.refused_requests`: one
"refused-requests" entry per minute and client address), so guessing cannot flood the log.

A success also records whether the password meets today's password rules
(`User.password_meets_policy`): an account with a weak password still signs in, and
`enlace user list` names it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from enlace.model import timestamps
from enlace.model.text import printable
from enlace.store.repositories.login_failures import LoginFailure, LoginFailureRepository
from enlace.store.repositories.users import User
from enlace.store.unit_of_work import UnitOfWorkFactory
from enlace.users.accounts import USERNAME_PATTERN as _USERNAME
from enlace.users.passwords import hash_password, meets_policy, needs_rehash, verify_password
from enlace.users.refused_requests import (
    SIGN_IN_BLOCKED,
    SIGN_IN_UNKNOWN,
    count_refused_request,
)

_MAX_USERNAME = 64


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How repeated failed logins are slowed down."""

    free_failures: int = 5  # per username
    client_free_failures: int = 20  # per client address: many people may share one (a proxy)
    first_block: timedelta = timedelta(seconds=30)
    longest_block: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)  # a failure this old no longer counts


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What a login attempt came to: the user, or why not (and until when, if blocked)."""

    user: User | None
    refusal: Literal["wrong", "blocked"] | None = None
    retry_after_seconds: int = 0


def authenticate(
    store: UnitOfWorkFactory,
    username: str,
    password: str,
    *,
    client: str | None,
    policy: ThrottlePolicy | None = None,
) -> LoginOutcome:
    """Check `username` and `password`; a wrong username, a wrong password and a disabled
    account all answer "wrong" (nobody learns which accounts exist)."""
    policy = policy or ThrottlePolicy()
    # What was typed, made safe to store and show: a NUL or other control character
    # (PostgreSQL refuses NUL in text) is written escaped, e.g. "ana\\x00".
    name = printable(username.strip().lower()[:_MAX_USERNAME])
    well_formed = _USERNAME.fullmatch(name) is not None
    keys = [f"user:{name}"] + ([f"client:{client}"] if client else [])
    now = timestamps.utc_now()
    with store.unit_of_work() as uow:
        blocked = _blocked_for(uow.login_failures, keys, now)
        if blocked:
            # Costs the caller nothing (no password is checked): counted, not an entry each.
            count_refused_request(uow, source=client, reason=SIGN_IN_BLOCKED, target=name)
            uow.commit()
            return LoginOutcome(None, "blocked", blocked)
        repository = uow.users
        stored = repository.password_hash(name) if well_formed else None
    # Hashing runs outside any transaction: a tenth of a second holding no lock.
    matches = verify_password(stored, password)
    # The one moment the password of an existing account is at hand: note whether it meets
    # today's rules, so that `enlace user list` can name the weak ones (they still sign in).
    meets = matches and meets_policy(password, username=name)
    with store.unit_of_work() as uow:
        repository = uow.users
        user = repository.get(name) if matches and well_formed else None
        log = uow.audit
        if user is None or user.disabled:
            _forget_old_failures(uow.login_failures, now, policy)
            for key in keys:
                _count_failure(uow.login_failures, key, now, policy)
            if stored is None:
                # No such account: a stranger's guess, counted, not an entry each.
                count_refused_request(uow, source=client, reason=SIGN_IN_UNKNOWN, target=name)
            else:
                # An existing account: an entry of its own (the throttle bounds how many).
                reason = "disabled" if user is not None else "wrong username or password"
                log.append(
                    actor="anonymous",
                    action="login-failure",
                    subject=name,
                    detail={"client": client, "reason": reason},
                )
            uow.commit()
            return LoginOutcome(None, "wrong")
        uow.login_failures.clear(keys)
        if user.password_meets_policy is not meets:
            repository.update(user.username, password_meets_policy=meets)
            user = dataclasses.replace(user, password_meets_policy=meets)
        log.append(
            actor=user.username, action="login", subject=user.username, detail={"client": client}
        )
        uow.commit()
    if stored is not None and needs_rehash(stored):
        _upgrade_hash(store, user.username, password)
    return LoginOutcome(user)


def _upgrade_hash(store: UnitOfWorkFactory, username: str, password: str) -> None:
    hashed = hash_password(password)
    with store.unit_of_work() as uow:
        uow.users.update(username, password_hash=hashed)
        uow.commit()


def _blocked_for(counts: LoginFailureRepository, keys: list[str], now: datetime) -> int:
    """Seconds until the longest block on any of `keys` ends (0: none)."""
    longest = 0
    for until in counts.blocks(keys):
        left = (timestamps.parse_timestamp(until, field="blocked_until") - now).total_seconds()
        longest = max(longest, int(left + 0.999))
    return longest


def _forget_old_failures(
    counts: LoginFailureRepository, now: datetime, policy: ThrottlePolicy
) -> None:
    """Delete counts nobody added to for `forget_after` and no longer blocking: guesses at
    made-up usernames must not fill the table."""
    counts.forget(
        last_failure_before=timestamps.format_timestamp(now - policy.forget_after),
        not_blocked_at=timestamps.format_timestamp(now),
    )


def _count_failure(
    counts: LoginFailureRepository, key: str, now: datetime, policy: ThrottlePolicy
) -> None:
    row = counts.get(key)
    stamp = timestamps.format_timestamp(now)
    failures = 1
    if row is not None:
        last = timestamps.parse_timestamp(row.last_failure_at, field="last_failure_at")
        failures = 1 if now - last >= policy.forget_after else row.failures + 1
    free = policy.client_free_failures if key.startswith("client:") else policy.free_failures
    blocked_until = None
    if failures >= free:
        doublings = min(failures - free, 20)
        block = min(policy.first_block * (2**doublings), policy.longest_block)
        blocked_until = timestamps.format_timestamp(now + block)
    counted = LoginFailure(key, failures, stamp, blocked_until)
    if row is not None:
        counts.replace(counted)
    elif not counts.add(counted):
        # Another failed login for the same key stored its count first: add to that one.
        counts.add_one(key, last_failure_at=stamp, blocked_until=blocked_until)
