"""The words the ingestion rules look for: agencies, places, mechanisms, themes and the verbs
that commit or merely report, in Spanish and English.

Kept apart from the rules so a coordinator's correction ("UIF is also written 'Unidad de
Inteligencia Financiera'") is one line here and not a change of logic.
"""

from __future__ import annotations

import re

from enlace.model.vocabulary import CommitmentTheme, MeetingMechanism

# Acronym -> party. The acronym is what records keep; the long names below map to it.
AGENCY_PARTY: dict[str, str] = {
    **dict.fromkeys(
        [
            "SRE",
            "SSPC",
            "SESNSP",
            "UIF",
            "Defensa",
            "Marina",
            "FGR",
            "ANAM",
            "GN",
            "CNI",
            "SHCP",
            "SAT",
            "COFEPRIS",
            "Salud",
            "Pemex",
            "SEGOB",
        ],
        "MX",
    ),
    **dict.fromkeys(
        [
            "State",
            "DHS",
            "CBP",
            "HSI",
            "ICE",
            "DOD",
            "DOJ",
            "DEA",
            "ATF",
            "FBI",
            "Treasury",
            "FinCEN",
            "OFAC",
            "HHS",
            "CDC",
            "USMS",
            "ONDCP",
        ],
        "US",
    ),
}
_AGENCY_NAMES: dict[str, tuple[str, ...]] = {
    # Full names, older names and the English or Spanish rendering the other party's press
    # uses (DOMAIN.md, "Names of organisations as they really vary").
    "SRE": (
        "Secretaría de Relaciones Exteriores",
        "Cancillería",
        "Mexican Foreign Ministry",
        "Mexico's Foreign Ministry",
        "Mexico's Secretariat of Foreign Affairs",
        "Secretariat of Foreign Affairs",
        "Mexican Ministry of Foreign Affairs",
    ),
    "SSPC": (
        "Secretaría de Seguridad y Protección Ciudadana",
        "Security and Citizen Protection Secretariat",
        "Secretariat of Security and Citizen Protection",
        "Ministry of Security and Citizen Protection",
    ),
    "SESNSP": ("Secretariado Ejecutivo del Sistema Nacional de Seguridad Pública",),
    "UIF": ("Unidad de Inteligencia Financiera", "Financial Intelligence Unit"),
    "Defensa": (
        "Secretaría de la Defensa Nacional",
        "Secretaría de Defensa Nacional",
        "SEDENA",
        "Mexican Army",
        "Mexico's Defense Ministry",
    ),
    "Marina": ("Secretaría de Marina", "SEMAR", "Mexican Navy"),
    "FGR": (
        "Fiscalía General de la República",
        "Attorney General's Office of Mexico",
        "Mexico's Attorney General's Office",
        "Mexican Attorney General's Office",
    ),
    "ANAM": (
        "Agencia Nacional de Aduanas de México",
        "Agencia Nacional de Aduanas",
        "National Customs Agency of Mexico",
        "Mexico's National Customs Agency",
        "Mexican National Customs Agency",
        "Mexican customs agency",
    ),
    "GN": ("Guardia Nacional", "National Guard of Mexico", "Mexican National Guard"),
    "CNI": ("Centro Nacional de Inteligencia",),
    "COFEPRIS": ("Comisión Federal para la Protección contra Riesgos Sanitarios",),
    "Salud": ("Secretaría de Salud",),
    "SHCP": ("Secretaría de Hacienda y Crédito Público", "Secretaría de Hacienda"),
    "SAT": ("Servicio de Administración Tributaria",),
    "SEGOB": ("Secretaría de Gobernación",),
    "Pemex": ("Petróleos Mexicanos",),
    "State": (
        "Department of State",
        "State Department",
        "Departamento de Estado",
        "U.S. Department of State",
    ),
    "DHS": (
        "Department of Homeland Security",
        "Departamento de Seguridad Nacional",
        "Departamento de Seguridad Interior",
    ),
    "CBP": (
        "Customs and Border Protection",
        "Oficina de Aduanas y Protección Fronteriza",
        "Oficina de Aduanas y Protección de Fronteras",
        "Servicio de Aduanas y Protección Fronteriza",
    ),
    "HSI": ("Homeland Security Investigations", "Investigaciones de Seguridad Nacional"),
    "ICE": (
        "Immigration and Customs Enforcement",
        "Servicio de Inmigración y Control de Aduanas",
    ),
    "DOD": (
        "Department of Defense",
        "Department of War",
        "DoD",
        "Departamento de Defensa",
        "Pentagon",
        "Pentágono",
    ),
    "DOJ": ("Department of Justice", "Justice Department", "Departamento de Justicia"),
    "DEA": (
        "Drug Enforcement Administration",
        "Administración para el Control de Drogas",
        "Administración de Control de Drogas",
    ),
    "ATF": (
        "Bureau of Alcohol, Tobacco, Firearms and Explosives",
        "Bureau of Alcohol, Tobacco, Firearms, and Explosives",
        "Oficina de Alcohol, Tabaco, Armas de Fuego y Explosivos",
    ),
    "FBI": ("Federal Bureau of Investigation", "Buró Federal de Investigaciones"),
    "Treasury": (
        "Department of the Treasury",
        "Treasury Department",
        "Departamento del Tesoro",
        "Tesoro",
    ),
    "FinCEN": ("Financial Crimes Enforcement Network", "Red de Control de Delitos Financieros"),
    "OFAC": ("Office of Foreign Assets Control", "Oficina de Control de Activos Extranjeros"),
    "USMS": ("U.S. Marshals Service", "United States Marshals Service", "Marshals Service"),
    "ONDCP": ("Office of National Drug Control Policy",),
    "HHS": ("Department of Health and Human Services",),
}


