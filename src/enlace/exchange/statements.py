"""What travels in a partner's release sequence besides record versions, and the manifest
that binds each page of it to its recipient (exchange protocol 2).

**Manifest.** Every page a node serves to partner P carries a manifest, signed by the
serving node: the protocol version, sender, recipient P, the sequence number the page starts
after, the last number it covers (``through``), the highest number released to P so far,
whether more follows, the nonce the client sent with its request, and one entry per item: ``[sequence, kind, binding]``,
the binding being a short hash of the item's signature (see `Entry`). The manifest travels as the exact JSON text whose
SHA-256 was signed (``x_enlace_manifest``), with its signature beside it
(``x_enlace_manifest_signature``): the receiver checks the bytes it got, with no second
canonical form to compute — one signature per page, whatever its size. A receiver therefore
refuses an object the sender did not address to it (not in the manifest), notices one the
channel dropped (in the manifest, not in the page), and cannot be fed an old answer again
(the nonce) or be led past numbers it does not hold (it resumes after ``through``).

**Tombstone.** A revocation without content: record id, owner, time, reason code.

**Consent.** The owner's statement that ``holder`` may pass version ``version`` of a record
on to ``recipient`` (onward release, handling H2).

Tombstones and consents are canonical JSON (RFC 8785) signed by the owner's node under their
own context strings (enlace.exchange.signing).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from nacl.signing import SigningKey

from enlace.exchange.errors import CanonicalFormError, SignatureInvalid
from enlace.exchange.signing import (
    CONSENT_CONTEXT,
    MANIFEST_CONTEXT,
    TOMBSTONE_CONTEXT,
    canonical_bytes,
    sign_message,
    verify_message,
)

# The exchange protocol this node speaks; discovery and the API root state it. 3 (issue 13):
# witnessing, /witness/v1, at every sync; pages and statements as in 2. 4 (issue 18): trace
# requests and responses (enlace-trace-request, enlace-trace-response) cross, under the
# receiver's trace rules (enlace.exchange.trace_rules); pages and statements as in 3.
PROTOCOL = 4
TOMBSTONE_TYPE = "x-enlace-tombstone"
CONSENT_TYPE = "x-enlace-consent"
REVOCATION_REASONS = ("withdrawn", "erroneous", "releasability-changed", "legal-order")
_PARTY_LENGTH = 2


class StatementInvalid(Exception):
    """A manifest, tombstone or consent that cannot be accepted; `reason` is the refusal
    reason code, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class SignedStatement:
    """A statement ready to store and send: its canonical JSON, digest and signature."""

    kind: str  # tombstone | consent
    record_id: str
    text: str
    digest: str
    signature: str


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A record's revocation, as its owner signed it."""

    record_id: str
    owner: str
    revoked_at: str
    reason: str


@dataclass(frozen=True, slots=True)
class Consent:
    """An owner's consent to one onward release."""

    record_id: str
    version: str
    owner: str
    holder: str
    recipient: str
    granted_at: str


class Entry(NamedTuple):
    """One item of a manifest (a named tuple: a page has a thousand, built and read fast).

    `binding` ties the entry to exactly one signed item: the first 96 bits of the SHA-256 of
    its signature (the owner's signature of a record version, or of a tombstone or consent),
    16 URL-safe base64 characters. A signature covers the item's whole content, version
    included, so nothing else the owner ever signed has the same binding (a second preimage
    of 96 bits is out of reach), and the entry stays some 30 bytes: a page's manifest is a few
    percent of the page, not a fifth of it.
    """

    sequence: int
    kind: str  # record | tombstone | consent
    binding: str


