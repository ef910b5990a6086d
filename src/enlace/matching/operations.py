"""Planned operations and their deconfliction notices (desconflicto de operativos): the
use cases a liaison calls, and the responder's side of a deconfliction run.

A deconfliction run is a matching run of the kind `operation` (docs/deconfliction.md): its
set is the node's active operations' keys. Round 2's claims are checked as any run's
(a false claim is refused); the responder then records a notice for each of its operations
that shares a claimed key, without a contact, and the requester's one further request
(`POST /matching/v1/runs/{run}/contacts`, `exchange_contacts`) names the partner's handles
of those operations with its own liaisons' contacts, and is answered with the contacts of
this node's liaisons for exactly those operations. Nothing else of an operation crosses.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from enlace.matching.errors import MatchingError, MatchRefused
from enlace.model.handles import HANDLE_BYTES
from enlace.model.operations import MAX_CONTACT, matched_on, plan_operation
from enlace.model.text import holds_control_characters
from enlace.store.repositories.agreements import RESPONDER
from enlace.store.repositories.operations import (
    ACTIVE,
    CANCELLED,
    OPERATION_ID_PREFIX,
    DeconflictionNotice,
    Operation,
)
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

OPERATION_KIND = "operation"  # enlace.matching.kinds.OPERATION's name
MAX_CONTACTS = 1000  # entries in one exchange of contacts


class UnknownOperation(MatchingError):
    """No operation of this node has that id."""


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A deconfliction notice as its liaison reads it."""

    operation_id: str
    reference: str
    partner: str
    matched_on: str
    partner_contact: str | None
    at: str
    role: str


def register_operation(
    store: UnitOfWorkFactory,
    *,
    reference: str,
    agency: str,
    contact: str,
    targets: Iterable[str],
    latitude: float,
    longitude: float,
    starts: date,
    ends: date,
    actor: str,
) -> Operation:
    """Use case: check and store a planned operation and its keys, audited
    (`operation-registered`); RecordError, with nothing written, when a field is wrong."""
    with store.unit_of_work() as uow:
        party = uow.settings.get("party")
    planned = plan_operation(
        reference=reference,
        agency=agency,
        contact=contact,
        targets=targets,
        latitude=latitude,
        longitude=longitude,
        starts=starts,
        ends=ends,
        default_region=party if party in ("MX", "US") else None,
    )
    with store.unit_of_work() as uow:
        operation = Operation(
            id=f"{OPERATION_ID_PREFIX}{secrets.token_hex(8)}",
            reference=planned.reference,
            agency=planned.agency,
            contact=planned.contact,
            latitude=planned.latitude,
            longitude=planned.longitude,
            starts=planned.starts.isoformat(),
            ends=planned.ends.isoformat(),
            status=ACTIVE,
            created_at=uow.started_at,
            created_by=actor,
        )
        keys = planned.keys()
        uow.operations.add(operation, keys)
        uow.audit.append(
            actor=actor,
            action="operation-registered",
            subject=operation.id,
            detail={
                "reference": operation.reference,
                "agency": operation.agency,
                "targets": len(planned.targets),
                "starts": operation.starts,
                "ends": operation.ends,
                "keys": len(keys),
            },
        )
        uow.commit()
    return operation


def list_operations(store: UnitOfWorkFactory) -> list[Operation]:
    """Use case: this node's operations, newest first."""
    with store.unit_of_work() as uow:
        return uow.operations.all()


def cancel_operation(store: UnitOfWorkFactory, *, operation_id: str, actor: str) -> Operation:
    """Use case: cancel an operation (its keys no longer take part), audited."""
    with store.unit_of_work() as uow:
        operation = uow.operations.get(operation_id)
        if operation is None:
            raise UnknownOperation(
                f"no operation {operation_id!r} on this node (see 'enlace operation list')"
            )
        uow.operations.set_status(operation_id, CANCELLED)
        uow.audit.append(actor=actor, action="operation-cancelled", subject=operation_id, detail={})
        uow.commit()
    return operation


def deconfliction_notices(store: UnitOfWorkFactory) -> list[NoticeView]:
    """Use case: every deconfliction notice, with its operation's reference, newest first."""
    with store.unit_of_work() as uow:
        references = {op.id: op.reference for op in uow.operations.all()}
        return [
            NoticeView(
                n.operation_id,
                references.get(n.operation_id, n.operation_id),
                n.partner,
                n.matched_on,
                n.partner_contact,
                n.at,
                n.role,
            )
            for n in uow.operations.notices()
        ]


