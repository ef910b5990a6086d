"""A Spanish-aware phonetic code for surnames and given names.

Written here rather than taken from a library: jellyfish's Soundex, Metaphone and NYSIIS
encode English spelling (they keep J as /dʒ/, split C/Z/S and B/V, read LL as L, and
Soundex keeps only four characters), while the names this matches are mostly Spanish,
written by Mexican and US clerks. Spanish spelling has regular equivalences that clerks and
typists confuse: B/V, C(e,i)/S/Z, G(e,i)/J, Y/LL, a silent H, QU/K/C(a,o,u). The code merges
those, drops the vowels after the first letter (vowel slips and dropped vowels are the
commonest typos) and collapses repeated sounds (doubled letters). What it does not absorb
(a wrong consonant) is left to the other match keys of the record.
"""

from __future__ import annotations

import functools

_VOWELS = frozenset("AEIOU")
_FRONT = frozenset("EIY")

# Two-letter spellings of one sound, read before single letters.
_DIGRAPHS = {"CH": "X", "LL": "Y", "SH": "X", "PH": "F", "TH": "T", "QU": "K", "RR": "R"}
# Single letters, where the letter alone decides the sound.
_LETTERS = {
    "B": "B", "V": "B", "W": "B", "Z": "S", "S": "S", "K": "K", "Q": "K", "J": "J", "F": "F",
    "D": "D", "T": "T", "L": "L", "M": "M", "N": "N", "P": "P", "R": "R",
}  # fmt: skip


@functools.lru_cache(maxsize=131072)
def phonetic(word: str) -> str:
    """The phonetic code of an upper-case ASCII word ("VAZQUEZ" and "BASQUES" -> "BSKS").

    The first sound is kept (a vowel as "A"), later vowels are dropped, and a sound that
    repeats is written once. An empty word gives an empty code.
    """
    out: list[str] = []
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        pair = word[i : i + 2]
        nxt = word[i + 1] if i + 1 < n else ""
        code: str | None
        step = 1
        if pair in _DIGRAPHS:
            code, step = _DIGRAPHS[pair], 2
        elif c == "G" and nxt == "U" and i + 2 < n and word[i + 2] in _FRONT:
            code, step = "G", 2  # "GUE", "GUI": the U is silent
        elif c == "C":
            code = "S" if nxt in _FRONT else "K"
        elif c == "G":
            code = "J" if nxt in _FRONT else "G"
        elif c == "X":
            # Initial X reads as J in Mexican names (Ximena/Jimena); elsewhere as KS.
            code = "J" if i == 0 else "KS"
        elif c == "Y":
            # Y between or before vowels is a consonant like LL; at the end it is a vowel.
            code = "Y" if nxt in _VOWELS else ("A" if i == 0 else None)
        elif c == "H":
            code = None  # silent in Spanish ("Hernández" / "Ernandez")
        elif c in _VOWELS:
            code = "A" if not out else None
        else:
            code = _LETTERS.get(c, c)
        if code is not None:
            for sound in code:
                if not out or out[-1] != sound:
                    out.append(sound)
        i += step
    return "".join(out)
