"""Opaque handles: per partner, the name a record goes by in matching (identificadores opacos)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, select

from enlace.model.handles import HANDLE_BYTES
from enlace.store.dialect import insert_rows_ignoring_duplicates
from enlace.store.tables import (
    match_handles,
)

_CHUNK = 500  # stays under SQLite's bound-parameter limit


class HandleRepository:
    """Opaque handles of this node's records, one per (partner, record)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def handles_for(self, partner: str, record_ids: Iterable[str], *, at: str) -> dict[str, str]:
        """record id -> its handle for `partner`, making a random one where there is none."""
        wanted = list(dict.fromkeys(record_ids))
        held = self._held(partner, wanted)
        fresh = [
            (partner, rid, secrets.token_hex(HANDLE_BYTES), at) for rid in wanted if rid not in held
        ]
        if fresh:
            insert_rows_ignoring_duplicates(
                self._connection,
                match_handles,
                ("partner", "record_id", "handle", "created_at"),
                fresh,
            )
            held.update(self._held(partner, [row[1] for row in fresh]))
        return held

    def record_of(self, partner: str, handle: str) -> str | None:
        """The record `handle` names for `partner`, or None (no such handle, or another's)."""
        row = self._connection.execute(
            select(match_handles.c.record_id).where(
                match_handles.c.partner == partner, match_handles.c.handle == handle
            )
        ).first()
        return str(row[0]) if row else None

    def _held(self, partner: str, record_ids: Sequence[str]) -> dict[str, str]:
        held: dict[str, str] = {}
        for start in range(0, len(record_ids), _CHUNK):
            chunk = record_ids[start : start + _CHUNK]
            rows = self._connection.execute(
                select(match_handles.c.record_id, match_handles.c.handle).where(
                    match_handles.c.partner == partner, match_handles.c.record_id.in_(chunk)
                )
            )
            held.update({row[0]: row[1] for row in rows})
        return held
