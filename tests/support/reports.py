"""Builders of the report tests: an MX node holding a meeting, commitments, actions, exchange.

Indicator series are made by hand (IndicatorSeries values), so the report tests do not
depend on how indicators are computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import insert

from enlace.model.markings import Markings
from enlace.model.records import (
    Action,
    Commitment,
    Meeting,
    PhoneNumber,
    Record,
    Seizure,
    derived_id,
)
from enlace.store.store import Store
from enlace.store.tables import releases
from enlace.store.versions import StoredVersion
from enlace.tracking.indicators.definitions import IndicatorPoint
from enlace.tracking.indicators.series import IndicatorSeries

R = TypeVar("R", bound=Record)

TODAY = date(2026, 1, 20)
SHARED = Markings.build(tlp="amber", releasable_to="MX US", handling="H0", evaluation="A1")
STRICT = Markings.build(tlp="amber+strict", releasable_to="MX US", handling="H2", evaluation="B2")
CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)

# The commitment texts, so tests can find them in the extracted PDF text.
OVERDUE_ES = "Desmantelar laboratorios clandestinos de fentanilo en Sinaloa"
OVERDUE_EN = "Dismantle clandestine fentanyl laboratories in Sinaloa"
DELIVERED_ES = "Instalar equipos de inspección no intrusiva en Nogales"
DELIVERED_EN = "Install non-intrusive inspection equipment in Nogales"
STALLED_ES = "Intercambiar datos aduaneros de importaciones de precursores"
STALLED_EN = "Exchange customs data on precursor chemical imports"
PROGRESS_EN = "Trace every firearm recovered in Mexico through eTrace"
PROGRESS_ES = "Rastrear en eTrace cada arma asegurada en México"


def tracking_record(cls: type[R], name: str, markings: Markings = SHARED, /, **values: object) -> R:
    """A meeting, commitment or action of the MX node, built through its record class.

    `cls`, `name` and `markings` are positional only: keyword arguments are the record's values,
    never taken for its markings."""
    return cls.from_values(
        id=derived_id(cls.STIX_TYPE, "report-test", name),
        owner="MX",
        markings=markings,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values=values,
    )


def meeting(name: str, **fields: object) -> Meeting:
    return tracking_record(
        Meeting, name, **{"mechanism": "security-implementation-group", **fields}
    )


def commitment(name: str, markings: Markings = SHARED, **fields: object) -> Commitment:
    return tracking_record(Commitment, name, markings, **{"responsible": "joint", **fields})


def action(name: str, **fields: object) -> Action:
    return tracking_record(Action, name, **fields)


@dataclass(frozen=True, slots=True)
class TrackingNode:
    """Ids of what `tracking_node` stored."""

    previous_meeting: str
    next_meeting: str
    overdue: str
    delivered: str
    stalled: str
    in_progress: str


def tracking_node(store: Store) -> TrackingNode:
    """An MX node: two meetings, four commitments (overdue, delivered, stalled, in progress),
    their actions, phones released to US before and after the previous meeting, seizures
    received from US."""
    washington = meeting(
        "washington",
        title="Tercera reunión del Grupo de Implementación de Seguridad",
        sequence=3,
        meeting_date="2026-01-09",
        place="Washington, D.C.",
        mx_agencies=["SRE", "SSPC", "FGR"],
        us_agencies=["State", "DHS", "DOJ"],
    )
    ministerial = meeting(
        "ministerial",
        title="Revisión ministerial",
        mechanism="ministerial",
        meeting_month="2026-02",
        place="Washington, D.C.",
        mx_agencies=["SRE", "SSPC"],
        us_agencies=["State"],
    )
    overdue = commitment(
        "overdue",
        text_es=OVERDUE_ES,
        text_en=OVERDUE_EN,
        theme="fentanyl",
        responsible="MX",
        lead_agencies=["Marina", "FGR"],
        due_date="2025-12-31",
        status="in-progress",
        meeting_ref=washington.id,
    )
    delivered = commitment(
        "delivered",
        text_es=DELIVERED_ES,
        text_en=DELIVERED_EN,
        theme="fentanyl",
        responsible="US",
        lead_agencies=["CBP"],
        due_date="2025-11-30",
        status="delivered",
        meeting_ref=washington.id,
    )
    # One commitment is stricter than the rest: the report carries its marking.
    stalled = commitment(
        "stalled",
        STRICT,
        text_es=STALLED_ES,
        text_en=STALLED_EN,
        theme="information-exchange",
        lead_agencies=["ANAM", "CBP"],
        due_date="2026-06-30",
        status="stalled",
    )
    in_progress = commitment(
        "in-progress",
        text_en=PROGRESS_EN,
        text_es=PROGRESS_ES,
        theme="firearms",
        responsible="US",
        lead_agencies=["ATF"],
        due_date="2026-03-31",
        status="in-progress",
        meeting_ref=washington.id,
    )
    actions = [
        action(
            "overdue-raid",
            commitment_ref=overdue.id,
            description_es="Operativo conjunto en Culiacán",
            description_en="Joint operation in Culiacán",
            owner_agency="Marina",
            due_date="2025-12-15",
            status="announced",
        ),
        action(
            "delivered-scanners",
            commitment_ref=delivered.id,
            description_en="Scanners installed at the Mariposa crossing",
            owner_agency="CBP",
            due_date="2025-11-15",
            status="delivered",
            evidence=["indicator:fentanyl-swb-monthly@2025-11"],
        ),
    ]
    tracking: list[Record] = [washington, ministerial, overdue, delivered, stalled, in_progress]
    versions = [StoredVersion.of(r) for r in [*tracking, *actions]]
    phones = [_phone(n) for n in ("+525512345678", "+525512345679", "+525512345670")]
    seizures = [_us_seizure(i) for i in range(4)]
    with store.unit_of_work() as uow:
        uow.settings.set_if_absent("party", "MX")
        uow.records.add(versions, added_at="2025-09-01T12:00:00.000000Z")
        uow.records.add(
            [StoredVersion.of(p) for p in phones], added_at="2025-09-01T12:00:00.000000Z"
        )
        # One seizure came before the previous meeting: it is not counted.
        uow.records.add(
            [StoredVersion.of(s, received_from="US") for s in seizures[:1]],
            added_at="2025-12-01T10:00:00.000000Z",
        )
        uow.records.add(
            [StoredVersion.of(s, received_from="US") for s in seizures[1:]],
            added_at="2026-01-12T10:00:00.000000Z",
        )
        released_at = ["2025-12-20T09:00:00.000000Z"] + ["2026-01-15T09:00:00.000000Z"] * 2
        uow.connection.execute(
            insert(releases),
            [
                {
                    "record_id": p.id,
                    "modified": p.version_key[1],
                    "partner": "US",
                    "released_at": at,
                    "signature": "x" * 88,
                    "sequence": number,
                }
                for number, (p, at) in enumerate(zip(phones, released_at, strict=True), 1)
            ],
        )
        uow.commit()
    return TrackingNode(
        previous_meeting=washington.id,
        next_meeting=ministerial.id,
        overdue=overdue.id,
        delivered=delivered.id,
        stalled=stalled.id,
        in_progress=in_progress.id,
    )


def fentanyl_series() -> IndicatorSeries:
    """Monthly pounds with a baseline and a target, as an indicator over CBP statistics."""
    months = [date(2025, m, 1) for m in range(1, 13)]
    values = [
        2150.5,
        1980.0,
        1875.25,
        1702.0,
        1650.0,
        1234.5,
        1390.0,
        1205.0,
        1101.0,
        990.0,
        1010.0,
        905.0,
    ]
    return IndicatorSeries(
        id="fentanyl-swb-monthly",
        name_es="Fentanilo asegurado en la frontera suroeste",
        name_en="Fentanyl seized at the Southwest border",
        unit="lbs",
        period_kind="month",
        points=tuple(
            IndicatorPoint(d.strftime("%Y-%m"), d, v) for d, v in zip(months, values, strict=True)
        ),
        baseline=IndicatorPoint("2025-01", date(2025, 1, 1), 2150.5),
        target=IndicatorPoint("2026-06", date(2026, 6, 1), 800.0),
        commitment_ref=None,
    )


def labs_series() -> IndicatorSeries:
    """Yearly counts: clandestine laboratories dismantled."""
    years = (2022, 2023, 2024, 2025)
    values = (612.0, 745.0, 1012.0, 1480.0)
    return IndicatorSeries(
        id="labs-dismantled",
        name_es="Laboratorios clandestinos desmantelados",
        name_en="Clandestine laboratories dismantled",
        unit="count",
        period_kind="calendar-year",
        points=tuple(
            IndicatorPoint(str(y), date(y, 1, 1), v) for y, v in zip(years, values, strict=True)
        ),
        baseline=IndicatorPoint("2022", date(2022, 1, 1), 612.0),
        target=IndicatorPoint("2026", date(2026, 1, 1), 1600.0),
        commitment_ref=None,
    )


def _phone(number: str) -> PhoneNumber:
    return PhoneNumber.from_values(
        id=derived_id("enlace-phone-number", "report-test", number),
        owner="MX",
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"number": number},
    )


def _us_seizure(index: int) -> Seizure:
    return Seizure.from_values(
        id=derived_id("enlace-seizure", "report-test-us", str(index)),
        owner="US",
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={
            "category": "drug",
            "drug_type": "fentanyl",
            "quantity": 10.5 + index,
            "unit": "lbs",
            "seizure_date": "2025-12-01",
        },
    )
