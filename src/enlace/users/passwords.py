"""Password hashing with argon2id (memory-hard), through libsodium (PyNaCl).

The stored string is libsodium's own (``$argon2id$v=19$m=...,t=...,p=1$salt$hash``): it
carries its salt and cost, so a hash made with an older cost still verifies and
`needs_rehash` tells the login to upgrade it.

Cost: libsodium's "interactive" limits, 64 MiB of memory and 2 passes (about 0.1 s on
one core): well above OWASP's minimum for argon2id (19 MiB, 2 passes), and light enough
that the test suite, which logs in many times, stays fast without a weaker setting.
"""

from __future__ import annotations

import re

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id

OPSLIMIT = argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = argon2id.MEMLIMIT_INTERACTIVE
MIN_LENGTH = 10
MAX_LENGTH = 1024  # a longer "password" is an attempt to make hashing expensive
_PARAMS = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=\d+\$")

# A hash of nothing anyone knows: verified against when the user does not exist, so that a
# wrong username takes as long as a wrong password and does not reveal who has an account.
_DUMMY_HASH: bytes | None = None


def password_problem(password: str) -> str | None:
    """Why `password` cannot be used (a sentence), or None when it can."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters (found {len(password)})"
    if len(password) > MAX_LENGTH:
        return f"a password may have at most {MAX_LENGTH} characters"
    if password.strip() != password:
        return "a password may not start or end with spaces"
    return None


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
