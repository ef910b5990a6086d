"""Signed checkpoint notes: a round trip, hostile notes refused, one kind of signature never
taken for another, and key ids and signature lines as C2SP and Go's sumdb/note write them."""

from __future__ import annotations

import base64
import hashlib

import pytest
from nacl.signing import SigningKey

from enlace.exchange.signing import (
    CONSENT_CONTEXT,
    MANIFEST_CONTEXT,
    TOMBSTONE_CONTEXT,
    sign_message,
    sign_record,
)
from enlace.transparency.notes import (
    MAX_NOTE_CHARACTERS,
    MAX_SIGNATURES,
    Checkpoint,
    NoteInvalid,
    NoteSignature,
    SignedNote,
    cosign,
    key_id,
    log_name,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
    verify_log_signature,
    witness_name,
)

LOG_KEY = SigningKey(hashlib.sha256(b"log").digest())
WITNESS_KEY = SigningKey(hashlib.sha256(b"witness").digest())
LOG_PUBLIC = bytes(LOG_KEY.verify_key)
WITNESS_PUBLIC = bytes(WITNESS_KEY.verify_key)
WITNESS = witness_name("US", WITNESS_PUBLIC)
CHECKPOINT = Checkpoint(log_name("MX", LOG_PUBLIC), 1250, hashlib.sha256(b"root").digest())
AT = 1_767_225_600


def signed() -> SignedNote:
    note = sign_checkpoint(CHECKPOINT, LOG_KEY)
    return note.with_signature(cosign(CHECKPOINT, WITNESS, WITNESS_KEY, at=AT))


def with_line(line: str) -> str:
    return signed().text() + line + "\n"


# --- round trip -----------------------------------------------------------------------------


def test_a_signed_and_cosigned_note_reads_back_as_written_and_verifies() -> None:
    text = signed().text()
    assert text.startswith(f"enlace-audit/MX/{LOG_PUBLIC[:8].hex()}\n1250\n")
    assert text.count("\n\n") == 1
    parsed = parse_note(text)
    assert parsed == signed()
    assert parsed.text() == text
    verify_log_signature(parsed, LOG_PUBLIC)
    cosignature = verify_cosignature(parsed, WITNESS_PUBLIC)
    assert (cosignature.name, cosignature.timestamp) == (WITNESS, AT)


def test_a_second_cosignature_by_the_same_witness_replaces_the_first() -> None:
    later = cosign(CHECKPOINT, WITNESS, WITNESS_KEY, at=AT + 60)
    note = signed().with_signature(later)
    assert len(note.signatures) == 2
    assert verify_cosignature(note, WITNESS_PUBLIC).timestamp == AT + 60


def test_a_changed_size_or_root_fails_every_signature() -> None:
    for changed in (
        Checkpoint(CHECKPOINT.origin, CHECKPOINT.size + 1, CHECKPOINT.root),
        Checkpoint(CHECKPOINT.origin, CHECKPOINT.size, bytes(32)),
    ):
        note = SignedNote(changed, signed().signatures)
        with pytest.raises(NoteInvalid, match="does not verify"):
            verify_log_signature(note, LOG_PUBLIC)
        with pytest.raises(NoteInvalid, match="does not verify"):
            verify_cosignature(note, WITNESS_PUBLIC)


# --- hostile notes ---------------------------------------------------------------------------


