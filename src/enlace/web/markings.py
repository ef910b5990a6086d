"""How markings are shown to people: TLP colours, handling codes and the 4x4 evaluation.

TLP badges follow FIRST's TLP 2.0 colours (coloured text on black): RED #FF2B2B, AMBER and
AMBER+STRICT #FFC000, GREEN #33FF00, CLEAR #FFFFFF (https://www.first.org/tlp/). The
explanations are English msgids, translated on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from enlace.web.i18n import Formatter

TLP_MEANING = {
    "clear": "Disclosure is not limited.",
    "green": "Limited disclosure: the community, not public channels.",
    "amber": "Limited disclosure: the recipient's organisation and its clients, need to know.",
    "amber+strict": "Limited disclosure: the recipient's organisation only.",
    "red": "For the eyes and ears of individual recipients only, no further disclosure.",
}
HANDLING_MEANING = {
    "H0": "Use only to prevent and combat crime.",
    "H1": "Not usable in judicial proceedings without the owner's consent.",
    "H2": "No onward dissemination without the owner's consent.",
    "H3": "Other restrictions, stated in text.",
}
SOURCE_MEANING = {
    "A": "Source: no doubt of its authenticity, trustworthiness and competence.",
    "B": "Source: information from it has in most instances proved reliable.",
    "C": "Source: information from it has in most instances proved unreliable.",
    "X": "Source: its reliability cannot be assessed.",
}
ACCURACY_MEANING = {
    "1": "Information: its accuracy is known without reservation.",
    "2": "Information: known personally to the source but not to the official passing it on.",
    "3": "Information: not known personally to the source but corroborated.",
    "4": "Information: not known personally to the source and cannot be corroborated.",
}


@dataclass(frozen=True, slots=True)
class Badge:
    """A marking as a badge: its text, its CSS class and what it means (on hover)."""

    text: str
    css: str
    title: str


def tlp_badge(tlp: str, t: Formatter) -> Badge:
    """TLP:AMBER+STRICT and so on, in FIRST's colours."""
    key = tlp.lower()
    css = "tlp-" + key.replace("+", "-")
    return Badge("TLP:" + key.upper(), css, t(TLP_MEANING.get(key, "Unknown TLP level.")))


def handling_badge(code: str, t: Formatter) -> Badge:
    """H0-H3 with its meaning."""
    return Badge(code, "handling", t(HANDLING_MEANING.get(code, "Unknown handling code.")))


def evaluation_badge(evaluation: str, t: Formatter) -> Badge:
    """'B2' with both of its grades explained."""
    source, accuracy = evaluation[:1], evaluation[1:2]
    parts = [
        t(SOURCE_MEANING.get(source, "Source: unknown grade.")),
        t(ACCURACY_MEANING.get(accuracy, "Information: unknown grade.")),
    ]
    return Badge(evaluation, "evaluation", " ".join(parts))


def releasability(codes: tuple[str, ...] | list[str], t: Formatter) -> str:
    """'US, CA' or 'national only' in the reader's language."""
    if not codes:
        return t("national only")
    return ", ".join(codes)
