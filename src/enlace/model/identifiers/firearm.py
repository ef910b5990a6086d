"""Firearms: the key is normalised make (or importer) + serial number.

There is no standard serial format, so the serial is only cleaned. The make is cleaned
the way organisation names are, then mapped through a small alias table of makes common
in border trafficking, because the same maker is written many ways in seizure records.
"""

from __future__ import annotations

import functools
import re

from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier
from enlace.model.identifiers.text import strip_suffixes, suffix_table, words

# Corporate suffixes; "ARMS", "ARMORY", "FIREARMS" stay: they are part of many makes.
_SUFFIXES = suffix_table(
    (
        "INC", "INCORPORATED", "LLC", "CO", "COMPANY", "CORP", "CORPORATION", "MFG",
        "MANUFACTURING", "LTD", "LIMITED", "GMBH", "GESMBH", "AG", "KG", "SPA", "SA",
        "SA DE CV", "DE CV", "SRL", "LP", "PLC", "AND CO", "AND COMPANY",
    )
)  # fmt: skip

# Cleaned spelling -> canonical make. Canonical forms must map to themselves when
# cleaned again (tests check this), so the key is idempotent.
_CANONICAL: dict[str, tuple[str, ...]] = {
    "COLT": ("COLT", "COLTS", "COLT DEFENSE", "COLTS PATENT FIREARMS"),
    "SMITH & WESSON": (
        "SMITH AND WESSON", "SMITH WESSON", "S AND W", "SMITH AND WESSON BRANDS",
    ),
    "RUGER": ("RUGER", "STURM RUGER", "STURM RUGER AND"),
    "GLOCK": ("GLOCK", "GLOCK USA"),
    "BARRETT": ("BARRETT", "BARRETT FIREARMS"),
    "FN HERSTAL": (
        "FN", "FN HERSTAL", "FN AMERICA", "FNH", "FNH USA", "FABRIQUE NATIONALE",
        "FABRIQUE NATIONALE HERSTAL", "FABRIQUE NATIONALE DE HERSTAL",
    ),
    "CENTURY ARMS": (
        "CENTURY", "CENTURY ARMS", "CENTURY INTERNATIONAL ARMS", "CENTURY ARMS INTERNATIONAL",
    ),
    "ROMARM": ("ROMARM", "CUGIR", "ROMARM CUGIR", "CUGIR ROMARM"),
    "ZASTAVA": ("ZASTAVA", "ZASTAVA ARMS", "ZASTAVA ORUZJE"),
    "NORINCO": ("NORINCO", "CHINA NORTH INDUSTRIES", "CHINA NORTH INDUSTRIES GROUP"),
    "DANIEL DEFENSE": ("DANIEL DEFENSE",),
    "BUSHMASTER": ("BUSHMASTER", "BUSHMASTER FIREARMS", "BUSHMASTER FIREARMS INTERNATIONAL"),
    "SPRINGFIELD ARMORY": ("SPRINGFIELD", "SPRINGFIELD ARMORY", "SPRINGFIELD INC"),
    "TAURUS": ("TAURUS", "FORJAS TAURUS", "TAURUS INTERNATIONAL", "TAURUS ARMAS", "TAURUS USA"),
    "BERETTA": (
        "BERETTA", "PIETRO BERETTA", "FABBRICA DARMI PIETRO BERETTA", "BERETTA USA",
    ),
    "SIG SAUER": ("SIG", "SIG SAUER", "SIGSAUER", "SIG ARMS"),
}  # fmt: skip

ALIASES: dict[str, str] = {
    spelling: canonical for canonical, spellings in _CANONICAL.items() for spelling in spellings
}

_SERIAL_SEPARATORS = str.maketrans("", "", " -./\t\u00a0")
_SERIAL_RE = re.compile(r"[A-Z0-9]+")


@functools.lru_cache(maxsize=4096)
def normalise_make(raw: str) -> str:
    """Return the canonical make ("Sturm, Ruger & Co." -> "RUGER"), or raise InvalidIdentifier."""
    cleaned = " ".join(strip_suffixes(words(raw, ampersand=" AND "), _SUFFIXES))
    if not cleaned:
        raise InvalidIdentifier(
            IdentifierKind.FIREARM, raw, "a make or importer name with letters or digits"
        )
    return ALIASES.get(cleaned, cleaned)


def normalise_firearm(make: str, serial: str) -> str:
    """Return the key "MAKE|SERIAL", or raise InvalidIdentifier.

    The make is upper-cased without accents, punctuation or corporate suffixes and mapped
    through the alias table; the serial is upper-cased with spaces, hyphens, dots and
    slashes removed and must then be letters and digits only.
    """
    try:
        key_make = normalise_make(make)
    except InvalidIdentifier:
        raise InvalidIdentifier(
            IdentifierKind.FIREARM,
            f"{make}|{serial}",
            f"a make or importer name with letters or digits; found make {make!r}",
        ) from None
    key_serial = serial.translate(_SERIAL_SEPARATORS).upper()
    if _SERIAL_RE.fullmatch(key_serial) is None:
        raise InvalidIdentifier(
            IdentifierKind.FIREARM,
            f"{make}|{serial}",
            "a serial number of letters and digits (spaces, hyphens, dots and slashes "
            f"are ignored); found serial {serial!r}",
        )
    return f"{key_make}|{key_serial}"