def matched_on_text(keys: Iterable[str]) -> str:
    """'target', 'area' or 'area target': what the shared keys have in common."""
    return " ".join(sorted({matched_on(key) for key in keys}))


def record_responder_notices(
    uow: UnitOfWork, *, partner: str, run_id: str, matched: Sequence[str]
) -> None:
    """Building block, after round 2's claims passed: a notice, without a contact yet, for
    each of this node's active operations holding one of the `matched` keys."""
    held = uow.operations.active_keys(uow.started_at[:10])
    shared: defaultdict[str, set[str]] = defaultdict(set)
    for key in matched:
        for operation_id in held.get(key, []):
            shared[operation_id].add(key)
    for operation_id, keys in sorted(shared.items()):
        uow.operations.add_notice(
            DeconflictionNotice(
                operation_id=operation_id,
                partner=partner,
                role=RESPONDER,
                counterpart="",
                run_id=run_id,
                matched_on=matched_on_text(keys),
                partner_contact=None,
                at=uow.started_at,
            )
        )
    uow.audit.append(
        actor=partner,
        action="deconfliction-match",
        subject=run_id,
        detail={"role": RESPONDER, "partner": partner, "operations": sorted(shared)},
    )


def exchange_contacts(store: UnitOfWorkFactory, *, partner: str, run_id: str, body: bytes) -> bytes:
    """Use case (the responder): the requester's liaisons' contacts for this node's
    operations it matched in `run_id`, named by their handles; answer this node's liaisons'
    contacts for those operations. A handle whose operation has no notice of that run with
    that partner (it was not in the checked intersection) refuses the whole request (422,
    `false-claim`), and nothing is recorded."""
    entries = _contacts_body(body)
    with store.unit_of_work() as uow:
        notices = {
            n.operation_id: n for n in uow.operations.notices_of_run(run_id, partner, RESPONDER)
        }
        given: defaultdict[str, list[str]] = defaultdict(list)
        answers: dict[str, str] = {}
        for handle, contact in entries:
            operation_id = uow.handles.record_of(partner, handle)
            if operation_id is None or operation_id not in notices:
                uow.audit.append(
                    actor=partner,
                    action="deconfliction-refusal",
                    subject=run_id,
                    detail={"partner": partner, "reason": "false-claim"},
                )
                uow.commit()
                raise MatchRefused(
                    422,
                    "false-claim",
                    f"handle {handle} names no operation matched in run {run_id}: "
                    "no contact was exchanged",
                )
            given[operation_id].append(contact)
            operation = uow.operations.get(operation_id)
            assert operation is not None
            answers[handle] = operation.contact
        for operation_id, contacts in given.items():
            uow.operations.set_partner_contact(
                notices[operation_id], "; ".join(dict.fromkeys(contacts))[:MAX_CONTACT]
            )
        uow.audit.append(
            actor=partner,
            action="deconfliction-notice",
            subject=run_id,
            detail={"role": RESPONDER, "partner": partner, "operations": sorted(given)},
        )
        uow.commit()
    return orjson.dumps(
        {"contacts": [{"handle": h, "contact": c} for h, c in sorted(answers.items())]}
    )


def contacts_body(pairs: Iterable[tuple[str, str]]) -> bytes:
    """The body of the contacts request: (partner's handle, our liaison's contact) pairs."""
    return orjson.dumps({"contacts": [{"handle": h, "contact": c} for h, c in pairs]})


def read_contacts(body: bytes) -> list[tuple[str, str]]:
    """(handle, contact) pairs of a contacts body; MatchRefused(400) when malformed."""
    return _contacts_body(body)


def _contacts_body(body: bytes) -> list[tuple[str, str]]:
    expected = 'expected JSON {"contacts": [{"handle": "<16 hex digits>", "contact": "..."}]}'
    try:
        value: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MatchRefused(400, "bad-request", expected) from None
    items = value.get("contacts") if isinstance(value, dict) else None
    if not isinstance(items, list) or len(items) > MAX_CONTACTS:
        raise MatchRefused(400, "bad-request", expected)
    pairs = []
    for item in items:
        handle = item.get("handle") if isinstance(item, dict) else None
        contact = item.get("contact") if isinstance(item, dict) else None
        if not (
            isinstance(handle, str)
            and len(handle) == 2 * HANDLE_BYTES
            and all(c in "0123456789abcdef" for c in handle)
            and isinstance(contact, str)
            and 0 < len(contact) <= MAX_CONTACT
            and not holds_control_characters(contact, line_breaks_allowed=False)
        ):
            raise MatchRefused(400, "bad-request", expected)
        pairs.append((handle, contact))
    return pairs
