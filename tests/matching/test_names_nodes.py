"""Private name matching between two real nodes on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from enlace.matching.kinds import NAME_KINDS
from enlace.matching.names.keys import NameKeyKind
from enlace.matching.requester import match_partner
from enlace.model.records import Company, CriminalOrganisation, Person, Record, derived_id
from enlace.store.tables import hit_notices
from support.matching import agree, handle_records, load, requester_token, served_nodes, synth_world

pytestmark = pytest.mark.e2e


def test_names_match_between_two_real_nodes_against_the_truth(
    new_store_url: Callable[[], str],
) -> None:
    world = synth_world(scale=2000)
    # synth_world adds US copies of MX persons for the CURP kind: a second US record of a
    # person that the one-to-one assignment cannot also link. The generator's own pairs only.
    added = {b for (_, b), variation in world.truth_pairs.items() if "CURP" in variation}
    world.records["US"] = [r for r in world.records["US"] if r.id not in added]
    for pair in [p for p in world.truth_pairs if p[1] in added]:
        del world.truth_pairs[pair]
    # A person without a date of birth on the US side, held with the state of birth, and a
    # US namesake born in another state: the name alone is held twice by the US and does
    # not count; the name with the state points at one record on each side.
    born_in_colima, namesake = _place_of_birth_records(world.records, world.truth_pairs)
    kinds = {r.id: type(r) for party in world.records.values() for r in party}
    truth = {
        kind: {
            pair
            for pair in world.truth_pairs
            if kinds.get(pair[0]) in types and kinds.get(pair[1]) in types
        }
        for kind, types in (
            (NameKeyKind.PERSON, (Person,)),
            (NameKeyKind.ORGANISATION, (Company, CriminalOrganisation)),
        )
    }
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        mx, us = nodes["MX"], nodes["US"]
        load(mx, world.records["MX"])
        load(us, world.records["US"])
        agree(us, "MX", kinds=tuple(k.value for k in NAME_KINDS))
        outcomes = match_partner(
            mx.store, partner="US", token=requester_token("MX", "US"), kinds=NAME_KINDS
        )
        handles = handle_records(us.store, "MX")
        with us.store.unit_of_work() as uow:
            noticed = {row[0] for row in uow.connection.execute(select(hit_notices.c.record_id))}
    found = {
        o.kind: {(m.record_id, handles[m.partner_handle]) for m in o.matches} for o in outcomes
    }
    persons = found[NameKeyKind.PERSON.value]
    hits = persons & truth[NameKeyKind.PERSON]
    assert len(truth[NameKeyKind.PERSON]) > 40
    assert len(hits) / len(persons) >= 0.97
    assert len(hits) / len(truth[NameKeyKind.PERSON]) >= 0.9
    # One link per local record at most: the scoring kept the best pair, one to one.
    assert len({a for a, _ in persons}) == len(persons)
    organisations = found[NameKeyKind.ORGANISATION.value]
    assert organisations & truth[NameKeyKind.ORGANISATION]
    assert born_in_colima in persons
    assert not {pair for pair in persons if pair[1] == namesake}
    # The owners of the US records that share a key got hit notices.
    assert {b for _, b in persons} <= noticed


def _place_of_birth_records(
    records: dict[str, list[Record]], truth: dict[tuple[str, str], str]
) -> tuple[tuple[str, str], str]:
    """Add an MX person, the US record of it without a date of birth, and a US namesake
    born elsewhere, made from a generated pair's records (their markings let them be
    matched); return the true pair and the namesake's id."""
    persons = {r.id: r for party in records.values() for r in party if isinstance(r, Person)}
    mx_base, us_base = next(
        (persons[a], persons[b]) for a, b in truth if a in persons and b in persons
    )
    made = {
        key: dataclasses.replace(
            base,
            id=derived_id("identity", "place-of-birth-test", key),
            curp=None,
            date_of_birth=born,
            place_of_birth=place,
            given_names="Eustaquio",
            first_surname="Zazueta",
            second_surname="Quintero",
        )
        for key, base, born, place in (
            ("mx", mx_base, date(1979, 5, 2), "MX-COL"),
            ("us", us_base, None, "MX-COL"),
            ("namesake", us_base, None, "MX-NAY"),
        )
    }
    records["MX"].append(made["mx"])
    records["US"] += [made["us"], made["namesake"]]
    pair = (made["mx"].id, made["us"].id)
    truth[pair] = "date of birth missing; same state of birth"
    return pair, made["namesake"].id
