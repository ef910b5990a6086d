"""Reading a communiqué into proposed meetings, commitments and actions, by rules.

The rules, sentence by sentence:

- a sentence naming a mechanism (Grupo de Implementación de Seguridad, High-Level Security
  Dialogue, ministerial, working group) with words of a meeting held ("se reunió", "met",
  "held its second meeting") or announced ("la próxima reunión", "will meet again") is a
  meeting; its date or month, place (city or institution) and sequence are read from it;
- a sentence with a verb that commits ("acordaron", "se comprometió", "agreed", "pledged") is
  a commitment; one with only a future verb ("will", "instalará") is one when it also names a
  theme or an agency; one that reports ("revisaron", "se destacó", "reviewed", "welcomed")
  without a committing verb is not;
- a step whose subject is one agency, told with a future verb ("CBP will install", "la UIF
  entregará"), is an action under a commitment already read: the last one on its theme; else
  the last one, when the step has no theme of its own (or only sharing information), is due
  within a month, or is introduced by "para ello", "to that end". An agency that commits with
  a verb of its own ("the FGR committed to") makes a commitment, and so do agencies of both
  parties acting "jointly";
- an agency may be named by its head noun alone ("the Department and the FGR agreed", after
  "the Justice Department"), and one in the possessive ("Treasury's OFAC will") is not the
  subject;
- a mechanism with a verb of a meeting to come ("will hold a ministerial review", "acordaron
  celebrar", "se celebrará") is an announced meeting; a sentence announcing a meeting commits
  to nothing else unless an agency is its subject; a dateline's date and a drafting date
  ("Fecha de elaboración:") are not the meeting's;
- a sentence may announce several meetings, one per clause ("the Group will hold its fifth
  meeting on April 14 in El Paso, and a ministerial meeting is expected in June"): each
  clause with words of a meeting and a date of its own is read as a meeting of its own;
- a meeting that is what was agreed ("acordaron convocar una reunión ministerial en
  Washington para febrero") is a meeting and the commitment to convene it;
- the dateline ("CIUDAD DE MÉXICO, 14 de noviembre de 2025.–") gives the place and the date of
  the meeting the document reports when the text gives it none of its own;
- a sentence repeated in a document (a news article's lead in its caption) is read once.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date

from enlace.model.vocabulary import CommitmentTheme, MeetingMechanism, Responsible
from enlace.tracking import lexicon as lx
from enlace.tracking.dates import DatePhrase, find_dates
from enlace.tracking.language import detect_language
from enlace.tracking.proposal import (
    Proposal,
    ProposedAction,
    ProposedCommitment,
    ProposedMeeting,
)
from enlace.tracking.sentences import split_sentences

_CONTINUATION = {
    "es": re.compile(
        r"^(?:para\s+ello|para\s+tal\s+efecto|como\s+parte\s+de|en\s+ese\s+marco|"
        r"en\s+este\s+sentido|con\s+ese\s+fin|en\s+cumplimiento)",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"^(?:to\s+that\s+end|to\s+this\s+end|as\s+part\s+of|in\s+support\s+of|"
        r"under\s+this\s+commitment|in\s+that\s+framework)",
        re.IGNORECASE,
    ),
}
_START_CUE = {
    "es": re.compile(
        r"(?:a\s+partir\s+del?|desde(?:\s+el)?|iniciad[oa]s?\s+en|comenzando(?:\s+el)?)\s*$"
    ),
    "en": re.compile(r"(?:starting|beginning|since|from|launched\s+in|as\s+of)\s*(?:on\s+)?$"),
}
_DEFAULT_DATE = "(document date)"
# A date right after a verb of a meeting held is when it was held, never a due date.
_PAST_EVENT = re.compile(
    r"\b(?:se\s+reuni(?:ó|eron)|sesion(?:ó|aron)|met|convened|(?:was|were)\s+held)"
    r"(?:\s+[\w,]+){0,3}?\s+(?:el|on|the)?\s*$",
    re.IGNORECASE,
)
_SOON_DAYS = 31
_HEADS = r"Department|Departamento|Secretaría|Secretariat|Fiscalía|Agencia|Agency|Bureau|Unidad"
_HEAD = re.compile(rf"\b({_HEADS})\b")
# The head noun alone, capitalised, after an article and not followed by "of"/"de".
_BARE_HEAD = re.compile(
    rf"\b(?:[Tt]he|[Ee]l|[Ll]a|[Aa]l|[Dd]el)\s+({_HEADS})\b(?!['’]s\b)(?!\s+(?:of|de|del|for|para)\b)"
)
# A list of commitments: its intro ends at the verb ("se comprometieron a:", "agreed to:"),
# its items are numbered or bulleted and open with the verb ("Establecer ...", "Establish").
_LIST_INTRO = re.compile(r"\s*(?:a|en|to)?\s*(?:lo\s+siguiente|the\s+following)?\s*:\s*$")
_ENUMERATOR_ALONE = re.compile(r"^\s*(?:\d{1,2}|[a-z])[.)]\s*$|^\s*[-•–]\s*$")
_ITEM = {
    "es": re.compile(
        # "1. Establecer ...", "- reforzar la inspección ...": an item may open in lower case
        r"^\s*(?:(?:\d{1,2}|[a-z])[.)]\s*|[-•–]\s*)?[A-ZÁÉÍÓÚa-záéíóú][a-záéíóúñ]+(?:ar|er|ir)\b"
    ),
    "en": re.compile(
        # a heading ("Agency Actions") ends the list: an item is a sentence or several words
        r"^\s*(?:(?:\d{1,2}|[a-z])[.)]\s*|[-•–]\s*)?[A-Za-z][a-z]+\b"
        r"(?!\s+(?:is|are|was|were)\b)(?=.*[.;]\s*$|.*\s\S+\s\S+\s\S+)"
    ),
}
# "X will do A, and Y will do B": where a second agency's step starts.
_STEP_JOIN = {
    "es": re.compile(r",?\s+(?:y|e|mientras\s+que)\s+(?=\S)"),
    "en": re.compile(r",?\s+(?:and|while)\s+(?=\S)"),
}
_SUBJECT_REACH = 12  # "and Mexico's SSPC will", "y la Oficina de ...": the agency opens it
_MEANS_THEMES = frozenset({CommitmentTheme.OTHER, CommitmentTheme.INFORMATION_EXCHANGE})
# A heading that opens a sentence and names its theme: "En materia de tráfico de armas, ...",
# "On migration, ...", "Firearms trafficking: ..." (a fact sheet's label).
_THEME_HEADING = re.compile(
    r"^\s*(?:(?:En\s+(?:materia|el\s+(?:ámbito|rubro|tema))\s+(?:de\s+)?|En\s+cuanto\s+al?\s+|"
    r"Sobre\s+|Respecto\s+(?:a|de)\s+|On\s+|Regarding\s+|In\s+the\s+area\s+of\s+)[^,:;.]{1,80},|"
    r"[A-ZÁÉÍÓÚ][^,:;.]{1,60}:)"
)
# A dateline opens a release ("WASHINGTON, October 14, 2022 —"): its date is the release's,
# not the meeting's, which the sentence may give as "yesterday" or "Tuesday".
_DATELINE = re.compile(r"^[A-ZÁÉÍÓÚÑ][A-ZÁÉÍÓÚÑ.,' ]+(?:,[^—–]{0,40})?\s*[—–]")
# A dateline with its date, in any case and with a news agency's name: "McAllen, Texas, 5 de
# septiembre de 2025.", "WASHINGTON, Jan. 22, 2026 —", "MEXICO CITY, Dec 3 (Border Wire) -".
_DATELINE_WITH_DATE = re.compile(
    r"^(?P<place>[A-ZÁÉÍÓÚÑ][\w.'’ÁÉÍÓÚÑáéíóúñ ]{1,40}?)(?:,\s*[A-ZÁÉÍÓÚÑ][^\W\d]*(?:[. ]+[^\W\d]+)*\.?)?,\s*"
    r"(?P<when>[^—–()]{3,40}?)\s*(?:\([^)]*\)\s*)?(?:\.?\s*[—–]+\s*|\s-\s|\.-+\s*|\.?\s*$)"
)
_DATELINE_PLACE_ONLY = re.compile(
    r"^(?P<place>[^\W\d][\w.'’ ]{1,40}?)(?:,\s*[^\W\d][\w. ]{0,25}?)?\s*(?:\([^)]*\)\s*)?"
    r"(?:\.?\s*[—–]+|\.-+|\s-\s)"
)
_DATELINE_SENTENCES = 6  # a dateline opens the document: looked for in its first sentences
_DATELINE_PLACE = "(dateline place)"
# A date labelled as the document's own (drafting, issue) is not the date of the meeting.
_NOT_MEETING_DATE = re.compile(
    r"(?:fecha\s+de\s+(?:elaboración|emisión|redacción|expedición|publicación)|"
    r"date\s+(?:of\s+)?(?:issue|drafting|publication)|(?:issued|drafted|prepared)\s+on)"
    r"\s*:?\s*$",
    re.IGNORECASE,
)
_PARTICIPANTS = {
    "es": re.compile(r"delegaci[óo]n|participaron|encabezad[ao]s?|integrad[ao]s?\s+por"),
    "en": re.compile(r"delegation|participated|led\s+by|attended|comprised"),
}


def propose(text: str, *, document_date: date, source_document: str) -> Proposal:
    """Propose the meetings, commitments and actions a joint statement or minutes contain.

    Raise UnsupportedLanguage when the text is in neither Spanish nor English.
    """
    language = detect_language(text, source=source_document)
    reader = _Reader(language, document_date)
    seen: set[str] = set()
    for sentence in split_sentences(text):
        key = _normalised(sentence)
        if key in seen:
            continue  # a repeated sentence is one statement, so one proposal
        seen.add(key)
        reader.read(sentence)
    return Proposal(
        source_document=source_document,
        document_date=document_date,
        language=language,
        meetings=tuple(reader.meetings),
        commitments=tuple(reader.commitments),
        actions=tuple(reader.actions),
    )


class _Reader:
    """The state of one document's reading: what was proposed so far."""

    def __init__(self, language: str, document_date: date) -> None:
        self.language = language
        self.document_date = document_date
        self.meetings: list[ProposedMeeting] = []
        self.commitments: list[ProposedCommitment] = []
        self.actions: list[ProposedAction] = []
        self.participants: list[tuple[str, int]] = []
        self.heads: dict[str, str] = {}  # "department" -> the last agency so named
        self.read_count = 0
        self.dateline: tuple[str | None, date | None, str] | None = None
        # "Ambas delegaciones se comprometieron a:" followed by numbered items: who committed,
        # and the cue, while the items last.
        self.list_intro: tuple[Responsible, tuple[str, ...], str] | None = None

    def read(self, sentence: str) -> None:
        """Propose what one sentence holds."""
        self._read(sentence)
        # "... revisar los avances desde la cuarta reunión, que tuvo lugar en San Diego el 30
        # de abril": an earlier meeting named in passing inside a sentence about another.
        for passing in lx.MEETING_IN_PASSING[self.language].finditer(sentence):
            if passing.start() > 0 and self._held_meeting() is not None:
                self._read_meeting(sentence, sentence[passing.start() :])

    def _read(self, sentence: str) -> None:
        lang = self.language
        self.read_count += 1
        if self.dateline is None and self.read_count <= _DATELINE_SENTENCES:
            self.dateline = _dateline(sentence, lang, self.document_date)
        self._remember_heads(sentence)
        if self._list_item(sentence):
            return
        if _PARTICIPANTS[lang].search(sentence):
            self._add_participants(lx.agencies_in(sentence))
        clauses = self._meeting_clauses(sentence)
        if len(clauses) > 1:
            # Several meetings in one sentence: each clause is read with its own mechanism,
            # sequence, date and place, never mixed with another's.
            convened = len(self.commitments)
            consumed = []
            announced = False
            convene: re.Match[str] | None = None
            for clause in clauses:
                # "... its fifth meeting on April 14, followed by a ministerial meeting in
                # June": a clause with no verb of its own is told as the one before it; "se
                # acordó convocar la séptima reunión ... y las sesiones de los grupos de
                # trabajo en noviembre" convenes both.
                consumed.append(self._read_meeting(sentence, clause, announced, convene))
                announced = bool(self.meetings) and self.meetings[-1].announced
                convene = lx.CONVENE_AGREED[lang].search(clause) or (
                    convene if not lx.MEETING_TO_COME[lang].search(clause) else None
                )
            if all(consumed) or len(self.commitments) > convened:
                return
        elif self._read_meeting(sentence, sentence):
            return
        self._commitment_or_action(sentence)

    # --- meetings ----------------------------------------------------------------------

    def _read_meeting(
        self,
        sentence: str,
        clause: str,
        announced_before: bool = False,
        convened_before: re.Match[str] | None = None,
    ) -> bool:
        """Propose the meeting a clause names; True when the sentence commits to nothing
        else (an announced meeting, or a meeting that is itself what was agreed)."""
        lang = self.language
        if _CALLED_OFF.search(clause):
            return False  # "la sesión, prevista para julio, se pospuso": no meeting to track
        announced = lx.NEXT_MEETING[lang].search(clause)
        mechanism = _mechanism(clause)
        group = lx.GROUP.search(clause)
        if (
            mechanism is None
            and group
            and self._held_mechanism()
            in (
                None,
                MeetingMechanism.SECURITY_IMPLEMENTATION_GROUP,
            )
        ):
            # "the Group" alone, in a document about no other mechanism, is the Security
            # Implementation Group.
            mechanism = (MeetingMechanism.SECURITY_IMPLEMENTATION_GROUP, group.group(0))
        refers = mechanism is not None or lx.MEETING_NOUN.search(clause) is not None
        to_come = None
        if refers:
            to_come = lx.MEETING_TO_COME[lang].search(clause) or lx.CONVENE_AGREED[lang].search(
                clause
            )
        if announced is None and to_come is not None:
            # "the Group will hold a ministerial review": the meeting is the verb's object
            announced = to_come
            mechanism = _mechanism(clause[to_come.end() :]) or mechanism
        held = (
            lx.MEETING_HELD[lang].search(clause)
            or lx.TODAY[lang].search(clause)
            or lx.MEETING_IN_PASSING[lang].search(clause)
        )
        if announced is None and held is None and mechanism and announced_before:
            announced = re.search(re.escape(mechanism[1]), clause)
        if not (announced or (mechanism and held) or (held and self._earlier_meeting(clause))):
            return False
        convene = lx.CONVENE_AGREED[lang].search(clause) if announced else None
        # What was agreed is dated after the verb: "agreed on Wednesday to convene ... in
        # February" is a meeting in February.
        dated_from = convene.end() if convene else 0
        if (
            announced
            and convene is None
            and convened_before is not None
            and not (
                held
                or lx.MEETING_TO_COME[lang].search(clause)
                or lx.NEXT_MEETING[lang].search(clause)
            )
        ):
            convene = convened_before  # convened by the verb of the clause before
        proposed = self._meeting(sentence, clause, mechanism, announced is not None, dated_from)
        if proposed is not None and convene is not None:
            self._convene_commitment(sentence, proposed, convene)
            return True
        # "the next meeting will be held in ...", dated or not (a meeting record needs a
        # date or month), commits to nothing else; "the FGR will present cases at the next
        # session" does
        return bool(announced and (proposed or not lx.agencies_in(clause)))

    def _earlier_meeting(self, clause: str) -> bool:
        """An earlier meeting of the mechanism the document reports, named without it: "la
        primera reunión, celebrada en McAllen, Texas, en septiembre", "the December meeting in
        Mexico City" (after the meeting held is read). It has a place and a date or month
        before the document's."""
        if self._held_meeting() is None or _place(clause) is None:
            return False
        dates = find_dates(
            _without_dateline(clause),
            language=self.language,
            document_date=self.document_date,
            direction="past",
        )
        return any(phrase.deadline < self.document_date for phrase in dates)

    def _meeting_clauses(self, sentence: str) -> list[str]:
        """The sentence cut before each clause that names another meeting once a meeting
        with a date has been named; the sentence alone when it names one.

        "Working groups on illicit finance and arms trafficking will meet in May" stays one:
        its first clause names no date, so the second completes it.
        """
        lang = self.language
        at = 0
        pieces: list[tuple[int, int, bool]] = []  # (start, end, after a bare comma)
        comma = False
        for boundary in lx.CLAUSE_BOUNDARY[lang].finditer(sentence):
            pieces.append((at, boundary.start(), comma))
            at, comma = boundary.end(), boundary.group("comma") is not None
        pieces.append((at, len(sentence), comma))
        starts = [0]
        carried: tuple[int, bool] | None = None  # a short connecting piece before this one
        for start, end, after_comma in pieces[1:]:
            if carried is not None:
                # "... en diciembre y, de manera previa, las sesiones ...": the piece after a
                # connecting phrase is judged as if it followed what the phrase followed.
                start, after_comma = carried
                carried = None
            clause = sentence[start:end]
            if (
                not after_comma
                and len(clause) <= _CONNECTOR_LENGTH
                and not self._names_meeting(clause)
            ):
                carried = (start, after_comma)
                continue
            # After a bare comma only a mechanism or a meeting to come starts another meeting
            # (", en preparación de la reunión ministerial prevista para febrero"): a comma
            # before "the first since the Dialogue of February" does not.
            names = (
                self._names_meeting_to_come(clause) if after_comma else self._names_meeting(clause)
            )
            if names and self._names_dated_meeting(sentence[starts[-1] : start]):
                if after_comma and not self._names_dated_meeting(clause):
                    continue
                starts.append(start)
        if len(starts) < 2:
            return [sentence]
        ends = [*starts[1:], len(sentence)]
        return [sentence[start:end] for start, end in zip(starts, ends, strict=True)]

    def _names_meeting(self, clause: str) -> bool:
        lang = self.language
        return bool(
            _mechanism(clause)
            or lx.MEETING_NOUN.search(clause)
            or lx.MEETING_HELD[lang].search(clause)
            or lx.NEXT_MEETING[lang].search(clause)
            or (lx.GROUP.search(clause) and lx.MEETING_TO_COME[lang].search(clause))
        )

    def _names_meeting_to_come(self, clause: str) -> bool:
        lang = self.language
        return bool(
            lx.NEXT_MEETING[lang].search(clause)
            or (_mechanism(clause) and lx.MEETING_TO_COME[lang].search(clause))
        )

    def _names_dated_meeting(self, clause: str) -> bool:
        if not self._names_meeting(clause):
            return False
        dates = find_dates(
            _without_dateline(clause),
            language=self.language,
            document_date=self.document_date,
            direction="future",
        )
        return bool(dates)

    def _convene_commitment(
        self, sentence: str, meeting: ProposedMeeting, cue: re.Match[str]
    ) -> None:
        """The commitment to convene a meeting that is what was agreed; due by its date."""
        lang = self.language
        sentence = _without_dateline(sentence)  # "MEXICO CITY, Dec 3 -" is no subject
        agencies = self._agencies(sentence)
        subject = _subject_agency(sentence, agencies, cue.span(), lang)
        due = meeting.meeting_date or _month_end(meeting.meeting_month)
        held = self._held_meeting()
        self.commitments.append(
            ProposedCommitment(
                key=f"c{len(self.commitments) + 1}",
                text=sentence.strip(),
                theme=CommitmentTheme.OTHER,  # convening a meeting is on no theme of its own
                responsible=_responsible(sentence, agencies, subject, cue.start(), lang),
                lead_agencies=tuple(acronym for acronym, _ in agencies),
                due_date=due,
                meeting_key=held.key if held else None,
                source_sentence=meeting.source_sentence,
                cues=(cue.group(0), meeting.key, *(acronym for acronym, _ in agencies)),
            )
        )

    def _meeting(
        self,
        sentence: str,
        clause: str,
        found: tuple[MeetingMechanism, str] | None,
        announced: bool,
        dated_from: int = 0,
    ) -> ProposedMeeting | None:
        """Propose (or complete) the meeting a clause names; None when it has no date."""
        lang = self.language
        cues: list[str] = []
        if found is not None:
            mechanism, words = found
            cues.append(words)
        elif lx.GROUP.search(clause) and self._held_mechanism() in (
            None,
            MeetingMechanism.SECURITY_IMPLEMENTATION_GROUP,
        ):
            mechanism = MeetingMechanism.SECURITY_IMPLEMENTATION_GROUP
            cues.append("Grupo" if lang == "es" else "Group")
        else:
            mechanism = self._held_mechanism() or MeetingMechanism.OTHER
        text = _without_dateline(clause)
        dates = [
            phrase
            for phrase in find_dates(
                text[dated_from:],
                language=lang,
                document_date=self.document_date,
                direction="future" if announced else "past",
            )
            if not _NOT_MEETING_DATE.search(
                text[max(0, dated_from + phrase.start - 40) : dated_from + phrase.start]
            )
        ]
        today = lx.TODAY[lang].search(clause)
        if not announced:
            # A meeting held is dated on or before the document: "celebraron hoy ... en un
            # plazo de sesenta días" gives the deadline of what was agreed, not the meeting's
            # day, and "hoy" is the day itself.
            dates = [p for p in dates if p.deadline <= self.document_date]
            if today is not None:
                dates = []
        day, month = _meeting_when(dates)
        cues += [phrase.text for phrase in dates[:1]]
        same_month = _SAME_MONTH.search(text) if day is None and month is None else None
        if same_month and self.meetings and self.meetings[-1].source_sentence == sentence:
            # "... sessions in January, and the full group is due to meet later that month"
            before = self.meetings[-1]
            month = before.meeting_month or (
                before.meeting_date.strftime("%Y-%m") if before.meeting_date else None
            )
            cues.append(same_month.group(0))
        if day is None and month is None and not announced:
            # A statement of the day's meeting carries its date: the dateline's, else the
            # document's.
            day = self.dateline[1] if self.dateline and self.dateline[1] else self.document_date
            cues.append(today.group(0) if today else _DEFAULT_DATE)
        if day is None and month is None:
            return None  # an announced meeting with no date or month is not yet a meeting
        place = _place(text[dated_from:] if dated_from else text)
        if place:
            cues.append(place)
        elif not announced and self.dateline and self.dateline[0]:
            # The meeting the document reports, held where it is datelined.
            place = self.dateline[0]
            cues += [self.dateline[2], _DATELINE_PLACE]
        sequence = _sequence(clause)
        if sequence is None and announced:
            earlier = self._held_meeting()
            if earlier is not None and earlier.sequence and earlier.mechanism is mechanism:
                sequence = earlier.sequence + 1
        agencies = lx.agencies_in(clause)
        meeting = ProposedMeeting(
            key=f"m{len(self.meetings) + 1}",
            mechanism=mechanism,
            sequence=sequence,
            meeting_date=day,
            meeting_month=month,
            place=place,
            mx_agencies=_of_party(agencies, "MX"),
            us_agencies=_of_party(agencies, "US"),
            announced=announced,
            source_sentence=sentence,
            cues=tuple(cues),
        )
        for index, earlier in enumerate(self.meetings):
            if _same_meeting(earlier, meeting):
                # A second sentence about the same meeting completes it, never duplicates it.
                self.meetings[index] = _completed(earlier, meeting)
                return self.meetings[index]
        self.meetings.append(meeting)
        if self.participants and not announced:
            self._add_participants([])
        return meeting

    def _remember_heads(self, sentence: str) -> None:
        for match in lx.AGENCY_PATTERN.finditer(sentence):
            for head in _HEAD.findall(match.group(0)):
                self.heads[head.casefold()] = lx.agency_acronym(match.group(0))

    def _agencies(self, sentence: str) -> list[tuple[str, int]]:
        """The agencies named, and those referred to by their head noun alone: "the
        Department and the FGR agreed", after "the Justice Department", is DOJ and FGR."""
        agencies = dict(lx.agencies_in(sentence))
        for match in _BARE_HEAD.finditer(sentence):
            acronym = self.heads.get(match.group(1).casefold())
            if acronym is not None and acronym not in agencies:
                agencies[acronym] = match.start(1)
        return sorted(agencies.items(), key=lambda item: item[1])

    def _add_participants(self, agencies: list[tuple[str, int]]) -> None:
        self.participants += agencies
        for index, meeting in enumerate(self.meetings):
            if not meeting.announced:
                self.meetings[index] = replace(
                    meeting,
                    mx_agencies=_merge(meeting.mx_agencies, _of_party(self.participants, "MX")),
                    us_agencies=_merge(meeting.us_agencies, _of_party(self.participants, "US")),
                )
                return

    def _held_meeting(self) -> ProposedMeeting | None:
        return next((m for m in self.meetings if not m.announced), None)

    def _held_mechanism(self) -> MeetingMechanism | None:
        held = self._held_meeting()
        return held.mechanism if held else None

    # --- commitments and actions -------------------------------------------------------

    def _list_item(self, sentence: str) -> bool:
        """Read a list of what was committed to: the intro ("Ambas delegaciones se
        comprometieron a:", "Both delegations committed to:") is no commitment itself, each
        item after it is one, by the intro's parties. True when the sentence was so read."""
        lang = self.language
        intro = lx.COMMIT_STRONG[lang].search(sentence)
        if intro is None or not _LIST_INTRO.match(sentence, intro.end()):
            # a fact sheet's "Mexico will:" / "Ambos gobiernos deberán:" before bullets
            intro = lx.COMMIT_WEAK[lang].search(sentence)
        if intro and _LIST_INTRO.match(sentence, intro.end()):
            agencies = self._agencies(sentence)
            subject = _subject_agency(sentence, agencies, intro.span(), lang)
            responsible = _responsible(sentence, agencies, subject, intro.start(), lang)
            self.list_intro = (responsible, tuple(a for a, _ in agencies), intro.group(0))
            return True
        if self.list_intro is None:
            return False
        if _ENUMERATOR_ALONE.match(sentence):
            return True  # "1." split from its item
        item = _ITEM[lang].match(sentence)
        if item is None:
            self.list_intro = None  # the list is over
            return False
        responsible, leads, cue = self.list_intro
        theme, theme_words = _theme(sentence)
        due = self._due_date(sentence)
        held = self._held_meeting()
        named = tuple(a for a, _ in self._agencies(sentence))
        self.commitments.append(
            ProposedCommitment(
                key=f"c{len(self.commitments) + 1}",
                text=sentence,
                theme=theme,
                responsible=responsible,
                lead_agencies=_merge(leads, named),
                due_date=due[0] if due else None,
                meeting_key=held.key if held else None,
                source_sentence=sentence,
                cues=(cue, *([theme_words] if theme_words else []), *([due[1]] if due else [])),
            )
        )
        return True

    def _commitment_or_action(self, sentence: str) -> None:
        steps = self._agency_steps(sentence)
        if len(steps) > 1:
            # "la FGR remitirá ... y la ATF ofrecerá ... durante el primer trimestre": each
            # agency's step is read alone, with its own owner and due date.
            for step in steps:
                self._commitment_or_action_in(sentence, step)
            return
        self._commitment_or_action_in(sentence, sentence)

    def _agency_steps(self, sentence: str) -> list[str]:
        """The sentence cut before each "and <agency> will ..." that follows an agency's
        future verb; the sentence alone when there is none."""
        lang = self.language
        if lx.COMMIT_STRONG[lang].search(sentence):
            return [sentence]
        cuts = [0]
        for join in _STEP_JOIN[lang].finditer(sentence):
            rest = sentence[join.end() :]
            agency = lx.AGENCY_PATTERN.search(rest)
            verb = lx.COMMIT_WEAK[lang].search(rest)
            before = sentence[cuts[-1] : join.start()]
            if (
                agency is not None
                and agency.start() <= _SUBJECT_REACH
                and verb is not None
                and verb.start() > agency.end()
                and lx.COMMIT_WEAK[lang].search(before)
                and lx.agencies_in(before)
            ):
                cuts.append(join.end())
        ends = [*cuts[1:], len(sentence)]
        return [sentence[a:b] for a, b in zip(cuts, ends, strict=True)]

    def _commitment_or_action_in(self, source: str, sentence: str) -> None:
        """Propose the commitment or action `sentence` (all or part of `source`) holds."""
        lang = self.language
        strong = lx.COMMIT_STRONG[lang].search(sentence)
        if strong and lx.AGREED_BEFORE[lang].search(sentence[: strong.start()]):
            strong = None  # "as agreed at the Dialogue": an earlier agreement, not a new one
        weak = lx.COMMIT_WEAK[lang].search(sentence)
        if (
            strong is not None
            and weak is not None
            and _ANNOUNCED_THAT.search(strong.group(0))
            and lx.agencies_in(sentence[strong.end() : weak.start()])
        ):
            strong = None  # "announced that HSI will deploy ...": HSI's step, told by another
        cue = strong or weak
        if cue is None:
            return
        if _ONGOING[lang].search(sentence) and strong is None:
            return  # "la FGR continuará trabajando": goes on doing, delivers nothing new
        # "HSI will assign ..., the statement said": an attribution after the step reports
        # nothing else; a reporting verb before it ("noted that ...") is read below.
        reported = lx.REPORTING[lang].search(sentence, 0, cue.start())
        if reported and strong is None:
            # Reports what happened, or what someone said will: not a commitment — unless
            # an agency's own step is what is reported ("The Secretary announced that HSI
            # will deploy ..."), which is an action told by someone else.
            told = _REPORTED_STEP[lang].match(sentence, reported.end())
            if told is None or not lx.agencies_in(sentence[told.end() : cue.start()]):
                return
            if not self.commitments:
                return  # a reported step serves a commitment; with none read, it is news
        theme, theme_words = _theme(sentence, cue.start())
        agencies = self._agencies(sentence)
        if strong is None and theme is CommitmentTheme.OTHER and not agencies:
            return  # a future verb about nothing in particular ("this will strengthen trust")
        cues = [cue.group(0)] + ([theme_words] if theme_words else [])
        cues += [acronym for acronym, _ in agencies]
        due = self._due_date(sentence)
        if due is not None:
            cues.append(due[1])
        due_date = due[0] if due else None
        subject = _subject_agency(sentence, agencies, cue.span(), lang)
        # One agency's step, told with a future verb ("CBP will install", "la UIF entregará"),
        # is an action under a commitment already read; one that commits with a verb of its
        # own ("the FGR committed to", "la SSPC se comprometió a") is a commitment.
        parent = (
            self._parent_commitment(sentence, theme, strong is None, due_date) if subject else None
        )
        if subject and parent is not None:
            self.actions.append(
                ProposedAction(
                    key=f"a{len(self.actions) + 1}",
                    commitment_key=parent.key,
                    description=sentence.strip(),
                    owner_agency=subject,
                    due_date=due_date,
                    source_sentence=source,
                    cues=tuple(cues),
                )
            )
            return
        held = self._held_meeting()
        self.commitments.append(
            ProposedCommitment(
                key=f"c{len(self.commitments) + 1}",
                text=sentence.strip(),
                theme=theme,
                responsible=_responsible(sentence, agencies, subject, cue.start(), lang),
                lead_agencies=tuple(acronym for acronym, _ in agencies),
                due_date=due_date,
                meeting_key=held.key if held else None,
                source_sentence=source,
                cues=tuple(cues),
            )
        )

    def _parent_commitment(
        self, sentence: str, theme: CommitmentTheme, step: bool, due: date | None
    ) -> ProposedCommitment | None:
        if not step and not _CONTINUATION[self.language].search(sentence):
            return None
        same_theme = [c for c in self.commitments if c.theme is theme]
        if same_theme:
            return same_theme[-1]
        if not self.commitments:
            return None
        return self.commitments[-1]

    def _due_date(self, sentence: str) -> tuple[date, str] | None:
        """The first date to come in the sentence that is not a start date."""
        # "MEXICO CITY, Dec 5 — ... agreed to": the dateline dates the report, not a deadline.
        sentence = _without_dateline(sentence)
        for phrase in find_dates(
            sentence, language=self.language, document_date=self.document_date, direction="future"
        ):
            if _START_CUE[self.language].search(sentence[: phrase.start]):
                continue
            if phrase.shape in ("past-weekday", "this-weekday"):
                continue  # "acordaron este jueves", "agreed on Wednesday": when, not by when
            if _PAST_EVENT.search(sentence[: phrase.start]):
                continue  # "se reunieron el 4 de septiembre y acordaron": when they met
            if phrase.deadline >= self.document_date:
                return phrase.deadline, phrase.text
        return None