def _agency_pattern() -> re.Pattern[str]:
    names = [(name, acronym) for acronym, longs in _AGENCY_NAMES.items() for name in longs]
    names += [(acronym, acronym) for acronym in AGENCY_PARTY]
    # Longest first, so "Department of the Treasury" wins over "Treasury".
    names.sort(key=lambda pair: -len(pair[0]))
    alternatives = "|".join(re.escape(name) for name, _ in names)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


AGENCY_PATTERN = _agency_pattern()
_AGENCY_BY_NAME = {
    **{name: acronym for acronym, longs in _AGENCY_NAMES.items() for name in longs},
    **{acronym: acronym for acronym in AGENCY_PARTY},
}
# "State", "Salud", "Marina", "Tesoro", "Defensa" are also ordinary words: taken as agencies
# only in a list of agencies, or (in Spanish) after the article the agency name takes.
_AMBIGUOUS_SHORT = frozenset({"State", "Salud", "Marina", "Defensa", "Tesoro", "GN"})
_AGENCY_ARTICLE = re.compile(r"(?:\b(?:la|el|del|al)\s+)$")


def agencies_in(sentence: str) -> list[tuple[str, int]]:
    """(acronym, position) of each agency the sentence names, in order, without repeats."""
    found: dict[str, int] = {}
    for match in AGENCY_PATTERN.finditer(sentence):
        name = match.group(0)
        if (
            name in _AMBIGUOUS_SHORT
            and not _in_agency_list(sentence, match)
            and not _AGENCY_ARTICLE.search(sentence[: match.start()])
        ):
            continue
        found.setdefault(_AGENCY_BY_NAME[name], match.start())
    return sorted(found.items(), key=lambda item: item[1])


def agency_acronym(name: str) -> str:
    """The acronym records keep for a name `AGENCY_PATTERN` matched."""
    return _AGENCY_BY_NAME[name]


def _in_agency_list(sentence: str, match: re.Match[str]) -> bool:
    # A short ambiguous name counts when a real acronym sits right next to it in a list.
    window = sentence[max(0, match.start() - 12) : match.end() + 12]
    return bool(re.search(r"\b[A-Z]{2,}\b", window.replace(match.group(0), "")))


CITIES = (
    "Ciudad de México",
    "Mexico City",
    "Washington, D.C.",
    "Washington",
    "McAllen",
    "El Paso",
    "San Diego",
    "Tijuana",
    "Monterrey",
    "Nuevo Laredo",
    "Laredo",
    "Nogales",
    "Ciudad Juárez",
    "Hermosillo",
    "Culiacán",
    "Phoenix",
    "Houston",
    "Brownsville",
    "Matamoros",
    "Reynosa",
    "Guadalajara",
    "Mérida",
    "Querétaro",
    "Cancún",
    "Tucson",
    "San Antonio",
    "Dallas",
    "Los Angeles",
    "Albuquerque",
    "Yuma",
    "Calexico",
    "Mexicali",
    "Tapachula",
    "Veracruz",
    "Manzanillo",
    "Lázaro Cárdenas",
    "Saltillo",
    "Torreón",
    "Piedras Negras",
    "Ciudad Acuña",
    "Eagle Pass",
    "Del Rio",
    "Puebla",
    "Toluca",
    "Miami",
    "Nueva York",
    "New York",
)
CITY_PATTERN = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(re.escape(c) for c in sorted(CITIES, key=len, reverse=True))
    + r")(?![\w-])"
)
# An institution that hosts a meeting: "en la sede de la Secretaría de Relaciones Exteriores",
# "at the Department of State", "en Palacio Nacional".
INSTITUTION_PATTERN = re.compile(
    r"\b(?:[Ee]n|[Aa]t|[Ii]n)\s+(?:la\s+|el\s+|las\s+|the\s+)?(?:(?:sede|instalaciones|oficinas)\s+(?:de\s+la\s+|del\s+)|"
    r"(?:headquarters|offices|premises)\s+of\s+the\s+)?"
    r"(?:U\.S\.\s+|Mexican\s+)?"
    r"((?:Secretaría|Secretariat|Ministry|Cancillería|Palacio|Embajada|Consulado|Department|Departamento|Embassy|"
    r"Consulate|White\s+House|Casa\s+Blanca|Blair\s+House|Harry\s+S\.\s+Truman\s+Building|"
    r"Centro\s+Nacional|Instituto|Academia|Academy|Fiscalía|Procuraduría|Oficina)"
    r"(?:\s+(?:de|del|de\s+la|of|of\s+the|for|y|and)?\s*[A-ZÁÉÍÓÚÑ][\w'áéíóúñ.-]*)*)"
)