def _replace_body_line(index: int, value: str) -> str:
    body, _, signatures = signed().text().partition("\n\n")
    lines = body.split("\n")
    lines[index] = value
    return "\n".join(lines) + "\n\n" + signatures


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"bytes", "a checkpoint note is text, not bytes"),
        ("x" * (MAX_NOTE_CHARACTERS + 1), f"longer than {MAX_NOTE_CHARACTERS} characters"),
        (
            signed().text()
            + "".join(
                cosign(CHECKPOINT, f"w{i}", WITNESS_KEY, at=AT).line() + "\n"
                for i in range(MAX_SIGNATURES)
            ),
            f"more than {MAX_SIGNATURES} signatures",
        ),
        (_replace_body_line(1, "007"), "size '007' is not a canonical whole number"),
        (_replace_body_line(1, "-1"), "size '-1' is not a whole number"),
        (_replace_body_line(1, "١٢"), "size '١٢' is not a whole number"),  # Arabic-Indic digits
        (_replace_body_line(1, "9" * 19), "is not a canonical whole number"),
        (_replace_body_line(2, "not base64!"), "the root hash 'not base64!' is not base64"),
        (_replace_body_line(2, base64.b64encode(bytes(31)).decode()), "31 bytes, not 32"),
        (
            _replace_body_line(0, "enlace-audit/MÉ/00"),
            "origin 'enlace-audit/MÉ/00' is not printable",
        ),
        (_replace_body_line(0, "enlace audit"), "is not printable ASCII"),
        (_replace_body_line(2, "extra\nline"), "a checkpoint is 3 lines .* this one has 4"),
        (signed().text().replace("\n\n", "\n"), "no blank line before its signatures"),
        (signed().text()[:-1], "does not end with a new line"),
        (with_line("— name !!!!"), "the signature '!!!!' is not base64"),
        (with_line("— name " + base64.b64encode(bytes(60)).decode()), "60 bytes, not 68 or 76"),
        (with_line("- name AAAA"), "is not '— NAME SIGNATURE'"),
        (with_line("— two words AAAA"), "is not '— NAME SIGNATURE'"),
        (with_line(""), "is not '— NAME SIGNATURE'"),  # a blank line among the signatures
    ],
)
def test_a_hostile_note_is_refused_saying_what_is_wrong(text: object, message: str) -> None:
    with pytest.raises(NoteInvalid, match=message):
        parse_note(text)


def test_the_largest_size_a_note_may_carry_is_2_to_the_63_minus_1() -> None:
    assert parse_note(_replace_body_line(1, str(2**63 - 1))).checkpoint.size == 2**63 - 1
    with pytest.raises(NoteInvalid, match="not a canonical whole number"):
        parse_note(_replace_body_line(1, str(2**63)))


# --- one kind of signature is never another --------------------------------------------------


def test_a_checkpoint_signature_is_not_a_cosignature() -> None:
    (own,) = sign_checkpoint(CHECKPOINT, WITNESS_KEY).signatures  # the witness's key signs a
    # checkpoint as a log would; presented as its cosignature, it must not count.
    posed = NoteSignature(
        WITNESS, key_id(WITNESS, WITNESS_PUBLIC, cosignature=True), own.signature, AT
    )
    note = SignedNote(CHECKPOINT, (posed,))
    with pytest.raises(NoteInvalid, match=f"the signature of {WITNESS} does not verify"):
        verify_cosignature(note, WITNESS_PUBLIC)


def test_a_cosignature_is_not_a_checkpoint_signature() -> None:
    made = cosign(CHECKPOINT, CHECKPOINT.origin, LOG_KEY, at=AT)  # the log's key cosigning
    posed = NoteSignature(
        CHECKPOINT.origin, key_id(CHECKPOINT.origin, LOG_PUBLIC), made.signature, None
    )
    with pytest.raises(NoteInvalid, match="does not verify"):
        verify_log_signature(SignedNote(CHECKPOINT, (posed,)), LOG_PUBLIC)


def test_a_cosignature_line_does_not_pass_for_the_logs_signature_line() -> None:
    # A cosignature under the log's own name and key id carries a time: never a log signature.
    made = cosign(CHECKPOINT, CHECKPOINT.origin, LOG_KEY, at=AT)
    posed = NoteSignature(
        CHECKPOINT.origin, key_id(CHECKPOINT.origin, LOG_PUBLIC), made.signature, AT
    )
    with pytest.raises(NoteInvalid, match="carries no signature by the key"):
        verify_log_signature(SignedNote(CHECKPOINT, (posed,)), LOG_PUBLIC)