def _without_dateline(sentence: str) -> str:
    """The sentence with its dateline blanked (same length, so positions stay)."""
    dateline = _DATELINE.match(sentence) or _dated_dateline(sentence)
    if dateline is None:
        return sentence
    return " " * dateline.end() + sentence[dateline.end() :]


def _dateline(
    sentence: str, language: str, document_date: date
) -> tuple[str | None, date | None, str] | None:
    """(place, date, words) of a dateline opening the sentence, or None when it opens none.

    The place is kept only when it is a known city, written in the lexicon's spelling
    ("CIUDAD DE MÉXICO" → "Ciudad de México"): an unknown capitalised opening is more often
    a heading than a place.
    """
    match = _dated_dateline(sentence)
    if match is None:
        bare = _DATELINE_PLACE_ONLY.match(sentence)
        city = _city(bare.group("place")) if bare else None
        # "WASHINGTON (AP) —": a place without a date; the meeting keeps the document's date.
        return (city, None, bare.group(0).strip()) if bare and city else None
    dates = [
        phrase
        for phrase in find_dates(
            match.group("when"), language=language, document_date=document_date, direction="past"
        )
        if phrase.day is not None
    ]
    if not dates:
        return None
    return _city(match.group("place")), dates[0].day, match.group(0).strip()


