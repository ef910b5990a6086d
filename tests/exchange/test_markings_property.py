"""Property: between three parties' nodes, no record version ever arrives where its markings
forbid, and every version its owner released (as its markings allow) arrives.

Each example builds three fresh in-process nodes (MX, US, CA, SQLite files in a temporary
folder, TAXII over an in-process transport), random records of two kinds with random markings
(releasable to any subset of the other two parties, or national only; random TLP and handling),
then two rounds of: random release attempts (release everything allowed to a partner, release
one record to a partner, by any node — owner or not — and, in the second round, revocations by
any node and new versions with new markings), followed by a sync of every ordered pair.
A model of the release rule predicts what must be released and refused; the stores must agree.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from enlace.exchange.release import ReleaseRefused, release_everything_allowed, release_one
from enlace.exchange.revocation import RevocationRefused, revoke_owned_record
from enlace.model.markings import Markings
from enlace.model.records import PhoneNumber, Record, Seizure, derived_id
from enlace.store.engine import sqlite_url
from enlace.store.tables import records
from enlace.store.versions import StoredVersion
from support.exchange import CREATED, later
from support.parties import Node, party_nodes, pull, received_versions

PARTIES = ("MX", "US", "CA")


@dataclass(frozen=True)
class Spec:
    owner: str
    kind: str
    markings: Markings
    second: Markings | None  # markings of a second version, issued in round two


def markings_for(owner: str) -> st.SearchStrategy[Markings]:
    others = [p for p in PARTIES if p != owner]
    return st.builds(
        lambda to, tlp, handling: Markings.build(
            tlp=tlp,
            releasable_to=sorted(to),
            handling=handling,
            handling_text="no onward use" if handling == "H3" else None,
        ),
        st.sets(st.sampled_from(others)),
        st.sampled_from(["clear", "green", "amber", "amber+strict", "red"]),
        st.sampled_from(["H0", "H1", "H2", "H3"]),
    )


specs = st.sampled_from(PARTIES).flatmap(
    lambda owner: st.builds(
        Spec,
        st.just(owner),
        st.sampled_from(["phone", "seizure"]),
        markings_for(owner),
        st.none() | markings_for(owner),
    )
)
# (what, acting node, partner, record index)
actions = st.tuples(
    st.sampled_from(["all", "one", "one", "revoke"]),
    st.sampled_from(PARTIES),
    st.sampled_from(PARTIES),
    st.integers(min_value=0, max_value=7),
)


def build(index: int, spec: Spec, markings: Markings, version: int) -> Record:
    modified = later(version)
    if spec.kind == "phone":
        return PhoneNumber.from_values(
            id=derived_id("enlace-phone-number", "property", str(index)),
            owner=spec.owner,
            markings=markings,
            created=CREATED,
            modified=modified,
            created_by_ref=None,
            values={"number": f"+52 55 8{index:03d} 1234"},
        )
    return Seizure.from_values(
        id=derived_id("enlace-seizure", "property", str(index)),
        owner=spec.owner,
        markings=markings,
        created=CREATED,
        modified=modified,
        created_by_ref=None,
        values={
            "category": "drug",
            "drug_type": "fentanyl",
            "quantity": 1.5 + index,
            "unit": "kg",
            "seizure_date": "2025-08-30",
        },
    )


class Model:
    """What the release rule says must have been released: owner -> partner -> versions."""

    def __init__(self, nodes: dict[str, Node], specs: list[Spec]) -> None:
        self.nodes = nodes
        self.specs = specs
        self.ids = [build(i, s, s.markings, 0).id for i, s in enumerate(specs)]
        self.released: dict[tuple[str, str], set[tuple[str, str]]] = {
            pair: set() for pair in itertools.permutations(PARTIES, 2)
        }

    def newest(self, owner: str, index: int) -> tuple[str, frozenset[str], bool]:
        with self.nodes[owner].store.unit_of_work() as uow:
            row = uow.records.latest(self.ids[index])
        assert row is not None
        return row.modified, frozenset(row.releasable_to), row.revoked

    def allowed(self, owner: str, partner: str, index: int) -> bool:
        _, releasable_to, revoked = self.newest(owner, index)
        return partner in releasable_to and not revoked

    def act(self, what: str, actor: str, partner: str, index: int) -> None:
        node = self.nodes[actor]
        if what == "all":
            if partner == actor:
                return
            release_everything_allowed(node.store, partner=partner, signing_key=node.key, actor="p")
            for i, spec in enumerate(self.specs):
                if spec.owner == actor and self.allowed(actor, partner, i):
                    self.released[(actor, partner)].add((self.ids[i], self.newest(actor, i)[0]))
            return
        if not self.specs:
            return
        index %= len(self.specs)
        owner = self.specs[index].owner
        if what == "one":
            expected = actor == owner and partner != actor and self.allowed(owner, partner, index)
            try:
                release_one(
                    node.store,
                    record_id=self.ids[index],
                    partner=partner,
                    signing_key=node.key,
                    actor="p",
                )
                refused = False
            except ReleaseRefused:
                refused = True
            assert refused is not expected, (actor, partner, index)
            if expected:
                self.released[(actor, partner)].add((self.ids[index], self.newest(owner, index)[0]))
            return
        try:
            revoke_owned_record(
                node.store, record_id=self.ids[index], signing_key=node.key, actor="p"
            )
            refused = False
        except RevocationRefused:
            refused = True
        assert refused is (actor != owner)
        if not refused:
            revoked = (self.ids[index], self.newest(owner, index)[0])
            for (who, _holder), versions in self.released.items():
                if who == owner and any(rid == self.ids[index] for rid, _ in versions):
                    versions.add(revoked)

    def sync_everyone(self) -> None:
        for puller, server in itertools.permutations(PARTIES, 2):
            report = pull(self.nodes[puller], self.nodes[server])
            assert report.refused_total == 0, report.summary()

    def check(self) -> None:
        for owner, holder in itertools.permutations(PARTIES, 2):
            got = received_versions(self.nodes[holder], owner)
            assert got == self.released[(owner, holder)], (owner, holder)
            with self.nodes[owner].store.unit_of_work() as uow:
                page = uow.releases.page(holder, version="all")
            assert {(r.record_id, r.modified) for r in page} == got
            with self.nodes[holder].store.unit_of_work() as uow:
                query = select(records.c.releasable_to, records.c.owner).where(
                    records.c.received_from == owner
                )
                for releasable_to, record_owner in uow.connection.execute(query):
                    assert holder in releasable_to.split()
                    assert record_owner == owner
            # Nothing passed on: a holder has nothing of a third party's from this sender.
            third = next(p for p in PARTIES if p not in (owner, holder))
            third_ids = {self.ids[i] for i, s in enumerate(self.specs) if s.owner == third}
            assert not {rid for rid, _ in got} & third_ids


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(specs, min_size=1, max_size=8),
    st.lists(actions, max_size=8),
    st.lists(actions, max_size=8),
)
def test_records_arrive_exactly_where_markings_and_releases_allow(
    spec_list: list[Spec],
    first: list[tuple[str, str, str, int]],
    second: list[tuple[str, str, str, int]],
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="enlace-property-"))
    try:
        urls = {p: sqlite_url(str(folder / f"{p}.sqlite")) for p in PARTIES}
        with party_nodes(urls) as nodes:
            for owner in PARTIES:
                versions = [
                    StoredVersion.of(build(i, s, s.markings, 0))
                    for i, s in enumerate(spec_list)
                    if s.owner == owner
                ]
                with nodes[owner].store.unit_of_work() as uow:
                    uow.records.add(versions, added_at=uow.started_at)
                    uow.commit()
            model = Model(nodes, spec_list)
            for action in first:
                model.act(*action)
            model.sync_everyone()
            model.check()
            for i, s in enumerate(spec_list):
                if s.second is not None:
                    with nodes[s.owner].store.unit_of_work() as uow:
                        uow.records.add(
                            [StoredVersion.of(build(i, s, s.second, 1))], added_at=uow.started_at
                        )
                        uow.commit()
            for action in second:
                model.act(*action)
            model.sync_everyone()
            model.check()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
