"""The demo's world (enlace.synth, as `enlace demo` generates it, smaller): after release and
sync both ways, no record a partner received names a record that partner may not hold.

The generator gives a relationship the markings of its source, so a relationship releasable
to the partner may point at a national-only person or organisation (and a custody transfer
may name a national-only person): before the reference rule, 10 of the 77 relationships
released at this scale did (44 of the 186 released from US to MX at the demo's default
scale). They must now be withheld, and only they.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from enlace.exchange.release import release_everything_allowed
from enlace.model.catalogue import DEFAULT_AGENCIES
from enlace.model.records import Agency, agency_id
from enlace.model.records.references import referenced_ids
from enlace.node.setup import AGENCY_MARKINGS
from enlace.partners.agencies import share_agencies_with
from enlace.store.engine import sqlite_url
from enlace.store.versions import StoredRow, StoredVersion
from enlace.synth import SynthConfig, generate
from support.exchange import CREATED
from support.parties import Node, party_nodes, pull

PARTNER = {"MX": "US", "US": "MX"}


def agencies(party: str) -> list[StoredVersion]:
    """The catalogue agencies `enlace init` gives a node, national only as it makes them."""
    return [
        StoredVersion.of(
            Agency(
                id=agency_id(party, acronym),
                owner=party,
                markings=AGENCY_MARKINGS,
                created=CREATED,
                modified=CREATED,
                name=name,
                acronym=acronym,
                party=party,
            )
        )
        for acronym, name in DEFAULT_AGENCIES[party]
    ]


def newest(node: Node) -> list[StoredRow]:
    with node.store.unit_of_work() as uow:
        return list(uow.records.iter_latest())


def names(row: StoredRow) -> set[str]:
    return set(referenced_ids(row.kind, row.stix_object()))


def withheld_entries(node: Node) -> list[dict[str, Any]]:
    with node.store.unit_of_work() as uow:
        return [e.detail for e in uow.audit.entries() if e.action == "release-withheld"]


def test_no_record_released_in_the_demo_world_names_one_the_partner_may_not_hold(
    tmp_path: Path,
) -> None:
    dataset = generate(SynthConfig(seed=7, parties=("MX", "US"), scale=300))
    urls = {party: sqlite_url(str(tmp_path / f"{party}.sqlite")) for party in PARTNER}
    with party_nodes(urls) as nodes:
        for party, node in nodes.items():
            with node.store.unit_of_work() as uow:
                versions = [StoredVersion.of(r) for r in dataset.records[party]]
                uow.records.add([*agencies(party), *versions], added_at=uow.started_at)
                # As 'enlace partner add' does: the node's agencies become releasable to it.
                share_agencies_with(uow, party=party, partner=PARTNER[party])
                uow.commit()
        owned = {party: newest(node) for party, node in nodes.items()}
        for party, node in nodes.items():
            release_everything_allowed(
                node.store, partner=PARTNER[party], signing_key=node.key, actor="test"
            )
        for party, node in nodes.items():
            report = pull(node, nodes[PARTNER[party]])
            assert report.refused_total == 0, report.summary()

        for sender, holder in PARTNER.items():
            # From the markings alone (every record new, owned by the sender, none revoked):
            # what may go, and what must be withheld for what it names.
            releasable = {row.id for row in owned[sender] if holder in row.releasable_to}
            must_withhold = {
                row.id for row in owned[sender] if row.id in releasable and names(row) - releasable
            }
            held = newest(nodes[holder])
            held_ids = {row.id for row in held}
            got = [row for row in held if row.received_from == sender]
            naming_what_holder_may_not_hold = [row.id for row in got if names(row) - held_ids]
            entries = withheld_entries(nodes[sender])
            withheld = {record_id for entry in entries for record_id in entry["withheld"]}

            assert naming_what_holder_may_not_hold == []
            assert must_withhold  # the world has such records: the rule fired
            assert "relationship" in {row.kind for row in got}  # the others still go
            assert withheld == must_withhold
            assert sum(entry["count"] for entry in entries) == len(must_withhold)
            assert {row.id for row in got} == releasable - must_withhold
