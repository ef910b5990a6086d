"""Record signatures: Ed25519 (libsodium via PyNaCl) over the RFC 8785 canonical JSON of a record.

The owner's node signs each released record version; a receiving node verifies it against
the key it registered for the sending partner before storing anything. Signing the
canonical form (RFC 8785, JSON Canonicalization Scheme) rather than the bytes on the wire
means that key order, whitespace and number spelling (``4.50`` or ``4.5``) do not matter,
while any change to a name or a value does. Any JCS implementation and any Ed25519 library
can check a signature made here: the message is exactly ``canonical_bytes(record)``.

Signatures travel as standard, padded base64 of the 64-byte detached signature; verify
keys as the 64 hex digits of the 32-byte public key (as ``enlace init`` prints them).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping, Sequence
from typing import Any

import rfc8785
from nacl.encoding import HexEncoder
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from enlace.canonical import canonical_json
from enlace.exchange.errors import CanonicalFormError, SignatureInvalid

SIGNATURE_BYTES = 64
VERIFY_KEY_BYTES = 32


def canonical_bytes(stix_object: Mapping[str, Any]) -> bytes:
    """The RFC 8785 canonical JSON of a parsed JSON object, as UTF-8 bytes.

    Takes plain parsed JSON (dict, list, str, int, float, bool, None); other mappings and
    sequences are converted first. Raises CanonicalFormError for what has no canonical
    form: NaN or infinite numbers, integers beyond ±(2**53 - 1), keys that are not text.
    """
    value = stix_object if isinstance(stix_object, dict) else _plain(stix_object)
    try:
        return canonical_json(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise CanonicalFormError(_record_id(stix_object), str(error)) from None


def sign_record(stix_object: Mapping[str, Any], signing_key: SigningKey) -> str:
    """The detached Ed25519 signature of the record's canonical JSON, base64 (padded)."""
    signed = signing_key.sign(canonical_bytes(stix_object))
    signature: bytes = signed.signature
    return base64.b64encode(signature).decode("ascii")


def verify_record(stix_object: Mapping[str, Any], signature_b64: str, verify_key_hex: str) -> None:
    """Return quietly when `verify_key_hex` signed exactly this record; else raise SignatureInvalid.

    The exception names the record id and which check failed: a malformed signature, a
    malformed key, a record with no canonical form, or a signature that does not match
    (the content changed since signing, or it was signed by another key than this one).
    """
    record_id = _record_id(stix_object)
    signature = _decode_signature(record_id, signature_b64)
    verify_key = _decode_verify_key(record_id, verify_key_hex)
    try:
        message = canonical_bytes(stix_object)
    except CanonicalFormError as error:
        raise SignatureInvalid(record_id, "not-canonical", error.reason) from None
    try:
        verify_key.verify(message, signature)
    except BadSignatureError:
        raise SignatureInvalid(
            record_id,
            "mismatch",
            "the signature does not match: the record's content changed after it was signed, "
            f"or it was signed with another key than {verify_key_hex.strip().lower()}",
        ) from None


def _decode_signature(record_id: str, signature_b64: str) -> bytes:
    if not isinstance(signature_b64, str) or not signature_b64:
        raise SignatureInvalid(record_id, "malformed-signature", "the record has no signature")
    try:
        signature = base64.b64decode(signature_b64.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise SignatureInvalid(
            record_id,
            "malformed-signature",
            f"the signature {_shown(signature_b64)} is not valid base64 "
            "(standard alphabet, padded)",
        ) from None
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureInvalid(
            record_id,
            "malformed-signature",
            f"the signature is {len(signature)} bytes long; an Ed25519 signature is "
            f"{SIGNATURE_BYTES} bytes",
        )
    return signature


def _decode_verify_key(record_id: str, verify_key_hex: str) -> VerifyKey:
    text = verify_key_hex.strip() if isinstance(verify_key_hex, str) else ""
    key = _verify_key(text)
    if key is None:
        raise SignatureInvalid(
            record_id,
            "malformed-key",
            f"the registered public key {_shown(text)} is not an Ed25519 public key "
            f"({VERIFY_KEY_BYTES * 2} hex digits)",
        )
    return key


@functools.lru_cache(maxsize=64)
def _verify_key(text: str) -> VerifyKey | None:
    # A sync verifies thousands of records with the same partner key: decode it once.
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    if len(raw) != VERIFY_KEY_BYTES:
        return None
    return VerifyKey(text.encode("ascii"), encoder=HexEncoder)


def _record_id(stix_object: Mapping[str, Any]) -> str:
    try:
        record_id = stix_object.get("id")
    except AttributeError:
        return "<not an object>"
    return record_id if isinstance(record_id, str) and record_id else "<without id>"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _plain(value: Any) -> Any:
    # rfc8785 accepts dicts and lists only; other mappings and sequences (a tuple, a
    # read-only mapping) become those. Text and bytes are not sequences of values here.
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray):
        return [_plain(item) for item in value]
    return value


# --- Statements of other kinds -----------------------------------------------------------
#
# One Ed25519 key signs several kinds of message: record versions (above), release manifests,
# tombstones and onward-release consents. Each kind other than a record version signs its
# own context string first, so a signature of one kind is never valid as another: a context
# string starts with "enlace/", while a record's message is its canonical JSON, which starts
# with "{" — no record signature can be taken for a statement, nor the reverse.

MANIFEST_CONTEXT = b"enlace/v2/release-manifest\x00"
TOMBSTONE_CONTEXT = b"enlace/v2/tombstone\x00"
CONSENT_CONTEXT = b"enlace/v2/onward-consent\x00"


def sign_message(context: bytes, message: bytes, signing_key: SigningKey) -> str:
    """The detached signature of `context` ‖ `message`, base64 (padded)."""
    signature: bytes = signing_key.sign(context + message).signature
    return base64.b64encode(signature).decode("ascii")


def verify_message(
    context: bytes, message: bytes, signature_b64: Any, verify_key_hex: str, *, subject: str
) -> None:
    """Return quietly when `verify_key_hex` signed `context` ‖ `message`; else raise
    SignatureInvalid naming `subject` and what failed."""
    signature = _decode_signature(subject, signature_b64)
    verify_key = _decode_verify_key(subject, verify_key_hex)
    try:
        verify_key.verify(context + message, signature)
    except BadSignatureError:
        raise SignatureInvalid(
            subject,
            "mismatch",
            "the signature does not match: it was changed after signing, made for another "
            f"kind of message, or made with another key than {verify_key_hex.strip().lower()}",
        ) from None
