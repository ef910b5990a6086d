"""Organisation and company names as exact keys (fuzzy person-name matching lives in
matching; this is the normalisation both sides agree on before comparing)."""

from __future__ import annotations

import functools

from enlace.model.identifiers.errors import IdentifierKind, InvalidIdentifier
from enlace.model.identifiers.text import strip_accents, strip_suffixes, suffix_table, words

__all__ = ["normalise_org_name", "strip_accents"]

# Legal-form suffixes, Mexican and US/UK, as words after dots are joined ("S.A. de C.V."
# -> "SA DE CV", "S. de R.L." -> "S DE RL"). They say how a company is constituted, not
# which company it is, and records drop or abbreviate them at will.
_SUFFIXES = suffix_table(
    (
        "SA DE CV", "SAB DE CV", "SAPI DE CV", "SAPIB DE CV", "S DE RL DE CV", "S DE RL",
        "SRL DE CV", "SPR DE RL", "SPR DE RI", "SC DE RL", "DE CV", "DE RL",
        "SA", "SAB", "SAPI", "SAS", "SRL", "SC", "AC", "CIA",
        "SOCIEDAD ANONIMA DE CAPITAL VARIABLE", "SOCIEDAD ANONIMA",
        "SOCIEDAD DE RESPONSABILIDAD LIMITADA DE CAPITAL VARIABLE",
        "SOCIEDAD DE RESPONSABILIDAD LIMITADA", "SOCIEDAD CIVIL", "ASOCIACION CIVIL",
        "INC", "INCORPORATED", "LLC", "LLP", "LP", "PLLC", "CORP", "CORPORATION",
        "LTD", "LIMITED", "CO", "COMPANY", "PLC", "GMBH",
    )
)  # fmt: skip

# "&", "and" and "y" join words in names written either way ("Hermanos y Cía.",
# "Smith & Sons"); dropping them makes the written variants one key.
_CONNECTORS = frozenset({"AND", "Y"})


@functools.lru_cache(maxsize=65536)
def normalise_org_name(raw: str) -> str:
    """Return the organisation name as an upper-case ASCII key, or raise InvalidIdentifier.

    Accents, punctuation, "&"/"and"/"y" and legal-form suffixes (S.A. de C.V.,
    S. de R.L., S.A.P.I., Inc., LLC, Corp., Ltd., Co., ...) are removed and spaces
    collapsed: "Comercializadora Álamo, S.A. de C.V." -> "COMERCIALIZADORA ALAMO".
    """
    # A name made only of connectors ("Y") keeps them rather than becoming empty.
    tokens = words(raw, drop=_CONNECTORS) or words(raw)
    key = " ".join(strip_suffixes(tokens, _SUFFIXES))
    if not key:
        raise InvalidIdentifier(IdentifierKind.ORG_NAME, raw, "a name with Latin letters or digits")
    return key
