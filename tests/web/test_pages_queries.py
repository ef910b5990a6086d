"""The read models of the web pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from enlace.store.repositories.matches import HitNotice, Match
from enlace.store.store import Store
from enlace.store.tables import audit_log
from enlace.users.access_log import audit_record_read
from enlace.web.queries.audit import audit_view, verify_log
from enlace.web.queries.dashboard import dashboard
from enlace.web.queries.exchange import exchange_view
from enlace.web.queries.matching import matching_view
from enlace.web.queries.records import (
    RecordFilter,
    agency_of_user,
    clean_filter,
    record_detail,
    search_choices,
    search_records,
)
from enlace.web.queries.tracking import tracking_view
from support.pages import NATIONAL_PHONE, OWN_PHONE, US_PHONE, US_VIN, mx_node


def test_search_finds_a_phone_typed_as_people_write_it(store: Store) -> None:
    ids = mx_node(store)
    found = search_records(store, clean_filter({"q": "+52 664 123 4567"}))
    assert [row.id for row in found.rows] == [ids["own"]]
    assert found.rows[0].title == OWN_PHONE


def test_search_shows_only_the_newest_version_of_each_record(store: Store) -> None:
    mx_node(store)
    found = search_records(store, RecordFilter())
    assert found.total == 5  # three phones of MX (one in two versions), its agency, a vehicle
    own = next(row for row in found.rows if row.title == OWN_PHONE)
    assert own.modified.startswith("2025-09-04")


def test_search_filters_by_owner_origin_marking_and_date(store: Store) -> None:
    ids = mx_node(store)
    received = search_records(store, clean_filter({"origin": "received"}))
    assert {row.id for row in received.rows} == {ids["received"], ids["tampered"]}
    assert {r.id for r in search_records(store, clean_filter({"owner": "US"})).rows} == {
        ids["received"],
        ids["tampered"],
    }
    red = search_records(store, clean_filter({"tlp": "red"}))
    assert [row.title for row in red.rows] == [NATIONAL_PHONE]
    vehicles = search_records(store, clean_filter({"kind": "vehicle"}))
    assert [row.id for row in vehicles.rows] == [ids["tampered"]]
    day = search_records(store, clean_filter({"since": "2025-09-03", "until": "2025-09-03"}))
    assert [row.title for row in day.rows] == [US_PHONE]


def test_an_analyst_can_narrow_the_search_to_the_records_of_their_agency(store: Store) -> None:
    ids = mx_node(store)
    _, _, agencies = search_choices(store)
    assert [(a.acronym, a.party) for a in agencies] == [("FGR", "MX")]
    mine = agency_of_user(agencies, "fgr", "MX")
    assert mine == ids["agency"]
    assert agency_of_user(agencies, "FGR", "US") == ""
    found = search_records(store, clean_filter({"agency": mine}))
    assert [row.id for row in found.rows] == [ids["national"]]
    assert clean_filter({"agency": "identity--nope"}).agency == ""


def test_search_ignores_unusable_filters_instead_of_failing(store: Store) -> None:
    mx_node(store)
    wanted = clean_filter(
        {"q": "x" * 500, "kind": "'; drop", "owner": "MEX", "tlp": "purple", "page": "zz"}
    )
    assert (wanted.kind, wanted.owner, wanted.tlp, wanted.page) == ("", "", "", 1)
    assert len(wanted.text) == 200
    assert search_records(store, clean_filter({"q": "100%_\\"})).total == 0


def test_a_received_record_shows_its_verified_signature_and_provenance(store: Store) -> None:
    ids = mx_node(store)
    detail = record_detail(store, ids["received"], party="MX")
    assert detail is not None
    assert detail.signature == "verified"
    assert detail.is_partners
    assert detail.row.received_from == "US"
    assert detail.release_options == ()  # a received record is never passed on


def test_a_received_record_changed_in_the_store_no_longer_verifies(store: Store) -> None:
    ids = mx_node(store)
    detail = record_detail(store, ids["tampered"], party="MX")
    assert detail is not None
    assert detail.signature == "invalid"
    assert ("make", "Freightliner") in detail.fields
    assert detail.title.endswith(US_VIN)


def test_an_own_record_offers_release_only_where_its_markings_allow(store: Store) -> None:
    ids = mx_node(store)
    own = record_detail(store, ids["own"], party="MX")
    national = record_detail(store, ids["national"], party="MX")
    assert own is not None
    assert national is not None
    assert own.release_options == ("US",)
    assert [v.modified[:10] for v in own.versions] == ["2025-09-04", "2025-09-01"]
    assert own.signature == "own-unreleased"
    assert national.release_options == ()
    assert (
        record_detail(
            store, "enlace-phone-number--" + "0" * 8 + "-0000-4000-8000-" + "0" * 12, party="MX"
        )
        is None
    )


def test_reading_a_partners_record_is_audited(store: Store) -> None:
    ids = mx_node(store)
    audit_record_read(store, record_id=ids["received"], username="ana", received_from="US")
    with store.unit_of_work() as uow:
        entry = uow.audit.latest(1)[0]
    assert (entry.actor, entry.action, entry.subject) == ("ana", "record-read", ids["received"])
    assert entry.detail == {"received_from": "US", "via": "web"}


def test_exchange_view_counts_each_way_and_lists_refusals_with_reasons(store: Store) -> None:
    mx_node(store)
    view = exchange_view(store)
    assert [(p.party, p.released, p.received, p.refused) for p in view.partners] == [
        ("US", 0, 2, 1)
    ]
    assert [(r.action, r.partner, r.reason) for r in view.refusals] == [
        ("refusal", "US", "bad-signature")
    ]


def test_dashboard_counts_records_by_kind_and_owner(store: Store) -> None:
    mx_node(store)
    view = dashboard(store, party="MX", today=date(2025, 10, 1))
    assert view.owners == ("MX", "US")
    assert {(h.kind, tuple(sorted(h.by_owner.items()))) for h in view.holdings} == {
        ("phone", (("MX", 2), ("US", 1))),
        ("vehicle", (("US", 1),)),
        ("agency", (("MX", 1),)),
    }
    assert view.records_total == 5
    assert view.meeting is None
    assert len(view.indicators) >= 1


def test_dashboard_shows_hits_one_line_per_run_newest_first(store: Store) -> None:
    mx_node(store)
    early, late = "2025-09-01T10:00:00.000000Z", "2025-09-02T10:00:00.000000Z"
    with store.unit_of_work() as uow:
        repository = uow.matches
        repository.add_hit_notices(
            [HitNotice("run-a", f"rec-{n}", "US", "phone", None, early) for n in range(3)]
            + [HitNotice("run-b", "rec-9", "US", "vin", None, late)]
        )
        repository.add_matches(
            [Match("US", "phone", f"own-{n}", f"h{n}", "run-c", early) for n in range(4)]
        )
        uow.commit()
    view = dashboard(store, party="MX", today=date(2025, 10, 1))
    assert [(r.run_id, r.kind, r.records, r.at) for r in view.hit_runs] == [
        ("run-b", "vin", 1, late),
        ("run-a", "phone", 3, early),
    ]
    assert [(r.run_id, r.partner, r.records) for r in view.match_runs] == [("run-c", "US", 4)]


def test_tracking_view_without_meetings_still_shows_indicators(store: Store) -> None:
    mx_node(store)
    view = tracking_view(store, meeting_id=None, today=date(2025, 10, 1))
    assert view.data is None
    assert view.meetings == ()
    assert view.indicators


def test_audit_view_pages_newest_first_and_verifies_the_chain(store: Store) -> None:
    mx_node(store)
    with store.unit_of_work() as uow:
        log = uow.audit
        for n in range(120):
            log.append(actor="test", action="probe", subject=str(n))
        uow.commit()
    first = audit_view(store)
    assert verify_log(store).ok  # asked for, no longer on every view
    assert first.pages == 2
    assert first.entries[0].subject == "119"
    probes = audit_view(store, action="probe", page=2)
    assert probes.total == 120
    assert [e.subject for e in probes.entries] == [str(n) for n in range(19, -1, -1)]
    assert audit_view(store, action="no-such-action").action == ""
    with store.unit_of_work() as uow:
        assert (
            uow.connection.execute(select(func.count()).select_from(audit_log)).scalar_one() == 121
        )


def test_matching_view_is_empty_on_a_node_that_never_matched(store: Store) -> None:
    mx_node(store)
    view = matching_view(store)
    assert (view.matches, view.hit_notices, view.incoming, view.pending) == ((), (), (), 0)
