"""Witnessing: at every sync, each node countersigns the other's audit-log checkpoint (issue 13).

Every node's audit log is the leaves of an RFC 9162 Merkle tree (enlace.store.repositories
.audit_tree). A *checkpoint* is its size and root, signed by the node (enlace.transparency
.notes). At every sync the puller and the partner it pulls from witness each other:

1. The puller asks the partner for its log (``GET /witness/v1/log``), naming the size of the
   partner's checkpoint it countersigned last (``since``). The partner answers with a new
   checkpoint and the RFC 9162 consistency proof from that size; the puller checks the proof
   against the root it stored (not one the partner states), and countersigns.
2. The puller sends its own checkpoint (``POST /witness/v1/cosign``) with the proof from the
   size the partner countersigned last (the partner said which in step 1), and the
   countersignature of step 1 (or its refusal). The partner checks the proof against the root
   *it* stored and answers with its countersignature, which the puller stores.

A checkpoint smaller than one countersigned (entries deleted), of the same size with another
root (rewritten), whose proof does not verify (history changed before the size countersigned),
or badly signed, is refused: the refusal is kept as evidence (an alert with the notes and the
proof) on the node that found it and, told in the same exchange, on the node refused.

Split views: each node passes its partner the newest checkpoints it countersigned of the
parties both have as partners (``heard``). Two checkpoints of one party for the same size
with different roots are themselves the proof; otherwise the next witnessing of that party
asks it for a consistency proof from the size heard of (``also``), which a party that showed
another history to the other partner cannot give. Where two witnesses of a party are not
partners of each other, nobody passes the checkpoints on: only a third witness common to
both would catch a split view (docs/audit.md).

What this does not catch: events never logged, and entries written after the last
countersigned size and deleted before the next sync.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nacl.signing import SigningKey

from enlace.model.timestamps import format_timestamp, utc_now
from enlace.store.repositories.partners import Partner
from enlace.store.repositories.witness import Cosigned, Witnessed
from enlace.store.store import Store
from enlace.store.unit_of_work import UnitOfWork
from enlace.transparency.merkle import HASH_SIZE
from enlace.transparency.notes import (
    Checkpoint,
    NoteInvalid,
    SignedNote,
    cosign,
    log_name,
    parse_note,
    sign_checkpoint,
    verify_cosignature,
    verify_log_signature,
    witness_name,
)
from enlace.transparency.proofs import MerkleProofError, verify_consistency

WITNESS_PREFIX = "/witness/v1"
MAX_PROOF_HASHES = 64  # a consistency proof of a log of 2**63 entries has fewer
MAX_HEARD = 8  # checkpoints of other parties passed on per exchange
MAX_ALSO = 8  # sizes heard of that one exchange asks proofs from
_MESSAGE_SHOWN = 500  # the most of a partner's own words kept in an alert

REFUSAL_KINDS = (
    "bad-checkpoint",
    "truncated",
    "rewritten",
    "inconsistent",
    "split-view",
    "refused-by-partner",
)


class WitnessRefusal(Exception):
    """A partner's checkpoint that cannot be countersigned: `kind` (one of REFUSAL_KINDS),
    the message an officer reads, and the evidence kept."""

    def __init__(self, kind: str, message: str, evidence: dict[str, Any]) -> None:
        self.kind = kind
        self.message = message
        self.evidence = evidence
        super().__init__(message)


class WitnessProtocolError(Exception):
    """A witnessing answer or request that is not what the protocol says."""


@dataclass(slots=True)
class WitnessReport:
    """What one witnessing exchange with a partner did (part of a sync's report)."""

    partner: str
    witnessed: int | None = None  # the partner's checkpoint size this node countersigned
    cosigned: int | None = None  # this node's checkpoint size the partner countersigned
    alerts: list[str] = field(default_factory=list)  # refusals raised here, as messages
    problem: str | None = None  # why the exchange could not be completed (not an alert)

    def summary(self) -> str:
        """One line for people."""
        if self.alerts:
            return f"AUDIT ALERT with {self.partner}: " + " | ".join(self.alerts)
        if self.problem:
            return f"audit not witnessed with {self.partner} this time: {self.problem}"
        parts = []
        if self.witnessed is not None:
            parts.append(f"countersigned {self.partner}'s log at {self.witnessed} entries")
        if self.cosigned is not None:
            parts.append(f"{self.partner} countersigned this node's log at {self.cosigned}")
        return "audit witnessed: " + "; ".join(parts)


# --- checkpoints ---------------------------------------------------------------------------


def current_checkpoint(uow: UnitOfWork, party: str, signing_key: SigningKey) -> SignedNote:
    """This node's log as it stands, signed."""
    public = bytes(signing_key.verify_key)
    tree = uow.audit_tree.frontier()
    return sign_checkpoint(Checkpoint(log_name(party, public), tree.size, tree.root()), signing_key)


def _partner_key(partner: Partner) -> bytes:
    return bytes.fromhex(partner.verify_key_hex.strip())


def _read_checkpoint(text: object, owner: Partner) -> SignedNote:
    """`owner`'s signed checkpoint from `text`; WitnessRefusal('bad-checkpoint') if not."""
    key = _partner_key(owner)
    try:
        note = parse_note(text)
        expected = log_name(owner.party, key)
        if note.checkpoint.origin != expected:
            raise NoteInvalid(
                f"it is the checkpoint of {note.checkpoint.origin!r}, not of {expected!r} "
                f"(the log of {owner.party} under the key registered for it)"
            )
        verify_log_signature(note, key)
    except NoteInvalid as error:
        raise WitnessRefusal(
            "bad-checkpoint",
            f"{owner.party} sent a checkpoint that cannot be accepted: {error}",
            {"checkpoint": text if isinstance(text, str) else repr(text)[:200]},
        ) from None
    return note


def _proof(value: object) -> list[bytes]:
    if not isinstance(value, list) or len(value) > MAX_PROOF_HASHES:
        raise WitnessProtocolError(f"a proof is a list of at most {MAX_PROOF_HASHES} hashes")
    hashes = []
    for item in value:
        try:
            raw = base64.b64decode(str(item).encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise WitnessProtocolError("a proof hash is not base64") from None
        if len(raw) != HASH_SIZE:
            raise WitnessProtocolError(f"a proof hash is {HASH_SIZE} bytes, not {len(raw)}")
        hashes.append(raw)
    return hashes


def encode_proof(proof: Sequence[bytes]) -> list[str]:
    """A proof as it travels: base64 of each hash."""
    return [base64.b64encode(item).decode("ascii") for item in proof]


def check_partner_checkpoint(
    uow: UnitOfWork, owner: Partner, note_text: object, proof: object
) -> SignedNote:
    """`owner`'s new checkpoint if this node can countersign it: signed by `owner`, and
    consistent with every checkpoint of `owner` this node holds at or below its size (the
    newest it countersigned, and any a partner passed on at the same size). WitnessRefusal
    otherwise, with the evidence; nothing is stored either way."""
    note = _read_checkpoint(note_text, owner)
    new = note.checkpoint
    for other in uow.witness.witnessed_at(owner.party, new.size):
        if other.root != new.root_hex:
            kind = "rewritten" if other.source == owner.party else "split-view"
            raise WitnessRefusal(
                kind,
                f"{owner.party} shows a log of {new.size} entries whose root differs from the "
                f"one {_whose(other)} countersigned for the same size on "
                f"{other.seen_at}: {owner.party} rewrote its history"
                + (
                    " or shows different histories to different partners"
                    if kind == "split-view"
                    else ""
                ),
                {"checkpoint": note.text(), "held": other.note, "held_from": other.source},
            )
    held = uow.witness.latest_witnessed(owner.party)
    if held is None or held.size == new.size:
        return note  # the first checkpoint seen (trusted on first use), or the same again
    if new.size < held.size:
        raise WitnessRefusal(
            "truncated",
            f"{owner.party}'s log now has {new.size} entries, but this node countersigned "
            f"{held.size} on {held.seen_at}: {held.size - new.size} entries were deleted "
            "or the log was replaced",
            {"checkpoint": note.text(), "held": held.note},
        )
    try:
        verify_consistency(
            first_size=held.size,
            first_root=bytes.fromhex(held.root),
            second_size=new.size,
            second_root=new.root,
            proof=_proof(proof),
        )
    except (MerkleProofError, WitnessProtocolError) as error:
        raise WitnessRefusal(
            "inconsistent",
            f"{owner.party}'s log of {new.size} entries does not extend the {held.size} "
            f"entries this node countersigned on {held.seen_at}: its history up to entry "
            f"{held.size} was changed (an entry edited, inserted or removed and everything "
            f"rehashed, or the log replaced) — {error}",
            {"checkpoint": note.text(), "held": held.note, "proof": proof},
        ) from None
    return note


def _whose(held: Witnessed) -> str:
    return "this node" if held.source == held.party else f"{held.source} (as it told this node)"


def countersign(
    uow: UnitOfWork, owner: Partner, note: SignedNote, *, party: str, signing_key: SigningKey
) -> SignedNote:
    """Store `owner`'s checked checkpoint as countersigned here, audit it, and return the
    note with this node's cosignature added."""
    at = format_timestamp(utc_now())
    name = witness_name(party, bytes(signing_key.verify_key))
    signature = cosign(note.checkpoint, name, signing_key, at=int(utc_now().timestamp()))
    signed = note.with_signature(signature)
    uow.witness.add_witnessed(
        Witnessed(
            party=owner.party,
            source=owner.party,
            size=note.checkpoint.size,
            root=note.checkpoint.root_hex,
            note=signed.text(),
            seen_at=at,
            checked_at=at,
        )
    )
    uow.audit.append(
        actor="witness",
        action="checkpoint-witnessed",
        subject=owner.party,
        detail={"size": note.checkpoint.size, "root": note.checkpoint.root_hex},
    )
    return signed


def keep_cosignature(
    uow: UnitOfWork, partner: Partner, note_text: object, *, party: str, signing_key: SigningKey
) -> int:
    """Store `partner`'s countersignature of one of this node's checkpoints; return its size.

    Checked before anything is kept: the checkpoint is this node's (its signature, its
    origin), its root is this node's tree at that size, and the cosignature is `partner`'s.
    WitnessProtocolError otherwise (a partner cannot make this node keep a countersignature
    of a history it never had)."""
    public = bytes(signing_key.verify_key)
    try:
        note = parse_note(note_text)
        if note.checkpoint.origin != log_name(party, public):
            raise NoteInvalid("it is not a checkpoint of this node's log")
        verify_log_signature(note, public)
        verify_cosignature(note, _partner_key(partner))
    except NoteInvalid as error:
        raise WitnessProtocolError(f"countersignature not kept: {error}") from None
    size = note.checkpoint.size
    if size > uow.audit_tree.size() or uow.audit_tree.root(size) != note.checkpoint.root:
        raise WitnessProtocolError(
            f"countersignature not kept: this node's log at {size} entries has another root"
        )
    uow.witness.add_cosigned(
        Cosigned(
            partner=partner.party,
            size=size,
            root=note.checkpoint.root_hex,
            note=note.text(),
            cosigned_at=format_timestamp(utc_now()),
        )
    )
    uow.audit.append(
        actor=partner.party,
        action="checkpoint-cosigned",
        subject=partner.party,
        detail={"size": size, "root": note.checkpoint.root_hex},
    )
    return size


def raise_alert(uow: UnitOfWork, *, party: str, reporter: str, refusal: WitnessRefusal) -> None:
    """Keep a refusal as evidence: an alert, and an audit entry."""
    uow.witness.raise_alert(
        party=party,
        reporter=reporter,
        kind=refusal.kind,
        message=refusal.message,
        evidence=refusal.evidence,
        at=format_timestamp(utc_now()),
    )
    uow.audit.append(
        actor="witness",
        action="witness-refused",
        subject=party,
        detail={"kind": refusal.kind, "reporter": reporter, "message": refusal.message[:2000]},
    )


def partner_refused(partner: str, said: object, kind: object) -> WitnessRefusal:
    """The alert kept when `partner` refused this node's checkpoint (its words, bounded)."""
    words = said if isinstance(said, str) else ""
    shown = "".join(c if c.isprintable() else " " for c in words[:_MESSAGE_SHOWN])
    what = kind if isinstance(kind, str) and kind in REFUSAL_KINDS else "refused"
    return WitnessRefusal(
        "refused-by-partner",
        f"{partner} refused this node's audit checkpoint ({what}): {shown}",
        {"partner": partner, "kind": what, "said": shown},
    )


# --- passing checkpoints on (split views) --------------------------------------------------


def checkpoints_to_pass_on(
    uow: UnitOfWork, to: str, parties: Sequence[object]
) -> list[dict[str, str]]:
    """The newest checkpoints this node countersigned of those of `parties` it partners
    with (never of `to` itself): what it passes on to `to`."""
    known = {p.party for p in uow.partners.all()}
    passed: list[dict[str, str]] = []
    for party in parties:
        if not isinstance(party, str) or party == to or party not in known:
            continue
        held = uow.witness.latest_witnessed(party)
        if held is not None:
            passed.append({"party": party, "checkpoint": held.note})
        if len(passed) >= MAX_HEARD:
            break
    return passed


def hear(uow: UnitOfWork, source: Partner, items: object, *, party: str) -> list[WitnessRefusal]:
    """Take the checkpoints `source` passed on; return the split views they prove at once
    (two checkpoints of one party, same size, different roots). Others are kept to be
    checked at the next witnessing of their party. What cannot be read is ignored: it proves
    nothing about its party (anyone could have written it)."""
    if not isinstance(items, list):
        return []
    partners = {p.party: p for p in uow.partners.all()}
    found: list[WitnessRefusal] = []
    for item in items[:MAX_HEARD]:
        if not isinstance(item, dict):
            continue
        owner = partners.get(str(item.get("party")))
        if owner is None or owner.party in (source.party, party):
            continue
        try:
            note = _read_checkpoint(item.get("checkpoint"), owner)
        except WitnessRefusal:
            continue
        new = note.checkpoint
        passed_before = uow.witness.latest_witnessed(owner.party, source=source.party)
        if passed_before is not None and passed_before.size >= new.size:
            continue  # only a newer checkpoint is kept: a partner cannot fill this table
        clash = next(
            (h for h in uow.witness.witnessed_at(owner.party, new.size) if h.root != new.root_hex),
            None,
        )
        if clash is not None:
            found.append(
                WitnessRefusal(
                    "split-view",
                    f"{owner.party} signed two different logs of {new.size} entries: the one "
                    f"{source.party} countersigned and the one "
                    f"{'this node' if clash.source == owner.party else clash.source} holds — "
                    f"{owner.party} shows different histories to different partners",
                    {
                        "party": owner.party,
                        "heard_from": source.party,
                        "checkpoint": note.text(),
                        "held": clash.note,
                    },
                )
            )
            continue
        uow.witness.add_witnessed(
            Witnessed(
                party=owner.party,
                source=source.party,
                size=new.size,
                root=new.root_hex,
                note=note.text(),
                seen_at=format_timestamp(utc_now()),
                checked_at=None,
            )
        )
    return found


def check_heard(
    uow: UnitOfWork, owner: Partner, note: SignedNote, answers: object
) -> list[WitnessRefusal]:
    """Check the checkpoints of `owner` others passed on against `owner`'s checkpoint
    `note` (already checked), with the proofs `owner` gave from their sizes (`answers`)."""
    by_size: dict[int, Any] = {}
    if isinstance(answers, list):
        for answer in answers[:MAX_ALSO]:
            if isinstance(answer, dict) and isinstance(answer.get("size"), int):
                by_size[answer["size"]] = answer
    found: list[WitnessRefusal] = []
    now = format_timestamp(utc_now())
    for heard in uow.witness.unchecked(owner.party, limit=MAX_ALSO):
        answer = by_size.get(heard.size)
        if answer is None:
            continue  # not asked this time (asked sizes are the smallest unchecked)
        new = note.checkpoint
        problem = None
        if heard.size > new.size:
            problem = f"it now shows this node only {new.size} entries"
        else:
            try:
                verify_consistency(
                    first_size=heard.size,
                    first_root=bytes.fromhex(heard.root),
                    second_size=new.size,
                    second_root=new.root,
                    proof=_proof(answer.get("proof")),
                )
            except (MerkleProofError, WitnessProtocolError) as error:
                problem = f"its log shown to this node does not extend it ({error})"
        if problem is None:
            uow.witness.mark_checked(heard, now)
            continue
        found.append(
            WitnessRefusal(
                "split-view",
                f"{owner.party} showed {heard.source} a log of {heard.size} entries "
                f"(countersigned by {heard.source}, passed on on {heard.seen_at}), but {problem}: "
                f"{owner.party} shows different histories to different partners",
                {
                    "heard_from": heard.source,
                    "heard": heard.note,
                    "checkpoint": note.text(),
                    "proof": answer.get("proof"),
                },
            )
        )
        uow.witness.mark_checked(heard, now)  # kept as evidence in the alert; asked once
    return found


# --- the serving side ----------------------------------------------------------------------


def serve_log(
    store: Store,
    *,
    party: str,
    signing_key: SigningKey,
    partner: Partner,
    since: int,
    also: Sequence[int],
    about: Sequence[str],
) -> dict[str, Any]:
    """Use case (GET /witness/v1/log): this node's checkpoint for `partner`, the consistency
    proofs from `since` and from each size in `also`, what this node countersigned of
    `partner` last, and the newest checkpoints it countersigned of the parties in `about` it
    also partners with. Writes nothing."""
    with store.unit_of_work() as uow:
        note = current_checkpoint(uow, party, signing_key)
        size = note.checkpoint.size

        def proof_from(first: int) -> list[str] | None:
            if not 0 < first <= size:
                return None
            return encode_proof(uow.audit_tree.consistency_proof(first, size))

        yours = uow.witness.latest_witnessed(partner.party)
        known = {p.party for p in uow.partners.all()}
        common = sorted({p for p in about if p in known and p not in (partner.party, party)})
        return {
            "checkpoint": note.text(),
            "since": since,
            "proof": proof_from(since) or [],
            "also": [
                {"size": first, "proof": proof_from(first) or [], "beyond": first > size}
                for first in list(dict.fromkeys(also))[:MAX_ALSO]
            ],
            "yours": None if yours is None else {"size": yours.size, "root": yours.root},
            "common": common,
            "heard": checkpoints_to_pass_on(uow, partner.party, common),
        }


def receive_cosign(
    store: Store, *, party: str, signing_key: SigningKey, partner: Partner, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Use case (POST /witness/v1/cosign): keep what `partner` said of this node's log (its
    countersignature or its refusal) and the checkpoints it passed on; check its checkpoint
    and answer with this node's countersignature (200) or the refusal (409)."""
    with store.unit_of_work() as uow:
        if body.get("witnessed") is not None:
            # Not kept when it does not hold; the partner's alert, if any, comes as a refusal.
            with contextlib.suppress(WitnessProtocolError):
                keep_cosignature(
                    uow, partner, body["witnessed"], party=party, signing_key=signing_key
                )
        refusal = body.get("refusal")
        if isinstance(refusal, dict):
            raise_alert(
                uow,
                party=party,
                reporter=partner.party,
                refusal=partner_refused(partner.party, refusal.get("message"), refusal.get("kind")),
            )
        for found in hear(uow, partner, body.get("heard"), party=party):
            raise_alert(uow, party=_subject(found), reporter=party, refusal=found)
        try:
            note = check_partner_checkpoint(uow, partner, body.get("checkpoint"), body.get("proof"))
        except WitnessRefusal as refused:
            raise_alert(uow, party=partner.party, reporter=party, refusal=refused)
            uow.commit()
            return 409, {
                "title": "Checkpoint refused",
                "description": refused.message,
                "refused": refused.kind,
            }
        signed = countersign(uow, partner, note, party=party, signing_key=signing_key)
        uow.commit()
        return 200, {"cosigned": signed.text()}


def _subject(refusal: WitnessRefusal) -> str:
    # A split view passed on is about the party named in its evidence, not the sender.
    return str(refusal.evidence["party"])


# --- the pulling side ----------------------------------------------------------------------

Get = Callable[[dict[str, Any]], dict[str, Any]]
Post = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


def witness_partner(
    store: Store, *, party: str, signing_key: SigningKey, partner: Partner, get: Get, post: Post
) -> WitnessReport:
    """Use case (inside a sync): witness `partner`'s log and have it witness this node's,
    through `get` and `post` (the sync client's bounded requests; they raise on transport
    problems, which the caller reports). See the module for the exchange."""
    report = WitnessReport(partner=partner.party)
    with store.unit_of_work() as uow:
        held = uow.witness.latest_witnessed(partner.party)
        pending = [h.size for h in uow.witness.unchecked(partner.party, limit=MAX_ALSO)]
        about = sorted(p.party for p in uow.partners.all() if p.party != partner.party)
    answer = get(
        {
            "since": held.size if held else 0,
            "also": ",".join(str(size) for size in pending),
            "about": ",".join(about),
        }
    )
    outgoing: dict[str, Any] = {}
    with store.unit_of_work() as uow:
        try:
            note = check_partner_checkpoint(
                uow, partner, answer.get("checkpoint"), answer.get("proof")
            )
        except WitnessRefusal as refused:
            raise_alert(uow, party=partner.party, reporter=party, refusal=refused)
            report.alerts.append(refused.message)
            outgoing["refusal"] = {"kind": refused.kind, "message": refused.message}
        else:
            for found in check_heard(uow, partner, note, answer.get("also")):
                raise_alert(uow, party=partner.party, reporter=party, refusal=found)
                report.alerts.append(found.message)
            signed = countersign(uow, partner, note, party=party, signing_key=signing_key)
            outgoing["witnessed"] = signed.text()
            report.witnessed = note.checkpoint.size
        for found in hear(uow, partner, answer.get("heard"), party=party):
            raise_alert(uow, party=_subject(found), reporter=party, refusal=found)
            report.alerts.append(found.message)
        common = answer.get("common")
        outgoing["heard"] = checkpoints_to_pass_on(
            uow, partner.party, common if isinstance(common, list) else []
        )
        mine = current_checkpoint(uow, party, signing_key)
        yours = answer.get("yours")
        first = yours.get("size") if isinstance(yours, dict) else None
        size = mine.checkpoint.size
        proof: list[bytes] = []
        if isinstance(first, int) and 0 < first < size:
            proof = uow.audit_tree.consistency_proof(first, size)
        outgoing["checkpoint"] = mine.text()
        outgoing["proof"] = encode_proof(proof)
        uow.commit()
    status, said = post(outgoing)
    with store.unit_of_work() as uow:
        if status == 200:
            try:
                report.cosigned = keep_cosignature(
                    uow, partner, said.get("cosigned"), party=party, signing_key=signing_key
                )
            except WitnessProtocolError as error:
                report.problem = str(error)
        else:
            theirs = partner_refused(partner.party, said.get("description"), said.get("refused"))
            raise_alert(uow, party=party, reporter=partner.party, refusal=theirs)
            report.alerts.append(theirs.message)
        uow.commit()
    return report
