"""Code values, relationship types and generated titles in the reader's language."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import orjson
import pytest

from enlace.model import vocabulary
from enlace.model.identifiers.plate import MX_STATES, US_STATES
from enlace.model.markings import Markings
from enlace.model.records import Firearm, Relationship, Seizure, derived_id
from enlace.model.roles import Role
from enlace.reports.catalogue import VOCABULARIES
from enlace.store.engine import sqlite_url
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.web.codes import CODE_VOCABULARIES, FIELD_VOCABULARY, Title
from enlace.web.i18n import Formatter, catalog
from enlace.web.queries.describe import record_title
from enlace.web.rendering import templates
from support.pages import mx_node
from support.web import RunningWeb, serving, switch_language, user_of

# Each vocabulary enum -> where its labels are: the reports' catalogue or CODE_VOCABULARIES.
ENUM_VOCABULARY = {
    vocabulary.SeizedCategory: "category",
    vocabulary.DrugType: "drug_type",
    vocabulary.QuantityUnit: "catalogue:unit",
    vocabulary.FirearmType: "firearm_type",
    vocabulary.TraceStatus: "trace_status",
    vocabulary.Sex: "sex",
    vocabulary.CustodyKind: "custody_kind",
    vocabulary.LaboratoryStatus: "laboratory_status",
    vocabulary.MeetingMechanism: "catalogue:mechanism",
    vocabulary.CommitmentTheme: "catalogue:theme",
    vocabulary.Responsible: "catalogue:responsible",
    vocabulary.TrackingStatus: "catalogue:status",
    vocabulary.TraceRequestStatus: "trace_request_status",
    vocabulary.TraceResponseStatus: "trace_response_status",
    vocabulary.TraceOutcome: "trace_outcome",
}
MARKED = Markings.build(tlp="amber", releasable_to="MX US", handling="H2", evaluation="B2")
CREATED = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)


def vocabulary_enums() -> list[type[StrEnum]]:
    return [
        member
        for _, member in inspect.getmembers(vocabulary, inspect.isclass)
        if issubclass(member, StrEnum) and member is not StrEnum
        and member.__module__ == vocabulary.__name__
    ]  # fmt: skip


def test_every_vocabulary_enum_is_given_labels() -> None:
    assert set(vocabulary_enums()) == set(ENUM_VOCABULARY)


@pytest.mark.parametrize("enum", list(ENUM_VOCABULARY), ids=lambda e: e.__name__)
def test_every_value_of_each_vocabulary_has_a_spanish_and_an_english_label(
    enum: type[StrEnum],
) -> None:
    where = ENUM_VOCABULARY[enum]
    spanish = catalog("es")
    for member in enum:
        if where.startswith("catalogue:"):
            pair = VOCABULARIES[where.removeprefix("catalogue:")].get(member.value)
            assert pair is not None, member
            assert all(pair), member
        else:
            english = CODE_VOCABULARIES[where].get(member.value)
            assert english, member
            assert spanish.get(english), (member, english)
        assert Formatter("es").code(where, member.value) != member.value or member.value in (
            "lsd",
            "khat",
        ), member


def test_every_state_of_both_parties_has_a_name_in_both_languages() -> None:
    spanish = catalog("es")
    names = CODE_VOCABULARIES["state"]
    assert set(names) == MX_STATES | US_STATES
    assert all(spanish.get(name) for name in names.values())


@pytest.mark.parametrize(
    ("lang", "state", "trace", "relationship"),
    [
        ("es", "Ciudad de México", "Rastreada a Estados Unidos", "asegurado en"),
        ("en", "Mexico City", "Traced to the United States", "seized in"),
    ],
)
def test_codes_are_written_in_the_readers_language(
    lang: str, state: str, trace: str, relationship: str
) -> None:
    t = Formatter("es" if lang == "es" else "en")
    assert t.state("MX-CMX") == state
    assert t.value("recovery_state", "MX-CMX") == state
    assert t.value("trace_status", "traced-us") == trace
    assert t.relationship("seized-in") == relationship
    assert t.value("description", "traced-us") == "traced-us"  # not a coded field
    assert t.state("XX-ZZZ") == "XX-ZZZ"  # an unknown code is shown as stored


def test_a_coded_fields_vocabulary_exists() -> None:
    for vocabulary_name in FIELD_VOCABULARY.values():
        if vocabulary_name.startswith("catalogue:"):
            assert vocabulary_name.removeprefix("catalogue:") in VOCABULARIES
        else:
            assert vocabulary_name in CODE_VOCABULARIES


def seizure() -> Seizure:
    return Seizure.from_values(
        id=derived_id("enlace-seizure", "codes-test", "1"),
        owner="MX",
        markings=MARKED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={
            "category": "drug",
            "drug_type": "fentanyl",
            "quantity": 12.5,
            "unit": "kg",
            "seizure_date": "2025-08-30",
            "state": "MX-BCN",
            "place": "Tijuana",
        },
    )


def firearm() -> Firearm:
    return Firearm.from_values(
        id=derived_id("enlace-firearm", "codes-test", "1"),
        owner="MX",
        markings=MARKED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={
            "make": "Colt",
            "serial": "LW012345",
            "trace_status": "traced-us",
            "recovery_state": "MX-NLE",
            "source_state": "US-NM",
        },
    )


def relationship() -> Relationship:
    return Relationship.from_values(
        id=derived_id("relationship", "codes-test", "1"),
        owner="MX",
        markings=MARKED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={
            "relationship_type": "seized-in",
            "source_ref": firearm().id,
            "target_ref": seizure().id,
        },
    )


def stix_of(record: Seizure | Firearm | Relationship) -> dict[str, object]:
    parsed: dict[str, object] = orjson.loads(StoredVersion.of(record).stix)
    return parsed


def test_a_generated_title_keeps_the_stored_text_and_its_codes() -> None:
    title = record_title(stix_of(seizure()))
    assert isinstance(title, Title)
    assert title == "fentanyl 12.5 kg Tijuana"  # the text queries sort and export
    assert Formatter("es").title(title) == "fentanilo 12.5 kilogramos Tijuana"
    assert Formatter("en").title(title) == "fentanyl 12.5 kilograms Tijuana"
    named = record_title(stix_of(relationship()))
    assert Formatter("es").title(named) == "asegurado en"
    assert Formatter("en").title(named) == "seized in"


@pytest.mark.parametrize(
    ("lang", "expected"), [("es", "fentanilo 12.5 kilogramos"), ("en", "fentanyl 12.5 kilograms")]
)
def test_every_page_prints_a_generated_title_in_the_readers_language(
    lang: str, expected: str
) -> None:
    page = templates.from_string("<h1>{{ title }}</h1><p title='{{ title }}'>")
    shown = page.render(title=record_title(stix_of(seizure())), t=Formatter(lang))  # type: ignore[arg-type]
    assert shown == f"<h1>{expected} Tijuana</h1><p title='{expected} Tijuana'>"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[RunningWeb]:
    store = Store.open(sqlite_url(str(tmp_path / "mx.sqlite")))
    mx_node(store)
    with store.unit_of_work() as uow:
        versions = [StoredVersion.of(r) for r in (seizure(), firearm(), relationship())]
        uow.records.add(versions, added_at=uow.started_at)
        uow.commit()
    try:
        with serving(store, tmp_path / "mx") as running:
            yield running
    finally:
        store.close()


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("lang", "words", "codes"),
    [
        (
            "es",
            ["Rastreada a Estados Unidos", "Nuevo León", "Nuevo México", "asegurado en"],
            ["traced-us", "MX-NLE", "US-NM"],
        ),
        (
            "en",
            ["Traced to the United States", "Nuevo León", "New Mexico", "seized in"],
            ["traced-us", "MX-NLE", "US-NM"],
        ),
    ],
)
def test_the_record_pages_show_codes_by_their_labels(
    node: RunningWeb, lang: str, words: list[str], codes: list[str]
) -> None:
    analyst = node.login(user_of(Role.ANALYST))
    switch_language(analyst, lang)
    gun = analyst.get(f"/web/records/{firearm().id}").text
    fields = gun.split('id="fields"', 1)[1].split("</section>", 1)[0]
    for word in words[:3]:
        assert word in fields
    for code in codes:
        assert f">{code}<" not in fields
    link = analyst.get(f"/web/records/{relationship().id}").text
    assert f"<h1>{words[3]}</h1>" in link
    listed = analyst.get("/web/records?kind=seizure").text
    assert ("fentanilo 12.5 kilogramos Tijuana" if lang == "es" else "fentanyl 12.5 kilograms") in (
        listed
    )


@pytest.mark.parametrize(
    ("lang", "expected"), [("es", "septiembre de 2025"), ("en", "September 2025")]
)
def test_a_meetings_month_is_written_as_a_month(lang: str, expected: str) -> None:
    t = Formatter("es" if lang == "es" else "en")
    assert t.month("2025-09") == expected
    assert t.month("sometime") == "sometime"
