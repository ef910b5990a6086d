"""Match keys of organisation names: companies and criminal organisations.

Organisation names vary in other ways than persons' (DOMAIN.md, "Names of organisations as
they really vary"): the legal form is written with or without dots, spelled out or dropped
("S.A. de C.V.", "SA de CV", "Sociedad Anónima de Capital Variable"; "LLC", "Inc.",
"Corp."); words are abbreviated ("Cía.", "Hnos.", "Int'l", "Gpo.") or joined by "y", "&" or
"and"; a cartel is "Cártel de Sinaloa", "Cartel del Golfo", "Sinaloa Cartel" or "CDS" (the
initials of its words, with or without the "de"); a record is upper case or has lost its
accents; a clerk slips a key. Each name, after `significant_words`, gives three kinds of key,
tagged by their first letters so they never collide (all in the ORGANISATION domain):

    W|<sorted phonetic words>         the whole name: word order, accents, legal form,
                                      abbreviations and stop words do not change it
    D|<sorted phonetic words>         the name with its generic words ("Comercializadora",
                                      "Grupo", "Cartel") left out (the whole name when it has
                                      none: a trade name), and, for three words or
                                      more, the name with one word left out: survives a
                                      typo in one word, or a dropped word
    A|<initials>                      its acronym, with and without the particles, and a
                                      name that is itself one short word ("CJNG")
    P|<sorted first three letters>    each word's first three letters: survives a slip
                                      later in any word

W is strong evidence; D, A and P are weak (different organisations share them), and count
only as evidence/weigh_organisation_key says.
"""

from __future__ import annotations

import functools

from enlace.matching.names.phonetic import phonetic
from enlace.model.identifiers.text import strip_suffixes, suffix_table, words

__all__ = ["organisation_name_keys", "significant_words"]