def _dated_dateline(sentence: str) -> re.Match[str] | None:
    """The match of a dateline with a date, when its place is a known city or in capitals:
    "The Group met in McAllen, Texas, on September 4." has the shape of one and is none."""
    match = _DATELINE_WITH_DATE.match(sentence)
    if match is None:
        return None
    place = match.group("place").strip()
    return match if place.isupper() or _city(place) else None


def _city(name: str) -> str | None:
    """A known city in the lexicon's spelling, whatever the case it was written in."""
    folded = name.strip().casefold()
    return next((city for city in lx.CITIES if city.casefold() == folded), None)


def _month_end(month: str | None) -> date | None:
    if month is None:
        return None
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, calendar.monthrange(year, number)[1])


def _normalised(sentence: str) -> str:
    """A sentence as compared for repeats: words only, case aside."""
    return " ".join(re.findall(r"\w+", sentence.casefold()))


def _mechanism(sentence: str) -> tuple[MeetingMechanism, str] | None:
    """The mechanism named first: "a ministerial review of the Security Implementation
    Group" is a ministerial meeting, about the Group."""
    best: tuple[int, MeetingMechanism, str] | None = None
    for mechanism, pattern in lx.MECHANISM_PATTERNS:
        match = pattern.search(sentence)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), mechanism, match.group(0))
    return (best[1], best[2]) if best else None


