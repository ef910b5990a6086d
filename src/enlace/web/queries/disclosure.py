"""Read model of the approval step: the disclosure request and the record it would release,
with the markings the approver must see before the record leaves this node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from enlace.store.repositories.disclosures import DisclosureRequest
from enlace.store.store import Store
from enlace.store.versions import StoredRow
from enlace.web.queries.describe import record_title


@dataclass(frozen=True, slots=True)
class ApprovalView:
    """What the confirmation page shows: the request, and the record's newest version (None
    when this node no longer holds it) with its title and handling note."""

    request: DisclosureRequest
    record: StoredRow | None
    title: str
    handling_note: str | None


def approval_view(store: Store, request_id: int) -> ApprovalView | None:
    """The incoming request `request_id` and its record; None when no such request came in."""
    with store.unit_of_work() as uow:  # only reads
        request = uow.disclosures.get(request_id)
        if request is None or request.direction != "incoming":
            return None
        row = uow.records.latest(request.record_id) if request.record_id else None
    if row is None:
        return ApprovalView(request, None, request.record_id or request.handle, None)
    obj = row.stix_object()
    return ApprovalView(request, row, record_title(obj), _handling_note(obj))


def _handling_note(obj: dict[str, Any]) -> str | None:
    # The markings extension is the one that carries the handling code.
    for body in (obj.get("extensions") or {}).values():
        if isinstance(body, dict) and "handling_code" in body and body.get("handling_note"):
            return str(body["handling_note"])
    return None
