"""Cutting a communiqué into sentences, minding the abbreviations official texts use."""

from __future__ import annotations

import re

# Abbreviations whose dots do not end a sentence (EE. UU., U.S., D.C., titles, a.m.).
_ABBREVIATIONS = re.compile(
    r"\b(?:EE\.\s?UU\.|U\.S\.(?:A\.)?|D\.C\.|U\.N\.|a\.m\.|p\.m\.|"
    r"(?:Sr|Sra|Dr|Dra|Lic|Gral|Mtro|Mtra|Ing|Mr|Mrs|Ms|St|No|Núm|núm|approx|etc|Jr)\.|"
    r"(?:Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\.(?=\s\d)|"  # "Jan. 22, 2026"
    r"(?<=\s)[A-Z]\.(?=\s[A-Z]))",  # and initials: "Harry S. Truman"
)
_PLACEHOLDER = "\u2024"  # one dot leader: looks like a dot, never splits
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"“¿¡(]?[A-ZÁÉÍÓÚÑ0-9•\-])|\n\s*\n|\n\s*(?=[-•*]\s)")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s+")


def split_sentences(text: str) -> list[str]:
    """The sentences (and list items) of a text, whitespace collapsed, in order."""
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", _PLACEHOLDER), text)
    sentences = []
    for piece in _BOUNDARY.split(protected):
        cleaned = " ".join(_BULLET.sub("", piece).split()).replace(_PLACEHOLDER, ".")
        if cleaned:
            sentences.append(cleaned)
    return sentences
