"""Private name matching on the synthetic generator's ground truth, through the real PSI."""

from __future__ import annotations

import pytest

from enlace.matching.names.keys import OrgName, PersonName
from enlace.matching.names.match import PsiIntersection, match_organisations, match_persons
from enlace.matching.scoring import plain_intersection
from enlace.model.records import Company, CriminalOrganisation, Person
from enlace.synth import SynthConfig, SynthDataset, generate


@pytest.fixture(scope="module")
def dataset() -> SynthDataset:
    return generate(SynthConfig(seed=11, scale=6000))


def _persons(data: SynthDataset, party: str) -> dict[str, PersonName]:
    return {
        r.id: PersonName(r.given_names, r.first_surname, r.second_surname, r.date_of_birth)
        for r in data.records[party]
        if isinstance(r, Person)
    }


def _truth(data: SynthDataset, kinds: set[str]) -> set[tuple[str, str]]:
    pairs = set()
    for link in data.truth:
        if link.kind in kinds:
            ids = dict(link.records)
            pairs.add((ids["MX"], ids["US"]))
    return pairs


def test_persons_match_through_the_psi_as_in_the_clear(dataset: SynthDataset) -> None:
    mx, us = _persons(dataset, "MX"), _persons(dataset, "US")
    psi = PsiIntersection(workers=0)
    private = {(p.left, p.right) for p in match_persons(mx, us, psi)}
    clear = {(p.left, p.right) for p in match_persons(mx, us, plain_intersection)}
    assert private == clear
    assert psi.items > 0
    assert psi.wire_bytes > 0


def test_persons_match_with_high_precision_and_recall(dataset: SynthDataset) -> None:
    mx, us = _persons(dataset, "MX"), _persons(dataset, "US")
    truth = _truth(dataset, {"person"})
    found = {(p.left, p.right) for p in match_persons(mx, us, plain_intersection)}
    hits = len(found & truth)
    precision, recall = hits / len(found), hits / len(truth)
    assert len(truth) > 50
    assert precision >= 0.97
    assert recall >= 0.9


def test_criminal_organisations_match_across_spanish_and_english_names(
    dataset: SynthDataset,
) -> None:
    def orgs(party: str) -> dict[str, OrgName]:
        return {
            r.id: OrgName(r.name, tuple(r.aliases))
            for r in dataset.records[party]
            if isinstance(r, CriminalOrganisation)
        }

    found = {(p.left, p.right) for p in match_organisations(orgs("MX"), orgs("US"))}
    assert found == _truth(dataset, {"organisation"})


def test_companies_match_by_name_however_the_partner_writes_it(dataset: SynthDataset) -> None:
    def companies(party: str) -> dict[str, OrgName]:
        return {r.id: OrgName(r.name) for r in dataset.records[party] if isinstance(r, Company)}

    truth = _truth(dataset, {"company"})
    found = {(p.left, p.right) for p in match_organisations(companies("MX"), companies("US"))}
    hits = len(found & truth)
    assert len(truth) >= 5
    # Mexican company names are unique (the generator, like the Secretaría de Economía,
    # never gives two companies one name); a trade name shared by several is the miss.
    assert hits / len(found) >= 0.95
    assert hits / len(truth) >= 0.85
