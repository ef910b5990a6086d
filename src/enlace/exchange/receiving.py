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
record claims an owner that is not the sending partner) and ``conflict`` (the same id and
version as one already held, with other content).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from enlace.exchange.checking import Accepted, Outcome, Refused
from enlace.store.repositories.sync_state import ReceivedSignature
from enlace.store.store import Store

REFUSAL_REASONS = (
    "malformed",
    "missing-signature",
    "bad-signature",
    "unknown-type",
    "wrong-owner",
    "conflict",
)


@dataclass(frozen=True, slots=True)
class PageReceipt:
    """What storing one page did."""

    received: int  # versions new to this node
    already_held: int
    refused: Counter[str]  # objects refused, by reason


def store_checked_page(
    store: Store,
    partner: str,
    *,
    actor: str,
    count: int,
    checked: Sequence[Outcome],
    resume: str | None,
    added_last: str | None,
) -> PageReceipt:
    """Store a page of `count` objects from `partner`, checked one by one as `checked`, with
    the cursor that resumes after it (`resume`, `added_last`); see the module."""
    with store.unit_of_work() as uow:
        # The cursor first: on SQLite this write takes the database's write lock before
        # anything is read, so a concurrent sync of the same partner waits, never fails.
        # It commits with the page, or not at all.
        uow.cursors.put(
            partner,
            next_cursor=resume,
            last_added=added_last,
            updated_at=uow.started_at,
        )
        accepted = [c for c in checked if isinstance(c, Accepted)]
        refused = [c for c in checked if isinstance(c, Refused)]
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
        new = uow.records.add([a.version for a in accepted], added_at=uow.started_at)
        uow.signatures.add(
            [
                ReceivedSignature(
                    a.version.id,
                    a.version.modified,
                    partner,
                    a.signature,
                    uow.started_at,
                )
                for a in accepted
            ]
        )
        audit = uow.audit
        for refusal in refused:
            audit.append(
                actor=actor,
                action="refusal",
                subject=refusal.subject,
                detail={
                    "partner": partner,
                    "reason": refusal.reason,
                    "message": refusal.message[:500],
                },
            )
        counts = Counter(r.reason for r in refused)
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
        uow.commit()
    return PageReceipt(new, len(accepted) - new, counts)


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
