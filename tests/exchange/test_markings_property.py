"""Property: between three parties' nodes, no record version ever arrives where its markings
forbid, no record arrives naming a record its holder may not hold, and every version its owner
released (as its markings and references allow) arrives.

Each example builds three fresh in-process nodes (MX, US, CA, SQLite files in a temporary
folder, copied from ones made once, TAXII over an in-process transport), random records of
three kinds with random markings (releasable to any subset of the other two parties, or
national only; random TLP and handling): phones, seizures and relationships, each of which
points at two random records (of its owner or of another party, a relationship too, or an id
no node holds). Then two rounds of: random release attempts (release everything allowed to a
partner, release one record to a partner, by any node — owner or not — and, in the second
round, revocations by any node and new versions with new markings), followed by a sync of
every ordered pair. A model of the release rule and the reference rule predicts what must be
released and refused; the stores must agree.

The channel of every sync is adversarial: into each page with room it injects record versions,
validly signed by the serving node, that it released to the OTHER party (what a third party,
or the channel, could replay into this one). They must all be refused (`not-releasable-here`
or `not-in-manifest`), nothing may go missing, and a revoked record is held as revoked by every
party that had it — by a tombstone, with no new content.

`ENLACE_PROPERTY_EXAMPLES` sets the number of examples (default 25, about 15 s).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from enlace.exchange.release import ReleaseRefused, release_everything_allowed, release_one
from enlace.exchange.revocation import RevocationRefused, revoke_owned_record
from enlace.model.markings import Markings
from enlace.model.records import PhoneNumber, Record, Relationship, Seizure, derived_id
from enlace.model.records.references import referenced_ids
from enlace.store.engine import sqlite_url
from enlace.store.tables import records
from enlace.store.versions import StoredVersion
from support.exchange import CREATED, later
from support.parties import Node, Tamper, party_nodes, pull, received_versions

PARTIES = ("MX", "US", "CA")
EXAMPLES = int(os.environ.get("ENLACE_PROPERTY_EXAMPLES", "25"))
NOWHERE = -1  # a relationship's end that names an id no node holds
NOBODY_HOLDS = derived_id("identity", "property", "held by no node")
STIX_TYPES = {"phone": "enlace-phone-number", "seizure": "enlace-seizure"}


@dataclass(frozen=True)
class Spec:
    owner: str
    kind: str
    markings: Markings
    second: Markings | None  # markings of a second version, issued in round two
    ends: tuple[int, int]  # a relationship's source and target: record indexes, or NOWHERE


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


# An end is a record index (taken modulo the number of records) or, now and then, NOWHERE.
ends = st.tuples(*[st.integers(min_value=NOWHERE, max_value=11)] * 2)
specs = st.sampled_from(PARTIES).flatmap(
    lambda owner: st.builds(
        Spec,
        st.just(owner),
        st.sampled_from(["phone", "seizure", "relationship", "relationship"]),
        markings_for(owner),
        st.none() | markings_for(owner),
        ends,
    )
)
# (what, acting node, partner, record index)
actions = st.tuples(
    st.sampled_from(["all", "one", "one", "revoke"]),
    st.sampled_from(PARTIES),
    st.sampled_from(PARTIES),
    st.integers(min_value=0, max_value=9),
)


def record_id(index: int, spec: Spec) -> str:
    if spec.kind == "relationship":
        return derived_id("relationship", "property", str(index))
    return derived_id(STIX_TYPES[spec.kind], "property", str(index))


def named_ids(spec: Spec, specs: list[Spec]) -> tuple[str, ...]:
    """The ids a record of `spec` names: a relationship's two ends, nothing for the others."""
    if spec.kind != "relationship":
        return ()
    return tuple(
        NOBODY_HOLDS if end == NOWHERE else record_id(end % len(specs), specs[end % len(specs)])
        for end in spec.ends
    )


