"""A frozen clock: what the ``frozen_now`` fixture (the root ``conftest.py``) puts in place of
`enlace.model.timestamps.utc_now`, so tests can name its type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# The moment frozen clocks start at; a fixed value lets tests compare exact JSON.
FIXED_NOW = datetime(2025, 9, 1, 12, 0, 0, tzinfo=UTC)


@dataclass(slots=True)
class FrozenClock:
    """Stands in for `utc_now`: returns `now` until told to move."""

    now: datetime = FIXED_NOW
    calls: int = field(default=0)

    def __call__(self) -> datetime:
        self.calls += 1
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward, e.g. advance(minutes=5); return the new time."""
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        """Put the clock at `moment` (UTC assumed when naive)."""
        self.now = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return self.now
