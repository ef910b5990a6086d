"""Private matching end to end: two real node servers on loopback, synthetic records with
their ground truth, every kind of exact identifier, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from enlace.matching.kinds import MATCH_KINDS
from enlace.matching.requester import match_partner
from enlace.matching.responder import notices_digest
from enlace.store.tables import audit_log, hit_notices
from support.matching import (
    SynthWorld,
    agree,
    handle_records,
    load,
    requester_token,
    served_nodes,
    synth_world,
)

pytestmark = pytest.mark.e2e


def actions(store: object) -> list[str]:
    with store.unit_of_work() as uow:  # type: ignore[attr-defined]
        return [
            row[0]
            for row in uow.connection.execute(select(audit_log.c.action).order_by(audit_log.c.seq))
        ]


def test_match_between_two_real_nodes_finds_exactly_the_truth_on_every_kind(
    new_store_url: Callable[[], str],
) -> None:
    world: SynthWorld = synth_world()
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        agree(us, "MX")
        outcomes = match_partner(
            mx.store, partner="US", token=requester_token("MX", "US"), kinds=MATCH_KINDS
        )
        handles = handle_records(us.store, "MX")
        everything_expected: set[tuple[str, str]] = set()
        for kind, outcome in zip(MATCH_KINDS, outcomes, strict=True):
            expected = world.expected(kind.value)
            everything_expected |= expected
            found = {(m.record_id, handles[m.partner_handle]) for m in outcome.matches}
            assert found == expected, kind
            assert outcome.partner_size is not None
        assert sum(len(o.matches) for o in outcomes) > 40  # every kind but RFC finds several
        # The owner of each matched US record got a hit notice, and nothing else did.
        with us.store.unit_of_work() as uow:
            notices = list(uow.connection.execute(select(hit_notices.c.record_id)))
        noticed = {row[0] for row in notices}
        assert noticed == {b for _, b in everything_expected}
        # Both sides audited every run.
        mx_actions, us_actions = actions(mx.store), actions(us.store)
        assert mx_actions.count("match-run") == len(MATCH_KINDS)
        assert us_actions.count("match-run") == len(MATCH_KINDS)
        # One notice per run and record: a vehicle matched on VIN and on plate gets two.
        assert len(notices) > len(noticed)
        # One audit entry per run for its hit notices, whose digest pins the notices.
        with us.store.unit_of_work() as uow:
            entries = [e for e in uow.audit.entries() if e.action == "hit-notices"]
            stored = uow.matches.hit_notices()
        assert len(entries) == len(MATCH_KINDS)
        for entry in entries:
            of_run = [n for n in stored if n.run_id == entry.subject]
            assert entry.detail["records"] == len(of_run)
            assert entry.detail["records_sha256"] == notices_digest(of_run)
