"""Receiving from a partner: what this node accepts, what it refuses and why, and how a page
a sync fetched is stored.

Each object of a page is first checked on its own (enlace.exchange.checking: signature from
``x_enlace_signatures`` against the partner's registered key, a known Enlace type, a valid
record, owned by the partner). The page is then stored in ONE unit of work: what needs the
store is decided there (a version contradicting one already held, a version of a record
held here as someone else's), the good ones are stored with their signatures, each refused
one is audited as ``refusal``, the page as ``receipt``, and the sync's cursor advances — all
committed together. A sync killed at any moment therefore resumes at the first page not
committed, and a version is never stored twice (the store's primary key and the idempotent
writes make a re-fetched page a no-op).

Refusal reasons: ``malformed`` (not a STIX object with id and modified, no canonical form,
or not a valid record of its type), ``missing-signature``, ``bad-signature`` (changed
content, another key, or an unreadable signature), ``unknown-type``, ``wrong-owner`` (the
record claims an owner that is not the sending partner, and no consent of that owner came
with it), ``no-consent`` (the consent that came with it does not hold), ``conflict`` (the
same id and version as one already held, with other content), ``not-releasable-here`` (its
markings do not name this party) ``not-in-manifest`` (the page's signed manifest does not
list it: it was not addressed to this node, or was changed on the way), and the trace rules'
``trace-forged``, ``trace-not-addressed``, ``trace-wrong-party`` and
``trace-status-backwards`` (enlace.exchange.trace_rules).

Exchange protocol 2: what the page's signed manifest lists and the page does not bring (the
channel dropped it), or brings refused, is kept as a gap of the partner's release sequence
(``sequence_gaps``), fetched again at each sync, and reported until it is held. The cursor
advances to the manifest's last number: only over what a signed manifest accounted for.
Refusals of a page are audited in one entry with counts by reason (and the ids), not
one entry per object: a flood of junk writes one line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from enlace.exchange.checking import Accepted, Outcome, Refused
from enlace.exchange.statements import (
    Manifest,
    StatementInvalid,
    binding_map,
    binding_of,
    read_consent,
    read_tombstone,
)
from enlace.exchange.trace_rules import (
    TRACE_REFUSAL_REASONS,
    trace_receipts,
    without_trace_breaches,
)
from enlace.store.repositories.statements import Consent, Revocation
from enlace.store.repositories.sync_state import ReceivedSignature, SequenceGap
from enlace.store.store import Store
from enlace.store.unit_of_work import UnitOfWork

REFUSAL_REASONS = (
    "malformed",
    "missing-signature",
    "bad-signature",
    "unknown-type",
    "wrong-owner",
    "no-consent",
    "conflict",
    "not-releasable-here",
    "not-in-manifest",
    *TRACE_REFUSAL_REASONS,
)
# The ids of a page's refused objects are all kept in its one refusal entry: a page holds at
# most the objects asked for (enlace.exchange.sync_client refuses a bigger one whole).
_IDS_AUDITED = 1000
_GAPS_AUDITED = 100


@dataclass(frozen=True, slots=True)
class Frame:
    """What came with a page besides its objects: its verified manifest, its statements
    (tombstones, consents), and who receives it with which partner keys."""

    manifest: Manifest
    statements: list[Any]
    receiver: str
    keys: Mapping[str, str]  # party -> public key (hex) of every registered partner
    onward_consents: list[Any]  # the page's x_enlace_consents
    signatures: Any  # the page's x_enlace_signatures

    def subjects(self) -> dict[str, str]:
        """The record id each binding of the page names (what a gap is about, when the
        object came but was refused); computed only when a page has gaps."""
        found: dict[str, str] = {}
        if isinstance(self.signatures, dict):
            for key, signature in list(self.signatures.items())[:10_000]:
                if isinstance(key, str) and isinstance(signature, str):
                    found[binding_of(signature)] = key.split("|", 1)[0][:128]
        for item in self.statements[:10_000]:
            body = item.get("statement") if isinstance(item, dict) else None
            signature = item.get("signature") if isinstance(item, dict) else None
            if isinstance(body, dict) and isinstance(signature, str):
                subject = body.get("id") or body.get("record")
                if isinstance(subject, str):
                    found[binding_of(signature)] = subject[:128]
        return found

    @property
    def sender_key(self) -> str:
        """The sending partner's public key."""
        return self.keys.get(self.manifest.sender, "")


