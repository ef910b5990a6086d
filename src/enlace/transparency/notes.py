"""Signed checkpoints of an audit log and their cosignatures, as text notes (issue 13).

The format is C2SP's signed note (https://c2sp.org/signed-note) carrying a checkpoint
(https://c2sp.org/tlog-checkpoint) and witness cosignatures (https://c2sp.org/tlog-cosignature):

    enlace-audit/MX/3f2a9c0d11b2e4f5          <- origin: whose log, and which key
    1250                                      <- tree size
    Vd3y0lX6k8Q...=                           <- root hash, base64
                                              <- blank line
    — enlace-audit/MX/3f2a9c0d11b2e4f5 q9Yk...    <- the log's signature
    — enlace-witness/US/77ab01c2d3e4f5a6 E1x...   <- a partner's cosignature

A signature line is "— NAME base64(key id ‖ signature)"; the key id is the first 4 bytes of
SHA-256(NAME ‖ "\\n" ‖ type ‖ public key), type 0x01 for the log's Ed25519 signature and 0x04
for a cosignature, whose blob also carries the 8-byte big-endian time it was made.

One deliberate departure, for the project's signature domains (one node key signs records,
manifests, tombstones, consents, checkpoints and cosignatures): the log signs
CHECKPOINT_CONTEXT ‖ body and a witness signs COSIGNATURE_CONTEXT ‖ "cosignature/v1\\ntime
T\\n" ‖ body, so no signature of one kind is ever valid as another. A stock C2SP verifier
therefore does not accept these signatures; everything else (lines, key ids, blobs) is as
C2SP writes it. Written by hand on PyNaCl (libsodium) because no maintained Python library
reads or writes signed notes; tested against the C2SP examples' structure and by round trips.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from enlace.transparency.merkle import HASH_SIZE

CHECKPOINT_CONTEXT = b"enlace/v3/audit-checkpoint\x00"
COSIGNATURE_CONTEXT = b"enlace/v3/audit-cosignature\x00"
_ED25519 = 0x01
_COSIGNATURE_V1 = 0x04
_DASH = "\u2014"
MAX_NOTE_CHARACTERS = 8192  # a checkpoint and a dozen signatures are under 2,000
MAX_SIGNATURES = 16
_NAME = re.compile(r"[!-~]{1,128}")  # printable ASCII without spaces, as C2SP asks of names
_LARGEST_SIZE = 2**63 - 1


class NoteInvalid(ValueError):
    """A note, checkpoint or signature that cannot be read or does not verify."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """An audit log's size and root hash, under its origin."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """The checkpoint text the signatures cover."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"

    @property
    def root_hex(self) -> str:
        """The root hash in hex, as stored."""
        return self.root.hex()


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes  # 64 bytes
    timestamp: int | None  # cosignatures only: seconds since 1970 when it was made

    def line(self) -> str:
        """The line as written in the note."""
        stamp = b"" if self.timestamp is None else struct.pack(">Q", self.timestamp)
        blob = base64.b64encode(self.key_id + stamp + self.signature).decode("ascii")
        return f"{_DASH} {self.name} {blob}"


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A checkpoint and the signature lines under it."""

    checkpoint: Checkpoint
    signatures: tuple[NoteSignature, ...]

    def text(self) -> str:
        """The note as text: body, blank line, one line per signature."""
        lines = "".join(signature.line() + "\n" for signature in self.signatures)
        return f"{self.checkpoint.body()}\n{lines}"

    def with_signature(self, signature: NoteSignature) -> SignedNote:
        """The same note with one more signature line (one per name and key id)."""
        kept = tuple(
            s for s in self.signatures if (s.name, s.key_id) != (signature.name, signature.key_id)
        )
        return SignedNote(self.checkpoint, (*kept, signature))


def log_name(party: str, public_key: bytes) -> str:
    """The origin of `party`'s audit log under the key `public_key`: a new key, a new log."""
    return f"enlace-audit/{party}/{public_key[:8].hex()}"


def witness_name(party: str, public_key: bytes) -> str:
    """The name `party`'s node cosigns under with the key `public_key`."""
    return f"enlace-witness/{party}/{public_key[:8].hex()}"


def key_id(name: str, public_key: bytes, *, cosignature: bool = False) -> bytes:
    """C2SP's key id: SHA-256(name ‖ "\\n" ‖ type ‖ key)[:4]."""
    kind = _COSIGNATURE_V1 if cosignature else _ED25519
    return hashlib.sha256(name.encode("ascii") + b"\n" + bytes([kind]) + public_key).digest()[:4]


def sign_checkpoint(checkpoint: Checkpoint, signing_key: SigningKey) -> SignedNote:
    """The checkpoint signed by its log (the origin is the signer's name)."""
    public = bytes(signing_key.verify_key)
    signature = signing_key.sign(CHECKPOINT_CONTEXT + checkpoint.body().encode()).signature
    line = NoteSignature(checkpoint.origin, key_id(checkpoint.origin, public), signature, None)
    return SignedNote(checkpoint, (line,))