def binding_of(signature_b64: str) -> str:
    """The binding of the item whose signature (base64 text) is `signature_b64`."""
    digest = hashlib.sha256(signature_b64.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode("ascii")


def binding_map(signatures: Iterable[str]) -> dict[str, str]:
    """`binding_of` of each signature, by signature."""
    return {signature: binding_of(signature) for signature in signatures}


def manifest_entries(kind: str, items: Iterable[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(sequence, kind, binding) of each (sequence, signature) of `items`, as plain tuples:
    orjson writes them as they are, where named ones (Entry) would need converting."""
    return [(sequence, kind, binding_of(signature)) for sequence, signature in items]


@dataclass(frozen=True, slots=True)
class Manifest:
    """A page's verified manifest."""

    sender: str
    recipient: str
    after: int
    through: int
    highest: int
    more: bool
    nonce: str | None
    filtered: bool
    entries: tuple[Entry, ...]


def digest_of(text: bytes) -> str:
    """SHA-256 (hex) of a statement's canonical JSON."""
    return hashlib.sha256(text).hexdigest()


def sign_tombstone(tombstone: Tombstone, signing_key: SigningKey) -> SignedStatement:
    """The signed tombstone, to store and send."""
    body = {
        "type": TOMBSTONE_TYPE,
        "id": tombstone.record_id,
        "owner": tombstone.owner,
        "revoked_at": tombstone.revoked_at,
        "reason": tombstone.reason,
    }
    return _signed("tombstone", tombstone.record_id, body, TOMBSTONE_CONTEXT, signing_key)


def sign_consent(consent: Consent, signing_key: SigningKey) -> SignedStatement:
    """The signed consent, to store and send."""
    body = {
        "type": CONSENT_TYPE,
        "record": consent.record_id,
        "version": consent.version,
        "owner": consent.owner,
        "holder": consent.holder,
        "recipient": consent.recipient,
        "granted_at": consent.granted_at,
    }
    return _signed("consent", consent.record_id, body, CONSENT_CONTEXT, signing_key)


def read_tombstone(body: Any, signature: Any, key_hex: str) -> tuple[Tombstone, str, str]:
    """The tombstone `body` signed by `key_hex`, its canonical text and digest; else
    StatementInvalid."""
    fields = _fields(body, TOMBSTONE_TYPE, ("id", "owner", "revoked_at", "reason"))
    text = _verified(body, signature, key_hex, TOMBSTONE_CONTEXT, fields["id"])
    if fields["reason"] not in REVOCATION_REASONS:
        raise StatementInvalid("malformed", f"unknown revocation reason {fields['reason']!r}")
    tombstone = Tombstone(fields["id"], fields["owner"], fields["revoked_at"], fields["reason"])
    return tombstone, text.decode("utf-8"), digest_of(text)


def read_consent(body: Any, signature: Any, key_hex: str) -> tuple[Consent, str, str]:
    """The consent `body` signed by `key_hex`, its canonical text and digest; else
    StatementInvalid."""
    fields = _fields(
        body, CONSENT_TYPE, ("record", "version", "owner", "holder", "recipient", "granted_at")
    )
    text = _verified(body, signature, key_hex, CONSENT_CONTEXT, fields["record"])
    consent = Consent(
        fields["record"],
        fields["version"],
        fields["owner"],
        fields["holder"],
        fields["recipient"],
        fields["granted_at"],
    )
    return consent, text.decode("utf-8"), digest_of(text)


def owner_of_statement(body: Any) -> str | None:
    """The `owner` a statement claims (to choose the key to check it with), or None."""
    owner = body.get("owner") if isinstance(body, dict) else None
    return owner if isinstance(owner, str) else None


def build_manifest(
    *,
    sender: str,
    recipient: str,
    after: int,
    highest: int,
    more: bool,
    nonce: str | None,
    filtered: bool,
    entries: Sequence[tuple[int, str, str]],
    signing_key: SigningKey,
) -> tuple[str, str]:
    """The manifest's JSON text and its signature (base64).

    What is signed is the SHA-256 of the text (after the manifest's context string): one
    hash of a page's manifest (some 170 kB for a thousand items) in C, and Ed25519's own two
    passes over 32 bytes, rather than over the whole text.
    """
    through = entries[-1][0] if entries else after
    text = orjson.dumps(
        {
            "protocol": PROTOCOL,
            "sender": sender,
            "recipient": recipient,
            "after": after,
            "through": through,
            "highest": highest,
            "more": more,
            "nonce": nonce,
            "filtered": filtered,
            # orjson writes plain tuples, not named ones (Entry): those are made plain.
            "entries": [e if type(e) is tuple else tuple(e) for e in entries],
        }
    )
    signature = sign_message(MANIFEST_CONTEXT, hashlib.sha256(text).digest(), signing_key)
    return text.decode("utf-8"), signature


def read_manifest(text: Any, signature: Any, key_hex: str) -> Manifest:
    """The manifest `text` signed by `key_hex`; StatementInvalid saying what is wrong."""
    if not isinstance(text, str) or not text:
        raise StatementInvalid("no-manifest", "the page carries no signed manifest")
    raw = text.encode("utf-8")
    try:
        verify_message(
            MANIFEST_CONTEXT, hashlib.sha256(raw).digest(), signature, key_hex, subject="manifest"
        )
    except SignatureInvalid as error:
        raise StatementInvalid("bad-manifest", f"the page's manifest: {error.reason}") from None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise StatementInvalid("bad-manifest", "the manifest is not JSON") from None
    if not isinstance(body, dict) or body.get("protocol") != PROTOCOL:
        raise StatementInvalid(
            "bad-manifest",
            f"the manifest is not of exchange protocol {PROTOCOL} "
            f"(it says {body.get('protocol') if isinstance(body, dict) else None!r})",
        )
    try:
        entries = _entries(body["entries"])
        manifest = Manifest(
            sender=_text(body["sender"]),
            recipient=_text(body["recipient"]),
            after=_number(body["after"]),
            through=_number(body["through"]),
            highest=_number(body["highest"]),
            more=body["more"] is True,
            nonce=body["nonce"] if isinstance(body["nonce"], str) else None,
            filtered=body["filtered"] is True,
            entries=entries,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise StatementInvalid("bad-manifest", f"the manifest is malformed ({error})") from None
    previous = manifest.after
    for entry in manifest.entries:
        if entry.sequence <= previous:
            raise StatementInvalid(
                "bad-manifest", "the manifest's sequence numbers do not increase"
            )
        previous = entry.sequence
    if previous != manifest.through or manifest.through > manifest.highest:
        raise StatementInvalid(
            "bad-manifest", "the manifest's range (after, through, highest) does not add up"
        )
    return manifest


def _signed(
    kind: str, record_id: str, body: Mapping[str, Any], context: bytes, signing_key: SigningKey
) -> SignedStatement:
    text = canonical_bytes(body)
    return SignedStatement(
        kind,
        record_id,
        text.decode("utf-8"),
        digest_of(text),
        sign_message(context, text, signing_key),
    )


def _fields(body: Any, kind: str, names: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(body, dict) or body.get("type") != kind:
        raise StatementInvalid("malformed", f"not an {kind} statement")
    fields = {}
    for name in names:
        value = body.get(name)
        if not isinstance(value, str) or not value or len(value) > 128:
            raise StatementInvalid("malformed", f"the {kind} has no valid {name!r}")
        fields[name] = value
    for name in ("owner", "holder", "recipient"):
        if name in fields and len(fields[name]) != _PARTY_LENGTH:
            raise StatementInvalid("malformed", f"the {kind}'s {name} is not a party code")
    return fields


def _verified(body: Any, signature: Any, key_hex: str, context: bytes, subject: str) -> bytes:
    try:
        text = canonical_bytes(body)
    except CanonicalFormError as error:
        raise StatementInvalid("malformed", error.reason) from None
    try:
        verify_message(context, text, signature, key_hex, subject=subject)
    except SignatureInvalid as error:
        raise StatementInvalid("bad-signature", error.reason) from None
    return text


_ENTRY_KINDS = frozenset(("record", "tombstone", "consent"))
_BINDING_LENGTH = 16


def _entries(items: Any) -> tuple[Entry, ...]:
    # One tight loop over a page's thousand entries: each must be [sequence, kind, binding].
    if type(items) is not list:
        raise ValueError("the entries are not a list")
    make = Entry._make
    entries = []
    for item in items:
        if type(item) is not list or len(item) != 3:
            raise ValueError("an entry is not [sequence, kind, binding]")
        sequence, kind, binding = item
        if type(sequence) is not int or sequence < 0 or kind not in _ENTRY_KINDS:
            raise ValueError(f"an entry's number or kind is not valid: {str(item)[:80]}")
        if type(binding) is not str or len(binding) != _BINDING_LENGTH:
            raise ValueError(f"an entry's binding is not valid: {str(item)[:80]}")
        entries.append(make(item))
    return tuple(entries)


def _number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a sequence number")
    return value


def _text(value: Any, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not empty) or len(value) > 256:
        raise ValueError(f"{str(value)[:40]!r} is not a valid text")
    return value
