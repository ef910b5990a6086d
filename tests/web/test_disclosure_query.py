"""The approval step's read model, on SQLite and PostgreSQL: the record a request asks for,
with the markings the approver sees before it leaves."""

from __future__ import annotations

from enlace.matching.disclosure import receive_request
from enlace.store.store import Store
from enlace.web.queries.disclosure import approval_view
from support.pages import OWN_PHONE, mx_node


def test_the_approval_step_shows_the_requested_record_and_its_markings(store: Store) -> None:
    ids = mx_node(store)
    with store.unit_of_work() as uow:
        handle = uow.handles.handles_for("US", [ids["own"]], at=uow.started_at)[ids["own"]]
        outgoing = uow.disclosures.add(
            direction="outgoing",
            partner="US",
            handle="00112233aabbccdd",
            record_id=None,
            reason="ours",
            at=uow.started_at,
            remote_id=5,
        )
        uow.commit()
    request_id = receive_request(store, partner="US", handle=handle, reason="same phone")
    view = approval_view(store, request_id)
    assert view is not None
    assert view.title == OWN_PHONE
    assert view.record is not None
    assert (view.record.tlp, view.record.releasable_to) == ("amber", ("MX", "US"))
    assert (view.record.handling, view.record.evaluation) == ("H2", "B2")
    assert view.request.reason == "same phone"
    assert approval_view(store, request_id + 1000) is None
    assert approval_view(store, outgoing) is None  # this node's own request: nothing to approve
