"""Watchlists (listas de vigilancia) and their alerts (alertas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select, update
from sqlalchemy.exc import IntegrityError

from enlace.store.dialect import insert_rows_ignoring_duplicates
from enlace.store.tables import watchlist_alerts, watchlist_entries


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """An identifier an analyst watches: its kind, match key and the text as typed."""

    id: int
    owner: str
    kind: str
    key: str
    label: str
    added_at: str


@dataclass(frozen=True, slots=True)
class WatchlistAlert:
    """An alerta: `partner` holds the identifier of entry `entry_id` (under `handles`)."""

    id: int
    entry_id: int
    owner: str
    kind: str
    label: str  # the entry's, as typed
    partner: str
    handles: tuple[str, ...]
    run_id: str
    raised_at: str
    webhook_sent_at: str | None
    webhook_attempts: int


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to raise: what a check found (the repository skips those raised before)."""

    entry_id: int
    owner: str
    kind: str
    partner: str
    handles: tuple[str, ...]
    run_id: str


_ENTRY_COLUMNS = (
    watchlist_entries.c.id,
    watchlist_entries.c.owner,
    watchlist_entries.c.kind,
    watchlist_entries.c.key,
    watchlist_entries.c.label,
    watchlist_entries.c.added_at,
)


class WatchlistRepository:
    """The watchlist_entries and watchlist_alerts tables."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_entry(self, *, owner: str, kind: str, key: str, label: str, at: str) -> int | None:
        """Put an identifier on `owner`'s list; its id, or None when it is on it already.
        One taken off the list before is watched again under its old id (its alerts kept)."""
        held = self._connection.execute(
            select(watchlist_entries.c.id, watchlist_entries.c.removed_at).where(
                watchlist_entries.c.owner == owner,
                watchlist_entries.c.kind == kind,
                watchlist_entries.c.key == key,
            )
        ).first()
        if held is not None:
            if held.removed_at is None:
                return None
            self._connection.execute(
                update(watchlist_entries)
                .where(watchlist_entries.c.id == held.id)
                .values(removed_at=None, label=label, added_at=at)
            )
            return int(held.id)
        try:
            with self._connection.begin_nested():
                result = self._connection.execute(
                    insert(watchlist_entries)
                    .values(owner=owner, kind=kind, key=key, label=label, added_at=at)
                    .returning(watchlist_entries.c.id)
                )
                return int(result.scalar_one())
        except IntegrityError:  # added by another request between the look and the insert
            return None

    def entries(self, *, owner: str | None = None) -> list[WatchlistEntry]:
        """The entries on `owner`'s list (on every list: None), oldest first; not those
        taken off."""
        query = (
            select(*_ENTRY_COLUMNS)
            .where(watchlist_entries.c.removed_at.is_(None))
            .order_by(watchlist_entries.c.id)
        )
        if owner is not None:
            query = query.where(watchlist_entries.c.owner == owner)
        return [WatchlistEntry(**row._mapping) for row in self._connection.execute(query)]

    def remove_entry(self, entry_id: int, *, owner: str, at: str) -> WatchlistEntry | None:
        """Take entry `entry_id` off `owner`'s list; the entry, or None when `owner` has no
        such entry on the list (another analyst's entries are never touched)."""
        held = self._connection.execute(
            select(*_ENTRY_COLUMNS).where(
                watchlist_entries.c.id == entry_id,
                watchlist_entries.c.owner == owner,
                watchlist_entries.c.removed_at.is_(None),
            )
        ).first()
        if held is None:
            return None
        self._connection.execute(
            update(watchlist_entries)
            .where(watchlist_entries.c.id == entry_id)
            .values(removed_at=at)
        )
        return WatchlistEntry(**held._mapping)

    def add_alerts(self, found: list[NewAlert], *, at: str) -> int:
        """Raise the alerts not raised before (one per entry and partner); how many were new."""
        return insert_rows_ignoring_duplicates(
            self._connection,
            watchlist_alerts,
            ("entry_id", "owner", "kind", "partner", "handles", "run_id", "raised_at"),
            [
                (a.entry_id, a.owner, a.kind, a.partner, " ".join(a.handles), a.run_id, at)
                for a in found
            ],
        )

    def alerts(self, *, owner: str | None = None, limit: int = 500) -> list[WatchlistAlert]:
        """The newest alerts of `owner` (of everyone: None), newest first."""
        query = self._joined().order_by(watchlist_alerts.c.id.desc()).limit(limit)
        if owner is not None:
            query = query.where(watchlist_alerts.c.owner == owner)
        return [_alert(row) for row in self._connection.execute(query)]

    def undelivered(self) -> list[WatchlistAlert]:
        """Alerts the webhook has not taken yet, oldest first."""
        query = (
            self._joined()
            .where(watchlist_alerts.c.webhook_sent_at.is_(None))
            .order_by(watchlist_alerts.c.id)
        )
        return [_alert(row) for row in self._connection.execute(query)]

    def mark_delivered(self, alert_id: int, *, at: str) -> None:
        """The webhook took this alert at `at`."""
        self._connection.execute(
            update(watchlist_alerts)
            .where(watchlist_alerts.c.id == alert_id)
            .values(webhook_sent_at=at, webhook_attempts=watchlist_alerts.c.webhook_attempts + 1)
        )

    def mark_attempt_failed(self, alert_id: int) -> None:
        """The webhook did not take this alert (it is tried again at the next check)."""
        self._connection.execute(
            update(watchlist_alerts)
            .where(watchlist_alerts.c.id == alert_id)
            .values(webhook_attempts=watchlist_alerts.c.webhook_attempts + 1)
        )

    @staticmethod
    def _joined() -> Select[Any]:
        return select(watchlist_alerts, watchlist_entries.c.label).join(
            watchlist_entries, watchlist_entries.c.id == watchlist_alerts.c.entry_id
        )


def _alert(row: Row[tuple[object, ...]]) -> WatchlistAlert:
    values = dict(row._mapping)
    handles = str(values.pop("handles"))
    return WatchlistAlert(**values, handles=tuple(handles.split()))