def build(index: int, specs: list[Spec], markings: Markings, version: int) -> Record:
    spec = specs[index]
    modified = later(version)
    if spec.kind == "relationship":
        source, target = named_ids(spec, specs)
        return Relationship.from_values(
            id=record_id(index, spec),
            owner=spec.owner,
            markings=markings,
            created=CREATED,
            modified=modified,
            created_by_ref=None,
            values={"relationship_type": "related-to", "source_ref": source, "target_ref": target},
        )
    if spec.kind == "phone":
        return PhoneNumber.from_values(
            id=record_id(index, spec),
            owner=spec.owner,
            markings=markings,
            created=CREATED,
            modified=modified,
            created_by_ref=None,
            values={"number": f"+52 55 8{index:03d} 1234"},
        )
    return Seizure.from_values(
        id=record_id(index, spec),
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
    """What the release and reference rules say must have been released, and who holds what."""

    def __init__(self, nodes: dict[str, Node], specs: list[Spec]) -> None:
        self.nodes = nodes
        self.specs = specs
        self.ids = [record_id(i, s) for i, s in enumerate(specs)]
        self.index_of = {rid: i for i, rid in enumerate(self.ids)}
        self.released: dict[tuple[str, str], set[tuple[str, str]]] = {
            pair: set() for pair in itertools.permutations(PARTIES, 2)
        }
        # Ids each party holds as received, as of the last sync.
        self.holds: dict[str, set[str]] = {party: set() for party in PARTIES}
        self.revoked: set[str] = set()  # ids their owner revoked
        self.injected = 0  # versions the adversarial channel slipped into pages

    def newest(self, owner: str, index: int) -> tuple[str, frozenset[str], bool]:
        with self.nodes[owner].store.unit_of_work() as uow:
            row = uow.records.latest(self.ids[index])
        assert row is not None
        return row.modified, frozenset(row.releasable_to), row.revoked

    def markings_allow(self, owner: str, partner: str, index: int) -> bool:
        _, releasable_to, revoked = self.newest(owner, index)
        return partner in releasable_to and not revoked

    def may_hold(self, node: str, partner: str, named: str) -> bool:
        """Whether `node` may name `named` to `partner` (the reference rule, from the model)."""
        index = self.index_of.get(named)
        if index is None:  # no node holds it: the partner may not even learn the id
            return False
        owner = self.specs[index].owner
        if owner == node:
            return self.markings_allow(node, partner, index) or any(
                rid == named for rid, _ in self.released[(node, partner)]
            )
        # Another party's record: only the partner's own, and only if this node holds it.
        return owner == partner and named in self.holds[node]

    def allowed(self, owner: str, partner: str, index: int) -> bool:
        if not self.markings_allow(owner, partner, index):
            return False
        if all(self.may_hold(owner, partner, n) for n in named_ids(self.specs[index], self.specs)):
            return True
        event("a relationship its markings allow is withheld")  # --hypothesis-show-statistics
        return False

    def act(self, what: str, actor: str, partner: str, index: int) -> None:
        node = self.nodes[actor]
        if what == "all":
            if partner == actor:
                return
            going = [
                (self.ids[i], self.newest(actor, i)[0])
                for i, spec in enumerate(self.specs)
                if spec.owner == actor and self.allowed(actor, partner, i)
            ]
            release_everything_allowed(node.store, partner=partner, signing_key=node.key, actor="p")
            self.released[(actor, partner)].update(going)
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
            # A revocation sends a tombstone (no version) to every holder, whatever the record
            # names (it is exempt from the reference and releasability rules).
            self.revoked.add(self.ids[index])

    def injector(self, server: str, puller: str) -> Tamper:
        """The adversarial channel from `server` to `puller`: it fills each page's room with
        versions `server` signed and released to the other party."""
        other = next(p for p in PARTIES if p not in (server, puller))
        with self.nodes[server].store.unit_of_work() as uow:
            # Versions released to `puller` too are addressed to it: not an injection.
            own = {(v.record_id, v.modified) for v in uow.releases.page(puller, version="all")}
            stolen = [
                (orjson.loads(v.stix), v.signature)
                for v in uow.releases.page(other, version="all")
                if (v.record_id, v.modified) not in own
            ]

        def tamper(request: httpx.Request, response: httpx.Response) -> httpx.Response:
            if not request.url.path.endswith("/objects/") or response.status_code != 200:
                return response
            body = orjson.loads(response.content)
            room = int(request.url.params["limit"]) - len(body["objects"])
            for obj, signature in stolen[: max(room, 0)]:
                body["objects"].append(obj)
                body["x_enlace_signatures"][f"{obj['id']}|{obj['modified']}"] = signature
                self.injected += 1
            return httpx.Response(200, headers=response.headers, content=orjson.dumps(body))

        return tamper

    def sync_everyone(self) -> None:
        for puller, server in itertools.permutations(PARTIES, 2):
            before = self.injected
            report = pull(
                self.nodes[puller], self.nodes[server], tamper=self.injector(server, puller)
            )
            assert set(report.refused) <= {"not-releasable-here", "not-in-manifest"}, (
                report.summary()
            )
            assert report.refused_total == self.injected - before, report.summary()
            assert report.not_held_total == 0, report.summary()
            if report.refused_total:
                event("the channel injected another party's records")
        for (_owner, holder), versions in self.released.items():
            self.holds[holder].update(rid for rid, _ in versions)

    def entitled(self, holder: str, sender: str, named: str) -> bool:
        """Whether `holder` was ever entitled to the id `named` in what `sender` sent it: its
        own record, or one of the sender's whose markings named it in some version."""
        index = self.index_of.get(named)
        if index is None:
            return False
        spec = self.specs[index]
        if spec.owner == holder:
            return True
        versions = [spec.markings] if spec.second is None else [spec.markings, spec.second]
        return spec.owner == sender and any(holder in m.releasable_to for m in versions)

    def check(self) -> None:
        for owner, holder in itertools.permutations(PARTIES, 2):
            got = received_versions(self.nodes[holder], owner)
            assert got == self.released[(owner, holder)], (owner, holder)
            with self.nodes[owner].store.unit_of_work() as uow:
                page = uow.releases.page(holder, version="all")
            assert {(r.record_id, r.modified) for r in page} == got
            with self.nodes[holder].store.unit_of_work() as uow:
                query = select(
                    records.c.releasable_to, records.c.owner, records.c.kind, records.c.stix
                ).where(records.c.received_from == owner)
                for releasable_to, record_owner, kind, stix in uow.connection.execute(query):
                    assert holder in releasable_to.split()
                    assert record_owner == owner
                    if kind == "relationship":
                        event("a relationship arrived")
                    # No held record names an id its holder may not hold.
                    for named in referenced_ids(kind, orjson.loads(stix)):
                        assert self.entitled(holder, owner, named), (owner, holder, named)
            # A revoked record is held as revoked by whoever had it; nothing else is.
            with self.nodes[holder].store.unit_of_work() as uow:
                for record_id_held in {rid for rid, _ in got}:
                    versions = uow.records.versions(record_id_held)
                    revoked = record_id_held in self.revoked
                    assert all(v.revoked is revoked for v in versions), (holder, record_id_held)
                    if revoked:
                        event("a revocation reached a holder")
            # Nothing passed on: a holder has nothing of a third party's from this sender.
            third = next(p for p in PARTIES if p not in (owner, holder))
            third_ids = {self.ids[i] for i, s in enumerate(self.specs) if s.owner == third}
            assert not {rid for rid, _ in got} & third_ids


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three nodes' stores, migrated and registered once; each example starts from a copy
    (making them is most of an example's time)."""
    folder = tmp_path_factory.mktemp("property-template")
    with party_nodes({p: sqlite_url(str(folder / f"{p}.sqlite")) for p in PARTIES}):
        pass
    return folder


@contextmanager
def fresh_nodes(template: Path) -> Iterator[dict[str, Node]]:
    """Three nodes, each a copy of its template store, in a folder removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="enlace-property-"))
    try:
        for party in PARTIES:
            shutil.copyfile(template / f"{party}.sqlite", folder / f"{party}.sqlite")
        with party_nodes({p: sqlite_url(str(folder / f"{p}.sqlite")) for p in PARTIES}) as nodes:
            yield nodes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(specs, min_size=1, max_size=10),
    st.lists(actions, max_size=8),
    st.lists(actions, max_size=8),
)
def test_records_arrive_exactly_where_markings_references_and_releases_allow(
    template: Path,
    spec_list: list[Spec],
    first: list[tuple[str, str, str, int]],
    second: list[tuple[str, str, str, int]],
) -> None:
    with fresh_nodes(template) as nodes:
        for owner in PARTIES:
            versions = [
                StoredVersion.of(build(i, spec_list, s.markings, 0))
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
                        [StoredVersion.of(build(i, spec_list, s.second, 1))],
                        added_at=uow.started_at,
                    )
                    uow.commit()
        for action in second:
            model.act(*action)
        model.sync_everyone()
        model.check()
