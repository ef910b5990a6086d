"""The four markings that travel with every record (DESIGN.md, "Markings").

TLP 2.0 is carried as the OASIS TLP 2.0 marking definitions
(extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d); releasability, handling code
and evaluation as Enlace's own property extension on the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from enlace.model.errors import RecordError
from enlace.model.parties import party_codes


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 levels, from least to most restrictive."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        """Restrictiveness: a higher rank may be seen by fewer people."""
        return _TLP_ORDER.index(self)

    @property
    def label(self) -> str:
        """The label people in the field write, e.g. TLP:AMBER+STRICT."""
        return "TLP:" + self.value.upper()

    @classmethod
    def parse(cls, raw: str, *, field: str = "tlp") -> Tlp:
        """Accept 'amber', 'AMBER', 'TLP:AMBER', 'amber strict'; raise RecordError otherwise."""
        text = raw.strip().lower().removeprefix("tlp:").strip().replace(" ", "+").replace("_", "+")
        if text == "white":  # TLP 1.0's name for CLEAR; partners still write it
            text = "clear"
        try:
            return cls(text)
        except ValueError:
            raise RecordError(field, raw, "one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED") from None


_TLP_ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)

TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

# The ids OASIS published for the TLP 2.0 marking definitions; they are part of the standard.
TLP_MARKING_IDS: dict[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_BY_MARKING_ID: dict[str, Tlp] = {v: k for k, v in TLP_MARKING_IDS.items()}


def tlp_marking_definition(tlp: Tlp) -> dict[str, object]:
    """The OASIS TLP 2.0 marking-definition object for `tlp`, exactly as published."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_MARKING_IDS[tlp],
        "created": "2022-10-01T00:00:00.000Z",
        "name": tlp.label,
        "extensions": {
            TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.value}
        },
    }


class HandlingCode(StrEnum):
    """Handling codes as law-enforcement exchange networks use them."""

    H0 = "H0"  # use only to prevent and combat crime
    H1 = "H1"  # not usable in judicial proceedings without the owner's consent
    H2 = "H2"  # no onward dissemination without the owner's consent
    H3 = "H3"  # other restrictions, stated in text

    @classmethod
    def parse(cls, raw: str, *, field: str = "handling") -> HandlingCode:
        """Accept 'H2' or 'h2'; raise RecordError otherwise."""
        try:
            return cls(raw.strip().upper())
        except ValueError:
            raise RecordError(field, raw, "one of H0, H1, H2, H3") from None


class SourceReliability(StrEnum):
    """The 4x4 system's source grade: A (always reliable) … X (cannot be judged)."""

    A = "A"
    B = "B"
    C = "C"
    X = "X"


class InformationAccuracy(IntEnum):
    """The 4x4 system's information grade: 1 (known true) … 4 (cannot be judged)."""

    KNOWN = 1
    KNOWN_TO_SOURCE = 2
    NOT_KNOWN = 3
    CANNOT_BE_JUDGED = 4


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Source reliability and information accuracy, written together as e.g. 'B2'."""

    source: SourceReliability
    accuracy: InformationAccuracy

    def __str__(self) -> str:
        return f"{self.source.value}{int(self.accuracy)}"

    @classmethod
    def parse(cls, raw: str, *, field: str = "evaluation") -> Evaluation:
        """Parse 'B2' (also 'b2', 'B-2', 'B/2'); raise RecordError otherwise."""
        text = raw.strip().upper().replace("-", "").replace("/", "").replace(" ", "")
        if len(text) == 2 and text[0] in "ABCX" and text[1] in "1234":
            return cls(SourceReliability(text[0]), InformationAccuracy(int(text[1])))
        raise RecordError(field, raw, "a source grade A/B/C/X followed by an accuracy 1-4, e.g. B2")

    @property
    def weakness(self) -> tuple[int, int]:
        """Ordering key: larger is weaker (less reliable source, less certain information)."""
        return ("ABCX".index(self.source.value), int(self.accuracy))


UNEVALUATED = Evaluation(SourceReliability.X, InformationAccuracy.CANNOT_BE_JUDGED)


@dataclass(frozen=True, slots=True)
class Markings:
    """What travels with a record. An empty releasability means national only."""

    tlp: Tlp
    releasable_to: frozenset[str]
    handling: HandlingCode
    evaluation: Evaluation
    handling_text: str | None = None

    def __post_init__(self) -> None:
        if self.handling is HandlingCode.H3 and not (self.handling_text or "").strip():
            raise RecordError(
                "handling_text", self.handling_text, "the restriction, in text, for H3"
            )

    @property
    def national_only(self) -> bool:
        """True when the owner allowed no other party."""
        return not self.releasable_to

    def releasable_to_party(self, party: str) -> bool:
        """Whether the owner's markings allow this record to go to `party`."""
        return party in self.releasable_to

    @classmethod
    def build(
        cls,
        *,
        tlp: str = "amber",
        releasable_to: object = None,
        handling: str = "H0",
        evaluation: str | None = None,
        handling_text: str | None = None,
    ) -> Markings:
        """Build markings from the loose text forms users type, validating each."""
        return cls(
            tlp=Tlp.parse(tlp),
            releasable_to=party_codes(releasable_to),
            handling=HandlingCode.parse(handling),
            evaluation=Evaluation.parse(evaluation) if evaluation else UNEVALUATED,
            handling_text=(handling_text or None),
        )


def most_restrictive(markings: Iterable[Markings]) -> Markings:
    """The markings of anything derived from several records: the tightest of each part.

    TLP takes the highest level, releasability the intersection, handling the strictest code
    (with every H3 text kept), evaluation the weakest grade.
    """
    items = list(markings)
    if not items:
        raise ValueError("most_restrictive needs at least one set of markings")
    tlp = max((m.tlp for m in items), key=lambda t: t.rank)
    releasable = frozenset.intersection(*(m.releasable_to for m in items))
    handling = max((m.handling for m in items), key=lambda h: h.value)
    # Split earlier combinations again so that combining a result with its inputs repeats
    # no restriction text.
    texts = sorted({part for m in items if m.handling_text for part in m.handling_text.split("; ")})
    source = max((m.evaluation.source for m in items), key=lambda s: "ABCX".index(s.value))
    accuracy = max(m.evaluation.accuracy for m in items)
    return Markings(
        tlp=tlp,
        releasable_to=releasable,
        handling=handling,
        evaluation=Evaluation(source, accuracy),
        handling_text="; ".join(texts) or None,
    )
