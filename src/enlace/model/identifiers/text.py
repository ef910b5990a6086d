"""Text helpers shared by the name-like keys (organisation names, firearm makes)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Latin letters that Unicode does not decompose into a base letter plus an accent.
_FOLD = str.maketrans(
    {
        "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe",
        "ß": "ss", "ẞ": "SS", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d",
        "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th", "ı": "i", "Ħ": "H", "ħ": "h",
    }
)  # fmt: skip

# Dots and apostrophes join what they sit in ("S.A." -> "SA", "Colt's" -> "COLTS"), so
# abbreviations with and without dots give the same token.
_JOINERS = str.maketrans("", "", ".'’ʼ`´")

_WORD_RE = re.compile(r"[A-Z0-9]+")


def strip_accents(text: str) -> str:
    """Return text without diacritics ("Álamo" -> "Alamo", "Ñ" -> "N"), case kept.

    Also folds the few Latin letters Unicode does not decompose (ß, Ø, Æ, Œ, Ł, Đ, Þ),
    and applies compatibility decomposition (ligatures, full-width forms).
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str, ampersand: str = " ", drop: frozenset[str] = frozenset()) -> list[str]:
    """Split text into upper-case ASCII words, accents stripped, punctuation dropped.

    "&" becomes ampersand (a separator by default); words in drop are left out. Then
    runs of one-character words are joined, so "S. A.", "S.A." and "SA" all give ["SA"].
    """
    cleaned = strip_accents(text).upper().translate(_JOINERS).replace("&", ampersand)
    found = _WORD_RE.findall(cleaned)
    if drop:
        found = [w for w in found if w not in drop]
    return _join_initials(found)


def _join_initials(tokens: list[str]) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(token)
    if run:
        out.append("".join(run))
    return out


SuffixTable = dict[str, tuple[tuple[str, ...], ...]]


def suffix_table(suffixes: Iterable[str]) -> SuffixTable:
    """Index suffixes ("SA DE CV", "INC", ...) by their last word, longest first."""
    table: dict[str, list[tuple[str, ...]]] = {}
    for suffix in suffixes:
        seq = tuple(suffix.split())
        table.setdefault(seq[-1], []).append(seq)
    return {last: tuple(sorted(seqs, key=len, reverse=True)) for last, seqs in table.items()}


def strip_suffixes(tokens: list[str], table: SuffixTable) -> list[str]:
    """Remove trailing suffixes (repeatedly) in place, never the whole name; return tokens."""
    while True:
        for seq in table.get(tokens[-1], ()) if tokens else ():
            n = len(seq)
            if len(tokens) > n and tuple(tokens[-n:]) == seq:
                del tokens[-n:]
                break
        else:
            return tokens
