"""The full-text index of the newest record versions: what a word search reads.

One row per record id, holding the searchable text of its newest version: its properties'
text values (names, makes, serials, places...), which is what the record's title is made of,
without the markings, references and other technical fields.

The same results on SQLite and PostgreSQL: both stores are given text already folded here,
in Python (accents stripped as identifier keys strip them, then casefolded) and cut into
plain words of letters and digits separated by single spaces, and the typed query is folded
the same way. Neither store's own rules for accents, case or punctuation then matter:

- SQLite: an FTS5 table (`unicode61 remove_diacritics 2`, which on folded words changes
  nothing), a query of quoted words (all must appear), ranked by bm25.
- PostgreSQL: a tsvector of the 'simple' configuration (lower case, no stemming, no stop
  words: every folded word is kept as it is) under a GIN index, `plainto_tsquery('simple')`
  (all words), ranked by ts_rank. `unaccent` was not used: it is an extension an operator
  must install, and its rules differ from SQLite's, so the two stores would disagree on
  letters such as "ß" or "Ø".

Whole words only: "hernandez" finds "Hernández", "hern" does not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from enlace.model.extensions import TECHNICAL_PROPERTIES
from enlace.model.identifiers import strip_accents

# Properties that are not the record's own words (shown as badges, or references and
# timestamps): the technical properties the record page leaves out too, plus refs.
_SKIPPED = TECHNICAL_PROPERTIES | {
    "source_ref",
    "target_ref",
    "sighting_of_ref",
    "where_sighted_refs",
    "observed_data_refs",
    "object_refs",
    "first_seen",
    "last_seen",
    "valid_from",
    "valid_until",
}
_WORD = re.compile(r"[^\W_]+")
_LONGEST_WORD = 64  # a tsvector lexeme is at most 2 KiB; no name or serial comes close
_LONGEST_TEXT = 16_000
_SQUEEZE_MAX = 40  # "AB-1234" is also kept as "ab1234", for values up to this long
SQLITE_TABLE = "record_search"


def fold_words(text: str) -> list[str]:
    """`text` as search words: accents stripped, casefolded, split on anything but letters
    and digits ("José Hernández-López" -> ["jose", "hernandez", "lopez"])."""
    folded = strip_accents(text).casefold()
    return [word for word in _WORD.findall(folded) if len(word) <= _LONGEST_WORD]


def searchable_text(stix: Mapping[str, Any]) -> str:
    """The folded words a search finds this STIX object by, space-separated."""
    words: list[str] = []
    for value in _own_values(stix):
        # Value by value: most are ASCII (ids, numbers, codes), which strip_accents returns
        # as they are; folding them joined made one accented name send them all through
        # Unicode decomposition (an import folds every record it writes).
        text = strip_accents(value).casefold()
        found = [word for word in _WORD.findall(text) if len(word) <= _LONGEST_WORD]
        words.extend(found)
        # A serial, plate or phone written with separators is found typed without them too.
        if len(found) > 1 and len(value) <= _SQUEEZE_MAX and any(c.isdigit() for c in value):
            words.append("".join(found))
    return " ".join(words)[:_LONGEST_TEXT]


def _own_values(obj: Mapping[str, Any]) -> Iterable[str]:
    for key, value in obj.items():
        if key not in _SKIPPED and not key.endswith(("_ref", "_refs")):
            yield from _texts(value)
    extensions = obj.get("extensions")
    if isinstance(extensions, Mapping):
        for body in extensions.values():
            if isinstance(body, Mapping):
                for key, value in body.items():
                    if key not in _SKIPPED and not key.endswith(("_ref", "_refs")):
                        yield from _texts(value)


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool):
        return
    elif isinstance(value, int | float):
        yield str(value)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)


def docid(record_id: str) -> int:
    """The FTS5 row of a record id on SQLite: 63 bits of its SHA-256.

    Not `records.rowid`: VACUUM may renumber the rowids of a table without an INTEGER
    PRIMARY KEY, which would point the index at other rows. A row also keeps its record id,
    and a search joins on it, so two ids sharing a docid could never show each other's
    results; one of them would drop out of word searches (with 10,000,000 ids the chance that
    any two share one is about 1 in 200,000).
    """
    return int.from_bytes(hashlib.sha256(record_id.encode()).digest()[:8], "big") >> 1


def replace_texts(
    connection: Connection, entries: Sequence[tuple[str, str]], *, replacing: Collection[str]
) -> None:
    """Set the searchable text of each (record id, searchable_text of its newest version);
    `replacing`: the ids among them that already have one (an older version's)."""
    if not entries:
        return
    if connection.dialect.name == "sqlite":
        if replacing:
            connection.exec_driver_sql(
                f"DELETE FROM {SQLITE_TABLE} WHERE rowid = ?",
                [(docid(record_id),) for record_id in replacing],
            )
        connection.exec_driver_sql(
            f"INSERT INTO {SQLITE_TABLE} (rowid, record_id, body) VALUES (?, ?, ?)",
            [(docid(record_id), record_id, body) for record_id, body in entries],
        )
    else:
        connection.exec_driver_sql(
            "INSERT INTO record_search (record_id, body) VALUES (%s, to_tsvector('simple', %s)) "
            "ON CONFLICT (record_id) DO UPDATE SET body = excluded.body",
            list(entries),
        )
