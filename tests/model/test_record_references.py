"""Which fields of a record name other records: what the reference rule of a release checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import orjson

from enlace.model.markings import Markings
from enlace.model.records import (
    RECORD_CLASSES,
    Action,
    CustodyTransfer,
    PhoneNumber,
    Record,
    Relationship,
    Seizure,
    agency_id,
    derived_id,
)
from enlace.model.records.references import (
    REFERRING_KINDS,
    may_name_records,
    reference_fields,
    referenced_ids,
)

CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
SHARED = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
FGR = agency_id("MX", "FGR")
PERSON = derived_id("identity", "person", "references-test")
ORGANISATION = derived_id("threat-actor", "organisation", "references-test")
COMMITMENT = derived_id("enlace-commitment", "commitment", "references-test")
SEIZURE = derived_id("enlace-seizure", "seizure", "references-test")

# Every field that names another record, by kind: a new one must be added here on purpose.
EXPECTED = {
    "relationship": {"source_ref", "target_ref"},
    "custody-transfer": {"person_ref"},
    "seizure": {"seizing_agency_ref"},
    "commitment": {"meeting_ref"},
    "action": {"commitment_ref", "evidence"},
    "trace-request": {"firearm_ref"},
    "trace-response": {"request_ref"},
}


def build(cls: type[Record], values: dict[str, object]) -> Record:
    return cls.from_values(
        id=derived_id(cls.STIX_TYPE, cls.KIND, "references-test"),
        owner="MX",
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=FGR,
        values=values,
    )


def test_every_field_that_names_a_record_is_declared_a_reference() -> None:
    declared = {cls.KIND: {bound.name for bound in reference_fields(cls)} for cls in RECORD_CLASSES}
    assert {kind: names for kind, names in declared.items() if names} == EXPECTED
    assert set(EXPECTED) == REFERRING_KINDS
    # A field named like a STIX reference is declared one, but the author (created_by_ref,
    # an agency of the owner's own party: see enlace.model.records.references).
    for cls in RECORD_CLASSES:
        for field in dataclasses.fields(cls):
            if field.name.endswith(("_ref", "_refs")) and field.name != "created_by_ref":
                assert field.name in declared[cls.KIND], (cls.KIND, field.name)


def test_a_relationship_names_its_source_and_target_not_its_author_or_marking() -> None:
    record = build(
        Relationship,
        {"relationship_type": "member-of", "source_ref": PERSON, "target_ref": ORGANISATION},
    )
    stix = record.to_stix()
    assert stix["created_by_ref"] == FGR
    assert stix["object_marking_refs"]
    assert referenced_ids("relationship", stix) == (PERSON, ORGANISATION)


def test_a_custody_transfer_names_the_person_transferred() -> None:
    record = build(
        CustodyTransfer,
        {
            "person_ref": PERSON,
            "transfer_kind": "extradition",
            "legal_mechanism": "extradition treaty",
            "transfer_date": "2025-02-27",
            "from_party": "MX",
            "to_party": "US",
        },
    )
    assert referenced_ids("custody-transfer", record.to_stix()) == (PERSON,)


def test_a_seizure_names_its_seizing_agency_only_when_it_has_one() -> None:
    values: dict[str, object] = {
        "category": "drug",
        "drug_type": "fentanyl",
        "quantity": 2,
        "unit": "kg",
        "seizure_date": "2025-08-30",
    }
    assert referenced_ids("seizure", build(Seizure, values).to_stix()) == ()
    marina = agency_id("MX", "MARINA")
    with_agency = build(Seizure, {**values, "seizing_agency_ref": marina})
    assert referenced_ids("seizure", with_agency.to_stix()) == (marina,)


def test_an_action_names_its_commitment_and_the_records_of_its_evidence() -> None:
    record = build(
        Action,
        {
            "commitment_ref": COMMITMENT,
            "description_es": "Rastreo de armas",
            "status": "in-progress",
            "evidence": [SEIZURE, "indicator:firearms-traced@2025", COMMITMENT],
        },
    )
    # Each id once; the indicator observation names a group indicator, not a record.
    assert referenced_ids("action", record.to_stix()) == (COMMITMENT, SEIZURE)


def test_a_record_of_a_kind_without_references_names_nothing() -> None:
    phone = build(PhoneNumber, {"number": "+52 55 1234 5678"})
    assert referenced_ids("phone", phone.to_stix()) == ()


def test_an_object_of_an_unknown_kind_names_every_ref_but_author_and_markings() -> None:
    stix = {
        "type": "x-unknown",
        "created_by_ref": FGR,
        "object_marking_refs": ["marking-definition--x"],
        "sighting_of_ref": SEIZURE,
        "where_sighted_refs": [PERSON, ORGANISATION],
    }
    assert referenced_ids("x-unknown", stix) == (SEIZURE, PERSON, ORGANISATION)


def test_a_look_at_the_text_spares_parsing_only_what_names_nothing() -> None:
    plain: dict[str, object] = {
        "category": "drug",
        "drug_type": "fentanyl",
        "quantity": 2,
        "unit": "kg",
        "seizure_date": "2025-08-30",
    }
    without = build(Seizure, plain).to_stix()
    with_agency = build(Seizure, {**plain, "seizing_agency_ref": FGR}).to_stix()
    phone = build(PhoneNumber, {"number": "+52 55 1234 5678"}).to_stix()
    assert not may_name_records("seizure", orjson.dumps(without).decode())
    assert may_name_records("seizure", orjson.dumps(with_agency).decode())
    assert not may_name_records("phone", orjson.dumps(phone).decode())
    assert may_name_records("x-unknown", "{}")
    # A key spelt with escapes still parses to the key: such a text is always parsed.
    escaped = (
        orjson.dumps(with_agency).decode().replace("seizing_agency_ref", "\\u0073eizing_agency_ref")
    )
    assert '"seizing_agency_ref"' not in escaped
    assert may_name_records("seizure", escaped)
    assert referenced_ids("seizure", orjson.loads(escaped)) == (FGR,)
