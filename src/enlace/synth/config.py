"""What a synthetic run is asked for: the seed, the parties, the size and the period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The parties the generator knows how to write for (names, agencies, plates, phones).
SUPPORTED_PARTIES: tuple[str, ...] = ("MX", "US")


@dataclass(frozen=True)
class SynthConfig:
    """One synthetic run. Equal configs give identical records (ids, timestamps, values)."""

    seed: int = 7
    parties: tuple[str, ...] = ("MX", "US")
    scale: int = 1000  # roughly how many records per party (all kinds together)
    start: date = date(2024, 10, 1)
    end: date = date(2025, 9, 30)
    overlap: float = 0.3  # share of firearms/phones/vehicles/persons/companies both parties hold

    def __post_init__(self) -> None:
        if not self.parties:
            raise ValueError("parties: give at least one party, e.g. ('MX', 'US')")
        unknown = [p for p in self.parties if p not in SUPPORTED_PARTIES]
        if unknown:
            raise ValueError(
                f"parties: the generator writes records for {', '.join(SUPPORTED_PARTIES)}; "
                f"found {', '.join(unknown)}"
            )
        if len(set(self.parties)) != len(self.parties):
            raise ValueError(f"parties: each party once; found {self.parties}")
        if self.scale < 1:
            raise ValueError(f"scale: a positive number of records; found {self.scale}")
        if not 0.0 <= self.overlap <= 1.0:
            raise ValueError(f"overlap: a share between 0 and 1; found {self.overlap}")
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
