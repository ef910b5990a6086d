"""Code values as people read them: what a page shows instead of `traced-us`, `MX-NLE` or
`seized-in`, in the reader's language.

Each label is an English msgid, translated through the .po catalogs like every other text
on the pages. The vocabularies the reports already name in both languages (status, theme,
mechanism, responsible, party, kind, unit: `enlace.reports.catalogue`) are not repeated
here; `CODE_VOCABULARIES` covers the rest, and `FIELD_VOCABULARY` says which vocabulary a
record property's value belongs to, so a record's fields and generated titles show labels.

A generated title (a seizure's "fentanyl 12.5 kg Tijuana") is a `Title`: plain text where a
query needs text (sorting, CSV), and the parts it was made from, so the page can write the
codes in it in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass

# ISO 3166-2 subdivisions of the two parties (enlace.model.identifiers.plate), by their
# English names; the Spanish ones are in the catalog.
MX_STATE_NAMES = {
    "MX-AGU": "Aguascalientes",
    "MX-BCN": "Baja California",
    "MX-BCS": "Baja California Sur",
    "MX-CAM": "Campeche",
    "MX-CHP": "Chiapas",
    "MX-CHH": "Chihuahua",
    "MX-CMX": "Mexico City",
    "MX-COA": "Coahuila",
    "MX-COL": "Colima",
    "MX-DUR": "Durango",
    "MX-GUA": "Guanajuato",
    "MX-GRO": "Guerrero",
    "MX-HID": "Hidalgo",
    "MX-JAL": "Jalisco",
    "MX-MEX": "State of Mexico",
    "MX-MIC": "Michoacán",
    "MX-MOR": "Morelos",
    "MX-NAY": "Nayarit",
    "MX-NLE": "Nuevo León",
    "MX-OAX": "Oaxaca",
    "MX-PUE": "Puebla",
    "MX-QUE": "Querétaro",
    "MX-ROO": "Quintana Roo",
    "MX-SLP": "San Luis Potosí",
    "MX-SIN": "Sinaloa",
    "MX-SON": "Sonora",
    "MX-TAB": "Tabasco",
    "MX-TAM": "Tamaulipas",
    "MX-TLA": "Tlaxcala",
    "MX-VER": "Veracruz",
    "MX-YUC": "Yucatán",
    "MX-ZAC": "Zacatecas",
}
US_STATE_NAMES = {
    "US-AL": "Alabama",
    "US-AK": "Alaska",
    "US-AZ": "Arizona",
    "US-AR": "Arkansas",
    "US-CA": "California",
    "US-CO": "Colorado",
    "US-CT": "Connecticut",
    "US-DE": "Delaware",
    "US-FL": "Florida",
    "US-GA": "Georgia",
    "US-HI": "Hawaii",
    "US-ID": "Idaho",
    "US-IL": "Illinois",
    "US-IN": "Indiana",
    "US-IA": "Iowa",
    "US-KS": "Kansas",
    "US-KY": "Kentucky",
    "US-LA": "Louisiana",
    "US-ME": "Maine",
    "US-MD": "Maryland",
    "US-MA": "Massachusetts",
    "US-MI": "Michigan",
    "US-MN": "Minnesota",
    "US-MS": "Mississippi",
    "US-MO": "Missouri",
    "US-MT": "Montana",
    "US-NE": "Nebraska",
    "US-NV": "Nevada",
    "US-NH": "New Hampshire",
    "US-NJ": "New Jersey",
    "US-NM": "New Mexico",
    "US-NY": "New York",
    "US-NC": "North Carolina",
    "US-ND": "North Dakota",
    "US-OH": "Ohio",
    "US-OK": "Oklahoma",
    "US-OR": "Oregon",
    "US-PA": "Pennsylvania",
    "US-RI": "Rhode Island",
    "US-SC": "South Carolina",
    "US-SD": "South Dakota",
    "US-TN": "Tennessee",
    "US-TX": "Texas",
    "US-UT": "Utah",
    "US-VT": "Vermont",
    "US-VA": "Virginia",
    "US-WA": "Washington",
    "US-WV": "West Virginia",
    "US-WI": "Wisconsin",
    "US-WY": "Wyoming",
    "US-DC": "District of Columbia",
    "US-AS": "American Samoa",
    "US-GU": "Guam",
    "US-MP": "Northern Mariana Islands",
    "US-PR": "Puerto Rico",
    "US-UM": "U.S. Minor Outlying Islands",
    "US-VI": "U.S. Virgin Islands",
}

# vocabulary -> code -> English msgid. The keys of the enums in enlace.model.vocabulary
# that the reports' catalogue does not name (tests/web/test_code_labels.py walks them all).
CODE_VOCABULARIES: dict[str, dict[str, str]] = {
    "category": {
        "drug": "Drugs",
        "firearm": "Firearms",
        "ammunition": "Ammunition",
        "cash": "Cash",
        "precursor-chemical": "Precursor chemicals",
    },
    "drug_type": {
        "cocaine": "cocaine",
        "ecstasy": "ecstasy",
        "fentanyl": "fentanyl",
        "heroin": "heroin",
        "ketamine": "ketamine",
        "khat": "khat",
        "lsd": "LSD",
        "marijuana": "marijuana",
        "methamphetamine": "methamphetamine",
        "other-drugs": "other drugs",
    },
    "firearm_type": {
        "pistol": "Pistol",
        "revolver": "Revolver",
        "rifle": "Rifle",
        "shotgun": "Shotgun",
        "machine-gun": "Machine gun",
        "other": "Other firearm",
    },
    "trace_status": {
        "not-submitted": "Not submitted for tracing",
        "pending": "Trace pending",
        "traced-us": "Traced to the United States",
        "traced-other": "Traced to another country",
        "untraceable": "Untraceable",
    },
    "trace_request_status": {"submitted": "Submitted", "closed": "Closed"},
    "trace_response_status": {
        "in-progress": "In progress",
        "information-requested": "More information asked",
        "answered": "Answered",
    },
    "trace_outcome": {"traced": "Traced", "not-traceable": "Not traceable"},
    "sex": {"male": "Male", "female": "Female", "unknown": "Unknown"},
    "custody_kind": {
        "extradition": "Extradition",
        "transfer": "Transfer (traslado)",
        "deportation": "Deportation",
        "expulsion": "Expulsion",
    },
    "laboratory_status": {"active": "Active", "inactive": "Inactive", "dismantled": "Dismantled"},
    # STIX relationship types: the project's own (enlace.synth, DOMAIN.md) and STIX's common ones.
    "relationship": {
        "related-to": "related to",
        "seized-in": "seized in",
        "owned-by": "owned by",
        "member-of": "member of",
        "used-by": "used by",
        "operated-by": "operated by",
        "purchased-by": "purchased by",
        "located-at": "located at",
        "attributed-to": "attributed to",
        "uses": "uses",
        "derived-from": "derived from",
        "duplicate-of": "duplicate of",
        "front-for": "front for",
        "works-for": "works for",
        # A trace request's link to its firearm, a response's to the request it answers
        # (enlace.store.repositories.record_links.TRACE_LINKS).
        "asks-to-trace": "asks to trace",
        "answers": "answers",
    },
    "state": MX_STATE_NAMES | US_STATE_NAMES,
}

# A record property -> the vocabulary of its values. "catalogue:" vocabularies are the
# reports' (enlace.reports.catalogue.term); the others are CODE_VOCABULARIES.
FIELD_VOCABULARY: dict[str, str] = {
    "category": "category",
    "drug_type": "drug_type",
    "firearm_type": "firearm_type",
    "trace_status": "trace_status",
    "sex": "sex",
    "transfer_kind": "custody_kind",
    "relationship_type": "relationship",
    "administrative_area": "state",
    "plate_state": "state",
    "recovery_state": "state",
    "source_state": "state",
    "first_sale_state": "state",
    "outcome": "trace_outcome",
    "state": "state",
    "unit": "catalogue:unit",
    "theme": "catalogue:theme",
    "mechanism": "catalogue:mechanism",
    "responsible": "catalogue:responsible",
    "from_party": "catalogue:party",
    "to_party": "catalogue:party",
    "party": "catalogue:party",
    "plate_country": "catalogue:party",
}
# Both a laboratory and a commitment have a "status": the values do not overlap.
STATUS_CODES = frozenset(CODE_VOCABULARIES["laboratory_status"])


@dataclass(frozen=True, slots=True)
class Code:
    """A code value inside a generated title, and the record property it came from."""

    field: str
    value: str


class Title(str):
    """A generated record title: the text (codes as stored) and the parts it was made of.

    It is a str, so queries, sorting and CSV treat it as text; the pages write it with the
    codes in the reader's language (`Formatter.title`, applied by the template environment
    to every value a page prints).
    """

    parts: tuple[str | Code, ...]

    def __new__(cls, text: str, parts: tuple[str | Code, ...]) -> Title:
        made = super().__new__(cls, text)
        made.parts = parts
        return made