@dataclass(frozen=True, slots=True)
class PageReceipt:
    """What storing one page did."""

    received: int  # versions new to this node
    already_held: int
    refused: Counter[str]  # objects refused, by reason
    revoked: int = 0  # tombstones newly held
    consents: int = 0  # consents newly held
    new_gaps: int = 0  # numbers of the sequence found missing or refused on this page
    filled: int = 0  # numbers held now that were gaps


@dataclass(slots=True)
class _Sorted:
    accepted: list[Accepted] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    numbers_held: set[int] = field(default_factory=set)
    # The manifest number of each accepted version, by its signature (hashed once a page).
    number_of: dict[str, int] = field(default_factory=dict)


def store_checked_page(
    store: Store,
    partner: str,
    *,
    actor: str,
    count: int,
    checked: Sequence[Outcome],
    frame: Frame,
) -> PageReceipt:
    """Store a page of `count` objects from `partner`, checked one by one as `checked`, with
    its manifest and statements (`frame`); see the module."""
    manifest = frame.manifest
    with store.unit_of_work() as uow:
        # The cursor first: on SQLite this write takes the database's write lock before
        # anything is read, so a concurrent sync of the same partner waits, never fails.
        # It commits with the page, or not at all; it never goes back (a page fetched again
        # to fill a gap lies behind it).
        held_cursor = uow.cursors.get(partner)
        uow.cursors.put(
            partner,
            next_cursor=None,
            last_added=held_cursor.last_added if held_cursor else None,
            updated_at=uow.started_at,
            sequence=max(held_cursor.sequence if held_cursor else 0, manifest.through),
            highest=max(held_cursor.highest if held_cursor else 0, manifest.highest),
        )
        page = _against_manifest(checked, manifest)
        accepted, refused = page.accepted, page.refused
        # Every version held of the page's records, in one lookup: what conflicts with
        # a version held, and who holds each record (owner, and from whom it came).
        held = uow.records.holdings_of(a.version.id for a in accepted)
        holders: dict[str, set[tuple[str, str | None]]] = {}
        for (record_id, _modified), (_digest, owner, source) in held.items():
            holders.setdefault(record_id, set()).add((owner, source))
        accepted, conflicts = _without_conflicts(
            accepted, {key: digest for key, (digest, _, _) in held.items()}
        )
        refused.extend(conflicts)
        accepted, usurped = _without_usurped(accepted, holders)
        refused.extend(usurped)
        accepted, breaches = without_trace_breaches(
            uow, partner=partner, receiver=frame.receiver, accepted=accepted
        )
        refused.extend(breaches)
        new = uow.records.add([a.version for a in accepted], added_at=uow.started_at)
        uow.signatures.add(
            [
                ReceivedSignature(
                    a.version.id,
                    a.version.modified,
                    a.version.owner,
                    a.signature,
                    uow.started_at,
                )
                for a in accepted
            ]
        )
        _keep_onward_consents(uow, partner, frame, accepted)
        revoked, consents, statement_refusals, statement_numbers = _statements(uow, partner, frame)
        refused.extend(statement_refusals)
        page.numbers_held |= statement_numbers
        # A version of a record whose tombstone is held arrives revoked (the tombstone may
        # come first: the owner sends it to every holder at once).
        tombstoned = uow.revocations.revoked_among([a.version.id for a in accepted])
        for owner in set(tombstoned.values()):
            uow.revocations.mark_revoked(
                [rid for rid, o in tombstoned.items() if o == owner], owner
            )
        # Of the record numbers, only those accepted after the store's checks too are held.
        records_held = {page.number_of[a.signature] for a in accepted}
        page.numbers_held = {
            entry.sequence
            for entry in manifest.entries
            if entry.sequence in page.numbers_held
            and (entry.kind != "record" or entry.sequence in records_held)
        }
        new_gaps, filled = _gaps(uow, partner, frame, page.numbers_held, refused)
        _audit_page(uow, actor, partner, count, new, accepted, refused, new_gaps)
        trace_receipts(
            uow,
            actor=actor,
            partner=partner,
            new=[a for a in accepted if (a.version.id, a.version.modified) not in held],
        )
        uow.commit()
    counts = Counter(r.reason for r in refused)
    return PageReceipt(new, len(accepted) - new, counts, revoked, consents, len(new_gaps), filled)


