"""Telling Spanish from English (and refusing anything else) by counting function words.

Why no language-identification library: the choice is between two known languages, and a
communiqué has hundreds of function words, so counting a few dozen of each language's
commonest ones is exact enough, deterministic (langdetect's answer varies run to run) and
explainable to the person confirming; it needs no model download. A handful of other
languages that communiqués of the region come in (French, Portuguese, Italian, German) are
counted too, so such a document is refused rather than read as Spanish.
"""

from __future__ import annotations

import re

from enlace.tracking.errors import UnsupportedLanguage

# Words shared by several languages ("de", "a", "que", "la" in Spanish, French, Portuguese)
# are left out: only words that point at one language count.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "es": frozenset(
        [
            "el",
            "los",
            "las",
            "del",
            "y",
            "con",
            "una",
            "se",
            "por",
            "al",
            "su",
            "sus",
            "este",
            "esta",
            "estos",
            "como",
            "entre",
            "también",
            "ambos",
            "ambas",
            "países",
            "gobierno",
            "acordaron",
            "durante",
            "sobre",
            "más",
            "mediante",
            "cuál",
            "hacia",
            "fue",
            "fueron",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "with",
            "will",
            "for",
            "by",
            "on",
            "this",
            "that",
            "these",
            "their",
            "both",
            "which",
            "from",
            "at",
            "were",
            "was",
            "has",
            "have",
            "its",
            "an",
            "as",
            "be",
            "is",
            "are",
            "agreed",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "les",
            "et",
            "des",
            "du",
            "est",
            "une",
            "dans",
            "avec",
            "pour",
            "sur",
            "au",
            "aux",
            "ont",
            "été",
            "leur",
            "leurs",
            "ce",
            "cette",
            "ces",
            "qui",
            "pays",
            "entre",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "os",
            "e",
            "do",
            "da",
            "dos",
            "das",
            "com",
            "uma",
            "em",
            "não",
            "pelo",
            "pela",
            "ao",
            "aos",
            "seu",
            "sua",
            "também",
            "entre",
            "governo",
            "ambos",
            "foram",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "gli",
            "e",
            "della",
            "delle",
            "dei",
            "con",
            "una",
            "per",
            "sono",
            "nel",
            "nella",
            "anche",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "mit",
            "ein",
            "eine",
            "für",
            "von",
            "den",
            "dem",
            "ist",
            "sind",
            "auch",
        ]
    ),
}
SUPPORTED = ("es", "en")
_MIN_WORDS = 3  # fewer function words than this and the text is too short to tell
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str, *, source: str) -> str:
    """'es' or 'en'; raise UnsupportedLanguage for any other language or too little text."""
    counts = dict.fromkeys(_FUNCTION_WORDS, 0)
    for word in _WORD.findall(text.lower()):
        for language, words in _FUNCTION_WORDS.items():
            if word in words:
                counts[language] += 1
    best = max(counts, key=lambda language: counts[language])
    if counts[best] < _MIN_WORDS:
        raise UnsupportedLanguage(source, None)
    if best not in SUPPORTED:
        raise UnsupportedLanguage(source, _NAMES[best])
    return best


_NAMES = {"fr": "French", "pt": "Portuguese", "it": "Italian", "de": "German"}
