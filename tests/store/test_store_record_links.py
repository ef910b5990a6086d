"""record_links: the ends of each relationship version, kept where versions are added and
filled for a node's existing relationships by migration 0017 — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import select

from enlace.model.markings import Markings
from enlace.model.records import Relationship, TraceRequest, TraceResponse, derived_id
from enlace.store.schema import _config, upgrade_schema
from enlace.store.store import Store
from enlace.store.tables import record_links, records
from enlace.store.versions import StoredVersion
from support.graphs import relationship as graph_relationship

MARKINGS = Markings.build(tlp="green", releasable_to="MX US", handling="H0", evaluation="B2")
SOURCE = derived_id("enlace-vehicle", "links-test", "source")
TARGET = derived_id("enlace-person", "links-test", "target")
FIREARM = derived_id("enlace-firearm", "links-test", "firearm")
CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)


def relationship(kind: str) -> Relationship:
    return graph_relationship(kind, SOURCE, TARGET, kind, markings=MARKINGS)


def stored_row(v: StoredVersion) -> dict[str, object]:
    """A records row as RecordRepository.add wrote it before migration 0015 (no marker)."""
    return {
        "id": v.id, "modified": v.modified, "stix_type": v.stix_type, "kind": v.kind,
        "owner": v.owner, "created_by_ref": None, "tlp": v.tlp,
        "releasable_to": v.releasable_to, "handling": v.handling, "evaluation": v.evaluation,
        "revoked": False, "content_digest": v.content_digest, "received_from": None,
        "added_at": v.modified, "stix": v.stix,
    }  # fmt: skip


def test_adding_a_relationship_writes_its_ends_once(store: Store) -> None:
    link = StoredVersion.of(relationship("used-by"))
    with store.unit_of_work() as uow:
        uow.records.add([link], added_at=uow.started_at)
        uow.records.add([link], added_at=uow.started_at)  # held already: nothing more
        rows = uow.connection.execute(select(record_links)).all()
    assert [tuple(row) for row in rows] == [(link.id, link.modified, SOURCE, TARGET, "used-by")]


def test_the_migration_fills_the_links_of_relationships_stored_before_it(store_url: str) -> None:
    store = Store.open(store_url, migrate=False)
    try:
        config = _config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0014_tracking_review")
        versions = [StoredVersion.of(relationship(f"kind-{n}")) for n in range(1500)]
        with store.engine.begin() as connection:
            # The columns records had at 0014, written as RecordRepository.add wrote them.
            connection.execute(records.insert(), [stored_row(v) for v in versions])
        upgrade_schema(store.engine)
        with store.unit_of_work() as uow:
            held = uow.connection.execute(
                select(record_links.c.relationship_id, record_links.c.relationship_type)
            ).all()
        assert sorted(held) == sorted((v.id, f"kind-{n}") for n, v in enumerate(versions))
    finally:
        store.close()


def trace_pair() -> tuple[StoredVersion, StoredVersion]:
    """A trace request about FIREARM and a response to it, as stored versions."""
    request = trace_request("request", firearm_ref=FIREARM)
    response = TraceResponse.from_values(
        id=derived_id("enlace-trace-response", "links-test", "response"),
        owner="US",
        markings=MARKINGS,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"request_ref": request.id, "status": "in-progress"},
    )
    return StoredVersion.of(request), StoredVersion.of(response)


def trace_request(name: str, **values: str) -> TraceRequest:
    """MX's trace request `name`, asked of US about a Colt, with `values` besides."""
    return TraceRequest.from_values(
        id=derived_id("enlace-trace-request", "links-test", name),
        owner="MX",
        markings=MARKINGS,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"requested_of": "US", "status": "submitted", "make": "Colt", **values},
    )


def test_a_trace_request_links_to_its_firearm_and_a_response_to_its_request(
    store: Store,
) -> None:
    request, response = trace_pair()
    without = StoredVersion.of(trace_request("no-firearm"))
    with store.unit_of_work() as uow:
        uow.records.add([request, response, without], added_at=uow.started_at)
        rows = uow.connection.execute(select(record_links)).all()
    assert sorted(tuple(row) for row in rows) == sorted(
        [
            (request.id, request.modified, request.id, FIREARM, "asks-to-trace"),
            (response.id, response.modified, response.id, request.id, "answers"),
        ]
    )  # a request naming no firearm links to nothing


def test_the_migration_fills_the_links_of_traces_stored_before_it(store_url: str) -> None:
    store = Store.open(store_url, migrate=False)
    try:
        config = _config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0024_map_counts")
        request, response = trace_pair()
        link = StoredVersion.of(relationship("used-by"))
        with store.engine.begin() as connection:
            # Written as the store wrote them before 0025: a relationship's ends only.
            connection.execute(
                records.insert(),
                [{**stored_row(v), "latest": True} for v in (request, response, link)],
            )
            connection.execute(
                record_links.insert().values(
                    relationship_id=link.id, modified=link.modified, source_id=SOURCE,
                    target_id=TARGET, relationship_type="used-by",
                )
            )  # fmt: skip
        upgrade_schema(store.engine)
        with store.unit_of_work() as uow:
            held = uow.connection.execute(
                select(
                    record_links.c.relationship_id,
                    record_links.c.source_id,
                    record_links.c.target_id,
                    record_links.c.relationship_type,
                )
            ).all()
        assert sorted(held) == sorted(
            [
                (link.id, SOURCE, TARGET, "used-by"),
                (request.id, request.id, FIREARM, "asks-to-trace"),
                (response.id, response.id, request.id, "answers"),
            ]
        )
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0024_map_counts")
        with store.engine.begin() as connection:
            left = connection.execute(select(record_links.c.relationship_id)).scalars().all()
        assert left == [link.id]  # the downgrade takes the trace links only
    finally:
        store.close()
