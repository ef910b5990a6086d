"""The node's own settings (party, creation time), one name and value each."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from enlace.store.dialect import insert_ignoring_duplicates
from enlace.store.tables import node_settings


class SettingsRepository:
    """The node's own facts (party, creation time)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name

    def get(self, name: str) -> str | None:
        """A setting's value, or None."""
        row = self._connection.execute(
            select(node_settings.c.value).where(node_settings.c.name == name)
        ).first()
        return str(row[0]) if row else None

    def set_if_absent(self, name: str, value: str) -> str:
        """Set a setting unless it is set; return the value now held."""
        self._connection.execute(
            insert_ignoring_duplicates(node_settings, self._dialect),
            [{"name": name, "value": value}],
        )
        held = self.get(name)
        assert held is not None
        return held

    def put(self, name: str, value: str) -> None:
        """Set a setting, replacing what it held."""
        _put(self._connection, name, value)

    def bump(self, name: str) -> None:
        """Add one to a counter setting (absent: it becomes 1), in the caller's transaction."""
        _bump(self._connection, name)


# Bumped whenever records or public statistics are written: what derived values kept ready
# (the indicator snapshot, enlace.tracking.indicators.snapshot) compare to know they are stale.
DATA_GENERATION = "data-generation"


def data_written(connection: Connection) -> None:
    """Bump the data generation in the caller's transaction (records or statistics written).

    Writers already take turns on the audit log's head, so one more row they all update
    adds no wait of its own.
    """
    _bump(connection, DATA_GENERATION)


def _get(connection: Connection, name: str) -> str | None:
    row = connection.execute(
        select(node_settings.c.value).where(node_settings.c.name == name)
    ).first()
    return str(row[0]) if row else None


def _put(connection: Connection, name: str, value: str) -> None:
    if _get(connection, name) is None:
        connection.execute(
            insert_ignoring_duplicates(node_settings, connection.dialect.name),
            [{"name": name, "value": value}],
        )
    connection.execute(
        update(node_settings).where(node_settings.c.name == name).values(value=value)
    )


def _bump(connection: Connection, name: str) -> None:
    held = _get(connection, name)
    _put(connection, name, str(int(held) + 1 if held and held.isdigit() else 1))
