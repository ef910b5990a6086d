"""Places of the field: border states and CBP ports of entry on the US-Mexico land border."""

from __future__ import annotations

from dataclasses import dataclass

from enlace.model.errors import RecordError


@dataclass(frozen=True, slots=True)
class PortOfEntry:
    """A CBP land port of entry on the US-Mexico border."""

    code: str
    name: str
    state: str  # ISO 3166-2 of the US side
    field_office: str  # CBP field office whose statistics count this port


# CBP port codes (DOMAIN.md); field offices as in CBP's published statistics.
PORTS_OF_ENTRY: dict[str, PortOfEntry] = {
    p.code: p
    for p in (
        PortOfEntry("2504", "San Ysidro", "US-CA", "SAN DIEGO FIELD OFFICE"),
        PortOfEntry("2506", "Otay Mesa", "US-CA", "SAN DIEGO FIELD OFFICE"),
        PortOfEntry("2505", "Tecate", "US-CA", "SAN DIEGO FIELD OFFICE"),
        PortOfEntry("2503", "Calexico", "US-CA", "SAN DIEGO FIELD OFFICE"),
        PortOfEntry("2507", "Calexico East", "US-CA", "SAN DIEGO FIELD OFFICE"),
        PortOfEntry("2502", "Andrade", "US-CA", "SAN DIEGO FIELD OFFICE"),
        PortOfEntry("2608", "San Luis", "US-AZ", "TUCSON FIELD OFFICE"),
        PortOfEntry("2602", "Lukeville", "US-AZ", "TUCSON FIELD OFFICE"),
        PortOfEntry("2606", "Sasabe", "US-AZ", "TUCSON FIELD OFFICE"),
        PortOfEntry("2604", "Nogales", "US-AZ", "TUCSON FIELD OFFICE"),
        PortOfEntry("2603", "Naco", "US-AZ", "TUCSON FIELD OFFICE"),
        PortOfEntry("2601", "Douglas", "US-AZ", "TUCSON FIELD OFFICE"),
        PortOfEntry("2408", "Santa Teresa", "US-NM", "EL PASO FIELD OFFICE"),
        PortOfEntry("2406", "Columbus", "US-NM", "EL PASO FIELD OFFICE"),
        PortOfEntry("2402", "El Paso", "US-TX", "EL PASO FIELD OFFICE"),
        PortOfEntry("2404", "Fabens", "US-TX", "EL PASO FIELD OFFICE"),
        PortOfEntry("2403", "Presidio", "US-TX", "EL PASO FIELD OFFICE"),
        PortOfEntry("2302", "Del Rio", "US-TX", "LAREDO FIELD OFFICE"),
        PortOfEntry("2303", "Eagle Pass", "US-TX", "LAREDO FIELD OFFICE"),
        PortOfEntry("2304", "Laredo", "US-TX", "LAREDO FIELD OFFICE"),
        PortOfEntry("2310", "Roma", "US-TX", "LAREDO FIELD OFFICE"),
        PortOfEntry("2307", "Rio Grande City", "US-TX", "LAREDO FIELD OFFICE"),
        PortOfEntry("2305", "Hidalgo/Pharr", "US-TX", "LAREDO FIELD OFFICE"),
        PortOfEntry("2309", "Progreso", "US-TX", "LAREDO FIELD OFFICE"),
        PortOfEntry("2301", "Brownsville", "US-TX", "LAREDO FIELD OFFICE"),
    )
}

# Border states, with INEGI's Clave_Ent for the Mexican ones.
MX_BORDER_STATES = {
    "MX-BCN": "02",
    "MX-SON": "26",
    "MX-CHH": "08",
    "MX-COA": "05",
    "MX-NLE": "19",
    "MX-TAM": "28",
}
US_BORDER_STATES = ("US-CA", "US-AZ", "US-NM", "US-TX")


def port_of_entry(raw: str, *, field: str = "port_code") -> PortOfEntry:
    """Look up a CBP port by its four-digit code; raise RecordError for any other value."""
    code = raw.strip()
    try:
        return PORTS_OF_ENTRY[code]
    except KeyError:
        raise RecordError(
            field, raw, "a CBP port code of the US-Mexico land border, e.g. 2504 (San Ysidro)"
        ) from None
