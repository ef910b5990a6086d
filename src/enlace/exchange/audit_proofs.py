"""Proofs of audit entries for an auditor, and the node's own audit check (issue 13).

Three things:

- `prove_entry`: one entry of this node's audit log, its RFC 9162 inclusion proof and the
  newest checkpoint partners countersigned that contains it, as one JSON file.
- `check_proof`: checks such a file with nothing but the log's public key and, optionally,
  the partners' keys: no node, no database (an auditor's machine). Pure.
- `verify_audit`: checks this node's chain, its stored tree, and every countersignature the
  node holds against the entries as they are now.

The proof file (``enlace-audit-proof/v1``) is one JSON object, written as RFC 8785 canonical
JSON (any JSON reader reads it; its exact bytes do not matter to the check)::

    {
      "format": "enlace-audit-proof/v1",
      "entry": {                      the audit entry, every stored field
        "seq": 42,                    its number in the log, from 1
        "at": "2025-03-01T10:00:00.000000Z",
        "actor": "analyst@sspc",
        "action": "release",
        "subject": "vehicle--…",      or null
        "detail": {…},                the detail as a JSON object, or null
        "prev_hash": "…",             64 hex digits: entry_hash of entry seq - 1 (zeros for 1)
        "entry_hash": "…"             64 hex digits: SHA-256 of the RFC 8785 JSON of the above
      },
      "leaf_index": 41,               seq - 1: the entry's leaf in the tree
      "tree_size": 57,                the size of the tree the proof is for
      "inclusion_proof": ["base64", …],  RFC 9162 §2.1.3 PATH(leaf_index, tree_size),
                                         32-byte hashes, nearest the leaf first
      "checkpoint": "enlace-audit/MX/…\\n57\\n<root base64>\\n\\n— enlace-audit/MX/… …\\n— …"
    }

The checkpoint is a signed note (enlace.transparency.notes): the log's origin, size and root,
this node's signature, and one cosignature line per partner that countersigned that size. The
leaf of the entry is H(0x00 ‖ the 32 bytes of entry_hash). What it proves: the node whose key
signed the checkpoint had this entry at this position when its log had `tree_size` entries,
and every partner whose cosignature verifies saw that same log; as no one can make two logs
with the same root, the node cannot later show anyone a log without this entry unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rfc8785

if TYPE_CHECKING:
    import httpx

    from enlace.store.store import Store

from enlace.canonical import canonical_json
from enlace.exchange.errors import ExchangeError
from enlace.node.keys import load_signing_key, public_key_hex
from enlace.store.repositories.audit import AuditEntry, AuditVerification, entry_hash
from enlace.store.repositories.audit_tree import TreeCheck, entry_leaf
from enlace.store.repositories.partners import Partner
from enlace.store.repositories.witness import Cosigned
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory
from enlace.transparency.merkle import HASH_SIZE
from enlace.transparency.notes import (
    Checkpoint,
    NoteInvalid,
    NoteSignature,
    SignedNote,
    key_id,
    log_name,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
    verify_log_signature,
)
from enlace.transparency.proofs import MerkleProofError, verify_inclusion

PROOF_FORMAT = "enlace-audit-proof/v1"
MAX_PROOF_BYTES = 1024 * 1024  # a proof is a few kilobytes; its entry's detail is bounded too
MAX_PROOF_HASHES = 64  # a tree of 2**63 entries needs 63
_LARGEST_SIZE = 2**63 - 1
_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
_PROOF_KEYS = ("format", "entry", "leaf_index", "tree_size", "inclusion_proof", "checkpoint")
_ENTRY_KEYS = ("seq", "at", "actor", "action", "subject", "detail", "prev_hash", "entry_hash")
_SIZES_SHOWN = 5  # sizes a problem message names before it says "and N more"


class AuditProofError(ExchangeError):
    """An audit proof cannot be made, or a proof file cannot be read; the message says why."""


class EntryNotFound(AuditProofError):
    """The entry asked for is not in the log."""


class ProofFileInvalid(AuditProofError):
    """A proof file that is not a well-formed enlace-audit-proof/v1 document."""


# --- making a proof ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditProof:
    """An entry, its inclusion proof and the checkpoint the proof leads to."""

    entry: AuditEntry
    leaf_index: int
    tree_size: int
    inclusion_proof: tuple[bytes, ...]
    note: SignedNote
    countersigned_by: tuple[str, ...]  # partners whose cosignature the note carries
    left_out: tuple[str, ...] = ()  # stored cosignatures at that size that did not verify

    @property
    def countersigned(self) -> bool:
        """Whether at least one partner countersigned the checkpoint."""
        return bool(self.countersigned_by)

    def document(self) -> dict[str, Any]:
        """The proof file as a JSON value (see the module's docstring)."""
        entry = self.entry
        return {
            "format": PROOF_FORMAT,
            "entry": {
                "seq": entry.seq,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "subject": entry.subject,
                "detail": entry.detail,
                "prev_hash": entry.prev_hash,
                "entry_hash": entry.entry_hash,
            },
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "inclusion_proof": [base64.b64encode(h).decode("ascii") for h in self.inclusion_proof],
            "checkpoint": self.note.text(),
        }

    def file_bytes(self) -> bytes:
        """The proof file: canonical JSON and a final new line."""
        return canonical_json(self.document()) + b"\n"

    @property
    def summary(self) -> str:
        """One line for the person who asked for the proof."""
        head = f"proof of audit entry {self.entry.seq} in the checkpoint of size {self.tree_size}"
        if self.countersigned:
            names = ", ".join(s.name for s in self.note.signatures if s.timestamp is not None)
            line = f"{head}, countersigned by {', '.join(self.countersigned_by)} ({names})"
        else:
            line = (
                f"{head}, signed by this node alone: NOT countersigned yet (no partner has "
                "countersigned a checkpoint containing this entry; the next sync with a partner "
                "gets one countersigned: prove the entry again after it)"
            )
        if self.left_out:
            line += "; left out: " + "; ".join(self.left_out) + " (run 'enlace audit verify')"
        return line


def prove_entry(store: UnitOfWorkFactory, key_dir: Path, seq: int) -> AuditProof:
    """Use case: the proof of audit entry `seq` (see the module's docstring).

    The checkpoint is the largest one partners countersigned that contains the entry, with
    this node's signature and every partner's verifying cosignature at that size merged into
    one note. When none contains it yet, a checkpoint of the whole tree now, signed by this
    node alone (`AuditProof.countersigned` is then False). Reads only: nothing is written.
    """
    public = bytes.fromhex(public_key_hex(key_dir))
    with store.unit_of_work() as uow:
        count = uow.audit.count()
        if not 1 <= seq <= count:
            held = f"entries 1 to {count}" if count else "no entries"
            raise EntryNotFound(f"there is no audit entry {seq}: the log of this node holds {held}")
        entry = _entry(uow, seq)
        party = uow.settings.get("party") or ""
        origin = log_name(party, public)
        countersigned, partners, left_out = _countersigned(uow, seq, origin, public)
        if countersigned is None:
            size = uow.audit_tree.size()
            root = uow.audit_tree.root(size)
            note = sign_checkpoint(Checkpoint(origin, size, root), load_signing_key(key_dir))
        else:
            note = countersigned
            size = note.checkpoint.size
            if uow.audit_tree.root(size) != note.checkpoint.root:
                raise AuditProofError(
                    f"the audit log no longer gives the root {', '.join(partners)} "
                    f"countersigned at size {size}: it was rewritten after it was "
                    "countersigned, and no proof from it can verify; run 'enlace audit verify'"
                )
        proof = uow.audit_tree.inclusion_proof(seq - 1, size)
    return AuditProof(
        entry=entry,
        leaf_index=seq - 1,
        tree_size=size,
        inclusion_proof=tuple(proof),
        note=note,
        countersigned_by=partners,
        left_out=left_out,
    )


def _entry(uow: UnitOfWork, seq: int) -> AuditEntry:
    entry = uow.audit.entry(seq)
    if entry is None:
        raise EntryNotFound(
            f"there is no audit entry {seq} in the log (entries around it are missing): "
            "run 'enlace audit verify'"
        )
    return entry


def _countersigned(
    uow: UnitOfWork, seq: int, origin: str, public: bytes
) -> tuple[SignedNote | None, tuple[str, ...], tuple[str, ...]]:
    """The note of the largest countersigned size containing entry `seq`, with every
    verifying cosignature at that size (None: there is none); the partners in it; the stored
    countersignatures left out and why."""
    rows = uow.witness.cosigned_at_or_after(seq)
    keys = {p.party: p for p in uow.partners.all()}
    left_out: list[str] = []  # of every size tried, the larger ones included
    for size in sorted({row.size for row in rows}, reverse=True):
        merged: SignedNote | None = None
        partners: list[str] = []
        for row in (r for r in rows if r.size == size):
            try:
                note, cosignature = _checked_row(row, origin, public, keys.get(row.partner))
            except NoteInvalid as error:
                left_out.append(f"the countersignature of {row.partner} at size {size}: {error}")
                continue
            if merged is None:
                merged = SignedNote(note.checkpoint, ())
                merged = merged.with_signature(_own_signature(note, public))
            elif merged.checkpoint != note.checkpoint:
                left_out.append(
                    f"the countersignature of {row.partner} at size {size}: it is for another "
                    "root than the other partners'"
                )
                continue
            merged = merged.with_signature(cosignature)
            partners.append(row.partner)
        if merged is not None:
            return merged, tuple(partners), tuple(left_out)
    return None, (), tuple(left_out)


def _checked_row(
    row: Cosigned, origin: str, public: bytes, partner: Partner | None
) -> tuple[SignedNote, NoteSignature]:
    note = parse_note(row.note)
    if note.checkpoint.origin != origin:
        raise NoteInvalid(f"it is for the log {note.checkpoint.origin}, not {origin}")
    if note.checkpoint.size != row.size or note.checkpoint.root_hex != row.root:
        raise NoteInvalid("its note is for another size or root than stored beside it")
    verify_log_signature(note, public)
    if partner is None:
        raise NoteInvalid(f"{row.partner} is not a registered partner, so its key is unknown")
    return note, verify_cosignature(note, bytes.fromhex(partner.verify_key_hex))


def _own_signature(note: SignedNote, public: bytes) -> NoteSignature:
    # The line verify_log_signature accepted: the first log signature under this key's id.
    wanted = key_id(note.checkpoint.origin, public)
    return next(s for s in note.signatures if s.timestamp is None and s.key_id == wanted)


# --- checking a proof ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """One check of a proof and what it found."""

    name: str
    ok: bool
    message: str

    def line(self) -> str:
        """The line `enlace audit check-proof` prints for it."""
        return f"{'ok    ' if self.ok else 'FAILED'} {self.name}: {self.message}"


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """Every check of a proof, in order; the names of the witnesses that countersigned."""

    seq: int
    tree_size: int
    origin: str
    outcomes: tuple[CheckOutcome, ...]
    witnesses: tuple[str, ...]  # names whose cosignature verified with a key given
    unchecked: tuple[str, ...] = ()  # names of cosignature lines no key given was for

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(outcome.ok for outcome in self.outcomes)


@dataclass(frozen=True, slots=True)
class _ProofFile:
    entry: dict[str, Any]
    leaf_index: int
    tree_size: int
    proof: list[bytes]
    note: SignedNote


def check_proof(
    document: bytes | str, log_key_hex: str, witness_keys_hex: Sequence[str] = ()
) -> ProofCheck:
    """Check a proof file with the log's key and the witnesses' keys; no node, no store.

    ProofFileInvalid when the file or a key is malformed (one message saying what and
    where); otherwise a ProofCheck naming each check passed or failed: the entry's hash, its
    leaf index, the checkpoint's size, the inclusion proof, the log's signature, and one check
    per witness key (a key given whose cosignature is absent or does not verify fails).
    """
    log_key = _key(log_key_hex, "--key")
    witness_keys = [_key(k, "--witness-key") for k in witness_keys_hex]
    parsed = _parse(document)
    entry, note = parsed.entry, parsed.note
    checkpoint = note.checkpoint
    outcomes: list[CheckOutcome] = []

    recomputed = _entry_hash(entry)
    if recomputed == entry["entry_hash"]:
        outcomes.append(
            CheckOutcome("entry", True, f"entry {entry['seq']} hashes to its entry_hash")
        )
    else:
        outcomes.append(
            CheckOutcome(
                "entry",
                False,
                f"the fields of entry {entry['seq']} hash to {recomputed}, not to the "
                f"entry_hash {entry['entry_hash']} it states: the entry was changed",
            )
        )
    if parsed.leaf_index == entry["seq"] - 1:
        outcomes.append(CheckOutcome("leaf index", True, f"leaf {parsed.leaf_index}"))
    else:
        outcomes.append(
            CheckOutcome(
                "leaf index",
                False,
                f"the proof is for leaf {parsed.leaf_index}, but entry {entry['seq']} is "
                f"leaf {entry['seq'] - 1}",
            )
        )
    if checkpoint.size == parsed.tree_size:
        outcomes.append(CheckOutcome("checkpoint size", True, f"{checkpoint.size} entries"))
    else:
        outcomes.append(
            CheckOutcome(
                "checkpoint size",
                False,
                f"the checkpoint is for {checkpoint.size} entries, the proof for a tree of "
                f"{parsed.tree_size}",
            )
        )
    try:
        verify_inclusion(
            leaf_hash=entry_leaf(recomputed),
            index=parsed.leaf_index,
            size=parsed.tree_size,
            proof=parsed.proof,
            root=checkpoint.root,
        )
        outcomes.append(
            CheckOutcome(
                "inclusion",
                True,
                f"entry {entry['seq']} is in the tree of size {parsed.tree_size} whose root "
                "the checkpoint gives",
            )
        )
    except MerkleProofError as error:
        outcomes.append(CheckOutcome("inclusion", False, str(error)))
    outcomes.append(_log_signature(note, log_key))

    witnesses: list[str] = []
    for key in witness_keys:
        try:
            signature = verify_cosignature(note, key)
        except NoteInvalid as error:
            outcomes.append(CheckOutcome(f"witness {key.hex()}", False, str(error)))
            continue
        witnesses.append(signature.name)
        outcomes.append(
            CheckOutcome(
                f"witness {signature.name}",
                True,
                f"countersigned this checkpoint (at {signature.timestamp}, seconds since 1970)",
            )
        )
    given = {k for key in witness_keys for k in (_cosigner_ids(note, key))}
    unchecked = tuple(
        s.name for s in note.signatures if s.timestamp is not None and s.key_id not in given
    )
    return ProofCheck(
        seq=entry["seq"],
        tree_size=parsed.tree_size,
        origin=checkpoint.origin,
        outcomes=tuple(outcomes),
        witnesses=tuple(witnesses),
        unchecked=unchecked,
    )


def _cosigner_ids(note: SignedNote, key: bytes) -> set[bytes]:
    return {key_id(s.name, key, cosignature=True) for s in note.signatures}


def _log_signature(note: SignedNote, key: bytes) -> CheckOutcome:
    origin = note.checkpoint.origin
    # The origin names the key (enlace-audit/PARTY/first 8 bytes of it): a checkpoint of
    # another log signed with the same key is not this log's.
    if not (origin.startswith("enlace-audit/") and origin.endswith("/" + key[:8].hex())):
        return CheckOutcome(
            "log signature",
            False,
            f"the checkpoint is of the log {origin}, which is not the log of the key {key.hex()}",
        )
    try:
        verify_log_signature(note, key)
    except NoteInvalid as error:
        return CheckOutcome("log signature", False, str(error))
    return CheckOutcome("log signature", True, f"{origin} signed the checkpoint")


def _key(text: str, option: str) -> bytes:
    if not isinstance(text, str) or not _HEX_KEY.fullmatch(text.strip()):
        raise ProofFileInvalid(
            f"the {option} {str(text)[:80]!r} is not an Ed25519 public key: 64 hex digits "
            "expected, as 'enlace init' and 'enlace partner invite' print them"
        )
    return bytes.fromhex(text.strip())


def _entry_hash(entry: dict[str, Any]) -> str:
    try:
        return entry_hash(
            seq=entry["seq"],
            at=entry["at"],
            actor=entry["actor"],
            action=entry["action"],
            subject=entry["subject"],
            detail=entry["detail"],
            prev_hash=entry["prev_hash"],
        )
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise ProofFileInvalid(
            f"the proof's entry has no canonical JSON form (RFC 8785), so its hash cannot be "
            f"recomputed: {error}"
        ) from None


def _parse(document: bytes | str) -> _ProofFile:
    raw = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    if len(raw) > MAX_PROOF_BYTES:
        raise ProofFileInvalid(
            f"the proof file is larger than {MAX_PROOF_BYTES} bytes: not an audit proof "
            "(one is a few kilobytes)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProofFileInvalid(
            f"the proof file is not UTF-8 text (byte {error.start}): not an audit proof"
        ) from None
    try:
        body = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ProofFileInvalid(
            f"the proof file is not JSON: line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except (ValueError, RecursionError) as error:
        reason = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ProofFileInvalid(f"the proof file is not JSON a proof can hold: {reason}") from None
    top = _object(body, _PROOF_KEYS, "the proof file")
    if top["format"] != PROOF_FORMAT:
        raise ProofFileInvalid(
            f"the proof file's 'format' is {str(top['format'])[:80]!r}, not {PROOF_FORMAT!r}"
        )
    entry = _object(top["entry"], _ENTRY_KEYS, "the proof's 'entry'")
    _whole(entry["seq"], "entry 'seq'", least=1)
    for name in ("at", "actor", "action"):
        _text(entry[name], f"entry {name!r}")
    if entry["subject"] is not None:
        _text(entry["subject"], "entry 'subject'")
    if entry["detail"] is not None and not isinstance(entry["detail"], dict):
        raise ProofFileInvalid(
            f"the proof's entry 'detail' is {_kind(entry['detail'])}; a JSON object or null "
            "expected"
        )
    for name in ("prev_hash", "entry_hash"):
        if not (isinstance(entry[name], str) and _HEX_HASH.fullmatch(entry[name])):
            raise ProofFileInvalid(
                f"the proof's entry {name!r} is {_shown(entry[name])}; 64 lower-case hex "
                "digits expected"
            )
    leaf_index = _whole(top["leaf_index"], "'leaf_index'", least=0)
    tree_size = _whole(top["tree_size"], "'tree_size'", least=1)
    hashes = top["inclusion_proof"]
    if not isinstance(hashes, list):
        raise ProofFileInvalid(
            f"the proof's 'inclusion_proof' is {_kind(hashes)}; a list of base64 hashes expected"
        )
    if len(hashes) > MAX_PROOF_HASHES:
        raise ProofFileInvalid(
            f"the proof's 'inclusion_proof' has {len(hashes)} hashes; a proof has at most "
            f"{MAX_PROOF_HASHES}"
        )
    proof = [_hash(value, position) for position, value in enumerate(hashes)]
    if not isinstance(top["checkpoint"], str):
        raise ProofFileInvalid(
            f"the proof's 'checkpoint' is {_kind(top['checkpoint'])}; the note text expected"
        )
    try:
        note = parse_note(top["checkpoint"])
    except NoteInvalid as error:
        raise ProofFileInvalid(f"the proof's 'checkpoint' cannot be read: {error}") from None
    return _ProofFile(entry, leaf_index, tree_size, proof, note)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one name: a reader could take either, so the file is refused.
    body: dict[str, Any] = {}
    for name, value in pairs:
        if name in body:
            raise ProofFileInvalid(f"the proof file names {name[:40]!r} twice in one object")
        body[name] = value
    return body


def _no_constant(name: str) -> Any:
    raise ProofFileInvalid(f"the proof file holds {name}, which is not a JSON number")


def _object(value: Any, keys: Sequence[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProofFileInvalid(f"{where} is {_kind(value)}; a JSON object expected")
    missing = [k for k in keys if k not in value]
    extra = sorted(k for k in value if k not in keys)
    if missing:
        raise ProofFileInvalid(f"{where} lacks {', '.join(map(repr, missing))}")
    if extra:
        raise ProofFileInvalid(
            f"{where} has {', '.join(repr(k[:40]) for k in extra[:5])}, which "
            f"{PROOF_FORMAT} does not have"
        )
    return value


def _whole(value: Any, where: str, *, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofFileInvalid(f"the proof's {where} is {_kind(value)}; a whole number expected")
    if not least <= value <= _LARGEST_SIZE:
        raise ProofFileInvalid(
            f"the proof's {where} is {value if abs(value) < 10**30 else 'huge'}; a whole number "
            f"from {least} to {_LARGEST_SIZE} expected"
        )
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ProofFileInvalid(f"the proof's {where} is {_kind(value)}; text expected")
    return value


def _hash(value: Any, position: int) -> bytes:
    where = f"hash {position} of the proof's 'inclusion_proof'"
    if not isinstance(value, str):
        raise ProofFileInvalid(f"{where} is {_kind(value)}; base64 text expected")
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ProofFileInvalid(f"{where} is {_shown(value)}, which is not base64") from None
    if len(decoded) != HASH_SIZE:
        raise ProofFileInvalid(f"{where} is {len(decoded)} bytes; a SHA-256 hash is {HASH_SIZE}")
    return decoded


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true or false"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number" if isinstance(value, float) else "a whole number"
    return names.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    return repr(value[:80]) if isinstance(value, str) else _kind(value)


# --- checking the node's own log -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What `verify_audit` found: the chain, the tree, the countersignatures."""

    chain: AuditVerification
    tree: TreeCheck
    cosignatures: int  # stored countersignatures checked
    partners: tuple[str, ...]  # partners that countersigned
    newest_size: int | None  # the largest countersigned size
    problems: tuple[str, ...]  # tree and countersignature problems, each one message

    @property
    def ok(self) -> bool:
        """True when the chain, the tree and every countersignature hold."""
        return self.chain.ok and not self.problems

    def lines(self) -> list[str]:
        """What holds, one line each (the problems are in `problems`)."""
        found: list[str] = []
        if self.tree.ok:
            found.append(
                f"audit tree holds: the stored tree is the tree of the {self.tree.size} entry "
                f"hashes, root {self.tree.root.hex()}"
            )
        if not self.cosignatures:
            found.append(
                "no countersignatures yet: no partner has witnessed this log (each sync with a "
                "partner gets the newest checkpoint countersigned)"
            )
        elif not self.problems:
            found.append(
                f"countersignatures hold: {self.cosignatures} from "
                f"{', '.join(self.partners)}; the newest is for {self.newest_size} entries"
            )
        return found


def verify_audit(store: UnitOfWorkFactory, key_dir: Path) -> AuditReport:
    """Use case: check the chain, recompute the tree from the entries, and check every
    countersignature held: this node's signature, the partner's cosignature with the key
    registered for it, and the root it countersigned against the entries now. Reads only."""
    public = bytes.fromhex(public_key_hex(key_dir))
    with store.unit_of_work() as uow:
        chain = uow.audit.verify()
        cosigned = uow.witness.cosigned()
        tree = uow.audit_tree.check(sizes={row.size for row in cosigned})
        keys = {p.party: p for p in uow.partners.all()}
        party = uow.settings.get("party") or ""
    problems = _tree_problems(tree)
    problems += _cosignature_problems(cosigned, tree, keys, log_name(party, public), public)
    return AuditReport(
        chain=chain,
        tree=tree,
        cosignatures=len(cosigned),
        partners=tuple(sorted({row.partner for row in cosigned})),
        newest_size=max((row.size for row in cosigned), default=None),
        problems=tuple(problems),
    )


def _tree_problems(tree: TreeCheck) -> list[str]:
    problems: list[str] = []
    if tree.stored_size != tree.size:
        problems.append(
            f"audit tree: the stored tree holds {tree.stored_size} entries but the log "
            f"{tree.size}: entries were deleted or added outside the node, or the stored tree "
            "was altered"
        )
    elif tree.stored_root != tree.root:
        problems.append(
            f"audit tree: the stored tree's root {tree.stored_root.hex()} is not the root of "
            f"the entries, {tree.root.hex()}: the stored tree or the entries were altered"
        )
    if tree.wrong_nodes or tree.missing_nodes:
        problems.append(
            f"audit tree: {tree.wrong_nodes} stored node(s) differ from the hashes of the entries "
            f"under them and {tree.missing_nodes} are missing: the stored tree was altered, and "
            "proofs made from it will not verify"
        )
    return problems


def _cosignature_problems(
    cosigned: Sequence[Cosigned],
    tree: TreeCheck,
    keys: dict[str, Partner],
    origin: str,
    public: bytes,
) -> list[str]:
    # Grouped by partner and kind: a node countersigned at every sync holds thousands.
    found: dict[tuple[str, str], list[int]] = {}
    matching: list[int] = []  # sizes whose countersigned root the entries still give
    for row in cosigned:
        kind = _cosignature_problem(row, tree, keys.get(row.partner), origin, public)
        if kind is None:
            matching.append(row.size)
        else:
            found.setdefault((row.partner, kind), []).append(row.size)
    return [
        _cosignature_message(partner, kind, sizes, tree, matching)
        for (partner, kind), sizes in sorted(found.items())
    ]


def _cosignature_problem(
    row: Cosigned, tree: TreeCheck, partner: Partner | None, origin: str, public: bytes
) -> str | None:
    try:
        note = parse_note(row.note)
    except NoteInvalid:
        return "unreadable"
    if note.checkpoint.size != row.size or note.checkpoint.root_hex != row.root:
        return "mismatched"
    if note.checkpoint.origin != origin:
        return "other-log"
    try:
        verify_log_signature(note, public)
    except NoteInvalid:
        return "own-signature"
    if partner is None:
        return "unknown-partner"
    try:
        verify_cosignature(note, bytes.fromhex(partner.verify_key_hex))
    except (NoteInvalid, ValueError):
        return "cosignature"
    if row.size > tree.size:
        return "truncated"
    if tree.roots.get(row.size) != note.checkpoint.root:
        return "rewritten"
    return None


def _cosignature_message(
    partner: str, kind: str, sizes: list[int], tree: TreeCheck, matching: Iterable[int]
) -> str:
    at = _sizes(sizes)
    if kind == "rewritten":
        first = min(sizes)
        before = max((s for s in matching if s < first), default=0)
        return (
            f"countersignature: the log was REWRITTEN after {partner} countersigned it: the "
            f"entries no longer give the root {partner} countersigned at {at}; the change lies "
            f"in entries {before + 1} to {first} (the entries still give the countersigned "
            f"root {'at size ' + str(before) if before else 'at no smaller size'})"
        )
    if kind == "truncated":
        return (
            f"countersignature: the log holds {tree.size} entries but {partner} countersigned "
            f"it at {at}: entries {tree.size + 1} onwards were deleted after {partner} "
            "countersigned them"
        )
    messages = {
        "unreadable": f"the countersignature of {partner} at {at} cannot be read as a note",
        "mismatched": (
            f"the countersignature of {partner} at {at} is stored beside another size or root "
            "than its note gives: the stored row was altered"
        ),
        "other-log": (
            f"the countersignature of {partner} at {at} is for another log than this node's "
            "(another party or signing key)"
        ),
        "own-signature": (
            f"this node's signature on the checkpoint {partner} countersigned at {at} does not "
            "verify with this node's key: the note was altered, or it is not this node's"
        ),
        "unknown-partner": (
            f"the countersignature of {partner} at {at} cannot be checked: {partner} is not a "
            "registered partner, so its key is unknown"
        ),
        "cosignature": (
            f"the countersignature of {partner} at {at} does not verify with the key registered "
            f"for {partner}: it is forged or altered, or {partner}'s key was replaced since"
        ),
    }
    return "countersignature: " + messages[kind]


def _sizes(sizes: list[int]) -> str:
    ordered = sorted(sizes)
    shown = ", ".join(str(s) for s in ordered[:_SIZES_SHOWN])
    more = len(ordered) - _SIZES_SHOWN
    word = "size" if len(ordered) == 1 else "sizes"
    return f"{word} {shown}" + (f" and {more} more" if more > 0 else "")


# --- what a partner holds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerCheck:
    """What `verify_against_partner` found."""

    partner: str
    ok: bool
    message: str


def verify_against_partner(
    store: Store, key_dir: Path, partner: str, *, client: httpx.Client | None = None
) -> PartnerCheck:
    """Use case: ask `partner` for the newest checkpoint of this node's log it countersigned,
    and check it against the entries now (the root recomputed from them at that size).
    SyncError when the partner cannot be asked."""
    # Imported here: check-proof, on an auditor's machine, needs none of the HTTP client.
    from enlace.exchange.sync_client import partner_countersigned

    held = partner_countersigned(store, key_dir, partner, client=client)
    if held is None:
        return PartnerCheck(
            partner,
            True,
            f"{partner} holds no countersigned checkpoint of this log yet (no sync with "
            f"{partner} has been witnessed)",
        )
    size, root = held
    with store.unit_of_work() as uow:
        tree = uow.audit_tree.check(sizes=[size])
    if size > tree.size:
        return PartnerCheck(
            partner,
            False,
            f"{partner} countersigned this log at {size} entries, but it now holds only "
            f"{tree.size}: {size - tree.size} entries were deleted or the log was replaced",
        )
    if tree.roots[size].hex() != root:
        return PartnerCheck(
            partner,
            False,
            f"the log was REWRITTEN after {partner} countersigned it at {size} entries: the "
            f"root {partner} holds ({root}) is not the root of the first {size} entries now "
            f"({tree.roots[size].hex()})",
        )
    return PartnerCheck(
        partner,
        True,
        f"{partner}'s newest countersigned checkpoint ({size} entries, root {root}) is the "
        f"root of this log's first {size} entries: consistent",
    )