MECHANISM_PATTERNS: tuple[tuple[MeetingMechanism, re.Pattern[str]], ...] = (
    (
        MeetingMechanism.SECURITY_IMPLEMENTATION_GROUP,
        re.compile(
            r"Grupo\s+(?:Bilateral\s+)?de\s+Implementación(?:\s+de\s+Seguridad)?|"
            r"Security\s+Implementation\s+Group|Implementation\s+Group|(?-i:\b(?:GIS|SIG)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        MeetingMechanism.HIGH_LEVEL_SECURITY_DIALOGUE,
        re.compile(
            r"Diálogo\s+(?:de\s+Seguridad\s+)?de\s+Alto\s+Nivel(?:\s+(?:en|de|sobre)\s+Seguridad)?|"
            r"High[- ]Level\s+(?:Security\s+)?Dialogue|(?-i:\b(?:HLSD|DSAN)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        MeetingMechanism.MINISTERIAL,
        re.compile(
            r"(?:reuni[óo]n|revisión|encuentro|sesión)\s+(?:de\s+(?:nivel\s+)?|a\s+nivel\s+)?ministerial|"
            r"ministerial(?:-level)?\s+(?:security\s+)?(?:meeting|review|session|talks)|"
            r"meeting\s+(?:at\s+(?:the\s+)?ministerial\s+level|of\s+(?:the\s+)?ministers)|"
            # the foreign ministers meeting is the ministerial meeting: "los cancilleres se
            # reunirán en junio", "the foreign ministers will meet in June"
            r"cancilleres(?=\s+(?:se\s+reuni|sostendrán|celebrarán))|"
            r"foreign\s+ministers(?=\s+(?:will\s+meet|met|are\s+to\s+meet))",
            re.IGNORECASE,
        ),
    ),
    (
        MeetingMechanism.WORKING_GROUP,
        re.compile(
            r"grupos?\s+de\s+trabajo|grupos?\s+técnicos?|mesas?\s+de\s+trabajo|subgrupos?|"
            r"working[\s-]groups?|technical\s+groups?|sub-?groups?",
            re.IGNORECASE,
        ),
    ),
)

# A meeting that took place, or that is announced: the event words around a mechanism.
MEETING_HELD = {
    "es": re.compile(
        r"\b(?:se\s+reuni(?:ó|eron)|sesion(?:ó|aron)|celebr(?:ó|aron)\s+(?:su|la)|"
        r"se\s+inauguró|inauguraron|concluy(?:ó|eron)|clausur(?:ó|aron)|"
        r"particip(?:ó|aron)\s+.{0,80}?\ben\s+(?:la|el)\s+(?:sesión|reunión|encuentro)|"
        r"llev(?:ó|aron)\s+a\s+cabo|tuvo\s+lugar|se\s+llevó\s+a\s+cabo|se\s+celebró|"
        r"(?:primera|segunda|tercera|cuarta|quinta|sexta)\s+reunión|reunión\s+(?:del|de\s+la)|"
        # the meeting as the object of the verb, after a place: "celebraron en X el tercer Diálogo"
        r"(?:celebr|realiz|sostuv)(?:ó|aron|ieron|o)\b.{0,120}?\b(?:el|la|su|una|un)\s+"
        r"(?:(?:primer|segund|tercer|cuart|quint|sext)[oa]?\s+)?(?:reunión|sesión|diálogo|encuentro|revisión))",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(?:met|convened|held\s+(?:its|the|their)|(?:was|were)\s+held|took\s+place|hosted|"
        # "the ministerial review held in Washington in February", "the Dialogue opened in"
        r"(?<!be\s)(?<!being\s)held\s+(?:in|on|at|last)|opened|concluded|wrapped\s+up|"
        r"(?:first|second|third|fourth|fifth|sixth)\s+meeting|meeting\s+of\s+the)\b",
        re.IGNORECASE,
    ),
}
# A meeting named in passing by its date and place: "the commitments made at the December
# meeting in Mexico City", "progress since the February 26 ministerial review in Washington",
# "adopted at the High-Level Security Dialogue in Mexico City in October 2021".
MEETING_IN_PASSING = {
    "es": re.compile(
        r"\b(?:[Dd]esde|[Ee]n|[Dd]urante)\s+(?:la|el)\s+(?:[\w-]+\s+){0,6}?"
        r"(?:reunión|revisión|sesión|diálogo|Diálogo)\b[^,.;]{0,60}?,?\s+"
        r"(?:celebrad[oa]|realizad[oa]|que\s+tuvo\s+lugar|llevad[oa]\s+a\s+cabo)\s+en\s+[A-Z]"
    ),
    "en": re.compile(
        r"\b(?:[Aa]t|[Ss]ince|[Dd]uring|on|after|following)\s+the\s+(?:[\w-]+\s+){0,6}?"
        r"(?:meeting|review|session|[Dd]ialogue)\s+(?:held\s+)?in\s+(?!(?:January|February|March|April|May|"
        r"June|July|August|September|October|November|December)\b)[A-Z]"
    ),
}
_ORDINAL_WORDS_ES = r"(?:primera|segunda|tercera|cuarta|quinta|sexta|séptima|octava)"
_ORDINAL_WORDS_EN = r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth)"
# A meeting to come: "the next meeting", or a numbered one with a future verb ("the sixth
# meeting will be held", "la quinta reunión se realizará").
NEXT_MEETING = {
    "es": re.compile(
        r"(?:próxim|siguiente)[oa]?\s+(?:reunión|sesión|diálogo|encuentro|ronda)|"
        r"volver[áa]n?\s+a\s+reunirse|se\s+reunirá|"
        rf"{_ORDINAL_WORDS_ES}\s+(?:reunión|sesión)\b[^.]*?\b(?:se\s+)?(?:realizará|celebrará|"
        r"llevará\s+a\s+cabo|tendrá\s+lugar|será)\b|"
        # "de cara a la reunión ministerial de noviembre": a meeting to come, named in passing
        r"(?:de\s+cara\s+a|rumbo\s+a|en\s+preparación\s+(?:de|para))\s+(?:la|el)\s+"
        r"(?=(?:[\w-]+\s+){0,6}?(?:reunión|sesión|diálogo|Diálogo|revisión))",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"(?:ahead\s+of|in\s+preparation\s+for)\s+the\s+"
        r"(?=(?:[\w-]+\s+){0,6}?(?:meeting|session|[Dd]ialogue|review))|"
        r"next\s+(?:[\w-]+\s+){0,4}(?:meeting|session|round)|"
        r"next\s+(?:[\w-]+\s+){0,4}(?:dialogue|review)|"
        r"will\s+(?:next\s+|again\s+|\w+ly\s+)?(?:meet|reconvene|convene)\b|"
        rf"{_ORDINAL_WORDS_EN}\s+(?:meeting|session)\s+(?:[\w-]+\s+){{0,4}}?will\s+"
        r"(?:be\s+held|take\s+place|convene)",
        re.IGNORECASE,
    ),
}
# A meeting to come only when a mechanism is named: "the Group will hold a ministerial
# review", "agreed to convene a ministerial meeting", "acordaron celebrar una reunión
# ministerial", "el Diálogo se celebrará en 2024".
MEETING_TO_COME = {
    "es": re.compile(
        r"\b(?:celebrará[n]?|realizará[n]?|sostendrá[n]?|convocará[n]?|sesionará[n]?|"
        r"se\s+reunirá[n]?|(?:acord\w+|decidi\w+|se\s+comprometi\w+\s+a)\s+(?:celebrar|realizar|sostener|convocar)|"
        r"se\s+(?:celebrará|realizará|llevará\s+a\s+cabo)|tendrá\s+lugar|"
        # expected, not yet convened: "se prevé una reunión ministerial en febrero"
        r"se\s+prevé|(?:está[n]?\s+)?previst[oa]s?|programad[oa]s?|se\s+contempla|se\s+convocará|tendrá[n]?|"
        r"(?:a|por)\s+(?:celebrarse|realizarse|llevarse\s+a\s+cabo)|"
        r"(?:acordaron|convinieron)\s+(?:en\s+)?(?:convocar|celebrar|sostener|realizar))\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(?:will\s+(?:hold|host|convene)|will\s+be\s+(?:held|hosted|convened)|"
        r"will\s+take\s+place|"
        r"(?:agreed|decided|committed|pledged)\s+(?:on\s+\w+\s+|\w+ly\s+)?to\s+(?:hold|host|convene)|"
        r"(?:is|are)\s+(?:expected|scheduled|planned|set)\b|(?:scheduled|set)\s+for|"
        r"(?:is|are)\s+due\s+to\s+(?:meet|convene)|"
        r"to\s+be\s+(?:held|convened|hosted)|(?:is|are)\s+to\s+(?:meet|convene)|"
        r"(?:planned|expected)\s+(?:for|in))\b",
        re.IGNORECASE,
    ),
}
# A meeting that is itself what was agreed ("acordaron convocar una reunión ministerial",
# "agreed on Wednesday to convene a ministerial meeting"): a meeting and the commitment to
# convene it, whose due date is the meeting's date or month.
CONVENE_AGREED = {
    "es": re.compile(
        r"\b(?:acord(?:aron|ó)|convinieron|decidieron|resolvieron|se\s+comprometi(?:ó|eron)\s+a)\s+"
        # "acordaron además convocar", "acordaron asimismo celebrar"
        r"(?:(?:además|asimismo|también|igualmente)\s+)?"
        r"(?:(?:en\s+)?(?:convocar|celebrar|sostener|realizar|organizar)\b|"
        # "acordaron la celebración de una reunión ministerial"
        r"(?:la\s+)?(?:celebración|realización|convocatoria|organización)\s+de\b|"
        # "acordaron que la próxima reunión ministerial se celebre en Washington"
        r"que\s+[^.;]{0,80}?\bse\s+(?:celebre|realice|lleve\s+a\s+cabo|convoque)\b)",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(?:agreed|decided|committed|pledged|resolved)\s+(?:on\s+\w+\s+|\w+ly\s+|also\s+)?(?:"
        r"to\s+(?:convene|hold|host|organi[sz]e)\b|"
        # "agreed that the next ministerial meeting will be held in Washington"
        r"that\s+[^.;]{0,80}?\b(?:will|would|should|shall)\s+(?:be\s+(?:held|convened|hosted)|"
        r"take\s+place|convene)\b|"
        # "agreed on a ministerial meeting in February"
        r"(?:on|upon)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:meeting|review|dialogue)\b)",
        re.IGNORECASE,
    ),
}
# Where one sentence announces two meetings ("... su cuarta reunión el 20 de enero en
# Monterrey, y se prevé una reunión ministerial en febrero"): the clauses it joins.
CLAUSE_BOUNDARY = {
    "es": re.compile(
        # "... en diciembre y, de manera previa, las sesiones ...": a comma may follow the "y"
        r"\s*;\s*|,?\s+(?:y|e|mientras\s+que|además\s+de\s+que|así\s+como|"
        r"y\s+posteriormente|seguid[ao]s?\s+(?:de|por))(?:\s*,\s*|\s+)(?=\S)|(?P<comma>,\s+)"
    ),
    "en": re.compile(
        r"\s*;\s*|,?\s+(?:and|while|whereas|as\s+well\s+as|and\s+then|followed\s+by)"
        r"(?:\s*,\s*|\s+)(?=\S)|"
        r"(?P<comma>,\s+)"
    ),
}
# "el Grupo", "the Group": in this cooperation, the Security Implementation Group.
GROUP = re.compile(
    # News style writes it in lower case ("the full group is due to meet again"); a group's
    # own working groups ("the group's technical working groups") are not it.
    r"\b(?:[Ee]l|[Tt]he|[Dd]el|of\s+the)\s+(?:(?:full|whole|entire|bilateral)\s+)?"
    r"[Gg]r(?:upo|oup)\b(?!\s+(?:de\s+[Tt]rabajo|of\b))(?!'s)(?!\s+pleno\b)|"
    r"\b[Ee]l\s+[Gg]rupo\s+pleno\b|\b[Ee]l\s+pleno\s+del\s+Grupo\b"
)
# The words of a meeting in a clause, so a clause without a mechanism of its own can be one.
MEETING_NOUN = re.compile(
    r"\b(?:reuni[óo]n|sesi[óo]n|sesionar\w*|encuentro|diálogo|meeting|session|dialogue|review)\b",
    re.IGNORECASE,
)
ORDINALS = {
    **dict.fromkeys(("primera", "primer", "primero", "first", "inaugural"), 1),
    **dict.fromkeys(("segunda", "segundo", "second"), 2),
    **dict.fromkeys(("tercera", "tercer", "tercero", "third"), 3),
    **dict.fromkeys(("cuarta", "cuarto", "fourth"), 4),
    **dict.fromkeys(("quinta", "quinto", "fifth"), 5),
    **dict.fromkeys(("sexta", "sexto", "sixth"), 6),
    **dict.fromkeys(("séptima", "séptimo", "seventh"), 7),
    **dict.fromkeys(("octava", "octavo", "eighth"), 8),
}
# A meeting's number: "cuarta", "fourth", "4.ª reunión", "4th meeting", and the masculine
# forms only before a masculine meeting noun ("tercer Diálogo"; "segundo semestre" is none).
ORDINAL_PATTERN = re.compile(
    r"\b(primera|segunda|tercera|cuarta|quinta|sexta|séptima|octava|first|second|third|fourth|"
    r"fifth|sixth|seventh|eighth|inaugural)\b|"
    r"\b(\d{1,2})(?:st|nd|rd|th|\.?ª|a|\.?º|o)\s+(?:reunión|meeting|sesión|session|encuentro|diálogo|dialogue)|"
    r"\b(primer|primero|segundo|tercer|tercero|cuarto|quinto|sexto|séptimo|octavo)\s+"
    r"(?=(?:encuentro|diálogo|periodo\s+de\s+sesiones)\b)",
    re.IGNORECASE,
)
TODAY = {
    "es": re.compile(r"\b(?:hoy|este\s+día|el\s+día\s+de\s+hoy)\b", re.IGNORECASE),
    "en": re.compile(r"\btoday\b", re.IGNORECASE),
}

# Verbs that commit someone to something, and verbs that only report.
COMMIT_STRONG = {
    "es": re.compile(
        r"\b(?:acordaron|acordó|se\s+acordó|convinieron|se\s+comprometi(?:ó|eron)|"
        r"se\s+compromete[n]?|asumi(?:ó|eron)\s+el\s+compromiso|compromiso\s+de|"
        r"decidieron|resolvieron|anunciaron\s+que)\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(?:agreed|committed|commit|pledged|decided|resolved|undertook|undertake|"
        r"announced\s+that)\b",
        re.IGNORECASE,
    ),
}
# A committing verb that only refers to an earlier agreement: "as agreed at the Dialogue",
# "según lo acordado", "conforme a lo convenido".
AGREED_BEFORE = {
    "es": re.compile(r"(?:según|conforme\s+a|de\s+acuerdo\s+con)?\s*lo\s+$", re.IGNORECASE),
    "en": re.compile(r"\b(?:as|previously|already)\s+$", re.IGNORECASE),
}
COMMIT_WEAK = {
    "es": re.compile(
        # irregular futures too: "la ANAM pondrá en operación", "hará públicos"
        r"\b(?:\w+(?:ará|erá|irá|arán|erán|irán)|deberá[n]?|habrá[n]?\s+de|"
        r"(?:pondr|har|propondr|dispondr|mantendr|obtendr)(?:á|án))\b",
        re.IGNORECASE,
    ),
    "en": re.compile(r"\b(?:will|shall|is\s+to|are\s+to)\b", re.IGNORECASE),
}
REPORTING = {
    "es": re.compile(
        r"\b(?:revisaron|revisó|se\s+revisó|se\s+destac(?:ó|aron)|destac(?:ó|aron)|reconoci(?:ó|eron)|"
        r"subray(?:ó|aron)|celebr(?:ó|aron)\s+(?:los|el|la|las)|inform(?:ó|aron)|dieron\s+seguimiento|"
        r"analizaron|reiter(?:ó|aron)|coincidieron|se\s+presentaron|presentaron\s+los|"
        r"evaluaron|pasaron\s+revista|expres(?:ó|aron)|señal(?:ó|aron)|se\s+informó|"
        r"se\s+reconoció|conversaron|dialogaron|examinaron|manifest(?:ó|aron)|agradeci(?:ó|eron)|"
        r"afirm(?:ó|aron)|declar(?:ó|aron)|indic(?:ó|aron)|explic(?:ó|aron))\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"\b(?:reviewed|highlighted|noted|welcomed|discussed|recogni[sz]ed|underscored|"
        r"reaffirmed|took\s+stock|praised|emphasi[sz]ed|acknowledged|reported|assessed|"
        r"expressed|examined|commended|celebrated|heard|said|stated|thanked)\b",
        re.IGNORECASE,
    ),
}

THEME_PATTERNS: tuple[tuple[CommitmentTheme, re.Pattern[str]], ...] = (
    (
        CommitmentTheme.FENTANYL,
        re.compile(
            r"fentan[iy]l\w*|precursor\w*|laboratori\w*|drogas\s+sintéticas|synthetic\s+drugs|"
            r"pastillas|pills|prensas?\s+(?:tableteadoras|de\s+pastillas)|pill\s+press\w*|"
            # the chemicals and the other synthetic drugs made from them
            r"sustancias\s+químicas|productos\s+químicos|químicos\s+esenciales|"
            r"(?:precursor\s+)?chemicals?\b|opioid\w*|opioides?|metanfetamina\w*|"
            r"methamphetamine\w*|tableteadoras|encapsuladoras|tablet\s+press\w*",
            re.IGNORECASE,
        ),
    ),
    (
        CommitmentTheme.FIREARMS,
        re.compile(
            r"armas?\s+de\s+fuego|\barmas\b|firearms?|\bguns?\b|weapons?|eTrace|balístic\w*|"
            r"ballistic\w*|municion\w*|ammunition|tráfico\s+de\s+armas|arms\s+trafficking|"
            # firearms are trafficked southbound: inspections of what goes south are about them
            r"southbound|(?:hacia|con\s+dirección\s+al?)\s+(?:el\s+)?sur\b|"
            r"cartuchos|cartridges|rifles?\b|fusiles|pistolas|handguns?|armamento|"
            r"straw\s+purchas\w*|compras?\s+(?:por\s+)?(?:de\s+)?prestanombres|armerías|"
            r"gun\s+(?:dealers?|shops?|stores?)|NIBIN|IBIS",
            re.IGNORECASE,
        ),
    ),
    (
        CommitmentTheme.ILLICIT_FINANCE,
        re.compile(
            r"lavado\s+de\s+dinero|money\s+laundering|financial\s+intelligence|"
            r"shell\s+companies|empresas\s+fachada|sanction\w*|sancion\w*|"
            r"inteligencia\s+financiera|financ\w*\s+ilícit\w*|finanzas\s+(?:ilícitas|ilegales|criminales)|"
            r"illicit\s+financ\w*|decomiso|asset\s+forfeiture|"
            r"recursos\s+de\s+procedencia\s+ilícita|(?:decomiso\s+de\s+)?activos|assets?\s+forfeiture|assets|sanciones\s+financieras|"
            r"financial\s+sanctions|flujos\s+financieros|financial\s+flows|remesas|remittances|"
            r"financial\s+networks?|redes\s+financieras|estructuras\s+financieras|"
            # proceeds, cash and the rules that follow them
            r"illicit\s+proceeds|proceeds\s+of\s+crime|criminal\s+proceeds|"
            r"ganancias\s+ilícitas|recursos\s+ilícitos|bulk\s+cash|dinero\s+en\s+efectivo|"
            r"efectivo\s+a\s+granel|cash\s+(?:purchases|transactions|couriers|smuggling)|"
            r"operaciones\s+vulnerables|reporting\s+requirements|designations?\b|designaciones|"
            r"cuentas\s+bancarias|bank\s+accounts|congelamiento\s+de\s+cuentas|"
            r"frozen\s+accounts|asset\s+freezes?",
            re.IGNORECASE,
        ),
    ),
    (
        CommitmentTheme.CUSTODY_TRANSFERS,
        re.compile(
            r"traslados?|extradici\w*|extradit\w*|transfers?\s+of\s+custody|custody|"
            r"entregas?\s+de\s+(?:personas|detenidos)|fugitiv\w*|cuya\s+entrega|"
            r"entregas?\s+solicitad[ao]s?|solicitudes\s+de\s+entrega|surrender\s+of|"
            r"high-value\s+targets?|objetivos\s+de\s+alto\s+valor|objetivos\s+prioritarios|"
            r"transfers?\s+of\b.{0,40}?\b(?:detainees|prisoners|fugitives|defendants)|"
            r"(?:detainees|fugitives|defendants)\s+(?:sought|wanted)\s+by",
            re.IGNORECASE,
        ),
    ),
    (
        CommitmentTheme.DRONES,
        re.compile(
            r"drones?|\bUAS\b|counter-UAS|"
            r"(?:aeronaves|sistemas\s+aéreos|vehículos\s+aéreos)\s+no\s+tripulad[oa]s|"
            r"unmanned\s+(?:aircraft|aerial)|antidron\w*|anti-drone|counter-drone",
            re.IGNORECASE,
        ),
    ),
    (
        CommitmentTheme.FUEL_THEFT,
        re.compile(
            r"huachicol\w*|robo\s+de\s+combustible|fuel\s+theft|contrabando\s+de\s+combustible|"
            r"fuel\s+smuggling|hidrocarburos|tomas\s+clandestinas|illegal\s+(?:pipeline\s+)?taps?|"
            r"gasolina\s+robada|stolen\s+fuel|combustibles?\b|fuel\s+(?:imports?|shipments?)",
            re.IGNORECASE,
        ),
    ),
    (
        CommitmentTheme.PUBLIC_HEALTH,
        re.compile(
            r"salud\s+pública|public\s+health|adicciones|addiction|sobredosis|overdose\w*|"
            r"naloxona|naloxone|prevención\s+del\s+consumo|drug\s+use\s+prevention|"
            r"tratamiento|treatment|reducción\s+de\s+daños|harm\s+reduction|"
            r"rehabilitaci\w+|rehabilitation|consumo\s+de\s+drogas|drug\s+use\b",
            re.IGNORECASE,
        ),
    ),
    (
        CommitmentTheme.INFORMATION_EXCHANGE,
        re.compile(
            r"intercambi\w*(?:\s+\w+){0,2}?\s+(?:de\s+)?(?:información|datos)|information[- ]sharing|"
            r"shar\w+\s+(?:of\s+)?(?:information|data)|exchange\s+of\s+(?:information|data)|"
            r"exchang\w+\s+(?:information|data)|datos\s+aduaneros|customs\s+data|"
            # "the secure exchange of customs and cargo data", "información anticipada de
            # pasajeros y de carga": the data named by what they are about
            r"exchange\s+of\s+(?:[\w-]+\s+){1,4}?data|información\s+anticipada|"
            r"advance\s+(?:passenger\s+|cargo\s+)?information|"
            r"inteligencia|intelligence|puntos?\s+de\s+contacto|points?\s+of\s+contact|"
            r"oficiales\s+de\s+enlace|liaison\s+(?:officers?|channels?)|canal(?:es)?\s+de\s+enlace|"
            r"bases?\s+de\s+datos|databases?",
            re.IGNORECASE,
        ),
    ),
)

# Who is the subject: both parties, or one of them by name.
JOINT_SUBJECT = {
    "es": re.compile(
        r"ambos\s+(?:gobiernos|países|equipos)|ambas\s+(?:delegaciones|partes|naciones)|"
        r"las\s+(?:dos\s+)?delegaciones|los\s+dos\s+(?:gobiernos|países)|las\s+partes|"
        r"México\s+y\s+(?:los\s+)?Estados\s+Unidos|Estados\s+Unidos\s+y\s+México|"
        r"de\s+manera\s+conjunta|conjuntamente|el\s+Grupo|los\s+integrantes",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"both\s+(?:governments|countries|delegations|sides|parties|nations)|"
        r"the\s+(?:two\s+)?delegations|the\s+two\s+(?:governments|countries)|"
        r"Mexico\s+and\s+the\s+United\s+States|the\s+United\s+States\s+and\s+Mexico|"
        # "Mexican and U.S. security officials ... agreed"
        r"Mexican\s+and\s+(?:U\.S\.|US|American)|(?:U\.S\.|US|American)\s+and\s+Mexican|"
        r"jointly|the\s+Group|the\s+participants|the\s+parties",
        re.IGNORECASE,
    ),
}
# Both parties act when the verb says so ("will jointly sanction", "realizarán conjuntamente").
JOINT_ADVERB = {
    "es": re.compile(r"\s*,?\s*(?:conjuntamente|de\s+manera\s+conjunta|de\s+forma\s+conjunta)\b"),
    "en": re.compile(r"\s*(?:jointly|together)\b", re.IGNORECASE),
}
PARTY_SUBJECT = {
    "es": (
        (
            "MX",
            re.compile(
                r"(?:el\s+Gobierno\s+de\s+)?México\b(?!\s+y)|la\s+parte\s+mexicana|"
                r"la\s+delegación\s+mexicana|las\s+autoridades\s+mexicanas",
                re.IGNORECASE,
            ),
        ),
        (
            "US",
            re.compile(
                r"(?:el\s+Gobierno\s+de\s+)?(?:los\s+)?Estados\s+Unidos\b(?!\s+y)|EE\.\s?UU\.|"
                r"la\s+parte\s+estadounidense|la\s+delegación\s+estadounidense",
                re.IGNORECASE,
            ),
        ),
    ),
    "en": (
        (
            "MX",
            re.compile(
                r"(?:the\s+Government\s+of\s+)?Mexico\b(?!\s+(?:and|City))|the\s+Mexican\s+"
                r"(?:delegation|government|side|authorities)",
                re.IGNORECASE,
            ),
        ),
        (
            "US",
            re.compile(
                r"(?:the\s+Government\s+of\s+)?the\s+United\s+States\b(?!\s+and)|"
                r"\bU\.S\.\s+(?:government|delegation|side|authorities)|the\s+U\.S\.(?=\s+will)",
                re.IGNORECASE,
            ),
        ),
    ),
}