def _meeting_when(dates: list[DatePhrase]) -> tuple[date | None, str | None]:
    # A written date before a weekday: "Thursday's talks came two weeks after the Group held
    # its sixth meeting on Sept. 24" dates that meeting by Sept. 24.
    exact = [p for p in dates if p.shape not in ("past-weekday", "this-weekday")]
    for phrase in [*exact, *dates]:
        if phrase.day is not None and not phrase.approximate:
            return phrase.day, None
    for phrase in dates:
        if phrase.month is not None:
            return None, phrase.month
        if phrase.day is not None:
            return None, phrase.day.strftime("%Y-%m")  # "a finales de febrero"
    return None, None


def _place(sentence: str) -> str | None:
    institution = lx.INSTITUTION_PATTERN.search(sentence)
    city = lx.CITY_PATTERN.search(sentence)
    name = institution.group(1).rstrip(".") if institution else None
    if name and city and city.group(0) not in name:
        return f"{name}, {city.group(0)}"
    return name or (city.group(0) if city else None)


def _sequence(sentence: str) -> int | None:
    match = lx.ORDINAL_PATTERN.search(sentence)
    if match is None:
        return None
    if match.group(2):
        return int(match.group(2))
    return lx.ORDINALS[(match.group(1) or match.group(3)).lower()]