def _keep_onward_consents(
    uow: UnitOfWork, partner: str, frame: Frame, accepted: Sequence[Accepted]
) -> None:
    # A record passed on by `partner` with its owner's consent: the consent (checked with
    # the record) is kept as the provenance of what this node holds.
    onward = {(a.version.id, a.version.modified): a.version.owner for a in accepted}
    onward = {key: owner for key, owner in onward.items() if owner != partner}
    if not onward:
        return
    for item in frame.onward_consents[: len(onward) * 2]:
        if not isinstance(item, dict):
            continue
        body = item.get("statement")
        owner = body.get("owner") if isinstance(body, dict) else None
        if not isinstance(owner, str) or owner not in frame.keys:
            continue
        try:
            consent, text, _ = read_consent(body, item.get("signature"), frame.keys[owner])
        except StatementInvalid:
            continue
        if onward.get((consent.record_id, consent.version)) != consent.owner:
            continue
        uow.consents.add(
            Consent(
                consent.record_id,
                consent.version,
                consent.owner,
                consent.holder,
                consent.recipient,
                text,
                str(item.get("signature")),
                partner,
                uow.started_at,
            )
        )


def _against_manifest(checked: Sequence[Outcome], manifest: Manifest) -> _Sorted:
    # Each accepted object must be listed in the signed manifest (its signature's binding):
    # anything else was not addressed to this node by its sender, or was changed.
    listed = {entry.binding: entry for entry in manifest.entries if entry.kind == "record"}
    page = _Sorted()
    bindings = binding_map(o.signature for o in checked if isinstance(o, Accepted))
    for outcome in checked:
        if isinstance(outcome, Refused):
            page.refused.append(outcome)
            continue
        version = outcome.version
        entry = listed.get(bindings[outcome.signature])
        if entry is None:
            page.refused.append(
                Refused(
                    version.id,
                    "not-in-manifest",
                    f"version {version.modified} is not listed in the page's signed manifest "
                    "(not addressed to this node, or changed on the way)",
                )
            )
            continue
        page.accepted.append(outcome)
        page.numbers_held.add(entry.sequence)
        page.number_of[outcome.signature] = entry.sequence
    return page


def _statements(
    uow: UnitOfWork, partner: str, frame: Frame
) -> tuple[int, int, list[Refused], set[int]]:
    # Tombstones and consents of the page: each signed by the sender as owner, listed in
    # the manifest, and about this node (a consent names it as holder).
    listed = {
        (entry.kind, entry.binding): entry.sequence
        for entry in frame.manifest.entries
        if entry.kind != "record"
    }
    revoked = consents = 0
    refused: list[Refused] = []
    numbers: set[int] = set()
    for item in frame.statements[: len(listed) + 1]:
        kind = item.get("kind") if isinstance(item, dict) else None
        body = item.get("statement") if isinstance(item, dict) else None
        signature = item.get("signature") if isinstance(item, dict) else None
        subject = (
            str(body.get("id") or body.get("record") or "<statement>")[:128]
            if isinstance(body, dict)
            else "<statement>"
        )
        try:
            if kind == "tombstone":
                tombstone, text, _ = read_tombstone(body, signature, frame.sender_key)
                if tombstone.owner != partner:
                    raise StatementInvalid(
                        "wrong-owner",
                        f"a tombstone of {tombstone.owner}'s record sent by {partner}: only a "
                        "record's owner revokes it",
                    )
            elif kind == "consent":
                consent, text, _ = read_consent(body, signature, frame.sender_key)
                if consent.owner != partner or consent.holder != frame.receiver:
                    raise StatementInvalid(
                        "wrong-owner",
                        f"a consent of {consent.owner} for holder {consent.holder} sent by "
                        f"{partner} to {frame.receiver}",
                    )
            else:
                raise StatementInvalid("malformed", f"unknown statement kind {str(kind)[:40]!r}")
            number = listed.get((kind, binding_of(str(signature))))
            if number is None:
                raise StatementInvalid(
                    "not-in-manifest", "the statement is not listed in the page's signed manifest"
                )
        except StatementInvalid as error:
            refused.append(Refused(subject, error.reason, str(error)))
            continue
        numbers.add(number)
        if kind == "tombstone":
            revoked += uow.revocations.add(
                Revocation(
                    tombstone.record_id,
                    tombstone.owner,
                    tombstone.revoked_at,
                    tombstone.reason,
                    text,
                    str(signature),
                    partner,
                    uow.started_at,
                )
            )
        else:
            consents += uow.consents.add(
                Consent(
                    consent.record_id,
                    consent.version,
                    consent.owner,
                    consent.holder,
                    consent.recipient,
                    text,
                    str(signature),
                    partner,
                    uow.started_at,
                )
            )
    return revoked, consents, refused, numbers


