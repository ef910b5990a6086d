"""Matching's tables on SQLite and PostgreSQL: agreements, handles, matches, disclosures."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from enlace.exchange.release import ReleaseRefused
from enlace.matching.agreements import check_within_agreement, set_agreement
from enlace.matching.disclosure import approve_request, receive_request, refuse_request
from enlace.matching.errors import DisclosureError, MatchingError, MatchRefused
from enlace.partners.errors import NotAPartner
from enlace.store.repositories.agreements import MatchAgreement
from enlace.store.repositories.match_runs import MatchRun
from enlace.store.repositories.matches import Match
from enlace.store.store import Store
from enlace.store.tables import audit_log, matches
from enlace.store.versions import StoredVersion
from support.exchange import MX_KEY, NATIONAL, TO_US, add, mx_node, phone

NOON = "2025-09-01T12:00:00.000000Z"


def actions(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return list(
            uow.connection.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars()
        )


def run_row(run_id: str, started_at: str, kind: str = "phone") -> MatchRun:
    return MatchRun(
        run_id, "responder", "US", kind, "answered", started_at, None, 10, 20, None, "00", "ff"
    )


def test_agreement_is_set_replaced_audited_and_enforced(store: Store) -> None:
    mx_node(store)
    with store.unit_of_work() as uow:
        set_agreement(
            uow,
            partner="US",
            kind="phone",
            max_set_size=100,
            runs_per_day=1,
            at=NOON,
            actor="t",
        )
        set_agreement(
            uow,
            partner="US",
            kind="phone",
            max_set_size=50,
            runs_per_day=2,
            at=NOON,
            actor="t",
        )
        uow.commit()
    with store.unit_of_work() as uow:
        agreements = uow.agreements
        assert agreements.all() == [MatchAgreement("US", "phone", 50, 2, NOON)]
        assert (
            check_within_agreement(
                agreements, partner="US", kind="phone", set_size=50, now=NOON
            ).max_set_size
            == 50
        )
        with pytest.raises(MatchRefused) as no_kind:
            check_within_agreement(agreements, partner="US", kind="vin", set_size=1, now=NOON)
        assert no_kind.value.status == 403
        with pytest.raises(MatchRefused) as too_big:
            check_within_agreement(agreements, partner="US", kind="phone", set_size=51, now=NOON)
        assert too_big.value.status == 413
        runs = uow.match_runs
        runs.add(run_row("a" * 32, "2025-08-31T23:59:59.000000Z"))  # yesterday: not counted
        runs.add(run_row("b" * 32, "2025-09-01T00:00:01.000000Z"))
        check_within_agreement(agreements, partner="US", kind="phone", set_size=1, now=NOON)
        runs.add(run_row("c" * 32, "2025-09-01T08:00:00.000000Z"))
        with pytest.raises(MatchRefused) as too_many:
            check_within_agreement(agreements, partner="US", kind="phone", set_size=1, now=NOON)
        assert too_many.value.status == 429
    assert actions(store).count("match-agreement") == 2


def test_agreement_needs_a_registered_partner_and_positive_caps(store: Store) -> None:
    mx_node(store)
    with store.unit_of_work() as uow:
        with pytest.raises(NotAPartner, match="GT is not a registered partner"):
            set_agreement(
                uow,
                partner="GT",
                kind="phone",
                max_set_size=1,
                runs_per_day=1,
                at=NOON,
                actor="t",
            )
        with pytest.raises(MatchingError, match="must be at least 1"):
            set_agreement(
                uow,
                partner="US",
                kind="phone",
                max_set_size=0,
                runs_per_day=1,
                at=NOON,
                actor="t",
            )


def test_handles_are_stable_per_partner_and_differ_between_partners(store: Store) -> None:
    with store.unit_of_work() as uow:
        handles = uow.handles
        first = handles.handles_for("US", ["r1", "r2"], at=NOON)
        again = handles.handles_for("US", ["r2", "r1", "r3"], at=NOON)
        other = handles.handles_for("CA", ["r1"], at=NOON)
        assert again["r1"] == first["r1"]
        assert again["r2"] == first["r2"]
        assert len({first["r1"], first["r2"], again["r3"], other["r1"]}) == 4
        assert all(len(h) == 16 for h in again.values())
        assert handles.record_of("US", first["r1"]) == "r1"
        assert handles.record_of("CA", first["r1"]) is None  # another partner's handle
        uow.commit()


def test_matches_are_stored_once(store: Store) -> None:
    found = [
        Match("US", "phone", "r1", "h" * 16, "a" * 32, NOON),
        Match("US", "vin", "r2", "g" * 16, "a" * 32, NOON),
    ]
    with store.unit_of_work() as uow:
        repo = uow.matches
        assert repo.add_matches(found) == 2
        assert repo.add_matches(found) == 0
        assert repo.matches(kind="vin") == [found[1]]
        uow.commit()


def test_latest_runs_are_those_grouping_every_row_would_give(store: Store) -> None:
    # The dashboard's latest runs walk the index on the time down instead of grouping the
    # whole table: the same lines, in the same order, as the GROUP BY they replace, for runs
    # spread over several times, sharing times, and a run whose rows span two times.
    times = [f"2025-09-{day:02d}T10:00:00.000000Z" for day in range(1, 8)]
    rows = [
        Match(partner, kind, f"rec-{run}-{n}", f"h-{run}-{n}", f"run-{run}", times[slot])
        for run, partner, kind, slots, size in [
            (1, "US", "phone", (0,), 3),
            (2, "CA", "vin", (2,), 2),
            (3, "US", "curp", (2,), 4),  # shares its time with run 2
            (4, "US", "phone", (1, 5), 5),  # newest at time 5, older rows at time 1
            (5, "CA", "phone", (4,), 1),
            (6, "US", "vin", (6,), 2),
            (7, "US", "phone", (3,), 3),
        ]
        for n in range(size)
        for slot in [slots[n % len(slots)]]
    ]
    with store.unit_of_work() as uow:
        uow.matches.add_matches(rows)
        uow.commit()
        newest = func.max(matches.c.found_at)
        grouped = select(matches.c.run_id, matches.c.partner, matches.c.kind, newest, func.count())
        oracle = [
            (run, partner, kind, when, count)
            for run, partner, kind, when, count in uow.connection.execute(
                grouped.group_by(matches.c.run_id, matches.c.partner, matches.c.kind).order_by(
                    newest.desc(), matches.c.run_id, matches.c.kind
                )
            )
        ]
        for limit in (1, 2, 3, 5, 7, 10):
            found = [
                (r.run_id, r.partner, r.kind, r.at, r.records)
                for r in uow.matches.latest_match_runs(limit)
            ]
            assert found == oracle[:limit]
    assert [line[0] for line in oracle] == [f"run-{n}" for n in (6, 4, 5, 7, 2, 3, 1)]
    assert oracle[1][4] == 5  # run 4's rows at both of its times


def disclosure_setup(store: Store, *, markings: object = TO_US) -> tuple[str, str]:
    mx_node(store)
    record = phone("+525512345678", markings=markings)  # type: ignore[arg-type]
    add(store, StoredVersion.of(record))
    with store.unit_of_work() as uow:
        handle = uow.handles.handles_for("US", [record.id], at=NOON)[record.id]
        uow.commit()
    return record.id, handle


def test_approved_disclosure_is_the_normal_release(store: Store) -> None:
    record_id, handle = disclosure_setup(store)
    request_id = receive_request(store, partner="US", handle=handle, reason="caso 123")
    assert receive_request(store, partner="US", handle=handle, reason="again") == request_id
    approval = approve_request(store, request_id=request_id, signing_key=MX_KEY, actor="analyst")
    assert approval.newly_released
    decided = approval.request
    assert (decided.status, decided.decided_by, decided.record_id) == (
        "approved",
        "analyst",
        record_id,
    )
    with store.unit_of_work() as uow:
        assert uow.releases.count("US") == 1
    assert actions(store)[-3:] == ["disclosure-request", "release", "disclosure-approved"]
    with pytest.raises(DisclosureError, match="already approved"):
        refuse_request(store, request_id=request_id, reason="late", actor="analyst")


def test_disclosure_the_markings_forbid_stays_pending_and_can_be_refused(store: Store) -> None:
    _, handle = disclosure_setup(store, markings=NATIONAL)
    request_id = receive_request(store, partner="US", handle=handle, reason=None)
    with pytest.raises(ReleaseRefused, match="national only"):
        approve_request(store, request_id=request_id, signing_key=MX_KEY, actor="analyst")
    with store.unit_of_work() as uow:
        held = uow.disclosures.get(request_id)
        assert held is not None
        assert held.status == "pending"
    decided = refuse_request(
        store, request_id=request_id, reason="investigación abierta", actor="analyst"
    )
    assert (decided.status, decided.decision_reason) == ("refused", "investigación abierta")
    assert actions(store)[-2:] == ["release-refused", "disclosure-refused"]


def test_disclosure_of_an_unknown_handle_is_refused_and_writes_nothing(store: Store) -> None:
    disclosure_setup(store)
    before = actions(store)
    with pytest.raises(MatchRefused) as refused:
        receive_request(store, partner="US", handle="0" * 16, reason=None)
    assert refused.value.status == 404
    assert actions(store) == before
    with store.unit_of_work() as uow:
        assert uow.disclosures.all() == []
