"""What the store keeps of one record version, derived from a model record."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from enlace.model.errors import RecordError
from enlace.model.markings import Markings
from enlace.model.records import Record
from enlace.store.map_counts import MapPlace, map_place
from enlace.store.search_index import searchable_text


def content_digest(stix: Mapping[str, Any]) -> str:
    """SHA-256 of a STIX object without its timestamps: equal for the same content.

    Re-importing a row that carries no timestamps gives new created/modified times each
    time; the digest lets the store see it is the same content and write nothing.
    """
    body = dict(stix)
    body.pop("created", None)
    body.pop("modified", None)
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class StoredVersion(NamedTuple):
    """One record version as the store writes it.

    A named tuple rather than a dataclass: an import builds one per row, sends it between
    processes and hands it to the driver, and a tuple is the cheapest thing to do that with.
    """

    id: str
    modified: str
    stix_type: str
    kind: str
    owner: str
    created_by_ref: str | None
    tlp: str
    releasable_to: str
    handling: str
    evaluation: str
    revoked: bool
    content_digest: str
    received_from: str | None
    stix: str
    identifiers: tuple[tuple[str, str], ...]
    # The folded words a search finds it by (enlace.store.search_index): worked out here,
    # where the STIX object is at hand (in an import's worker processes too), not again
    # from the JSON text when it is stored.
    search_text: str
    # Where it counts on the seizure map (enlace.store.map_counts), None if it does not:
    # worked out here too, from the STIX object at hand.
    map_place: MapPlace | None

    @classmethod
    def of(
        cls,
        record: Record,
        *,
        stix: Mapping[str, Any] | None = None,
        stix_text: str | None = None,
        received_from: str | None = None,
    ) -> StoredVersion:
        """Describe `record` for storage; `stix_text` keeps received JSON byte for byte."""
        obj = stix if stix is not None else record.to_stix()
        text = stix_text if stix_text is not None else orjson.dumps(obj).decode()
        if "\\u0000" in text or "\x00" in text:  # JSON writes NUL as \u0000
            _refuse_nul(obj, "")
        if stix is None:  # the record's own STIX: its 'modified' is the stored text
            record_id, modified = record.id, str(obj["modified"])
        else:
            record_id, modified = record.version_key
        tlp, releasable_to, handling, evaluation = _marking_columns(record.markings)
        return cls(
            record_id,
            modified,
            record.STIX_TYPE,
            record.KIND,
            record.owner,
            record.created_by_ref,
            tlp,
            releasable_to,
            handling,
            evaluation,
            record.revoked,
            content_digest(obj),
            received_from,
            text,
            record.identifier_keys(),
            searchable_text(obj),
            map_place(record.KIND, obj),
        )


def _refuse_nul(value: object, where: str) -> None:
    """Raise RecordError naming the first text of `value` (any depth) holding a NUL.

    Every record version is described here before it is stored, imported, received or made
    in a form: a NUL (U+0000) that PostgreSQL would refuse is refused on every store, as a
    bad field. (`\\u0000` written as text in a field, a backslash and five characters, is
    no NUL: only the parsed value is looked at.)
    """
    if isinstance(value, str):
        at = value.find("\x00")
        if at >= 0:
            raise RecordError(
                where or "(value)",
                value[max(at - 20, 0) : at + 20],
                "text without NUL characters (U+0000): no store keeps them",
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            _refuse_nul(str(key), name)
            _refuse_nul(item, name)
    elif isinstance(value, list | tuple):
        for number, item in enumerate(value):
            _refuse_nul(item, f"{where}[{number}]")


@functools.lru_cache(maxsize=1024)
def _marking_columns(markings: Markings) -> tuple[str, str, str, str]:
    # Records share a handful of markings: work out their columns once per markings.
    return (
        markings.tlp.value,
        " ".join(sorted(markings.releasable_to)),
        markings.handling.value,
        str(markings.evaluation),
    )


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A record version as read back from the store."""

    id: str
    modified: str
    kind: str
    owner: str
    tlp: str
    releasable_to: tuple[str, ...]
    handling: str
    evaluation: str
    revoked: bool
    received_from: str | None
    added_at: str
    stix: str

    def stix_object(self) -> dict[str, Any]:
        """The stored STIX JSON, parsed."""
        value: dict[str, Any] = orjson.loads(self.stix)
        return value
