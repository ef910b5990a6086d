"""The markings that travel with every record: TLP 2.0, releasability, handling, evaluation."""

from __future__ import annotations

import pytest

from enlace.model.errors import RecordError
from enlace.model.markings import (
    TLP_BY_MARKING_ID,
    TLP_EXTENSION_ID,
    TLP_MARKING_IDS,
    UNEVALUATED,
    Evaluation,
    HandlingCode,
    InformationAccuracy,
    Markings,
    SourceReliability,
    Tlp,
    most_restrictive,
    tlp_marking_definition,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("amber", Tlp.AMBER),
        ("AMBER", Tlp.AMBER),
        ("TLP:AMBER", Tlp.AMBER),
        ("tlp:amber", Tlp.AMBER),
        ("  TLP:GREEN  ", Tlp.GREEN),
        ("TLP:AMBER+STRICT", Tlp.AMBER_STRICT),
        ("amber strict", Tlp.AMBER_STRICT),
        ("AMBER_STRICT", Tlp.AMBER_STRICT),
        ("amber+strict", Tlp.AMBER_STRICT),
        ("TLP:CLEAR", Tlp.CLEAR),
        ("white", Tlp.CLEAR),  # TLP 1.0's name, still written by partners
        ("TLP:WHITE", Tlp.CLEAR),
        ("red", Tlp.RED),
    ],
)
def test_tlp_parse_accepts_label_forms(raw: str, expected: Tlp) -> None:
    assert Tlp.parse(raw) is expected


@pytest.mark.parametrize("raw", ["orange", "", "TLP:", "amber-strict-ish", "TLP:AMBER STRICT RED"])
def test_tlp_parse_refuses_other_text_naming_the_field(raw: str) -> None:
    with pytest.raises(RecordError) as caught:
        Tlp.parse(raw, field="tlp_level")
    assert caught.value.field == "tlp_level"
    assert "CLEAR, GREEN, AMBER, AMBER+STRICT, RED" in str(caught.value)


def test_tlp_ranks_run_from_clear_to_red() -> None:
    ordered = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]
    assert [t.rank for t in ordered] == [0, 1, 2, 3, 4]
    assert [t.label for t in ordered] == [
        "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED",
    ]  # fmt: skip


@pytest.mark.parametrize("tlp", list(Tlp))
def test_tlp_marking_definition_is_the_oasis_one(tlp: Tlp) -> None:
    definition = tlp_marking_definition(tlp)
    assert definition["id"] == TLP_MARKING_IDS[tlp]
    assert TLP_BY_MARKING_ID[TLP_MARKING_IDS[tlp]] is tlp
    assert definition["name"] == tlp.label
    assert definition["extensions"] == {
        TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.value}
    }


def test_tlp_amber_definition_exactly_as_published() -> None:
    assert tlp_marking_definition(Tlp.AMBER) == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:AMBER",
        "extensions": {
            "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                "extension_type": "property-extension",
                "tlp_2_0": "amber",
            }
        },
    }


@pytest.mark.parametrize(("raw", "expected"), [("H0", "H0"), ("h2", "H2"), (" H3 ", "H3")])
def test_handling_code_parse(raw: str, expected: str) -> None:
    assert HandlingCode.parse(raw) is HandlingCode(expected)


@pytest.mark.parametrize("raw", ["H4", "2", "", "handle with care"])
def test_handling_code_parse_refuses_unknown_codes(raw: str) -> None:
    with pytest.raises(RecordError, match=r"field 'handling': .*one of H0, H1, H2, H3"):
        HandlingCode.parse(raw)


@pytest.mark.parametrize(
    ("raw", "source", "accuracy"),
    [
        ("B2", SourceReliability.B, InformationAccuracy.KNOWN_TO_SOURCE),
        ("b2", SourceReliability.B, InformationAccuracy.KNOWN_TO_SOURCE),
        ("B-2", SourceReliability.B, InformationAccuracy.KNOWN_TO_SOURCE),
        ("B/2", SourceReliability.B, InformationAccuracy.KNOWN_TO_SOURCE),
        (" a 1 ", SourceReliability.A, InformationAccuracy.KNOWN),
        ("X4", SourceReliability.X, InformationAccuracy.CANNOT_BE_JUDGED),
        ("C3", SourceReliability.C, InformationAccuracy.NOT_KNOWN),
    ],
)
def test_evaluation_parse(
    raw: str, source: SourceReliability, accuracy: InformationAccuracy
) -> None:
    evaluation = Evaluation.parse(raw)
    assert evaluation == Evaluation(source, accuracy)
    assert Evaluation.parse(str(evaluation)) == evaluation