def cosign(checkpoint: Checkpoint, name: str, signing_key: SigningKey, *, at: int) -> NoteSignature:
    """A witness's cosignature of `checkpoint`, made at `at` (seconds since 1970)."""
    public = bytes(signing_key.verify_key)
    signature = signing_key.sign(_cosigned_message(checkpoint, at)).signature
    return NoteSignature(name, key_id(name, public, cosignature=True), signature, at)


def _cosigned_message(checkpoint: Checkpoint, at: int) -> bytes:
    return (
        COSIGNATURE_CONTEXT + f"cosignature/v1\ntime {at}\n".encode() + checkpoint.body().encode()
    )


def verify_log_signature(note: SignedNote, public_key: bytes) -> None:
    """Quietly when the log whose key is `public_key` signed the note; else NoteInvalid."""
    wanted = key_id(note.checkpoint.origin, public_key)
    for signature in note.signatures:
        if signature.timestamp is None and signature.key_id == wanted:
            _verify(public_key, CHECKPOINT_CONTEXT + note.checkpoint.body().encode(), signature)
            return
    raise NoteInvalid(
        f"the checkpoint of {note.checkpoint.origin} carries no signature by the key "
        f"{public_key.hex()}"
    )


def verify_cosignature(note: SignedNote, public_key: bytes) -> NoteSignature:
    """The cosignature in `note` made with `public_key` (verified); NoteInvalid if none."""
    for signature in note.signatures:
        if signature.timestamp is None:
            continue
        if signature.key_id == key_id(signature.name, public_key, cosignature=True):
            _verify(public_key, _cosigned_message(note.checkpoint, signature.timestamp), signature)
            return signature
    raise NoteInvalid(f"the checkpoint carries no cosignature by the key {public_key.hex()}")


def _verify(public_key: bytes, message: bytes, signature: NoteSignature) -> None:
    try:
        VerifyKey(public_key).verify(message, signature.signature)
    except (BadSignatureError, ValueError, TypeError):
        raise NoteInvalid(
            f"the signature of {signature.name} does not verify: the checkpoint was changed "
            "after signing, or the signature was made for another kind of message or key"
        ) from None


def parse_note(text: object) -> SignedNote:
    """Read a signed checkpoint note; NoteInvalid (saying where and what was expected) for
    anything else. Bounded: a hostile note costs at most MAX_NOTE_CHARACTERS of work."""
    if not isinstance(text, str):
        raise NoteInvalid(f"a checkpoint note is text, not {type(text).__name__}")
    if len(text) > MAX_NOTE_CHARACTERS:
        raise NoteInvalid(f"the checkpoint note is longer than {MAX_NOTE_CHARACTERS} characters")
    body, separator, signed = text.partition("\n\n")
    if not separator:
        raise NoteInvalid("the checkpoint note has no blank line before its signatures")
    lines = body.split("\n")
    if len(lines) != 3:
        raise NoteInvalid(
            f"a checkpoint is 3 lines (origin, size, root hash); this one has {len(lines)}"
        )
    origin, size_text, root_text = lines
    if not _NAME.fullmatch(origin):
        raise NoteInvalid(f"the checkpoint origin {origin[:40]!r} is not printable ASCII")
    if not (size_text.isascii() and size_text.isdigit() and len(size_text) <= 19):
        raise NoteInvalid(f"the checkpoint size {size_text[:40]!r} is not a whole number")
    size = int(size_text)
    if size > _LARGEST_SIZE or (size_text != "0" and size_text.startswith("0")):
        raise NoteInvalid(f"the checkpoint size {size_text!r} is not a canonical whole number")
    root = _base64(root_text, "root hash")
    if len(root) != HASH_SIZE:
        raise NoteInvalid(f"the checkpoint root hash is {len(root)} bytes, not {HASH_SIZE}")
    checkpoint = Checkpoint(origin, size, root)
    if checkpoint.body() != body + "\n":
        raise NoteInvalid("the checkpoint is not written canonically (base64 padding, spaces)")
    if not signed.endswith("\n"):
        raise NoteInvalid("the checkpoint note does not end with a new line")
    signature_lines = signed[:-1].split("\n")
    if len(signature_lines) > MAX_SIGNATURES:
        raise NoteInvalid(f"the checkpoint note has more than {MAX_SIGNATURES} signatures")
    return SignedNote(checkpoint, tuple(_signature(line) for line in signature_lines))


def _signature(line: str) -> NoteSignature:
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != _DASH or not _NAME.fullmatch(parts[1]):
        raise NoteInvalid(f"the note line {line[:60]!r} is not '— NAME SIGNATURE'")
    blob = _base64(parts[2], "signature")
    if len(blob) == 4 + 64:
        return NoteSignature(parts[1], blob[:4], blob[4:], None)
    if len(blob) == 4 + 8 + 64:
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        return NoteSignature(parts[1], blob[:4], blob[12:], timestamp)
    raise NoteInvalid(f"the signature of {parts[1]} is {len(blob)} bytes, not 68 or 76")


def _base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteInvalid(f"the {what} {text[:40]!r} is not base64") from None
