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
        if self.get(name) is None:
            self.set_if_absent(name, value)
        else:
            self._connection.execute(
                update(node_settings).where(node_settings.c.name == name).values(value=value)
            )

    def bump(self, name: str) -> None:
        """Add one to a counter setting (absent: it becomes 1), in the caller's transaction.

        Writers already take turns on the audit log's head, so one more row they all update
        adds no wait of its own.
        """
        held = self.get(name)
        self.put(name, str(int(held) + 1 if held and held.isdigit() else 1))


# Bumped whenever records or public statistics are written: what derived values kept ready
# (the indicator snapshot, enlace.tracking.indicators.snapshot) compare to know they are stale.
DATA_GENERATION = "data-generation"
