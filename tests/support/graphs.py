"""Builders of the link graph tests: records linked by relationships, and hubs.

On top of MX's node of `support.pages`: a firearm seized in a seizure, owned by a person who
uses MX's phone, linked from US's vehicle, matched with a US record and found by a US run;
a relationship to a record this node does not hold, and one revoked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypeVar

from enlace.model.markings import Markings
from enlace.model.records import (
    Firearm,
    Person,
    PhoneNumber,
    Record,
    Relationship,
    Seizure,
    TraceRequest,
    TraceResponse,
    derived_id,
)
from enlace.store.repositories.matches import HitNotice, Match
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from support.pages import CREATED, TO_US, mx_node

PARTNER_HANDLE = "00112233aabbccdd"
RUN = "cd" * 16
FOUND_AT = "2025-09-05T10:00:00.000000Z"
NOT_HELD = "enlace-person--6f1c1f5e-0000-4000-8000-000000000001"

R = TypeVar("R", bound=Record)


@dataclass(frozen=True, slots=True)
class Graph:
    """The ids of the records by their part in the tests, and our handle given to US."""

    ids: dict[str, str]
    our_handle: str


def mx_record(
    cls: type[R], stix_type: str, name: str, values: dict[str, str], markings: Markings = TO_US
) -> R:
    """A current record of MX's of class `cls`, its id derived from `name`."""
    return cls.from_values(
        id=derived_id(stix_type, "graph-test", name),
        owner="MX",
        markings=markings,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values=values,
    )


def relationship(
    name: str, source: str, target: str, kind: str, *, markings: Markings = TO_US
) -> Relationship:
    """A current relationship `source` -kind-> `target`, its id derived from `name`."""
    values = {"relationship_type": kind, "source_ref": source, "target_ref": target}
    return mx_record(Relationship, "relationship", name, values, markings)


def firearm(serial: str) -> Firearm:
    """A Glock pistol by its serial."""
    values = {"make": "Glock", "model": "19", "serial": serial, "firearm_type": "pistol"}
    return mx_record(Firearm, "enlace-firearm", serial, values)


def phone_record(number: str) -> PhoneNumber:
    """An MX phone number record."""
    return mx_record(PhoneNumber, "enlace-phone-number", number, {"number": number})


def graph_node(store: Store) -> Graph:
    """MX's node with a firearm at the centre of a small graph (see the module's doc)."""
    ids = mx_node(store)
    gun = firearm("BXR123")
    seizure = mx_record(
        Seizure,
        "enlace-seizure",
        "sonoyta",
        {
            "category": "firearm",
            "quantity": "3",
            "unit": "count",
            "seizure_date": "2025-08-30",
            "state": "MX-SON",
            "place": "Sonoyta",
        },
    )
    person = mx_record(
        Person,
        "identity",
        "ramirez",
        {"given_names": "Julio", "first_surname": "Ramírez", "second_surname": "Soto"},
    )
    links = [
        relationship("seized", gun.id, seizure.id, "seized-in"),
        relationship("owned", gun.id, person.id, "owned-by"),
        relationship("vehicle", ids["tampered"], gun.id, "related-to"),  # US's, to ours
        relationship("phone", ids["own"], person.id, "used-by"),  # depth 2
        relationship("absent", gun.id, NOT_HELD, "related-to"),
    ]
    revoked_link = relationship("revoked", gun.id, ids["national"], "related-to")
    withdrawn = Relationship.from_stix(
        {
            **revoked_link.to_stix(),
            "revoked": True,
            "modified": "2025-09-09T00:00:00.000Z",
        }
    )
    with store.unit_of_work() as uow:
        versions = [gun, seizure, person, *links, revoked_link]
        uow.records.add([StoredVersion.of(r) for r in versions], added_at=uow.started_at)
        uow.records.add([StoredVersion.of(withdrawn)], added_at=uow.started_at)
        uow.matches.add_matches([Match("US", "firearm", gun.id, PARTNER_HANDLE, RUN, FOUND_AT)])
        uow.matches.add_hit_notices([HitNotice(RUN, gun.id, "US", "firearm", None, FOUND_AT)])
        ours = uow.handles.handles_for("US", [gun.id], at=uow.started_at)[gun.id]
        uow.commit()
    return Graph(
        {
            **ids,
            "firearm": gun.id,
            "seizure": seizure.id,
            "person": person.id,
            "seized": links[0].id,
            "revoked": revoked_link.id,
        },
        ours,
    )


def hub(store: Store, neighbours: int, *, name: str = "hub") -> tuple[str, list[str]]:
    """A phone linked from `neighbours` phones ('related-to' it), all held; its id and
    theirs, in the order their relationships' ids sort."""
    centre = phone_record("+5255" + str(uuid.uuid5(uuid.NAMESPACE_DNS, name).int)[:8])
    spokes = [phone_record(f"+52664{n:07d}") for n in range(neighbours)]
    links = [
        relationship(f"{name}-{n}", spoke.id, centre.id, "related-to")
        for n, spoke in enumerate(spokes)
    ]
    with store.unit_of_work() as uow:
        uow.records.add(
            [StoredVersion.of(r) for r in (centre, *spokes, *links)], added_at=uow.started_at
        )
        uow.commit()
    order = sorted(zip(links, spokes, strict=True), key=lambda pair: pair[0].id)
    return centre.id, [spoke.id for _, spoke in order]


def busy_neighbour(store: Store, further: int) -> tuple[str, str]:
    """A firearm linked to one phone, itself linked to `further` records this node does not
    hold: (the firearm's id, the phone's id)."""
    gun = firearm("BUSY001")
    phone = phone_record("+526649990000")
    links = [relationship("busy-first", gun.id, phone.id, "related-to")]
    links += [
        relationship(
            f"busy-{n}", phone.id, f"enlace-person--{uuid.UUID(int=n + 1, version=4)}", "used-by"
        )
        for n in range(further)
    ]
    with store.unit_of_work() as uow:
        uow.records.add(
            [StoredVersion.of(r) for r in (gun, phone, *links)], added_at=uow.started_at
        )
        uow.commit()
    return gun.id, phone.id


def traced(store: Store, firearm_id: str) -> tuple[str, str]:
    """A trace request of MX's about `firearm_id` (asked of US), answered by US:
    (the request's id, the response's id), both stored here."""
    request = mx_record(
        TraceRequest,
        "enlace-trace-request",
        f"trace-{firearm_id}",
        {"requested_of": "US", "status": "submitted", "make": "Glock", "firearm_ref": firearm_id},
    )
    answer = TraceResponse.from_values(
        id=derived_id("enlace-trace-response", "graph-test", f"answer-{firearm_id}"),
        owner="US",
        markings=Markings.build(tlp="amber", releasable_to="MX", handling="H2", evaluation="B2"),
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"request_ref": request.id, "status": "in-progress"},
    )
    with store.unit_of_work() as uow:
        uow.records.add([StoredVersion.of(r) for r in (request, answer)], added_at=uow.started_at)
        uow.commit()
    return request.id, answer.id
