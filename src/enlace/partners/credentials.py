"""The bearer tokens this node presents to its partners: secrets kept in the node's key folder.

``<node>/keys/partners/<PARTY>.token``, mode 600 in a folder of mode 700, written through
os.open with mode 0600 so the token is never readable by others, not even for an instant.
Tokens are never logged, printed or written to the audit log.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from enlace.node.errors import NodeError

PARTNER_TOKEN_DIR = "partners"  # noqa: S105 - a folder name, not a secret
MIN_TOKEN_LENGTH = 16


def new_token() -> str:
    """A fresh random bearer token (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def outbound_token_path(key_dir: Path, party: str) -> Path:
    """Where the token this node presents to `party` is kept."""
    return key_dir / PARTNER_TOKEN_DIR / f"{party}.token"


def write_secret(path: Path, text: str) -> None:
    """Write `text` to `path` readable by its owner only (mode 600), replacing any old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_token_file(path: Path) -> str:
    """A token from a file (surrounding whitespace dropped); NodeError when too short."""
    token = path.read_text(encoding="utf-8").strip()
    if len(token) < MIN_TOKEN_LENGTH:
        raise NodeError(f"{path}: the token must be at least {MIN_TOKEN_LENGTH} characters")
    return token


def write_outbound_token(key_dir: Path, party: str, token: str) -> Path:
    """Keep the token this node presents to `party`; return the file it is in."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise NodeError(f"the token for {party} must be at least {MIN_TOKEN_LENGTH} characters")
    folder = key_dir / PARTNER_TOKEN_DIR
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(key_dir, 0o700)
    os.chmod(folder, 0o700)
    path = outbound_token_path(key_dir, party)
    write_secret(path, token)
    return path


def read_outbound_token(key_dir: Path, party: str) -> str:
    """The token this node presents to `party`; NodeError saying what to do when unusable."""
    path = outbound_token_path(key_dir, party)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise NodeError(
            f"no token to present to {party} ({path}): get one from {party} "
            f"('enlace partner invite' on their node) and run 'enlace partner add --party "
            f"{party} ... --outbound-token-file FILE'"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise NodeError(
            f"token file {path} is readable by others (mode {stat.S_IMODE(mode):o}); "
            "run 'chmod 600' on it and ask the partner for a new token"
        )
    return read_token_file(path)