def _gaps(
    uow: UnitOfWork,
    partner: str,
    frame: Frame,
    held: set[int],
    refused: Sequence[Refused],
) -> tuple[list[SequenceGap], int]:
    # What the manifest accounts for and this node does not hold: dropped on the way
    # ("missing"), or refused (the reason). Numbers the manifest skips, or that the partner
    # says it released beyond the last page, are missing too.
    manifest = frame.manifest
    gaps = []
    unheld = [e for e in manifest.entries if e.sequence not in held]
    if unheld:
        why = {r.subject: r.reason for r in refused}
        subjects = frame.subjects()
        for entry in unheld:
            subject = subjects.get(entry.binding)
            reason = why.get(subject, "missing") if subject is not None else "missing"
            gaps.append(SequenceGap(partner, entry.sequence, reason, subject, ""))
    listed = {e.sequence for e in manifest.entries}
    skipped = [n for n in range(manifest.after + 1, manifest.through + 1) if n not in listed]
    if not manifest.more and not manifest.filtered:
        skipped.extend(range(manifest.through + 1, manifest.highest + 1))
    gaps.extend(SequenceGap(partner, n, "missing", None, "") for n in skipped)
    gaps = [SequenceGap(g.partner, g.sequence, g.reason, g.subject, uow.started_at) for g in gaps]
    filled = 0
    if held and uow.gaps.of(partner, limit=1):
        filled = uow.gaps.remove_many({(partner, n) for n in held})
    uow.gaps.add(gaps)
    return gaps, filled


def _audit_page(
    uow: UnitOfWork,
    actor: str,
    partner: str,
    count: int,
    new: int,
    accepted: Sequence[Accepted],
    refused: Sequence[Refused],
    gaps: Sequence[SequenceGap],
) -> None:
    audit = uow.audit
    counts = Counter(r.reason for r in refused)
    if refused:
        ids: dict[str, list[str]] = {}
        messages: dict[str, str] = {}
        for refusal in refused:
            kept = ids.setdefault(refusal.reason, [])
            if len(kept) < _IDS_AUDITED:
                kept.append(refusal.subject[:128])
            messages.setdefault(refusal.reason, refusal.message[:300])
        audit.append(
            actor=actor,
            action="refusal",
            subject=partner,
            detail={
                "partner": partner,
                "refused": len(refused),
                "reasons": dict(counts),
                "ids": ids,
                "messages": messages,
            },
        )
    if gaps:
        audit.append(
            actor=actor,
            action="sequence-gap",
            subject=partner,
            detail={
                "partner": partner,
                "count": len(gaps),
                "sequences": [g.sequence for g in gaps[:_GAPS_AUDITED]],
                "reasons": dict(Counter(g.reason for g in gaps)),
            },
        )
    if count:
        audit.append(
            actor=actor,
            action="receipt",
            subject=partner,
            detail={
                "partner": partner,
                "objects": count,
                "received": new,
                "already_held": len(accepted) - new,
                "refused": dict(counts),
            },
        )


def _without_conflicts(
    accepted: list[Accepted], held: Mapping[tuple[str, str], str]
) -> tuple[list[Accepted], list[Refused]]:
    # A version held (or earlier on this page) with other content is refused, not stored:
    # the store would otherwise roll the whole page back.
    kept: list[Accepted] = []
    refused: list[Refused] = []
    digests = dict(held)
    for item in accepted:
        key = (item.version.id, item.version.modified)
        digest = digests.setdefault(key, item.version.content_digest)
        if digest != item.version.content_digest:
            refused.append(
                Refused(
                    item.version.id,
                    "conflict",
                    f"version {item.version.modified} is already held with other content",
                )
            )
        else:
            kept.append(item)
    return kept, refused


def _without_usurped(
    accepted: list[Accepted], holders: Mapping[str, set[tuple[str, str | None]]]
) -> tuple[list[Accepted], list[Refused]]:
    # Only a record's owner issues its versions: a version of a record this node holds as
    # made here, or as received from another party, is refused (a partner cannot re-version
    # or revoke a record it does not own, even by claiming ownership of its id).
    kept: list[Accepted] = []
    refused: list[Refused] = []
    for item in accepted:
        others = {
            (owner, source)
            for owner, source in holders.get(item.version.id, set())
            if (owner, source) != (item.version.owner, item.version.received_from)
        }
        if others:
            owner, source = sorted(others, key=lambda h: (h[0], h[1] or ""))[0]
            held_as = "made here" if source is None else f"received from {source}"
            refused.append(
                Refused(
                    item.version.id,
                    "wrong-owner",
                    f"the record is held here as owned by {owner} ({held_as}); only its "
                    "owner may issue its versions",
                )
            )
        else:
            kept.append(item)
    return kept, refused
