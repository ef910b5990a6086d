"""The drug-seizure profile of the Southwest border, from CBP's public statistics.

`build_profile` reads CBP's "Nationwide Drug Seizures" CSV (cbp_fy20_fy23.csv, the newest
edition Enlace ships in enlace/tracking/data/cbp/) once, keeps the Office of Field Operations
at the Southwest Border (the land ports), and sums seizure events and pounds by field office
and drug type. The result ships as `cbp_profile.csv` next to this module; the generator draws
drug seizures from it: which office and drug in proportion to the events, and how much from a
log-normal distribution with the observed mean per event.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from enlace.model.csv_cells import FormulaSafeWriter, restored
from enlace.model.vocabulary import DrugType

PROFILE_FILE = "cbp_profile.csv"
PROFILE_COLUMNS = ("field_office", "drug_type", "fiscal_years", "events", "total_lbs", "mean_lbs")
REGION = "Southwest Border"
COMPONENT = "Office of Field Operations"


@dataclass(frozen=True, slots=True)
class DrugProfile:
    """Seizure events and pounds of one drug at one CBP field office, over some fiscal years."""

    field_office: str
    drug_type: DrugType
    fiscal_years: str  # e.g. "2020-2023"
    events: int
    total_lbs: float

    @property
    def mean_lbs(self) -> float:
        """Pounds per seizure event."""
        return self.total_lbs / self.events if self.events else 0.0


def build_profile(cbp_csv: Path) -> list[DrugProfile]:
    """The profile from a CBP Nationwide Drug Seizures CSV (both land filters together)."""
    events: dict[tuple[str, DrugType], int] = {}
    pounds: dict[tuple[str, DrugType], float] = {}
    years: set[int] = set()
    with cbp_csv.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["Region"] != REGION or row["Component"] != COMPONENT:
                continue
            key = (row["Area of Responsibility"].strip(), DrugType.from_cbp(row["Drug Type"]))
            events[key] = events.get(key, 0) + int(row["Count of Event"])
            pounds[key] = pounds.get(key, 0.0) + float(row["Sum Qty (lbs)"] or 0)
            years.add(int(row["FY"]))
    span = f"{min(years)}-{max(years)}" if years else ""
    return [
        DrugProfile(office, drug, span, events[(office, drug)], round(pounds[(office, drug)], 3))
        for office, drug in sorted(events, key=lambda k: (k[0], k[1].value))
        if events[(office, drug)] > 0
    ]


def profile_csv(profile: list[DrugProfile]) -> str:
    """The profile as the CSV text shipped in the package."""
    out = io.StringIO()
    writer = FormulaSafeWriter(out, lineterminator="\n")
    writer.writerow(PROFILE_COLUMNS)
    for row in profile:
        writer.writerow(
            (
                row.field_office,
                row.drug_type.value,
                row.fiscal_years,
                row.events,
                f"{row.total_lbs:.3f}",
                f"{row.mean_lbs:.3f}",
            )
        )
    return out.getvalue()


def parse_profile(text: str) -> tuple[DrugProfile, ...]:
    """Read profile CSV text (the inverse of profile_csv)."""
    return tuple(
        DrugProfile(
            restored(row["field_office"]),
            DrugType(row["drug_type"]),
            row["fiscal_years"],
            int(row["events"]),
            float(row["total_lbs"]),
        )
        for row in csv.DictReader(io.StringIO(text))
    )


@cache
def load_profile() -> tuple[DrugProfile, ...]:
    """The profile shipped with the package."""
    text = resources.files("enlace.synth").joinpath(PROFILE_FILE).read_text(encoding="utf-8")
    return parse_profile(text)
