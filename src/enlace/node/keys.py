"""The node's Ed25519 signing key (libsodium through PyNaCl), readable only by its owner."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nacl.encoding import HexEncoder
from nacl.signing import SigningKey, VerifyKey

from enlace.node.errors import NodeError

PRIVATE_NAME = "signing.key"
PUBLIC_NAME = "signing.pub"


def create_signing_key(key_dir: Path) -> bool:
    """Generate the key pair unless one exists; return True if a key was created.

    The private key is written through os.open with mode 0600 so it is never, even for an
    instant, readable by anyone but the owner; an existing key is never overwritten.
    """
    key_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(key_dir, 0o700)
    private = key_dir / PRIVATE_NAME
    if private.exists():
        load_signing_key(key_dir)  # refuses a key others can read
        return False
    key = SigningKey.generate()
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.encode(encoder=HexEncoder))
    (key_dir / PUBLIC_NAME).write_bytes(key.verify_key.encode(encoder=HexEncoder))
    return True


def load_signing_key(key_dir: Path) -> SigningKey:
    """Read the private key, refusing one that group or others may read."""
    private = key_dir / PRIVATE_NAME
    try:
        mode = private.stat().st_mode
    except FileNotFoundError:
        raise NodeError(f"no signing key at {private}: run 'enlace init' for this node") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise NodeError(
            f"signing key {private} is readable by others (mode {stat.S_IMODE(mode):o}); "
            "run 'chmod 600' on it and consider the key compromised"
        )
    return SigningKey(private.read_bytes().strip(), encoder=HexEncoder)


def public_key_hex(key_dir: Path) -> str:
    """The public verify key, hex-encoded, as partners register it."""
    text = (key_dir / PUBLIC_NAME).read_text().strip()
    VerifyKey(text.encode(), encoder=HexEncoder)  # validates the stored form
    return text
