"""Password rules (reglas de contraseña) and hashing with argon2id, through libsodium (PyNaCl).

The rules, checked wherever a password is set (docs/users.md, "Passwords"): at least
`MIN_LENGTH` characters, not the username nor containing it, and not in the list of common
passwords shipped beside this module (`COMMON_PASSWORDS`, its source and licence in its
header). They follow NIST SP 800-63B: length and a blocklist, no composition rules.

The stored string is libsodium's own (``$argon2id$v=19$m=...,t=...,p=1$salt$hash``): it
carries its salt and cost, so a hash made with an older cost still verifies and
`needs_rehash` tells the login to upgrade it.

Cost: libsodium's "interactive" limits, 64 MiB of memory and 2 passes (about 0.1 s on
one core): well above OWASP's minimum for argon2id (19 MiB, 2 passes), and light enough
that the test suite, which logs in many times, stays fast without a weaker setting.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id

from enlace.users.errors import PasswordRefused

OPSLIMIT = argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = argon2id.MEMLIMIT_INTERACTIVE
MIN_LENGTH = 12
MAX_LENGTH = 1024  # a longer "password" is an attempt to make hashing expensive
# A shorter username (2 characters: "al") is inside too many words to refuse them all; a
# password equal to it is too short anyway.
MIN_USERNAME_IN_PASSWORD = 3
# Only entries of MIN_LENGTH characters or more, case-folded: a shorter password is refused by
# its length first, so shorter entries would only make the file bigger.
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")
_PARAMS = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=\d+\$")

# A hash of nothing anyone knows: verified against when the user does not exist, so that a
# wrong username takes as long as a wrong password and does not reveal who has an account.
_DUMMY_HASH: bytes | None = None


Rule = Literal["length", "spaces", "username", "common"]


@dataclass(frozen=True, slots=True)
class PasswordProblem:
    """Which rule a password breaks (`rule`) and a sentence saying so (`message`)."""

    rule: Rule
    message: str


def password_problem(password: str, *, username: str) -> PasswordProblem | None:
    """Which rule `password` breaks as the password of `username`, or None when it meets them."""
    if len(password) < MIN_LENGTH:
        return PasswordProblem(
            "length", f"a password needs at least {MIN_LENGTH} characters (found {len(password)})"
        )
    if len(password) > MAX_LENGTH:
        return PasswordProblem("length", f"a password may have at most {MAX_LENGTH} characters")
    if password.strip() != password:
        return PasswordProblem("spaces", "a password may not start or end with spaces")
    folded, name = password.casefold(), username.strip().casefold()
    if folded == name:
        return PasswordProblem("username", "a password may not be the username")
    if len(name) >= MIN_USERNAME_IN_PASSWORD and name in folded:
        return PasswordProblem(
            "username", f"a password may not contain the username ({username.strip()!r})"
        )
    if folded in common_passwords():
        return PasswordProblem(
            "common",
            "it is in the list of common passwords that attackers try first: choose another, "
            "e.g. a phrase of four or more unrelated words",
        )
    return None


def check_password(password: str, *, username: str) -> None:
    """Nothing when `password` meets the rules for `username`; PasswordRefused otherwise."""
    problem = password_problem(password, username=username)
    if problem is not None:
        raise PasswordRefused(username, problem.rule, problem.message)


def meets_policy(password: str, *, username: str) -> bool:
    """True when `password` meets today's rules as the password of `username`."""
    return password_problem(password, username=username) is None


@functools.cache
def common_passwords() -> frozenset[str]:
    """The common passwords refused (case-folded), read from `COMMON_PASSWORDS` once, when
    first needed: 44,000 strings (about 5 MB) that most commands never look at."""
    _header, _blank, entries = COMMON_PASSWORDS.read_text(encoding="utf-8").partition("\n\n")
    return frozenset(entries.splitlines())


def random_password(username: str) -> str:
    """A new random password for `username` (about 120 bits) that meets the rules."""
    while True:
        # Random text may, rarely, contain a short username: draw again then.
        candidate = secrets.token_urlsafe(15)
        if password_problem(candidate, username=username) is None:
            return candidate


def hash_password(password: str) -> str:
    """The argon2id hash string of `password`, with a fresh random salt."""
    encoded = argon2id.str(password.encode("utf-8"), opslimit=OPSLIMIT, memlimit=MEMLIMIT)
    return encoded.decode("ascii")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash`; None (no such user) takes as long, False."""
    global _DUMMY_HASH
    if len(password) > MAX_LENGTH:
        return False
    if stored_hash is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("no user has this password").encode("ascii")
        _verify(_DUMMY_HASH, password)
        return False
    return _verify(stored_hash.encode("ascii"), password)


def _verify(stored: bytes, password: str) -> bool:
    try:
        return bool(argon2id.verify(stored, password.encode("utf-8")))
    except (nacl.exceptions.InvalidkeyError, nacl.exceptions.CryptoError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when `stored_hash` was made with a lower cost than today's."""
    found = _PARAMS.match(stored_hash)
    if found is None:
        return True
    memory_kib, passes = int(found.group(1)), int(found.group(2))
    return memory_kib * 1024 < MEMLIMIT or passes < OPSLIMIT
