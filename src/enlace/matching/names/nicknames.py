"""Hipocorísticos and English forms of given names, folded to one canonical name.

A given name and its nicknames ("Francisco", "Pancho", "Paco", "Frank") give one canonical
form, so a record that writes the nickname makes the same name key as one that writes the
formal name. The table holds the common Mexican hipocorísticos and the English forms US
records use for Spanish names; a nickname shared by several names ("Beto" for Roberto,
Alberto, Heriberto...) folds all of them together, which costs a little precision on the
given name and nothing on the surnames and date of birth that the key also holds.
"""

from __future__ import annotations

import functools

from enlace.model.identifiers.text import words

# canonical form -> other forms (formal names, nicknames, English equivalents).
_GROUPS: dict[str, tuple[str, ...]] = {
    "JOSE": ("PEPE", "CHEPE", "JOSEPH", "JOE", "JOEY"),
    "FRANCISCO": ("PANCHO", "PACO", "FRANK", "FRANCIS", "KIKO", "CHICO"),
    "JESUS": ("CHUY", "CHUCHO", "CHUS"),
    "IGNACIO": ("NACHO",),
    "ALFONSO": ("PONCHO", "PONCHITO"),
    "BETO": (
        "ROBERTO",
        "ALBERTO",
        "HERIBERTO",
        "RIGOBERTO",
        "UMBERTO",
        "HUMBERTO",
        "NORBERTO",
        "GILBERTO",
        "ROBERT",
        "ALBERT",
        "BOB",
        "BERT",
    ),
    "ENRIQUE": ("QUIQUE", "KIKE", "HENRY", "HANK"),
    "EDUARDO": ("LALO", "EDDIE", "EDWARD", "ED"),
    "SALVADOR": ("CHAVA", "CHAVO", "SAL"),
    "GUADALUPE": ("LUPE", "LUPITA", "PITA"),
    "ROSARIO": ("CHAYO", "CHARO"),
    "CONCEPCION": ("CONCHITA", "CONCHA", "CONCHIS"),
    "DOLORES": ("LOLA", "LOLITA"),
    "MANUEL": ("MANOLO", "MANNY"),
    "RAMON": ("MONCHO", "MONCHI", "RAYMOND", "RAY"),
    "ANTONIO": ("TONO", "TONY", "TONIO", "ANTHONY"),
    "GUILLERMO": ("MEMO", "WILLIAM", "WILL", "BILL", "WILLY"),
    "ALEJANDRO": ("ALEX", "ALEXANDER", "ALEJO", "JANDRO"),
    "ALEJANDRA": ("ALE", "ALEXANDRA"),
    "RAFAEL": ("RAFA", "RALPH"),
    "PATRICIA": ("PATY", "PATI", "PATTY"),
    "GERARDO": ("JERRY", "GERALD", "LAYO"),
    "JUAN": ("JOHN", "JOHNNY", "JUANITO"),
    "MIGUEL": ("MICHAEL", "MIKE", "MIKEY"),
    "PEDRO": ("PETER", "PETE", "PERICO"),
    "JORGE": ("GEORGE", "COCO"),
    "CARLOS": ("CHARLES", "CHARLIE", "CARLITOS"),
    "RICARDO": ("RICHARD", "RICK", "RICHIE", "RICKY"),
    "DANIEL": ("DANNY", "DAN"),
    "TOMAS": ("THOMAS", "TOM", "TOMMY"),
    "MARIA": ("MARY", "MARI", "MAYA"),
    "ISABEL": ("ELIZABETH", "CHABELA", "BELA"),
    "JAVIER": ("JAVI", "XAVIER"),
    "FERNANDO": ("FER", "NANDO"),
    "ARMANDO": ("MANDO",),
    "ROGELIO": ("ROCHE", "ROY"),
    "SERGIO": ("CHECO",),
    "REFUGIO": ("CUCO", "CUQUITA"),
    "ANA": ("ANNA", "ANNE", "ANITA"),
}
# "Ma." at the head of a compound name ("Ma. Guadalupe") stands for "María".
_ABBREVIATIONS = {"MA": "MARIA"}

_CANONICAL: dict[str, str] = {
    form: canonical for canonical, forms in _GROUPS.items() for form in (canonical, *forms)
}


@functools.lru_cache(maxsize=65536)
def canonical_given_name(given_names: str) -> str:
    """The canonical form of the first given name ("Pepe Luis" -> "JOSE"), "" if none.

    Upper-case ASCII, accents and punctuation dropped; "Ma." reads as "María".
    """
    tokens = words(given_names)
    if not tokens:
        return ""
    head = _ABBREVIATIONS.get(tokens[0], tokens[0])
    return _CANONICAL.get(head, head)