def _same_meeting(earlier: ProposedMeeting, new: ProposedMeeting) -> bool:
    if earlier.mechanism is not new.mechanism or earlier.announced != new.announced:
        return False
    if _DEFAULT_DATE in earlier.cues or _DEFAULT_DATE in new.cues:
        return True  # a title line dated by the document is the meeting the text dates
    return (earlier.meeting_date, earlier.meeting_month) == (new.meeting_date, new.meeting_month)


def _completed(earlier: ProposedMeeting, new: ProposedMeeting) -> ProposedMeeting:
    """The earlier proposal of a meeting, completed by what a later sentence says of it."""
    if _DEFAULT_DATE in earlier.cues and _DEFAULT_DATE not in new.cues:
        dated = replace(
            earlier,
            meeting_date=new.meeting_date,
            meeting_month=new.meeting_month,
            source_sentence=new.source_sentence,
            cues=new.cues,
        )
    else:
        dated = earlier
    from_dateline = (
        _DATELINE_PLACE in earlier.cues and new.place and _DATELINE_PLACE not in new.cues
    )
    return replace(
        dated,
        # a place the text names wins over the one the dateline lent the title line
        place=new.place if from_dateline else (dated.place or new.place),
        sequence=dated.sequence or new.sequence,
        mx_agencies=_merge(dated.mx_agencies, new.mx_agencies),
        us_agencies=_merge(dated.us_agencies, new.us_agencies),
    )


