"""What a node refuses of a partner's trace requests and responses, beyond any record's checks.

Receiving (enlace.exchange.receiving) calls `without_trace_breaches` on each page, after the
signature, owner and manifest checks. A trace version that breaks a rule is refused with one
reason, stored nowhere, and counted in the page's one `refusal` audit entry like any refused
object:

- ``trace-forged``: a trace request or response not sent by its owner (never passed on, even
  with a consent: only the requester asks and only the party asked answers);
- ``trace-not-addressed``: a request that asks another party than this one, or a response to
  a request this node did not send;
- ``trace-wrong-party``: a response from a party the request did not ask;
- ``trace-status-backwards``: a version whose status goes back on an earlier one (a closed
  request reopened, an answer taken back), or an earlier version arriving after a later one
  with a higher status.

The trace versions a page adds are audited one by one (``trace-received``), so the node's log
holds every step of a trace on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from enlace.exchange.checking import Accepted, Refused
from enlace.model.records.traces import TraceRequest, TraceResponse, status_rank
from enlace.model.vocabulary import TraceRequestStatus, TraceResponseStatus
from enlace.store.unit_of_work import UnitOfWork

TRACE_KINDS = frozenset({TraceRequest.KIND, TraceResponse.KIND})
TRACE_REFUSAL_REASONS = (
    "trace-forged",
    "trace-not-addressed",
    "trace-wrong-party",
    "trace-status-backwards",
)


def rank_of(kind: str, stix: dict[str, Any]) -> int:
    """The status rank of a stored trace version's STIX object (its top-level status)."""
    raw = str(stix.get("status"))
    if kind == TraceRequest.KIND:
        return status_rank(TraceRequestStatus(raw))
    return status_rank(TraceResponseStatus(raw))


def without_trace_breaches(
    uow: UnitOfWork, *, partner: str, receiver: str, accepted: Sequence[Accepted]
) -> tuple[list[Accepted], list[Refused]]:
    """The accepted versions that keep the trace rules, and a refusal for each other one."""
    if not any(a.version.kind in TRACE_KINDS for a in accepted):
        return list(accepted), []
    kept: list[Accepted] = []
    refused: list[Refused] = []
    # id -> [(modified, rank)] of the versions held and of those kept from this page so far.
    seen: dict[str, list[tuple[str, int]]] = {}
    for item in accepted:
        version = item.version
        if version.kind not in TRACE_KINDS:
            kept.append(item)
            continue
        stix: dict[str, Any] = orjson.loads(version.stix)
        why = _breach(
            uow,
            partner=partner,
            receiver=receiver,
            owner=version.owner,
            kind=version.kind,
            stix=stix,
        )
        if why is None:
            if version.id not in seen:
                seen[version.id] = [
                    (row.modified, rank_of(row.kind, row.stix_object()))
                    for row in uow.records.versions(version.id)
                ]
            rank = rank_of(version.kind, stix)
            for modified, held_rank in seen[version.id]:
                if (modified < version.modified and held_rank > rank) or (
                    modified > version.modified and held_rank < rank
                ):
                    why = (
                        "trace-status-backwards",
                        f"status {stix.get('status')} of version {version.modified} goes back "
                        f"on the version of {modified}",
                    )
                    break
        if why is not None:
            refused.append(Refused(version.id, why[0], why[1]))
            continue
        seen[version.id].append((version.modified, rank_of(version.kind, stix)))
        kept.append(item)
    return kept, refused


def _breach(
    uow: UnitOfWork,
    *,
    partner: str,
    receiver: str,
    owner: str,
    kind: str,
    stix: dict[str, Any],
) -> tuple[str, str] | None:
    if owner != partner:
        return (
            "trace-forged",
            f"a {kind} of {owner} sent by {partner}: only its owner sends a trace {kind[6:]}",
        )
    if kind == TraceRequest.KIND:
        asked = stix.get("requested_of")
        if asked != receiver:
            return ("trace-not-addressed", f"the request asks {asked}, not {receiver}")
        return None
    request_id = str(stix.get("request_ref"))
    row = uow.records.latest(request_id)
    if row is None or row.received_from is not None or row.owner != receiver:
        return (
            "trace-not-addressed",
            f"a response to {request_id[:80]}, which is not a trace request {receiver} sent",
        )
    asked = row.stix_object().get("requested_of")
    if asked != partner:
        return (
            "trace-wrong-party",
            f"{partner} answers {request_id}, which asked {asked}",
        )
    return None


def trace_receipts(uow: UnitOfWork, *, actor: str, partner: str, new: Sequence[Accepted]) -> None:
    """Audit each trace version `new` to this node (`trace-received`)."""
    for item in new:
        version = item.version
        if version.kind not in TRACE_KINDS:
            continue
        status = orjson.loads(version.stix).get("status")
        uow.audit.append(
            actor=actor,
            action="trace-received",
            subject=version.id,
            detail={
                "partner": partner,
                "kind": version.kind,
                "modified": version.modified,
                "status": status,
            },
        )
