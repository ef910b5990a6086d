"""What the store keeps of one record version, derived from a model record."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from enlace.model.records import Record


def content_digest(stix: Mapping[str, Any]) -> str:
    """SHA-256 of a STIX object without its timestamps: equal for the same content.

    Re-importing a row that carries no timestamps gives new created/modified times each
    time; the digest lets the store see it is the same content and write nothing.
    """
    body = {k: v for k, v in stix.items() if k not in ("created", "modified")}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One record version as the store writes it."""

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
        record_id, modified = record.version_key
        return cls(
            id=record_id,
            modified=modified,
            stix_type=record.STIX_TYPE,
            kind=record.KIND,
            owner=record.owner,
            created_by_ref=record.created_by_ref,
            tlp=record.markings.tlp.value,
            releasable_to=" ".join(sorted(record.markings.releasable_to)),
            handling=record.markings.handling.value,
            evaluation=str(record.markings.evaluation),
            revoked=record.revoked,
            content_digest=content_digest(obj),
            received_from=received_from,
            stix=text,
            identifiers=record.identifier_keys(),
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
