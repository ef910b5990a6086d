"""The generator's building blocks produce identifiers the model's normalisers accept."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from enlace.model.identifiers import (
    InvalidIdentifier,
    normalise_curp,
    normalise_firearm,
    normalise_org_name,
    normalise_phone,
    normalise_rfc,
    normalise_vin,
)
from enlace.model.vocabulary import DrugType
from enlace.synth import names
from enlace.synth.actors import ORGANISATIONS, company_rfc
from enlace.synth.cbp_profile import build_profile, load_profile, profile_csv
from enlace.synth.firearms import (
    GUN_MODELS,
    IMPORTERS,
    MAKE_SPELLINGS,
    make_serial,
    misread_serial,
    reformat_serial,
)
from enlace.synth.people import _phone_number
from enlace.synth.vehicles import VEHICLE_MODELS, make_vin
from enlace.tracking.cbp_data import shipped_cbp_folder

# The newest CBP edition, shipped inside the package (a file on disk in the source tree).
CBP_CSV = Path(str(shipped_cbp_folder() / "cbp_fy20_fy23.csv"))


@pytest.mark.parametrize("make", sorted(MAKE_SPELLINGS))
def test_every_spelling_of_a_make_gives_one_key(make: str) -> None:
    mx, us = MAKE_SPELLINGS[make]
    keys = {normalise_firearm(spelling, "AB123") for spelling in (*mx, *us)}
    assert len(keys) == 1, keys


def test_gun_models_name_known_makes_and_importers() -> None:
    for gun in GUN_MODELS.items:
        assert gun.make in MAKE_SPELLINGS
        assert gun.importer is None or gun.importer in IMPORTERS


def test_serial_variations_keep_the_key_and_misreads_break_it() -> None:
    rng = random.Random(1)
    for gun in GUN_MODELS.items:
        for _ in range(30):
            serial = make_serial(rng, gun.serial)
            key = normalise_firearm("Colt", serial)
            assert normalise_firearm("Colt", reformat_serial(rng, serial)) == key
            assert normalise_firearm("Colt", serial.lower()) == key
            assert normalise_firearm("Colt", misread_serial(rng, serial)) != key


def test_curps_are_valid() -> None:
    rng = random.Random(2)
    for _ in range(3000):
        born = names.birth_date(rng, date(2025, 9, 30), youngest=15, oldest=70)
        name = names.mexican_name(rng, born=born, particle=rng.random() < 0.3)
        curp = names.make_curp(rng, name, born, names.CURP_STATES.pick(rng))
        assert normalise_curp(curp) == curp
        assert curp[4:10] == born.strftime("%y%m%d")


def test_inconvenient_words_agree_with_the_model() -> None:
    for word in names.INCONVENIENT_WORDS:
        body = f"{word}800101HNEXXX0"
        with pytest.raises(InvalidIdentifier):
            normalise_curp(body + names.curp_check_digit(body))
        fixed = word[0] + "X" + word[2:] + "800101HNEXXX0"
        normalise_curp(fixed + names.curp_check_digit(fixed))


def test_the_example_curp_check_digit() -> None:
    assert names.curp_check_digit("BOXW310820HNERXN0") == "9"


@pytest.mark.parametrize("country", ["52", "1"])
def test_phone_numbers_are_assigned_numbers(country: str) -> None:
    rng = random.Random(3)
    for _ in range(3000):
        e164, area, middle, last = _phone_number(rng, country)
        assert normalise_phone(e164) == e164 == f"+{country}{area}{middle}{last}"


def test_vins_carry_their_check_digit() -> None:
    rng = random.Random(4)
    for model in VEHICLE_MODELS.items:
        for year in (2005, 2012, 2025):
            vin = make_vin(rng, model, year)
            assert normalise_vin(vin) == vin
            assert vin[:3] in model.wmis


def test_company_rfcs_pass_the_check_digit() -> None:
    rng = random.Random(5)
    for name in ("Comercializadora Álamo del Norte", "Transportes Río Bravo", "Grupo Empresarial"):
        rfc = company_rfc(rng, name, date(2012, 3, 4))
        assert normalise_rfc(rfc) == (rfc, ())


def test_organisations_share_a_name_key_across_languages() -> None:
    for org in ORGANISATIONS:
        mx = {normalise_org_name(n) for n in (org.mx_name, *org.mx_aliases)}
        us = {normalise_org_name(n) for n in (org.us_name, *org.us_aliases)}
        assert mx & us, org


def test_name_variations_differ_from_the_original() -> None:
    rng = random.Random(6)
    born = date(1985, 3, 9)
    for variation in names.PERSON_VARIATIONS.items:
        if variation in ("exact", "date of birth missing", "day and month of birth swapped"):
            continue
        for _ in range(20):
            name = names.mexican_name(rng, born=born, particle=True, nickname=True)
            name = names.PersonName(
                "José Luis", name.first_surname, name.second_surname, born, False
            )
            varied = names.vary(rng, name, variation)
            assert (varied.given_names, varied.first_surname, varied.second_surname) != (
                name.given_names,
                name.first_surname,
                name.second_surname,
            ), variation
    swapped = names.vary(
        rng, names.PersonName("Ana", "Ruiz", "Soto", born, True), "day and month of birth swapped"
    )
    assert swapped.date_of_birth == date(1985, 9, 3)


def test_shipped_profile_covers_the_border_drugs() -> None:
    profile = load_profile()
    offices = {row.field_office for row in profile}
    assert offices == {
        "SAN DIEGO FIELD OFFICE",
        "TUCSON FIELD OFFICE",
        "EL PASO FIELD OFFICE",
        "LAREDO FIELD OFFICE",
    }
    fentanyl = sum(row.events for row in profile if row.drug_type is DrugType.FENTANYL)
    assert 2000 < fentanyl < 10000
    assert all(row.events > 0 and row.total_lbs >= 0 for row in profile)


def test_shipped_profile_is_computed_from_the_cbp_file() -> None:
    from importlib import resources

    shipped = resources.files("enlace.synth").joinpath("cbp_profile.csv").read_text("utf-8")
    assert profile_csv(build_profile(CBP_CSV)) == shipped
