"""Hand-made seizures for the indicator tests, stored as a node would store them."""

from __future__ import annotations

from datetime import UTC, datetime

from enlace.model.markings import Markings
from enlace.model.records import Seizure, agency_id, derived_id
from enlace.store.store import Store
from enlace.store.versions import StoredVersion

CREATED = datetime(2025, 1, 1, tzinfo=UTC)
SHARED = Markings.build(tlp="amber", releasable_to="MX US", handling="H0", evaluation="B2")


def seizure(
    key: str,
    day: str,
    quantity: float,
    unit: str = "kg",
    *,
    owner: str = "MX",
    category: str = "drug",
    drug: str | None = "fentanyl",
) -> Seizure:
    values: dict[str, object] = {
        "category": category,
        "quantity": quantity,
        "unit": unit,
        "seizure_date": day,
    }
    if drug is not None:
        values["drug_type"] = drug
    return Seizure.from_values(
        id=derived_id("enlace-seizure", "indicators", key),
        owner=owner,
        markings=SHARED,
        created=CREATED,
        modified=CREATED,
        created_by_ref=agency_id(owner, "FGR" if owner == "MX" else "CBP"),
        values=values,
    )


def store_versions(store: Store, *records: Seizure, received_from: str | None = None) -> None:
    with store.unit_of_work() as uow:
        uow.records.add(
            [StoredVersion.of(r, received_from=received_from) for r in records],
            added_at=uow.started_at,
        )
        uow.commit()
