"""Meetings, commitments and actions are records: STIX round trip, validation, CSV import."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from enlace.files.importer import import_file
from enlace.model import extensions as ext
from enlace.model.errors import RecordError
from enlace.model.markings import Markings, Tlp, tlp_marking_definition
from enlace.model.records import (
    Action,
    Commitment,
    Meeting,
    Record,
    class_for_kind,
    derived_id,
    record_from_stix,
)
from enlace.model.vocabulary import Responsible, TrackingStatus
from enlace.node.setup import initialise_node, open_node

NOW = datetime(2025, 12, 6, 9, 0, tzinfo=UTC)
MARKINGS = Markings.build(tlp="amber", releasable_to="US", handling="H0", evaluation="B2")
MEETING_ID = derived_id("enlace-meeting", "records-test")
COMMITMENT_ID = derived_id("enlace-commitment", "records-test")

MEETING = {
    "title": "Segunda reunión del Grupo de Implementación de Seguridad",
    "mechanism": "security-implementation-group",
    "sequence": "2",
    "meeting_date": "2025-12-05",
    "place": "Secretaría de Relaciones Exteriores, Ciudad de México",
    "mx_agencies": "SRE|SSPC|FGR",
    "us_agencies": "State|DHS|ATF",
    "source_document": "es-02.txt",
    "source_sentence": "El viernes 5 de diciembre se llevó a cabo la segunda reunión.",
}
COMMITMENT = {
    "text_es": "Crear un equipo binacional contra el uso de drones",
    "text_en": "Create a binational counter-drone team",
    "theme": "drones",
    "responsible": "joint",
    "lead_agencies": ["Defensa", "DHS"],
    "due_date": "2026-01-23",
    "status": "announced",
    "meeting_ref": MEETING_ID,
}
ACTION = {
    "commitment_ref": COMMITMENT_ID,
    "description_es": "Capacitar a la Defensa en sistemas anti-drones",
    "owner_agency": "DHS",
    "due_date": "2026-02-28",
    "status": "in-progress",
    "evidence": f"indicator:drones-intercepted@2026-01|{MEETING_ID}",
}


def build(cls: type[Record], values: Mapping[str, object], *, suffix: str = "") -> Record:
    return cls.from_values(
        id=derived_id(cls.STIX_TYPE, "records-test", suffix),
        owner="MX",
        markings=MARKINGS,
        created=NOW,
        modified=NOW,
        created_by_ref=None,
        values=values,
    )


SAMPLES: list[tuple[type[Record], Mapping[str, object]]] = [
    (Meeting, MEETING),
    (Commitment, COMMITMENT),
    (Action, ACTION),
]


@pytest.mark.parametrize(("cls", "values"), SAMPLES, ids=lambda v: getattr(v, "KIND", ""))
def test_tracking_record_survives_stix_round_trip_through_json(
    cls: type[Record], values: Mapping[str, object]
) -> None:
    record = build(cls, values)
    obj = json.loads(json.dumps(record.to_stix()))
    assert obj["type"] == cls.STIX_TYPE
    assert obj["extensions"][
        {Meeting: ext.MEETING, Commitment: ext.COMMITMENT, Action: ext.ACTION}[cls].id
    ] == {"extension_type": "new-sdo"}
    assert record_from_stix(obj) == record
    assert class_for_kind(cls.KIND) is cls


@pytest.mark.parametrize(("cls", "values"), SAMPLES, ids=lambda v: getattr(v, "KIND", ""))
def test_oasis_stix2_library_parses_tracking_record(
    cls: type[Record], values: Mapping[str, object]
) -> None:
    record = build(cls, values)
    parsed = stix2.parse(copy.deepcopy(record.to_stix()), allow_custom=True)
    assert parsed["type"] == cls.STIX_TYPE
    assert parsed["id"] == record.id


def test_stix_validator_accepts_tracking_records_with_their_definitions() -> None:
    objects = [
        ext.enlace_identity(),
        *(definition.to_stix() for definition in ext.ALL),
        *(tlp_marking_definition(tlp) for tlp in Tlp),
        *(build(cls, values).to_stix() for cls, values in SAMPLES),
    ]
    bundle = {
        "type": "bundle",
        "id": "bundle--1b3a5c7e-9d2f-4e6a-8b0c-2d4f6a8c0e13",
        "objects": objects,
    }
    result = validate_instance(bundle, ValidationOptions(strict=False))
    assert result.is_valid, [str(error) for error in result.errors]


def test_parsed_values_are_typed() -> None:
    meeting = build(Meeting, MEETING)
    assert isinstance(meeting, Meeting)
    assert meeting.sequence == 2
    assert meeting.meeting_date == date(2025, 12, 5)
    assert meeting.mx_agencies == ("SRE", "SSPC", "FGR")
    commitment = build(Commitment, {**COMMITMENT, "responsible": "mx"})
    assert isinstance(commitment, Commitment)
    assert commitment.responsible is Responsible.MX
    assert commitment.status is TrackingStatus.ANNOUNCED


@pytest.mark.parametrize(
    ("cls", "values", "field"),
    [
        (Meeting, {**MEETING, "meeting_date": None}, "meeting_date"),
        (Meeting, {**MEETING, "meeting_date": None, "meeting_month": "2025-13"}, "meeting_month"),
        (Meeting, {**MEETING, "mechanism": "summit"}, "mechanism"),
        (Meeting, {**MEETING, "sequence": "0"}, "sequence"),
        (Commitment, {**COMMITMENT, "text_es": None, "text_en": ""}, "text_es"),
        (Commitment, {**COMMITMENT, "status": "done"}, "status"),
        (Commitment, {**COMMITMENT, "responsible": "CA"}, "responsible"),
        (Commitment, {**COMMITMENT, "theme": None}, "theme"),
        (Commitment, {**COMMITMENT, "meeting_ref": COMMITMENT_ID}, "meeting_ref"),
        (Action, {**ACTION, "commitment_ref": None}, "commitment_ref"),
        (Action, {**ACTION, "description_es": None}, "description_es"),
        (Action, {**ACTION, "evidence": "seizure 12"}, "evidence"),
        (Action, {**ACTION, "status": "finished"}, "status"),
    ],
)
def test_invalid_tracking_record_names_the_field(
    cls: type[Record], values: Mapping[str, object], field: str
) -> None:
    with pytest.raises(RecordError) as caught:
        build(cls, values)
    assert caught.value.field == field
    assert f"field '{field}'" in str(caught.value)


def test_meeting_with_only_a_month_is_valid() -> None:
    meeting = build(Meeting, {**MEETING, "meeting_date": None, "meeting_month": "2026-01"})
    assert isinstance(meeting, Meeting)
    assert meeting.meeting_month == "2026-01"
    assert meeting.meeting_date is None


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        ("announced", "2025-12-05", True),
        ("stalled", "2025-12-05", True),
        ("in-progress", "2025-12-06", False),  # due today is not yet overdue
        ("delivered", "2025-01-01", False),
        ("announced", None, False),
    ],
)
def test_commitment_is_overdue_when_past_due_and_not_delivered(
    status: str, due: str | None, overdue: bool
) -> None:
    commitment = build(Commitment, {**COMMITMENT, "status": status, "due_date": due})
    assert isinstance(commitment, Commitment)
    assert commitment.is_overdue(today=date(2025, 12, 6)) is overdue
    action = build(Action, {**ACTION, "status": status, "due_date": due})
    assert isinstance(action, Action)
    assert action.is_overdue(today=date(2025, 12, 6)) is overdue


def test_tracking_records_import_from_csv_like_any_record(tmp_path: Path, store_url: str) -> None:
    initialise_node(tmp_path / "mx", party="MX", database_url=store_url)
    config, store = open_node(tmp_path / "mx")
    csv = tmp_path / "tracking.csv"
    csv.write_text(
        "type,id,mechanism,meeting_month,place,theme,responsible,status,text_en,meeting_ref,"
        "commitment_ref,description_en,owner_agency\n"
        f"meeting,{MEETING_ID},ministerial,2026-02,Washington,,,,,,,,\n"
        f"commitment,{COMMITMENT_ID},,,,firearms,US,in-progress,Inspect southbound rail cargo,"
        f"{MEETING_ID},,,\n"
        f"action,,,,,,,announced,,,{COMMITMENT_ID},Install rail scanners at Laredo,CBP\n",
        encoding="utf-8",
    )
    try:
        report = import_file(store, party=config.party, path=csv)
        with store.unit_of_work() as uow:
            kinds = sorted(row.kind for row in uow.records.iter_latest())
            row = uow.records.latest(COMMITMENT_ID)
            assert row is not None
            commitment = record_from_stix(row.stix_object())
    finally:
        store.close()
    assert report.imported == 3
    assert [k for k in kinds if k in ("meeting", "commitment", "action")] == [
        "action",
        "commitment",
        "meeting",
    ]
    assert isinstance(commitment, Commitment)
    assert commitment.meeting_ref == MEETING_ID
    assert commitment.responsible is Responsible.US
