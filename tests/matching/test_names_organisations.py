"""Organisation name matching on hand-written pairs: how real names vary, and what must not match.

Written from how organisations are really named in the records of both countries (DOMAIN.md,
"Names of organisations as they really vary"), not from the synthetic generator: legal forms
written every way, abbreviations, "&" / "y" / "and", cartels in Spanish and English and by
acronym, word order, accents. The non-pairs are different organisations sharing words.
"""

from __future__ import annotations

import pytest

from enlace.matching.names.keys import OrgName, organisation_keys
from enlace.matching.names.match import match_organisations
from enlace.matching.names.organisations import significant_words
from enlace.matching.scoring import plain_intersection

SAME = [
    # Legal forms, with and without dots and spaces, spelled out, or dropped.
    ("Comercializadora Álamo del Norte, S.A. de C.V.", "COMERCIALIZADORA ALAMO DEL NORTE SA DE CV"),
    ("Transportes Río Bravo, S. de R.L. de C.V.", "Transportes Rio Bravo S.de R.L.de C.V."),
    ("Grupo Logístico Tres Ríos, S.A.P.I. de C.V.", "Grupo Logistico Tres Rios SAPI de CV"),
    (
        "Importadora del Pacífico, S.A. de C.V.",
        "Importadora del Pacifico Sociedad Anonima de Capital Variable",
    ),
    ("Inmobiliaria Los Altos, S.A. de C.V.", "Inmobiliaria Los Altos"),
    ("Desert Sun Trading LLC", "Desert Sun Trading, L.L.C."),
    ("Border Auto Sales, Inc.", "BORDER AUTO SALES INCORPORATED"),
    ("Lone Star Freight Corp.", "Lone Star Freight Corporation"),
    ("Pacific Rim Holdings Ltd.", "Pacific Rim Holdings Limited"),
    # Abbreviations, connectors.
    ("Hernández Hermanos y Compañía, S.A. de C.V.", "Hernandez Hnos. y Cia., S.A. de C.V."),
    ("Distribuidora Internacional de Alimentos", "Dist. Int'l de Alimentos"),
    ("Servicios Integrales García", "Servs. Integrales Garcia"),
    ("Smith & Sons Wholesale Co.", "Smith and Sons Wholesale"),
    ("Fletes y Mudanzas Hermosillo", "Fletes & Mudanzas Hermosillo"),
    # Criminal organisations: Spanish and English, word order, the article, acronyms.
    ("Cártel de Sinaloa", "Sinaloa Cartel"),
    ("Cártel del Golfo", "Gulf Cartel"),
    ("Cartel del Noreste", "Cártel del Noreste"),
    ("Cárteles Unidos", "Carteles Unidos"),
    ("La Nueva Familia Michoacana", "Nueva Familia Michoacana"),
    ("Cártel de Jalisco Nueva Generación", "CJNG"),
    ("Cártel de Jalisco Nueva Generación", "C.J.N.G."),
    ("Cártel de Jalisco Nueva Generación", "Jalisco New Generation Cartel"),
    # A slip of the keyboard.
    ("Comercializadora Guamúchil de Sonora", "Comercializadora Guamuchil de Snoora"),
]

DIFFERENT = [
    # Same trade, same place word, another region or another distinctive word.
    ("Transportes Álamo del Norte, S.A. de C.V.", "Transportes Álamo de Sonora, S.A. de C.V."),
    ("Comercializadora Santa Fe, S.A. de C.V.", "Constructora Santa Fe del Bajío, S.A. de C.V."),
    ("Grupo Empresarial Cumbres", "Grupo Industrial Cumbres del Norte"),
    ("Hernández Hermanos, S.A. de C.V.", "Hernández y Asociados, S.A. de C.V."),
    ("Rio Grande Trading LLC", "Rio Grande Produce LLC"),
    ("Sun Valley Auto Sales Inc.", "Sun Valley Money Services Inc."),
    # Cartels named after different places.
    ("Cártel de Sinaloa", "Cártel de Juárez"),
    ("Cártel del Golfo", "Cártel del Noreste"),
    ("Cártel de Santa Rosa de Lima", "Cártel de Jalisco Nueva Generación"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_one_organisation_written_two_ways_matches(a: str, b: str) -> None:
    found = match_organisations({"mx": OrgName(a)}, {"us": OrgName(b)}, plain_intersection)
    assert [(p.left, p.right) for p in found] == [("mx", "us")]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_a_look_alike_does_not_take_the_place_of_the_organisation(a: str, b: str) -> None:
    # The partner holds the look-alike and the organisation itself (written otherwise).
    mx = {"a": OrgName(a)}
    us = {"look-alike": OrgName(b), "same": OrgName(a.upper().replace(",", ""))}
    found = {(p.left, p.right) for p in match_organisations(mx, us, plain_intersection)}
    assert found == {("a", "same")}


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_organisations_share_no_whole_name_key(a: str, b: str) -> None:
    shared = set(organisation_keys(OrgName(a))) & set(organisation_keys(OrgName(b)))
    assert not {k for k in shared if k.startswith(b"W|")}


def test_legal_form_and_abbreviations_leave_the_significant_words() -> None:
    assert significant_words("Hernández Hnos. y Cía., S. de R.L. de C.V.") == (
        "HERNANDEZ",
        "HERMANOS",
    )
    assert significant_words("The Gulf Cartel") == ("GOLFO", "CARTEL")


def test_an_acronym_alone_matches_the_full_name_only_when_it_points_at_one_record() -> None:
    mx = {"cjng": OrgName("Cártel de Jalisco Nueva Generación")}
    us = {"a": OrgName("CJNG"), "b": OrgName("Comercializadora Jalisco Norte Guadalajara")}
    found = {(p.left, p.right) for p in match_organisations(mx, us, plain_intersection)}
    # Two of the partner's records give CJNG: the acronym says nothing on its own.
    assert found == set()
