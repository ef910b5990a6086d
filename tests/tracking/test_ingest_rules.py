"""The ingestion rules one by one: language, sentences, dates, meetings, commitments, actions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from enlace.model.vocabulary import CommitmentTheme, MeetingMechanism, Responsible
from enlace.tracking.dates import find_dates
from enlace.tracking.errors import UnsupportedLanguage
from enlace.tracking.ingest import propose
from enlace.tracking.language import detect_language
from enlace.tracking.proposal import Proposal
from enlace.tracking.sentences import split_sentences

SEPT_5 = date(2025, 9, 5)  # a Friday


def proposal_of(text: str, day: date = SEPT_5) -> object:
    return propose(text, document_date=day, source_document="test.txt")


# --- language ----------------------------------------------------------------------------


def test_spanish_and_english_are_told_apart() -> None:
    spanish = "Ambos gobiernos acordaron fortalecer la cooperación en la frontera con los estados."
    english = "Both governments agreed to strengthen the cooperation at the border with the states."
    assert detect_language(spanish, source="a.txt") == "es"
    assert detect_language(english, source="b.txt") == "en"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            "Les deux gouvernements ont convenu d'établir un mécanisme d'échange avec les "
            "autorités et des agences pour le contrôle des précurseurs dans les ports.",
            "French",
        ),
        (
            "Os dois governos concordaram em estabelecer um mecanismo de troca com as "
            "autoridades e os órgãos para o controle dos precursores nos portos, não só em 2025.",
            "Portuguese",
        ),
    ],
)
def test_third_language_is_refused_naming_it(text: str, named: str) -> None:
    with pytest.raises(UnsupportedLanguage) as caught:
        detect_language(text, source="comunicado.txt")
    message = str(caught.value)
    assert "comunicado.txt" in message
    assert named in message
    assert "Spanish (es) or English (en)" in message


def test_text_too_short_to_tell_is_refused() -> None:
    with pytest.raises(UnsupportedLanguage, match="could not be told"):
        detect_language("McAllen, 2025.", source="x.txt")


# --- sentences ---------------------------------------------------------------------------


def test_abbreviations_and_initials_do_not_end_sentences() -> None:
    text = (
        "El Gobierno de EE. UU. y la U.S. delegation met at the Harry S. Truman Building. "
        "Washington, D.C. hosted it.\n\n- La ANAM instalará escáneres.\n- CBP will help."
    )
    assert split_sentences(text) == [
        "El Gobierno de EE. UU. y la U.S. delegation met at the Harry S. Truman Building.",
        "Washington, D.C. hosted it.",
        "La ANAM instalará escáneres.",
        "CBP will help.",
    ]


# --- dates -------------------------------------------------------------------------------


def _days(sentence: str, language: str, direction: str = "future") -> list[object]:
    found = find_dates(
        sentence,
        language=language,
        document_date=SEPT_5,
        direction=direction,  # type: ignore[arg-type]
    )
    return [phrase.day or phrase.month for phrase in found]


def test_day_without_year_is_the_next_one_for_a_deadline() -> None:
    assert _days("Lo entregará a más tardar el 23 de enero.", "es") == [date(2026, 1, 23)]
    assert _days("They will deliver it by January 23.", "en") == [date(2026, 1, 23)]


def test_day_without_year_is_the_last_one_for_a_meeting_held() -> None:
    assert _days("El Grupo se reunió el 4 de septiembre.", "es", "past") == [date(2025, 9, 4)]
    assert _days("The Group met on 2 March.", "en", "past") == [date(2025, 3, 2)]


def test_a_later_future_phrase_looks_ahead_even_in_a_sentence_about_the_past() -> None:
    found = _days(
        "Se reunieron el 4 de septiembre y volverán a reunirse en diciembre.", "es", "past"
    )
    assert found == [date(2025, 9, 4), "2025-12"]


def test_month_alone_is_a_month() -> None:
    assert _days("Presentarán el informe para febrero.", "es") == ["2026-02"]
    assert _days("The report is due by February 2027.", "en") == ["2027-02"]


@pytest.mark.parametrize(
    ("sentence", "language", "expected"),
    [
        ("Firmarán el próximo viernes.", "es", date(2025, 9, 12)),
        ("They will sign next Friday.", "en", date(2025, 9, 12)),
        ("Lo harán dentro de 90 días.", "es", date(2025, 12, 4)),
        ("It will be done within sixty days.", "en", date(2025, 11, 4)),
        ("It was held yesterday.", "en", date(2025, 9, 4)),
        ("Antes de finales de noviembre.", "es", date(2025, 11, 30)),
        ("By the end of the year.", "en", date(2025, 12, 31)),
    ],
)
def test_relative_phrases_count_from_the_document_date(
    sentence: str, language: str, expected: date
) -> None:
    assert _days(sentence, language) == [expected]


def test_may_the_verb_is_not_a_month() -> None:
    assert _days("Agencies may share data as appropriate.", "en") == []


# --- meetings ----------------------------------------------------------------------------


def test_meeting_held_with_city_sequence_and_date() -> None:
    proposal = propose(
        "El Grupo de Implementación de Seguridad se reunió por primera vez el 4 de septiembre "
        "en McAllen, Texas, con la SRE, la FGR y el DHS.",
        document_date=SEPT_5,
        source_document="es.txt",
    )
    (meeting,) = proposal.meetings
    assert meeting.mechanism is MeetingMechanism.SECURITY_IMPLEMENTATION_GROUP
    assert (meeting.sequence, meeting.meeting_date, meeting.place) == (
        1,
        date(2025, 9, 4),
        "McAllen",
    )
    assert (meeting.mx_agencies, meeting.us_agencies) == (("SRE", "FGR"), ("DHS",))
    assert "4 de septiembre" in meeting.cues
    assert not meeting.announced


def test_meeting_place_named_as_an_institution() -> None:
    proposal = propose(
        "The third High-Level Security Dialogue took place on October 9 at the Department of "
        "State in Washington, with the delegations of both countries.",
        document_date=date(2025, 10, 10),
        source_document="en.txt",
    )
    (meeting,) = proposal.meetings
    assert meeting.place == "Department of State, Washington"
    assert meeting.sequence == 3


def test_next_meeting_takes_the_mechanism_and_the_following_sequence() -> None:
    proposal = propose(
        "The Security Implementation Group held its second meeting today in Mexico City with "
        "the delegations of both countries. The next meeting will take place in Washington in "
        "January.",
        document_date=date(2025, 12, 5),
        source_document="en.txt",
    )
    held, following = proposal.meetings
    assert held.meeting_date == date(2025, 12, 5)
    assert following.announced
    assert following.mechanism is MeetingMechanism.SECURITY_IMPLEMENTATION_GROUP
    assert (following.sequence, following.meeting_month, following.place) == (
        3,
        "2026-01",
        "Washington",
    )
    assert proposal.commitments == ()


def test_next_meeting_without_a_date_is_not_proposed() -> None:
    proposal = propose(
        "The Security Implementation Group met today in McAllen. The next "
        "High-Level Security Dialogue will be held in Mexico City in 2026.",
        document_date=SEPT_5,
        source_document="en.txt",
    )
    assert [m.announced for m in proposal.meetings] == [False]


# --- commitments and actions --------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Las delegaciones revisaron los avances alcanzados en la frontera y la cooperación.",
        "Se destacó que la FGR realizará más aseguramientos de fentanilo en los estados.",
        "The delegations reviewed the progress and welcomed the decline in overdose deaths.",
        "Participants highlighted that CBP will keep seizing fentanyl at the ports of the border.",
        "Este mecanismo permitirá fortalecer la confianza entre los dos gobiernos y los pueblos.",
    ],
)
def test_sentences_that_report_without_committing_are_not_commitments(sentence: str) -> None:
    proposal = propose(sentence, document_date=SEPT_5, source_document="x.txt")
    assert proposal.commitments == ()
    assert proposal.actions == ()


def test_commitment_keeps_theme_responsible_due_date_sentence_and_cues() -> None:
    sentence = (
        "Ambos gobiernos acordaron establecer un mecanismo de intercambio de información sobre "
        "precursores químicos a más tardar el 31 de octubre."
    )
    proposal = propose(sentence, document_date=SEPT_5, source_document="es.txt")
    (commitment,) = proposal.commitments
    assert commitment.theme is CommitmentTheme.INFORMATION_EXCHANGE
    assert commitment.responsible is Responsible.JOINT
    assert commitment.due_date == date(2025, 10, 31)
    assert commitment.source_sentence == sentence
    assert commitment.text == sentence
    assert {"acordaron", "31 de octubre"} <= set(commitment.cues)


@pytest.mark.parametrize(
    ("sentence", "responsible"),
    [
        ("México se comprometió a reforzar la vigilancia de los ductos contra el huachicol.", "MX"),
        ("The United States pledged to increase southbound inspections for firearms.", "US"),
        ("La FGR y la ATF acordaron instalar una terminal de identificación balística.", "joint"),
        (
            "The Department of the Treasury committed to share sanctions data on money laundering.",
            "US",
        ),
    ],
)
def test_responsible_party_is_read_from_the_subject(sentence: str, responsible: str) -> None:
    language_day = date(2025, 9, 5)
    (commitment,) = propose(sentence, document_date=language_day, source_document="x").commitments
    assert commitment.responsible.value == responsible


def test_agency_step_after_a_commitment_on_its_theme_is_an_action_of_it() -> None:
    proposal = propose(
        "México y Estados Unidos se comprometieron a fortalecer el rastreo de armas de fuego. "
        "Ambos gobiernos acordaron combatir el robo de combustible en la frontera. "
        "La FGR capturará en eTrace todas las armas aseguradas antes de finales de noviembre.",
        document_date=SEPT_5,
        source_document="es.txt",
    )
    firearms, fuel = proposal.commitments
    assert (firearms.theme, fuel.theme) == (CommitmentTheme.FIREARMS, CommitmentTheme.FUEL_THEFT)
    (action,) = proposal.actions
    assert action.commitment_key == firearms.key
    assert action.owner_agency == "FGR"
    assert action.due_date == date(2025, 11, 30)


def test_start_date_is_not_a_due_date() -> None:
    proposal = propose(
        "Both governments agreed to share cargo manifests. To that end, CBP will share advance "
        "cargo manifest data with ANAM starting October 1.",
        document_date=SEPT_5,
        source_document="en.txt",
    )
    (action,) = proposal.actions
    assert action.owner_agency == "CBP"
    assert action.due_date is None


# --- rules revised after the held-out measurement ------------------------------------------


def _en(text: str) -> Proposal:
    return propose(text, document_date=SEPT_5, source_document="en.txt")


def _es(text: str) -> Proposal:
    return propose(text, document_date=SEPT_5, source_document="es.txt")


def test_agency_step_due_within_weeks_is_an_action_even_on_another_theme() -> None:
    proposal = propose(
        "Ambos gobiernos acordaron reforzar la inspección de armas de fuego en los cruces. "
        "La ANAM enviará a la ATF el próximo martes un reporte sobre precursores asegurados.",
        document_date=SEPT_5,
        source_document="es.txt",
    )
    (commitment,) = proposal.commitments
    (action,) = proposal.actions
    assert (action.owner_agency, action.commitment_key) == ("ANAM", commitment.key)
    assert action.due_date == date(2025, 9, 9)


def test_agency_step_on_no_theme_of_its_own_serves_the_last_commitment() -> None:
    proposal = propose(
        "Both governments agreed to expand joint investigations of money laundering. "
        "The FBI will assign two analysts to the task force in Tijuana.",
        document_date=SEPT_5,
        source_document="en.txt",
    )
    (action,) = proposal.actions
    assert action.owner_agency == "FBI"
    assert len(proposal.commitments) == 1


def test_agency_step_on_a_theme_of_its_own_is_still_an_action() -> None:
    # One agency's step with a future verb is an action (acción), as a fact sheet's "Agency
    # actions" lists them, even on a theme no commitment has: it hangs on the commitment just
    # read (a coordinator moves it in the review if another fits better), never becoming a
    # commitment of the group. (Before the fourth blind set it became a commitment when due
    # months away; the blind sets' markers read it as an action.)
    proposal = propose(
        "Ambos gobiernos acordaron ampliar las campañas de prevención de sobredosis. "
        "La DEA compartirá con la FGR los perfiles químicos de las armas aseguradas en junio.",
        document_date=SEPT_5,
        source_document="es.txt",
    )
    assert [c.theme for c in proposal.commitments] == [CommitmentTheme.PUBLIC_HEALTH]
    (action,) = proposal.actions
    assert (action.owner_agency, action.commitment_key) == ("DEA", "c1")


def test_agency_that_commits_with_a_verb_of_its_own_makes_a_commitment() -> None:
    proposal = propose(
        "Both governments agreed to curb firearms trafficking. The ATF committed to open "
        "two more tracing offices for firearms by December.",
        document_date=SEPT_5,
        source_document="en.txt",
    )
    assert proposal.actions == ()
    second = proposal.commitments[1]
    assert (second.responsible, second.due_date) == (Responsible.US, date(2025, 12, 31))


def test_agency_in_the_possessive_is_not_the_subject() -> None:
    proposal = propose(
        "Both governments agreed to disrupt illicit finance. The Department of the Treasury's "
        "Financial Crimes Enforcement Network (FinCEN) will brief the UIF on the new typologies "
        "next week.",
        document_date=SEPT_5,
        source_document="en.txt",
    )
    (action,) = proposal.actions
    assert action.owner_agency == "FinCEN"


def test_agencies_of_both_parties_acting_jointly_make_a_joint_commitment() -> None:
    proposal = propose(
        "México y Estados Unidos acordaron combatir el tráfico de armas. "
        "La ATF y la FGR conjuntamente revisarán los registros de armas aseguradas.",
        document_date=SEPT_5,
        source_document="es.txt",
    )
    # "conjuntamente" right after the subject is the joint subject rule; after the verb:
    english = _en(
        "Both governments agreed to fight money laundering. The Department of the Treasury "
        "and the UIF will jointly designate shell companies within 30 days."
    )
    assert proposal.actions == ()
    assert english.actions == ()
    assert english.commitments[1].responsible is Responsible.JOINT


def test_bare_head_noun_refers_to_the_agency_last_named_so() -> None:
    proposal = _en(
        "Officials of the Justice Department travelled to Monterrey. The Department and the "
        "SSPC agreed to create a joint unit against firearms trafficking."
    )
    (commitment,) = proposal.commitments
    assert commitment.responsible is Responsible.JOINT
    assert set(commitment.lead_agencies) == {"DOJ", "SSPC"}


@pytest.mark.parametrize(
    ("text", "mechanism", "when"),
    [
        (
            "The members of the working group will next meet in the city of Laredo on October 20.",
            MeetingMechanism.WORKING_GROUP,
            date(2025, 10, 20),
        ),
        (
            "La siguiente sesión del grupo de trabajo de la frontera tendrá lugar en la ciudad "
            "de Tijuana el 7 de noviembre, con los equipos de las dos fiscalías y de las aduanas.",
            MeetingMechanism.WORKING_GROUP,
            date(2025, 11, 7),
        ),
        (
            "The members of the Implementation Group will hold a ministerial review of the "
            "plan in Houston in March.",
            MeetingMechanism.MINISTERIAL,
            "2026-03",
        ),
        (
            "Los gabinetes acordaron celebrar una reunión ministerial en Monterrey en enero.",
            MeetingMechanism.MINISTERIAL,
            "2026-01",
        ),
        (
            "Los grupos de trabajo se reunirán el próximo 3 de octubre en Nogales.",
            MeetingMechanism.WORKING_GROUP,
            date(2025, 10, 3),
        ),
    ],
)
def test_announced_meetings_in_other_words(
    text: str, mechanism: MeetingMechanism, when: date | str
) -> None:
    proposal = propose(text, document_date=SEPT_5, source_document="x.txt")
    (meeting,) = proposal.meetings
    assert meeting.announced
    assert meeting.mechanism is mechanism
    assert (meeting.meeting_date if isinstance(when, date) else meeting.meeting_month) == when
    # A meeting merely announced commits to nothing; one that is what was agreed ("acordaron
    # celebrar") is also the commitment to convene it (test_ingest_meetings.py).
    agreed = "acordaron" in text
    assert [c.theme for c in proposal.commitments] == ([CommitmentTheme.OTHER] if agreed else [])


def test_announced_meeting_without_a_date_is_no_commitment_either() -> None:
    proposal = _es(
        "Las partes acordaron que el próximo Diálogo de Alto Nivel se celebrará en Mérida."
    )
    assert proposal.meetings == ()
    assert proposal.commitments == ()


def test_held_meeting_as_the_object_of_the_verb() -> None:
    proposal = _es(
        "El jueves, los gabinetes de seguridad celebraron en la Cancillería, en Ciudad de "
        "México, la cuarta reunión del Grupo de Implementación de Seguridad."
    )
    (meeting,) = proposal.meetings
    assert not meeting.announced
    assert meeting.meeting_date == date(2025, 9, 4)
    assert meeting.mechanism is MeetingMechanism.SECURITY_IMPLEMENTATION_GROUP


def test_place_given_as_an_institution_at_the_start_of_the_sentence() -> None:
    (meeting,) = _es(
        "En las oficinas de la Procuraduría Fiscal se reunió hoy el grupo de trabajo de aduanas."
    ).meetings
    assert meeting.place is not None
    assert meeting.place.startswith("Procuraduría Fiscal")


@pytest.mark.parametrize(
    ("phrase", "language", "day"),
    [
        ("antes de que concluya el año", "es", date(2025, 12, 31)),
        ("durante el segundo trimestre de 2026", "es", date(2026, 6, 30)),
        ("en el primer semestre", "es", date(2026, 6, 30)),
        ("by the end of the fiscal year", "en", date(2025, 9, 30)),
        ("in the fourth quarter", "en", date(2025, 12, 31)),
    ],
)
def test_period_deadlines(phrase: str, language: str, day: date) -> None:
    (found,) = find_dates(phrase, language=language, document_date=SEPT_5, direction="future")
    assert found.deadline == day


def test_bare_weekday_of_a_held_meeting_is_the_one_before() -> None:
    (meeting,) = _en(
        "The working group of the two countries met Wednesday in the city of Nogales."
    ).meetings
    assert meeting.meeting_date == date(2025, 9, 3)


def test_dateline_date_does_not_hide_the_meeting_day() -> None:
    (meeting,) = _en(
        "EL PASO, Texas, September 5, 2025 — The officials of the two countries met yesterday "
        "for the High-Level Security Dialogue at the border."
    ).meetings
    assert meeting.meeting_date == date(2025, 9, 4)


def test_drafting_date_of_minutes_is_not_the_meeting_date() -> None:
    proposal = _es(
        "MINUTA DE LA TERCERA REUNIÓN DEL GRUPO DE IMPLEMENTACIÓN Fecha de elaboración: "
        "5 de septiembre de 2025\n\nEl Grupo de Implementación se reunió el 2 de septiembre "
        "en Hermosillo."
    )
    (meeting,) = proposal.meetings
    assert meeting.meeting_date == date(2025, 9, 2)


@pytest.mark.parametrize(
    ("sentence", "theme"),
    [
        (
            "Ambos gobiernos acordaron vigilar los vehículos aéreos no tripulados.",
            CommitmentTheme.DRONES,
        ),
        (
            "Both governments agreed to dismantle the financial networks of trafficking groups.",
            CommitmentTheme.ILLICIT_FINANCE,
        ),
        (
            "México se comprometió a agilizar los casos de personas cuya entrega se solicitó.",
            CommitmentTheme.CUSTODY_TRANSFERS,
        ),
    ],
)
def test_theme_words_added_after_the_held_out_measurement(
    sentence: str, theme: CommitmentTheme
) -> None:
    (commitment,) = propose(sentence, document_date=SEPT_5, source_document="x.txt").commitments
    assert commitment.theme is theme


def test_what_someone_said_will_happen_is_not_a_commitment() -> None:
    assert (
        _es(
            "El embajador agradeció el apoyo y manifestó que su gobierno revisará nuevas medidas "
            "contra el tráfico de armas."
        ).commitments
        == ()
    )


# --- the third blind set's general misses (docs/tracking.md, "Why the third blind set's
# items were missed") -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "days"),
    [
        ("entregará los registros en un plazo de cuarenta y cinco días", "es", 45),
        ("will deliver the records within forty-five days", "en", 45),
        ("presentará el informe dentro de veinte días", "es", 20),
    ],
)
def test_a_count_of_days_in_words_with_tens_and_units_is_read(
    text: str, language: str, days: int
) -> None:
    [phrase] = find_dates(text, language=language, document_date=SEPT_5, direction="future")
    assert phrase.day == date(2025, 9, 5) + timedelta(days=days)


def test_the_datelines_date_is_no_deadline() -> None:
    text = (
        "OTTAWA, Mar 4 — Officials of both countries meeting in Ottawa on Tuesday agreed to "
        "speed up the tracing of firearms seized at the border."
    )
    proposal = propose(text, document_date=date(2026, 3, 4), source_document="t.txt")
    [commitment] = proposal.commitments
    assert commitment.due_date is None


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        # the object of the verb, not a phrase before it
        (
            "Mindful of the harm of synthetic drugs, both governments agreed to expand public "
            "health cooperation on addiction.",
            CommitmentTheme.PUBLIC_HEALTH,
        ),
        # a heading names the theme of what follows it
        (
            "En cuanto al combate a las finanzas ilícitas, ambas partes acordaron intercambiar "
            "información sobre operaciones con criptoactivos.",
            CommitmentTheme.ILLICIT_FINANCE,
        ),
        (
            "Firearms trafficking: Both governments committed to halve the time it takes to "
            "answer a trace request.",
            CommitmentTheme.FIREARMS,
        ),
        # the data named by what they are about, and what is trafficked southbound
        (
            "Both delegations committed to widen the exchange of customs and cargo data "
            "between their agencies.",
            CommitmentTheme.INFORMATION_EXCHANGE,
        ),
        (
            "México se comprometió a ampliar el acceso de sus aduanas a la información "
            "anticipada de carga.",
            CommitmentTheme.INFORMATION_EXCHANGE,
        ),
        (
            "The United States committed to double inspections of southbound trucks at the "
            "ports of entry.",
            CommitmentTheme.FIREARMS,
        ),
    ],
)
def test_the_theme_is_the_verbs_object_or_the_heading(text: str, theme: CommitmentTheme) -> None:
    proposal = propose(text, document_date=SEPT_5, source_document="t.txt")
    [commitment] = proposal.commitments
    assert commitment.theme is theme


def test_a_numbered_list_after_committed_to_colon_is_one_commitment_per_item() -> None:
    text = (
        "Acuerdos\n\nAmbas delegaciones se comprometieron a:\n\n"
        "1. Instalar un canal seguro para el intercambio de información aduanera, a más tardar "
        "el 30 de noviembre de 2025.\n"
        "2. Coordinar acciones contra el robo de combustible en los ductos de Tamaulipas.\n\n"
        "Próximos pasos\n"
    )
    proposal = propose(text, document_date=SEPT_5, source_document="t.txt")
    facts = [(c.theme, c.responsible, c.due_date) for c in proposal.commitments]
    assert facts == [
        (CommitmentTheme.INFORMATION_EXCHANGE, Responsible.JOINT, date(2025, 11, 30)),
        (CommitmentTheme.FUEL_THEFT, Responsible.JOINT, None),
    ]


@pytest.mark.parametrize(
    ("text", "language", "owners"),
    [
        (
            "En materia de armas, ambos gobiernos acordaron crear un registro conjunto de armas "
            "aseguradas. Con ese fin, la FGR enviará a la ATF las solicitudes pendientes, y la "
            "Oficina de Alcohol, Tabaco, Armas de Fuego y Explosivos capacitará a peritos "
            "mexicanos durante el primer trimestre de 2026.",
            "es",
            [("FGR", None), ("ATF", date(2026, 3, 31))],
        ),
        (
            "Both governments agreed to deepen cooperation against fentanyl trafficking. The DEA "
            "will send analysts to Mexico City to work with the FGR, and Mexico's SSPC will "
            "designate a point of contact before the end of October.",
            "en",
            [("DEA", None), ("SSPC", date(2025, 10, 31))],
        ),
    ],
)
def test_two_agencies_steps_in_one_sentence_are_two_actions_each_with_its_due_date(
    text: str, language: str, owners: list[tuple[str, date | None]]
) -> None:
    proposal = propose(text, document_date=SEPT_5, source_document="t.txt")
    assert proposal.language == language
    assert [(a.owner_agency, a.due_date) for a in proposal.actions] == owners


def test_an_irregular_spanish_future_is_an_agencys_step() -> None:
    text = (
        "Ambos gobiernos acordaron reforzar el control de los precursores químicos. La ANAM "
        "pondrá en operación un laboratorio de análisis de precursores a más tardar el 31 de "
        "octubre."
    )
    proposal = propose(text, document_date=SEPT_5, source_document="t.txt")
    assert [(a.owner_agency, a.due_date) for a in proposal.actions] == [
        ("ANAM", date(2025, 10, 31))
    ]


def test_mexican_and_us_officials_as_subject_commit_both_parties() -> None:
    text = (
        "MEXICO CITY, Mar 4 — Mexican and U.S. security officials meeting in Mexico City "
        "agreed to speed up the tracing of firearms seized at the border."
    )
    proposal = propose(text, document_date=date(2026, 3, 4), source_document="t.txt")
    [commitment] = proposal.commitments
    assert commitment.responsible is Responsible.JOINT
