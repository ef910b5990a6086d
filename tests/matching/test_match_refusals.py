"""Runs outside the agreement are refused with a clear reason, and write only audit entries."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from enlace.matching.errors import PartnerRefusedMatch
from enlace.matching.requester import match_partner
from enlace.model.identifiers import IdentifierKind
from enlace.store.store import Store
from enlace.store.tables import (
    audit_log,
    disclosure_requests,
    hit_notices,
    match_handles,
    match_runs,
    matches,
)
from support.matching import ServedNode, agree, load, requester_token, served_nodes, synth_world

pytestmark = pytest.mark.e2e

MATCHING_TABLES = (match_runs, match_handles, matches, hit_notices, disclosure_requests)


def counts(store: Store) -> dict[str, int]:
    with store.unit_of_work() as uow:
        return {
            table.name: int(
                uow.connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in MATCHING_TABLES
        }


def audit_actions(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return list(
            uow.connection.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars()
        )


@pytest.fixture
def nodes(new_store_url: Callable[[], str]) -> Iterator[dict[str, ServedNode]]:
    world = synth_world(scale=200)
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as served:
        load(served["MX"], world.records["MX"])
        load(served["US"], world.records["US"])
        yield served


def run(mx: ServedNode, kind: IdentifierKind) -> None:
    match_partner(mx.store, partner="US", token=requester_token("MX", "US"), kinds=[kind])


def refused(mx: ServedNode, us: ServedNode, kind: IdentifierKind) -> PartnerRefusedMatch:
    """Run and expect a refusal that writes nothing but one audit entry on each side."""
    before = counts(mx.store), counts(us.store)
    audits = audit_actions(mx.store), audit_actions(us.store)
    with pytest.raises(PartnerRefusedMatch) as caught:
        run(mx, kind)
    assert (counts(mx.store), counts(us.store)) == before
    assert audit_actions(mx.store) == [*audits[0], "match-refused"]
    assert audit_actions(us.store) == [*audits[1], "match-refusal"]
    return caught.value


def test_kind_outside_the_agreement_is_refused_with_403(nodes: dict[str, ServedNode]) -> None:
    agree(nodes["US"], "MX", kinds=("vin",))
    error = refused(nodes["MX"], nodes["US"], IdentifierKind.PHONE)
    assert error.status == 403
    assert str(error) == (
        "US refused to match phone: no matching agreement with MX covers kind 'phone' (HTTP 403)"
    )


def test_set_larger_than_the_cap_is_refused_with_413(nodes: dict[str, ServedNode]) -> None:
    agree(nodes["US"], "MX", max_set_size=5, kinds=("firearm",))
    error = refused(nodes["MX"], nodes["US"], IdentifierKind.FIREARM)
    assert error.status == 413
    assert "firearm identifiers is larger than the agreement's cap of 5 per run" in str(error)


def test_runs_beyond_the_day_are_refused_with_429(nodes: dict[str, ServedNode]) -> None:
    mx, us = nodes["MX"], nodes["US"]
    agree(us, "MX", runs=2, kinds=("phone",))
    run(mx, IdentifierKind.PHONE)
    run(mx, IdentifierKind.PHONE)
    error = refused(mx, us, IdentifierKind.PHONE)
    assert error.status == 429
    assert "2 run(s) of phone already today (UTC); the agreement allows 2 per day" in str(error)