def _of_party(agencies: list[tuple[str, int]], party: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for a, _ in agencies if lx.AGENCY_PARTY.get(a) == party))


def _merge(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _theme(sentence: str, verb: int = 0) -> tuple[CommitmentTheme, str | None]:
    """The theme a sentence commits to.

    A heading opening the sentence ("En materia de fentanilo, ...", "Firearms trafficking:
    ...") names it; else the verb's object does, the first theme after the committing verb
    ("Recognizing the toll of synthetic drugs, they agreed to expand public health
    cooperation" is on public health); else the first theme anywhere.
    """
    heading = _THEME_HEADING.match(sentence)
    if heading:
        found = _first_theme(heading.group(0))
        if found is not None and found[1] is not CommitmentTheme.OTHER:
            return found[1], found[2]
    best = _first_theme(sentence, verb) or _first_theme(sentence)
    if best is not None:
        # "fentanyl-related money laundering": the first theme only qualifies the next one,
        # which is what the commitment is about.
        end = best[0] + len(best[2])
        if _QUALIFIER.match(sentence, end):
            head = _first_theme(sentence, end)
            if head is not None and head[0] - end <= _QUALIFIER_REACH:
                best = head
        return best[1], best[2]
    # No theme word: an agency with one mandate names it ("the UIF's requests concerning
    # designated cartels" is financial intelligence's work).
    for agency, _ in lx.agencies_in(sentence):
        theme = _AGENCY_THEME.get(agency)
        if theme is not None:
            return theme, agency
    return CommitmentTheme.OTHER, None


# Going on with what is already done is no new step: "continuará trabajando", "will continue
# to work", "seguirá colaborando".
_ONGOING = {
    "es": re.compile(
        r"\b(?:continuar(?:á|án)|seguir(?:á|án))\s+\w+(?:ando|iendo)\b", re.IGNORECASE
    ),
    "en": re.compile(r"\bwill\s+(?:continue\s+(?:to\s+)?\w+|keep\s+\w+ing)\b", re.IGNORECASE),
}
_CALLED_OFF = re.compile(
    r"\b(?:se\s+pospuso|fue\s+pospuesta|pospuest[ao]|se\s+aplazó|aplazad[ao]|se\s+canceló|"
    r"cancelad[ao]|se\s+suspendió|postponed|called\s+off|cancell?ed|put\s+off)\b",
    re.IGNORECASE,
)
_ANNOUNCED_THAT = re.compile(r"(?:that|que)$", re.IGNORECASE)
# "announced that", "dijo que": what follows the reporting verb is what someone else will do.
_REPORTED_STEP = {
    "es": re.compile(r"[^.]{0,40}?\bque\s+", re.IGNORECASE),
    "en": re.compile(r"[^.]{0,40}?\bthat\s+", re.IGNORECASE),
}
_CONNECTOR_LENGTH = 30  # "de manera previa", "in the meantime": joins, names nothing
_SAME_MONTH = re.compile(
    r"\b(?:later|earlier|early|late|at\s+the\s+end\s+of)\s+(?:that|the\s+same)\s+month\b|"
    r"\b(?:ese|el\s+mismo)\s+mes\b|\bese\s+mismo\s+mes\b",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(r"[- ](?:related|linked|driven|fueled|fuelled)\b", re.IGNORECASE)
_QUALIFIER_REACH = 40  # characters from the qualifier to the theme it qualifies
# Agencies whose work is one theme: the theme of a commitment that names no theme word.
_AGENCY_THEME = {
    "UIF": CommitmentTheme.ILLICIT_FINANCE,
    "FinCEN": CommitmentTheme.ILLICIT_FINANCE,
    "OFAC": CommitmentTheme.ILLICIT_FINANCE,
    "ATF": CommitmentTheme.FIREARMS,
    "Pemex": CommitmentTheme.FUEL_THEFT,
}


def _first_theme(text: str, start: int = 0) -> tuple[int, CommitmentTheme, str] | None:
    best: tuple[int, CommitmentTheme, str] | None = None
    for theme, pattern in lx.THEME_PATTERNS:
        match = pattern.search(text, start)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), theme, match.group(0))
    return best