@pytest.mark.parametrize("raw", ["D1", "B5", "B0", "B", "2B", "", "B22"])
def test_evaluation_parse_refuses_other_grades(raw: str) -> None:
    with pytest.raises(RecordError) as caught:
        Evaluation.parse(raw, field="evaluacion")
    assert caught.value.field == "evaluacion"
    assert "A/B/C/X followed by an accuracy 1-4" in str(caught.value)


def test_evaluation_weakness_orders_sources_then_accuracy() -> None:
    assert Evaluation.parse("A1").weakness < Evaluation.parse("B1").weakness
    assert Evaluation.parse("B1").weakness < Evaluation.parse("B2").weakness
    assert Evaluation.parse("X4") == UNEVALUATED


def test_h3_needs_the_restriction_in_text() -> None:
    for blank in (None, "", "   "):
        with pytest.raises(RecordError) as caught:
            Markings.build(handling="H3", handling_text=blank)
        assert caught.value.field == "handling_text"
        assert "for H3" in str(caught.value)
    markings = Markings.build(handling="H3", handling_text="Solo para la FGR")
    assert markings.handling is HandlingCode.H3
    assert markings.handling_text == "Solo para la FGR"


def test_build_defaults_are_amber_national_only_h0_unevaluated() -> None:
    markings = Markings.build()
    assert markings.tlp is Tlp.AMBER
    assert markings.releasable_to == frozenset()
    assert markings.national_only
    assert markings.handling is HandlingCode.H0
    assert markings.evaluation == UNEVALUATED


@pytest.mark.parametrize("raw", ["mx, us", "MX|US", ["us", "MX"], ("MX", "US"), "MX US MX"])
def test_releasability_accepts_the_forms_users_type(raw: object) -> None:
    markings = Markings.build(releasable_to=raw)
    assert markings.releasable_to == frozenset({"MX", "US"})
    assert not markings.national_only
    assert markings.releasable_to_party("US")
    assert not markings.releasable_to_party("CA")


def test_releasability_refuses_unknown_party_codes() -> None:
    with pytest.raises(RecordError) as caught:
        Markings.build(releasable_to="MX, XX")
    assert caught.value.field == "releasable_to"
    assert "'XX'" in str(caught.value)
    assert "ISO 3166-1 alpha-2" in str(caught.value)


def test_national_only_record_goes_to_no_party() -> None:
    markings = Markings.build(releasable_to=None)
    assert markings.national_only
    assert not any(markings.releasable_to_party(p) for p in ("MX", "US", "CA", "GT"))


def test_most_restrictive_takes_the_tightest_of_each_part() -> None:
    a = Markings.build(tlp="green", releasable_to="MX US CA", handling="H1", evaluation="A3")
    b = Markings.build(
        tlp="amber+strict",
        releasable_to="MX US",
        handling="H3",
        handling_text="No judicial use",
        evaluation="C1",
    )
    c = Markings.build(tlp="amber", releasable_to="US MX GT", handling="H2", evaluation="B2")
    result = most_restrictive([a, b, c])
    assert result == Markings(
        tlp=Tlp.AMBER_STRICT,
        releasable_to=frozenset({"MX", "US"}),
        handling=HandlingCode.H3,
        evaluation=Evaluation(SourceReliability.C, InformationAccuracy.NOT_KNOWN),
        handling_text="No judicial use",
    )


def test_most_restrictive_keeps_every_h3_text() -> None:
    a = Markings.build(handling="H3", handling_text="Solo SSPC")
    b = Markings.build(handling="H3", handling_text="Not for court")
    assert most_restrictive([a, b]).handling_text == "Not for court; Solo SSPC"


def test_most_restrictive_of_disjoint_releasability_is_national_only() -> None:
    a = Markings.build(releasable_to="MX US")
    b = Markings.build(releasable_to="CA")
    assert most_restrictive([a, b]).national_only


def test_most_restrictive_needs_at_least_one_marking() -> None:
    with pytest.raises(ValueError, match="at least one"):
        most_restrictive([])