# Legal forms (Mexican, US/UK), as words() writes them: dots join ("S.A." -> "SA"), single
# letters join ("S. A." -> "SA"), so "S.A.DE C.V." arrives as "SADE CV".
_LEGAL_FORMS = suffix_table(
    (
        "SA DE CV", "SADE CV", "SA CV", "SADECV", "SAB DE CV", "SAPI DE CV", "SAPIB DE CV",
        "S DE RL DE CV", "SDE RL DE CV", "SDERL DE CV", "S DE RL", "SDE RL", "SDERL",
        "SRL DE CV", "SPR DE RL", "SPR DE RI", "SC DE RL", "SC DE RL DE CV", "DE CV", "DE RL",
        "SA", "SAB", "SAPI", "SAS", "SRL", "SC", "SCP", "AC", "IAP", "CV",
        "SOCIEDAD ANONIMA DE CAPITAL VARIABLE", "SOCIEDAD ANONIMA",
        "SOCIEDAD ANONIMA PROMOTORA DE INVERSION DE CAPITAL VARIABLE",
        "SOCIEDAD DE RESPONSABILIDAD LIMITADA DE CAPITAL VARIABLE",
        "SOCIEDAD DE RESPONSABILIDAD LIMITADA", "SOCIEDAD CIVIL", "ASOCIACION CIVIL",
        "INC", "INCORPORATED", "LLC", "LC", "LLP", "LP", "PLLC", "CORP", "CORPORATION",
        "LTD", "LIMITED", "CO", "COMPANY", "PLC", "GMBH", "SL",
    )
)  # fmt: skip
# "y Cía.", "& Co." inside or before the legal form say no more than the form itself.
_COMPANY_WORDS = frozenset({"CIA", "COMPANIA", "COMPANY", "CO"})
# Connectors and articles: "Cártel de Sinaloa" / "Cartel del Golfo" / "The Gulf Cartel".
_STOP_WORDS = frozenset(
    {"DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "E", "AND", "THE", "OF", "FOR", "EN", "A"}
)
# Abbreviations clerks write for words of company names, to the word (after dots go).
_ABBREVIATIONS = {
    "HNOS": "HERMANOS", "HNO": "HERMANO", "HMNOS": "HERMANOS", "BROS": "HERMANOS",
    "BROTHERS": "HERMANOS", "INTL": "INTERNACIONAL", "INTERNATIONAL": "INTERNACIONAL",
    "GPO": "GRUPO", "GROUP": "GRUPO", "SERVS": "SERVICIOS",
    "SERV": "SERVICIOS", "SVCS": "SERVICIOS", "SERVICES": "SERVICIOS",
    "DIST": "DISTRIBUIDORA", "DISTR": "DISTRIBUIDORA", "DISTRIB": "DISTRIBUIDORA",
    "CONST": "CONSTRUCTORA", "TRANSP": "TRANSPORTES", "TRANSPS": "TRANSPORTES",
    "IMP": "IMPORTADORA", "IMPORT": "IMPORTADORA", "EXP": "EXPORTADORA",
    "EXPORT": "EXPORTADORA", "COMERC": "COMERCIALIZADORA",
    "NAL": "NACIONAL", "NATIONAL": "NACIONAL", "INDS": "INDUSTRIAS", "IND": "INDUSTRIAL",
    "STA": "SANTA", "STO": "SANTO", "SN": "SAN", "MEX": "MEXICO", "MFG": "MANUFACTURERA",
    "ASOC": "ASOCIADOS", "ASOCS": "ASOCIADOS", "ASSOCIATES": "ASOCIADOS",
    "AGROIND": "AGROINDUSTRIAS", "AUTOTRANSP": "AUTOTRANSPORTES",
    # The words criminal organisations are named with, in English and Spanish.
    "CARTELES": "CARTEL", "NEW": "NUEVA", "NUEVO": "NUEVA", "GENERATION": "GENERACION",
    "GULF": "GOLFO", "NORTHEAST": "NORESTE", "FAMILY": "FAMILIA", "UNITED": "UNIDOS",
    "PACIFIC": "PACIFICO", "NORTH": "NORTE", "SOUTH": "SUR", "SONS": "HIJOS",
}  # fmt: skip
# Words that say what kind of organisation it is, not which: the D key leaves them out.
_GENERIC_WORDS = frozenset(
    {
        "CARTEL", "GRUPO", "COMERCIALIZADORA", "TRANSPORTES", "DISTRIBUIDORA", "SERVICIOS",
        "IMPORTADORA", "EXPORTADORA", "CONSTRUCTORA", "INMOBILIARIA", "INDUSTRIAL",
        "INDUSTRIAS", "EMPRESARIAL", "CORPORATIVO", "HOLDINGS", "TRADING", "LOGISTICOS",
        "LOGISTICS", "AUTOTRANSPORTES", "AGROINDUSTRIAS", "INTERNACIONAL", "NACIONAL",
        "COMERCIAL", "PRODUCTOS", "MATERIALES", "OPERADORA", "CONSULTORES", "PROMOTORA",
        "DESARROLLADORA", "ARRENDADORA", "FINANCIERA", "AGROPECUARIA", "AGRICOLA", "GANADERA",
        "PESQUERA", "MINERA", "QUIMICA", "FARMACEUTICA", "EMPACADORA", "MAQUILADORA",
        "TEXTIL", "ABASTECEDORA", "PROVEEDORA", "FERRETERIA", "REFACCIONARIA",
        "COMBUSTIBLES", "FLETES", "MUDANZAS", "ABARROTES", "SEMILLAS", "INTEGRALES",
        "SERVICES", "TRANSPORT", "FREIGHT", "WHOLESALE", "IMPORTS", "PRODUCE", "SALES",
    }
)  # fmt: skip
# Particles kept in some acronyms ("CDS" = Cártel De Sinaloa, "LNFM" = La Nueva Familia
# Michoacana) and left out of others ("CJNG" = Cártel de Jalisco Nueva Generación).
_ACRONYM_PARTICLES = frozenset({"DE", "DEL", "LA", "LOS", "LAS", "EL"})
# Two letters are shared by too many names to say anything.
_MIN_ACRONYM, _MAX_ACRONYM = 3, 6
# Letters of each word the P key keeps: a slip after them leaves the key as it was.
_PREFIX = 3


def _tokens(text: str) -> list[str]:
    """Words of the name, legal form and "y Cía." gone (never every word)."""
    # A dot ends a word: "S.de R.L.de C.V." is S DE RL DE CV (words() joins the single
    # letters back: "S. A." and "S.A." are both SA).
    tokens = words(text.replace(".", ". "))
    if not tokens:
        return []
    tokens = strip_suffixes(tokens, _LEGAL_FORMS)
    kept = [t for t in tokens if t not in _COMPANY_WORDS]
    return strip_suffixes(kept, _LEGAL_FORMS) if kept else tokens


@functools.lru_cache(maxsize=65536)
def significant_words(text: str) -> tuple[str, ...]:
    """The name's words that say which organisation it is, abbreviations written out.

    Legal forms, "y Cía.", connectors and articles go; "Hnos." becomes "HERMANOS", "Gulf"
    "GOLFO". A name made only of such words keeps them.
    """
    tokens = [_ABBREVIATIONS.get(t, t) for t in _tokens(text)]
    return tuple(t for t in tokens if t not in _STOP_WORDS) or tuple(tokens)


def _code(word: str) -> str:
    if not word.isalpha():
        return word
    code = phonetic(word)
    # A plural and its singular are one word here ("Carteles", "Transporte(s)").
    return code[:-1] if len(code) > 3 and code.endswith("S") else code


def _acronyms(text: str, significant: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    if len(significant) == 1:
        word = significant[0]
        if _MIN_ACRONYM <= len(word) <= _MAX_ACRONYM:
            found.add(word)  # "CJNG", "CDS" as a name or alias
        return found
    with_particles = [t for t in _tokens(text) if t in _ACRONYM_PARTICLES or t in significant]
    for seq in (significant, tuple(with_particles)):
        letters = "".join(t[0] for t in seq if t.isalpha())
        if _MIN_ACRONYM <= len(letters) <= _MAX_ACRONYM:
            found.add(letters)
    return found


@functools.lru_cache(maxsize=65536)
def organisation_name_keys(text: str) -> frozenset[str]:
    """The W, D and A keys of one name or alias (none for a name without letters/digits)."""
    significant = significant_words(text)
    if not significant:
        return frozenset()
    codes = [_code(t) for t in significant]
    keys = {"W|" + " ".join(sorted(codes))}
    # The distinctive words alone (all of them when none is generic), so a trade name
    # ("Álamo") meets the legal name ("Transportes Álamo, S.A. de C.V.").
    distinctive = [c for t, c in zip(significant, codes, strict=True) if t not in _GENERIC_WORDS]
    if distinctive:
        keys.add("D|" + " ".join(sorted(distinctive)))
    keys.update("A|" + acronym for acronym in _acronyms(text, significant))
    if len(significant) >= 2:
        keys.add("P|" + " ".join(sorted(t[:_PREFIX] for t in significant)))
    return frozenset(keys)
