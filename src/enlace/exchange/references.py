"""The reference rule: a record that names other records goes to a partner only where they may.

DESIGN.md: "A reference is a disclosure too." A relationship released to US that points at
MX's national-only person tells US that person's id and the link, though US may not hold the
person. So a record version that names other records by id (`enlace.model.records.references`
says which fields count) is releasable to partner P only if, for every record it names, P
may hold it:

- it is P's own record (its owner is P), or a record this node received from P;
- it is a record this node owns whose newest version the release rule lets go to P (its
  markings name P and it is not revoked: `refusal_reason` says None), whether or not it has
  been released yet;
- a version of it was already released to P (P holds it, whatever its markings say now).

Anything else withholds the record, with a reason naming the first record P may not hold:
another party's record this node received (never passed on), this node's record whose
markings leave P out or that is revoked, and an id this node does not hold at all (P might
not be entitled even to learn it).

The rule looks one step: a named record that P may hold by its markings counts as such even
if it is itself withheld for what it names (its id is P's to know; what it names is not
disclosed by naming it). Revocations are exempt (DECISIONS.md: a tombstone goes to whoever
held the record): `enlace.exchange.revocation` does not come through here.

Building blocks: they take the caller's unit of work and never commit. A batch of rows costs
one lookup of the named records per 500 ids and one of the releases, never one per reference.
"""

from __future__ import annotations

from collections.abc import Sequence

from enlace.model.records.references import may_name_records, referenced_ids
from enlace.store.unit_of_work import UnitOfWork
from enlace.store.versions import StoredRow

AUDITED_IDS = 100  # ids (with their reasons) named in one "release-withheld" audit entry


def withheld_for_references(
    uow: UnitOfWork, *, party: str, partner: str, rows: Sequence[StoredRow]
) -> dict[str, str]:
    """record id -> why it is withheld from `partner`, for each row (a newest version about to
    be released by this node of `party`) that names a record `partner` may not hold."""
    named = {
        row.id: refs
        for row in rows
        if may_name_records(row.kind, row.stix)
        and (refs := referenced_ids(row.kind, row.stix_object()))
    }
    if not named:
        return {}
    wanted = {ref for refs in named.values() for ref in refs}
    held = uow.records.latest_among(wanted)
    why_not: dict[str, str] = {}
    for ref in wanted:
        reason = _why_partner_may_not_hold(held.get(ref), party=party, partner=partner)
        if reason is not None:
            why_not[ref] = reason
    if why_not:
        # A version already released to the partner is held there whatever it says now.
        for ref in uow.releases.released_ids(partner, sorted(why_not)):
            del why_not[ref]
    withheld: dict[str, str] = {}
    for record_id, refs in named.items():
        barred = [ref for ref in refs if ref in why_not]
        if barred:
            first = barred[0]
            reason = f"it refers to {first}, which {partner} may not hold: {why_not[first]}"
            if len(barred) > 1:
                reason += (
                    f"; it also refers to {len(barred) - 1} other record(s) {partner} may not hold"
                )
            withheld[record_id] = reason
    return withheld


def without_withheld(
    uow: UnitOfWork, rows: Sequence[StoredRow], *, party: str, partner: str, actor: str
) -> list[StoredRow]:
    """The rows the reference rule lets go to `partner`, in order; the others are audited in
    ONE "release-withheld" entry (how many, and the first AUDITED_IDS ids with their reasons),
    so a release of a million records does not write an entry per withheld record."""
    withheld = withheld_for_references(uow, party=party, partner=partner, rows=rows)
    if not withheld:
        return list(rows)
    named = sorted(withheld)[:AUDITED_IDS]
    uow.audit.append(
        actor=actor,
        action="release-withheld",
        subject=partner,
        detail={
            "partner": partner,
            "count": len(withheld),
            "withheld": {record_id: withheld[record_id] for record_id in named},
        },
    )
    return [row for row in rows if row.id not in withheld]


def _why_partner_may_not_hold(row: StoredRow | None, *, party: str, partner: str) -> str | None:
    # None: the partner may hold it (its own record, or one this node may release to it).
    # Imported here: the release rule's module imports this one to apply it.
    from enlace.exchange.release import refusal_reason

    if row is None:
        return f"this node does not hold it, so {partner} may not be entitled even to its id"
    if row.owner == partner or row.received_from == partner:
        return None
    return refusal_reason(row, party=party, partner=partner)
