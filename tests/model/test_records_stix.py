"""Every record kind maps one-to-one to STIX 2.1 JSON that OASIS's own tools accept.

STIX 2.1: https://docs.oasis-open.org/cti/stix/v2.1/os/stix-v2.1-os.html (section 7.3 for the
extension definitions Enlace's custom types rely on).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.markings import TLP_MARKING_IDS, Markings, Tlp, tlp_marking_definition
from enlace.model.records import (
    RECORD_CLASSES,
    Action,
    Agency,
    Commitment,
    Company,
    CriminalOrganisation,
    CustodyTransfer,
    Firearm,
    Laboratory,
    Location,
    Meeting,
    Person,
    PhoneNumber,
    Record,
    Relationship,
    Seizure,
    TraceRequest,
    TraceResponse,
    Vehicle,
    agency_id,
    derived_id,
    record_from_stix,
)

CREATED = datetime(2025, 9, 1, 12, 0, 0, tzinfo=UTC)
MODIFIED = datetime(2025, 9, 2, 8, 30, 15, 123456, tzinfo=UTC)
FGR = agency_id("MX", "FGR")
CBP = agency_id("US", "CBP")
SHARED = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
NATIONAL = Markings.build(tlp="red", handling="H3", handling_text="Solo uso interno de la FGR")

PERSON_ID = derived_id("identity", "person", "stix-test")
ORGANISATION_ID = derived_id("threat-actor", "organisation", "stix-test")
VALID_VIN = "1HGCM82633A004352"
VALID_CURP = "BOXW310820HNERXN09"


def build(
    cls: type[Record], values: Mapping[str, object], *, owner: str = "MX", author: str = FGR
) -> Record:
    """A record of `cls` with a derived id, fixed timestamps and shared markings."""
    return cls.from_values(
        id=derived_id(cls.STIX_TYPE, cls.KIND, "stix-test"),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=MODIFIED,
        created_by_ref=author,
        values=values,
    )


SAMPLES: dict[type[Record], Callable[[], Record]] = {
    Agency: lambda: build(
        Agency, {"name": "Fiscalía General de la República", "acronym": "FGR", "party": "MX"}
    ),
    Person: lambda: build(
        Person,
        {
            "given_names": "José Ángel",
            "first_surname": "Núñez",
            "second_surname": "Peña",
            "date_of_birth": "1931-08-20",
            "sex": "male",
            "nationality": "MX",
            "curp": VALID_CURP,
            "aliases": "El Güero|Don Pepe",
            "place_of_birth": "MX-SIN",
        },
    ),
    Company: lambda: build(
        Company, {"name": "Comercializadora del Norte S.A. de C.V.", "country": "MX"}
    ),
    CriminalOrganisation: lambda: build(
        CriminalOrganisation,
        {
            "name": "Cártel de Sinaloa",
            "aliases": ["CDS", "Cártel del Pacífico"],
            "designations": "FTO|SDGT",
        },
    ),
    PhoneNumber: lambda: build(
        PhoneNumber, {"number": "+52 55 1234 5678", "description": "Línea del encargado de plaza"}
    ),
    Vehicle: lambda: build(
        Vehicle,
        {
            "vin": VALID_VIN,
            "plate_country": "MX",
            "plate_state": "MX-BCN",
            "plate_number": "ABC-123-A",
            "make": "Nissan",
            "model": "Tsuru",
            "year": "2019",
            "colour": "gris",
        },
    ),
    Firearm: lambda: build(
        Firearm,
        {
            "make": "Colt",
            "serial": "LW123456",
            "model": "AR-15",
            "caliber": "5.56",
            "firearm_type": "rifle",
            "recovery_state": "MX-SON",
            "recovery_date": "2025-08-15",
            "trace_status": "traced-us",
            "source_state": "US-AZ",
        },
    ),
    Seizure: lambda: build(
        Seizure,
        {
            "category": "drug",
            "drug_type": "fentanyl",
            "quantity": "12,5",
            "unit": "kg",
            "seizure_date": "2025-08-30",
            "state": "US-AZ",
            "port_code": "2604",
            "place": "Garita Mariposa",
            "description": "Pastillas ocultas en el tanque",
        },
        owner="US",
        author=CBP,
    ),
    Laboratory: lambda: build(
        Laboratory,
        {
            "found_date": "2025-08-01",
            "state": "MX-SIN",
            "municipality": "Culiacán",
            "status": "dismantled",
            "drug_type": "methamphetamine",
            "reactors": 3,
        },
    ),
    CustodyTransfer: lambda: build(
        CustodyTransfer,
        {
            "person_ref": PERSON_ID,
            "transfer_kind": "transfer",
            "legal_mechanism": "Ley de Seguridad Nacional art. 5",
            "transfer_date": "2025-02-27",
            "from_party": "MX",
            "to_party": "US",
            "destination": "Distrito Sur de Nueva York",
        },
    ),
    Location: lambda: build(
        Location,
        {
            "name": "Nogales",
            "country": "US",
            "administrative_area": "US-AZ",
            "city": "Nogales",
            "port_code": "2604",
        },
    ),
    Relationship: lambda: build(
        Relationship,
        {"relationship_type": "Member-Of", "source_ref": PERSON_ID, "target_ref": ORGANISATION_ID},
    ),
    Meeting: lambda: build(
        Meeting,
        {
            "mechanism": "security-implementation-group",
            "sequence": 2,
            "meeting_date": "2025-12-05",
            "place": "Ciudad de México",
            "mx_agencies": "SRE|SSPC|FGR",
            "us_agencies": "DHS|DOJ",
        },
    ),
    Commitment: lambda: build(
        Commitment,
        {
            "text_es": "Ampliar el rastreo de armas con eTrace",
            "theme": "firearms",
            "responsible": "joint",
            "lead_agencies": "FGR|ATF",
            "due_date": "2026-03-31",
            "status": "announced",
            "meeting_ref": derived_id("enlace-meeting", "meeting", "stix-test"),
        },
    ),
    Action: lambda: build(
        Action,
        {
            "commitment_ref": derived_id("enlace-commitment", "commitment", "stix-test"),
            "description_en": "Deploy eTrace accounts to FGR state offices",
            "owner_agency": "ATF",
            "status": "in-progress",
            "evidence": "indicator:firearms-traced@2025",
        },
    ),
    TraceRequest: lambda: build(
        TraceRequest,
        {
            "requested_of": "US",
            "status": "submitted",
            "make": "Colt",
            "serial": "AB12345",
            "caliber": ".38 Super",
            "recovery_state": "MX-SIN",
            "recovery_date": "2025-08-30",
            "firearm_ref": derived_id("enlace-firearm", "firearm", "stix-test"),
        },
    ),
    TraceResponse: lambda: build(
        TraceResponse,
        {
            "request_ref": derived_id("enlace-trace-request", "trace-request", "stix-test"),
            "status": "answered",
            "outcome": "traced",
            "first_sale_state": "US-TX",
            "dealer": "Gun shop, Houston",
            "purchase_date": "2024-02-01",
            "time_to_crime_days": 576,
        },
        owner="US",
        author=CBP,
    ),
}

STANDARD_TYPES = {"identity", "threat-actor", "location", "relationship"}


def sample(cls: type[Record]) -> Record:
    """The representative record of one class."""
    return SAMPLES[cls]()


def national_variant(record: Record) -> Record:
    """The same record under national-only markings, with its own id."""
    return dataclasses.replace(
        record, id=derived_id(record.STIX_TYPE, record.KIND, "national"), markings=NATIONAL
    )


def kind_id(cls: type[Record]) -> str:
    return cls.KIND


def test_every_record_class_has_a_sample() -> None:
    assert set(SAMPLES) == set(RECORD_CLASSES)


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=kind_id)
def test_record_survives_stix_round_trip(cls: type[Record]) -> None:
    record = sample(cls)
    obj = record.to_stix()
    assert record_from_stix(obj) == record
    # Through JSON text as well: nothing relies on Python-only values.
    assert record_from_stix(json.loads(json.dumps(obj))) == record
    assert record_from_stix(obj).to_stix() == obj


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=kind_id)
def test_national_only_record_survives_stix_round_trip(cls: type[Record]) -> None:
    record = national_variant(sample(cls))
    assert record_from_stix(record.to_stix()) == record


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=kind_id)
def test_stix_object_carries_id_type_tlp_and_markings(cls: type[Record]) -> None:
    record = sample(cls)
    obj = record.to_stix()
    assert obj["type"] == cls.STIX_TYPE
    assert obj["spec_version"] == "2.1"
    assert obj["id"] == record.id
    assert obj["object_marking_refs"] == [TLP_MARKING_IDS[Tlp.AMBER]]
    extensions = obj["extensions"]
    assert isinstance(extensions, dict)
    assert extensions[ext.MARKINGS.id]["releasable_to"] == ["MX", "US"]


def test_seizure_stix_json_is_exact() -> None:
    obj = sample(Seizure).to_stix()
    assert json.dumps(obj, indent=2, ensure_ascii=False) == SEIZURE_JSON


SEIZURE_JSON = """\
{
  "type": "enlace-seizure",
  "spec_version": "2.1",
  "id": "enlace-seizure--8190dc43-c3ad-411c-b352-74a4c7deaff6",
  "created": "2025-09-01T12:00:00.000000Z",
  "modified": "2025-09-02T08:30:15.123456Z",
  "created_by_ref": "identity--d168e965-fbf4-48be-9198-0838220c30e4",
  "category": "drug",
  "drug_type": "fentanyl",
  "quantity": 12.5,
  "unit": "kg",
  "seizure_date": "2025-08-30",
  "state": "US-AZ",
  "port_code": "2604",
  "place": "Garita Mariposa",
  "description": "Pastillas ocultas en el tanque",
  "object_marking_refs": [
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
  ],
  "extensions": {
    "extension-definition--0a2c4e6f-8b1d-4f3a-9c5e-7b9d1f3a5ec2": {
      "extension_type": "new-sdo"
    },
    "extension-definition--3f1c9a52-8d0b-4a6e-b1f7-2c5e9d4a8b31": {
      "extension_type": "property-extension",
      "owner": "US",
      "releasable_to": [
        "MX",
        "US"
      ],
      "handling_code": "H2",
      "evaluation": "B2"
    }
  }
}"""


def test_person_stix_puts_spanish_names_in_its_extension() -> None:
    obj = sample(Person).to_stix()
    assert obj["name"] == "José Ángel Núñez Peña"
    assert obj["identity_class"] == "individual"
    extensions = obj["extensions"]
    assert isinstance(extensions, dict)
    body = extensions[ext.PERSON.id]
    assert body == {
        "extension_type": "property-extension",
        "given_names": "José Ángel",
        "first_surname": "Núñez",
        "second_surname": "Peña",
        "date_of_birth": "1931-08-20",
        "sex": "male",
        "nationality": "MX",
        "curp": VALID_CURP,
        "aliases": ["El Güero", "Don Pepe"],
        "place_of_birth": "MX-SIN",
    }


def test_derived_ids_are_stable_version_4_uuids() -> None:
    # Partners find re-imported rows and agencies by these ids: they must never change.
    assert agency_id("MX", "FGR") == "identity--1eff5830-f8f1-47a5-87c4-c41428d9045e"
    assert agency_id("mx", " fgr ") == agency_id("MX", "FGR")
    assert derived_id("enlace-seizure", "a", "b") != derived_id("enlace-seizure", "b", "a")
    assert derived_id("enlace-seizure", "x")[len("enlace-seizure--") :][14] == "4"


@pytest.mark.parametrize("cls", RECORD_CLASSES, ids=kind_id)
def test_oasis_stix2_library_parses_record(cls: type[Record]) -> None:
    record = sample(cls)
    obj = record.to_stix()
    parsed = stix2.parse(copy.deepcopy(obj), allow_custom=True)
    if cls.STIX_TYPE in STANDARD_TYPES:
        assert isinstance(parsed, stix2.base._STIXBase), type(parsed)
        assert parsed["type"] == cls.STIX_TYPE
        # What a STIX consumer writes back is still the same record.
        assert record_from_stix(json.loads(parsed.serialize())) == record
    else:
        assert parsed["type"] == cls.STIX_TYPE
        assert parsed["id"] == record.id


def test_oasis_stix2_library_parses_tlp_marking_definitions() -> None:
    for tlp in Tlp:
        parsed = stix2.parse(tlp_marking_definition(tlp), allow_custom=True)
        assert isinstance(parsed, stix2.MarkingDefinition)
        assert parsed.id == TLP_MARKING_IDS[tlp]


def _bundle(objects: list[dict[str, object]]) -> dict[str, object]:
    return {
        "type": "bundle",
        "id": "bundle--5d0ab2f1-0b4c-4b8e-9d3a-7e6f1c2b3a40",
        "objects": objects,
    }


def test_stix_validator_accepts_bundle_of_every_kind_with_definitions() -> None:
    records = [sample(cls) for cls in RECORD_CLASSES]
    records += [national_variant(r) for r in records]
    objects = [
        ext.enlace_identity(),
        *(definition.to_stix() for definition in ext.ALL),
        *(tlp_marking_definition(tlp) for tlp in Tlp),
        *(record.to_stix() for record in records),
    ]
    result = validate_instance(_bundle(objects), ValidationOptions(strict=False))
    assert result.is_valid, [str(error) for error in result.errors]


def test_every_type_extension_is_declared() -> None:
    declared = {definition.id for definition in ext.ALL}
    for cls in RECORD_CLASSES:
        extensions = sample(cls).to_stix()["extensions"]
        assert isinstance(extensions, dict)
        assert set(extensions) <= declared


def test_record_without_releasability_is_national_only() -> None:
    obj = national_variant(sample(Seizure)).to_stix()
    body = obj["extensions"][ext.MARKINGS.id]  # type: ignore[index]
    # STIX forbids empty lists: national only is the property left out.
    assert "releasable_to" not in body
    record = record_from_stix(obj)
    assert record.markings.national_only
    assert record.markings.releasable_to == frozenset()
    assert not record.markings.releasable_to_party("US")


def test_received_empty_releasability_list_is_national_only() -> None:
    obj = sample(Seizure).to_stix()
    obj["extensions"][ext.MARKINGS.id]["releasable_to"] = []  # type: ignore[index]
    assert record_from_stix(obj).markings.national_only


def test_revoked_flag_survives_round_trip() -> None:
    record = sample(Firearm).with_version(modified=datetime(2025, 9, 3, tzinfo=UTC), revoked=True)
    obj = record.to_stix()
    assert obj["revoked"] is True
    assert record_from_stix(obj) == record


# --- bad input: the message names the field, what was found and what was expected --------


def _seizure_stix() -> dict[str, Any]:
    return copy.deepcopy(sample(Seizure).to_stix())


def _unknown_type() -> dict[str, Any]:
    obj = _seizure_stix()
    obj["type"] = "enlace-widget"
    return obj


def _no_markings_extension() -> dict[str, Any]:
    obj = _seizure_stix()
    del obj["extensions"][ext.MARKINGS.id]
    return obj


def _no_extensions() -> dict[str, Any]:
    obj = _seizure_stix()
    del obj["extensions"]
    return obj


def _two_tlp_markings() -> dict[str, Any]:
    obj = _seizure_stix()
    obj["object_marking_refs"] = [TLP_MARKING_IDS[Tlp.AMBER], TLP_MARKING_IDS[Tlp.RED]]
    return obj


def _bad_vin() -> dict[str, Any]:
    obj = copy.deepcopy(sample(Vehicle).to_stix())
    obj["vin"] = "1HGCM82643A004352"  # check digit should be 3
    return obj


def _drug_without_type() -> dict[str, Any]:
    obj = _seizure_stix()
    del obj["drug_type"]
    return obj


def _bad_owner() -> dict[str, Any]:
    obj = _seizure_stix()
    obj["extensions"][ext.MARKINGS.id]["owner"] = "XX"
    return obj


def _modified_before_created() -> dict[str, Any]:
    obj = _seizure_stix()
    obj["modified"] = "2025-08-01T00:00:00Z"
    return obj


@pytest.mark.parametrize(
    ("make_object", "field", "found", "expected"),
    [
        pytest.param(_unknown_type, "type", "enlace-widget", "enlace-seizure", id="unknown-type"),
        pytest.param(
            _no_markings_extension,
            "extensions",
            ext.SEIZURE.id,
            ext.MARKINGS.id,
            id="no-markings-extension",
        ),
        pytest.param(
            _no_extensions, "extensions", "found nothing", "markings extension", id="no-extensions"
        ),
        pytest.param(
            _two_tlp_markings,
            "object_marking_refs",
            TLP_MARKING_IDS[Tlp.AMBER],
            "exactly one TLP 2.0",
            id="two-tlp-markings",
        ),
        pytest.param(_bad_vin, "vin", "1HGCM82643A004352", "check digit", id="bad-vin"),
        pytest.param(
            _drug_without_type, "drug_type", "found nothing", "drug type", id="drug-no-type"
        ),
        pytest.param(_bad_owner, "owner", "XX", "ISO 3166-1 alpha-2", id="bad-owner"),
        pytest.param(
            _modified_before_created,
            "modified",
            "2025-08-01",
            "not before 'created'",
            id="modified-before-created",
        ),
    ],
)
def test_bad_stix_raises_record_error_naming_field_found_and_expected(
    make_object: Callable[[], dict[str, Any]], field: str, found: str, expected: str
) -> None:
    with pytest.raises(RecordError) as caught:
        record_from_stix(make_object())
    error = caught.value
    assert error.field == field
    message = str(error)
    assert f"field '{field}'" in message
    assert found in message
    assert expected in message


def test_bad_field_value_in_values_raises_record_error() -> None:
    with pytest.raises(RecordError, match=r"field 'unit': found 'count', expected for drug"):
        build(
            Seizure,
            {
                "category": "drug",
                "drug_type": "heroin",
                "quantity": 1,
                "unit": "count",
                "seizure_date": "2025-01-01",
            },
        )
    with pytest.raises(RecordError, match=r"field 'quantity': .*non-negative number"):
        build(
            Seizure,
            {"category": "cash", "quantity": "-3", "unit": "usd", "seizure_date": "2025-01-01"},
        )
    with pytest.raises(RecordError, match=r"field 'make': .*required"):
        build(Firearm, {"serial": "AB1234"})


def test_identity_without_enlace_extension_is_refused() -> None:
    obj = sample(Agency).to_stix()
    obj["extensions"] = {ext.MARKINGS.id: obj["extensions"][ext.MARKINGS.id]}  # type: ignore[index]
    with pytest.raises(RecordError) as caught:
        record_from_stix(obj)
    assert caught.value.field == "extensions"
    assert "agency, person or company extension" in str(caught.value)


# The sample's CURP with Sinaloa ("SL") as its state code, and its check digit.
SINALOA_CURP = "BOXW310820HSLRXN05"


def test_person_without_a_place_of_birth_takes_the_state_of_its_curp() -> None:
    values = {"given_names": "José", "first_surname": "Núñez", "curp": SINALOA_CURP}
    person = build(Person, values)
    assert isinstance(person, Person)
    assert person.place_of_birth == "MX-SIN"
    assert person.to_stix()["extensions"][ext.PERSON.id]["place_of_birth"] == "MX-SIN"  # type: ignore[index]


def test_person_place_of_birth_given_is_kept_and_born_abroad_gives_none() -> None:
    given = build(
        Person,
        {"given_names": "José", "first_surname": "Núñez", "curp": SINALOA_CURP,
         "place_of_birth": "us-tx"},
    )  # fmt: skip
    abroad = build(Person, {"given_names": "José", "first_surname": "Núñez", "curp": VALID_CURP})
    assert isinstance(given, Person)
    assert isinstance(abroad, Person)
    assert given.place_of_birth == "US-TX"
    assert abroad.place_of_birth is None


def test_person_place_of_birth_must_be_an_iso_subdivision() -> None:
    with pytest.raises(RecordError) as raised:
        build(Person, {"given_names": "José", "first_surname": "Núñez", "place_of_birth": "SL"})
    assert raised.value.field == "place_of_birth"