@pytest.mark.parametrize(
    "signature",
    [
        # What a record signature, a statement of another kind, or a stock C2SP log (no
        # context) makes of the same key and the same bytes.
        LOG_KEY.sign(CHECKPOINT.body().encode()).signature,
        base64.b64decode(sign_message(MANIFEST_CONTEXT, CHECKPOINT.body().encode(), LOG_KEY)),
        base64.b64decode(sign_message(TOMBSTONE_CONTEXT, CHECKPOINT.body().encode(), LOG_KEY)),
        base64.b64decode(sign_message(CONSENT_CONTEXT, CHECKPOINT.body().encode(), LOG_KEY)),
        base64.b64decode(sign_record({"id": CHECKPOINT.body(), "type": "note"}, LOG_KEY)),
    ],
    ids=["no-context", "manifest", "tombstone", "consent", "record"],
)
def test_no_other_signature_of_the_node_key_is_a_checkpoint_signature(signature: bytes) -> None:
    posed = NoteSignature(CHECKPOINT.origin, key_id(CHECKPOINT.origin, LOG_PUBLIC), signature, None)
    with pytest.raises(NoteInvalid, match="does not verify"):
        verify_log_signature(SignedNote(CHECKPOINT, (posed,)), LOG_PUBLIC)


def test_a_signature_by_another_key_is_not_found_for_this_one() -> None:
    other = bytes(SigningKey.generate().verify_key)
    with pytest.raises(NoteInvalid, match=f"no signature by the key {other.hex()}"):
        verify_log_signature(signed(), other)
    with pytest.raises(NoteInvalid, match=f"no cosignature by the key {other.hex()}"):
        verify_cosignature(signed(), other)


# --- C2SP's key ids and signature lines, against published vectors ----------------------------

# golang.org/x/mod, sumdb/note/note_test.go (and the package's documentation): the verifier key
# "NAME+KEYID+base64(type ‖ public key)", a signing key of type 0x01 whose base64 part after the
# type byte is the Ed25519 seed, and the signature line it makes of a two-line text.
PETER_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_TEXT = (
    b"If you think cryptography is the answer to your problem,\n"
    b"then you don't know what your problem is.\n"
)
PETER_LINE = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
# transparency-dev/formats, note/note_cosigv1_test.go: a verifier key of type 0x04 (an Ed25519
# cosignature/v1 key), the remora.n621.de witness's.
REMORA_VERIFIER = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"


def _verifier(text: str) -> tuple[str, str, int, bytes]:
    name, hex_id, encoded = text.split("+", 2)  # base64 may hold "+" too
    blob = base64.b64decode(encoded)
    return name, hex_id, blob[0], blob[1:]


def test_the_key_id_of_an_ed25519_key_is_c2sps_go_vector() -> None:
    name, hex_id, kind, public = _verifier(PETER_VERIFIER)
    assert (name, kind, len(public)) == ("PeterNeumann", 0x01, 32)
    assert key_id(name, public).hex() == hex_id == "c74f20a3"


def test_the_key_id_of_a_cosignature_key_is_the_published_one() -> None:
    name, hex_id, kind, public = _verifier(REMORA_VERIFIER)
    assert kind == 0x04
    assert key_id(name, public, cosignature=True).hex() == hex_id == "da77ade7"
    assert key_id(name, public).hex() != hex_id  # the type byte is hashed in


def test_a_signature_line_is_written_as_gos_note_writes_it() -> None:
    _name, _hex_id, _kind, public = _verifier(PETER_VERIFIER)
    seed = base64.b64decode(PETER_SIGNER.split("+", 4)[4])[1:]
    key = SigningKey(seed)
    assert bytes(key.verify_key) == public
    line = NoteSignature(
        "PeterNeumann", key_id("PeterNeumann", public), key.sign(PETER_TEXT).signature, None
    )
    assert line.line() == PETER_LINE