def _subject_agency(
    sentence: str, agencies: list[tuple[str, int]], cue: tuple[int, int], language: str
) -> str | None:
    """The (first) agency written before the verb, when the subject is not both parties.

    An agency in the possessive before another ("the Department of the Treasury's Office of
    Foreign Assets Control (OFAC) will") is not the subject: the office it owns is.
    """
    cue_at, cue_end = cue
    before = [
        acronym
        for index, (acronym, at) in enumerate(agencies)
        if at < cue_at
        and not (
            _POSSESSIVE.match(sentence, _agency_end(sentence, at))
            and index + 1 < len(agencies)
            and agencies[index + 1][1] < cue_at
        )
    ]
    if not before or lx.JOINT_SUBJECT[language].search(sentence[:cue_at]):
        return None
    if lx.JOINT_ADVERB[language].match(sentence, cue_end):
        return None  # "Treasury and the UIF will jointly sanction": both parties act
    return before[0]


_POSSESSIVE = re.compile(r"['’]s\b")


def _agency_end(sentence: str, at: int) -> int:
    match = lx.AGENCY_PATTERN.match(sentence, at)
    return match.end() if match else at


def _responsible(
    sentence: str,
    agencies: list[tuple[str, int]],
    subject: str | None,
    cue_at: int,
    language: str,
) -> Responsible:
    head = sentence[:cue_at]
    if lx.JOINT_SUBJECT[language].search(head):
        return Responsible.JOINT
    if subject is not None:
        # "La FGR y la ATF acordaron": agencies of both parties as subject make it joint.
        subjects = {lx.AGENCY_PARTY[a] for a, at in agencies if at < cue_at}
        return Responsible(subjects.pop()) if len(subjects) == 1 else Responsible.JOINT
    parties = [party for party, pattern in lx.PARTY_SUBJECT[language] if pattern.search(head)]
    if len(parties) == 1:
        return Responsible(parties[0])
    named = {lx.AGENCY_PARTY[a] for a, _ in agencies}
    if len(named) == 1:
        return Responsible(named.pop())
    return Responsible.JOINT
