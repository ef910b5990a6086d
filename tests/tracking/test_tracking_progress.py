"""Recording progress on a commitment or action: a new, audited version; refusals write nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enlace.cli.app import build_app
from enlace.model.markings import Markings
from enlace.model.records import Action, Commitment, PhoneNumber, Record, derived_id
from enlace.model.vocabulary import TrackingStatus
from enlace.node.setup import initialise_node, open_node
from enlace.store.store import Store
from enlace.store.versions import StoredVersion
from enlace.tracking.cbp_data import shipped_cbp_folder
from enlace.tracking.errors import TrackingError
from enlace.tracking.progress import record_progress
from enlace.tracking.statistics import import_cbp_statistics

WHEN = datetime(2025, 12, 6, 9, 0, tzinfo=UTC)
MARKINGS = Markings.build(tlp="amber", releasable_to=None, handling="H0", evaluation="B2")
COMMITMENT_ID = derived_id("enlace-commitment", "progress-test")
ACTION_ID = derived_id("enlace-action", "progress-test")
SEIZURE_ID = "enlace-seizure--6b5f2c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"  # not held by the node
PHONE_ID = derived_id("enlace-phone-number", "progress-test")


def _commitment(owner: str = "MX") -> Commitment:
    return Commitment.from_values(
        id=COMMITMENT_ID if owner == "MX" else derived_id("enlace-commitment", owner),
        owner=owner,
        markings=MARKINGS,
        created=WHEN,
        modified=WHEN,
        created_by_ref=None,
        values={
            "text_es": "Crear un equipo binacional contra el uso de drones",
            "theme": "drones",
            "responsible": "joint",
            "due_date": "2026-01-23",
            "status": "announced",
        },
    )


def _action() -> Action:
    return Action.from_values(
        id=ACTION_ID,
        owner="MX",
        markings=MARKINGS,
        created=WHEN,
        modified=WHEN,
        created_by_ref=None,
        values={
            "commitment_ref": COMMITMENT_ID,
            "description_es": "Capacitar en sistemas anti-drones",
            "status": "announced",
        },
    )


def _phone() -> PhoneNumber:
    return PhoneNumber.from_values(
        id=PHONE_ID,
        owner="MX",
        markings=MARKINGS,
        created=WHEN,
        modified=WHEN,
        created_by_ref=None,
        values={"number": "+52 55 1234 5678"},
    )


def _store_records(store: Store, *records: Record, received_from: str | None = None) -> None:
    with store.unit_of_work() as uow:
        uow.records.add(
            [StoredVersion.of(r, received_from=received_from) for r in records],
            added_at=uow.started_at,
        )
        uow.commit()


def _state(store: Store, record_id: str) -> tuple[int, int]:
    with store.unit_of_work() as uow:
        return len(uow.records.versions(record_id)), uow.audit.count()


def test_a_status_change_is_a_new_audited_version_and_the_old_one_stays(store: Store) -> None:
    _store_records(store, _commitment(), _action(), _phone())
    report = record_progress(
        store, ACTION_ID, party="MX", status=TrackingStatus.DELIVERED, evidence=[PHONE_ID]
    )
    assert (report.status_before, report.status_after) == ("announced", "delivered")
    with store.unit_of_work() as uow:
        versions = uow.records.versions(ACTION_ID)
        assert len(versions) == 2
        newest = versions[-1].stix_object()
        assert newest["status"] == "delivered"
        assert newest["evidence"] == [PHONE_ID]
        assert versions[0].stix_object()["status"] == "announced"
        entries = list(uow.audit.entries())
    assert entries[-1].action == "tracking-progress"
    assert entries[-1].subject == ACTION_ID
    assert entries[-1].detail["changed"] == ["evidence", "status"]

    moved = record_progress(store, COMMITMENT_ID, party="MX", due_date=date(2026, 3, 31))
    assert moved.status_after == "announced"
    assert _state(store, COMMITMENT_ID)[0] == 2


@pytest.mark.parametrize(
    ("target", "kwargs", "message"),
    [
        ("absent", {"status": TrackingStatus.DELIVERED}, "no such record"),
        ("phone", {"status": TrackingStatus.DELIVERED}, "not a commitment or an action"),
        ("partner", {"status": TrackingStatus.DELIVERED}, "only its owner's node"),
        ("commitment", {"status": TrackingStatus.ANNOUNCED}, "nothing to change"),
        ("commitment", {"evidence": [SEIZURE_ID]}, "commitments carry no evidence"),
        ("action", {"evidence": ["not-an-id"]}, "--evidence"),
        ("action", {"evidence": [SEIZURE_ID]}, f"{SEIZURE_ID}: no such record in this node"),
        (
            "action",
            {"evidence": ["indicator:cbp-fentanyl-swb-fy@FY2023"]},
            "has no value for FY2023; it has no values yet",
        ),
        ("action", {"evidence": ["indicator:no-such@2023"]}, "no indicator 'no-such'"),
        ("action", {"evidence": ["indicator:cbp-fentanyl-swb-fy@2023"]}, "not a fiscal-year"),
    ],
)
def test_what_cannot_be_updated_is_refused_and_writes_nothing(
    store: Store, target: str, kwargs: dict[str, object], message: str
) -> None:
    phone = _phone()
    partners = _commitment(owner="US")
    _store_records(store, _commitment(), _action(), phone)
    _store_records(store, partners, received_from="US")
    record_id = {
        "absent": derived_id("enlace-action", "absent"),
        "phone": phone.id,
        "partner": partners.id,
        "commitment": COMMITMENT_ID,
        "action": ACTION_ID,
    }[target]
    before = _state(store, record_id)
    with pytest.raises(TrackingError, match=message):
        record_progress(store, record_id, party="MX", **kwargs)  # type: ignore[arg-type]
    assert _state(store, record_id) == before


def test_an_indicator_period_with_a_value_is_evidence_and_one_without_is_refused(
    store: Store,
) -> None:
    _store_records(store, _commitment(), _action())
    import_cbp_statistics(store, Path(str(shipped_cbp_folder())) / "cbp_fy20_fy23.csv")
    before = _state(store, ACTION_ID)
    with pytest.raises(TrackingError, match="has no value for FY2025; it has values from"):
        record_progress(
            store, ACTION_ID, party="MX", evidence=["indicator:cbp-fentanyl-swb-fy@FY2025"]
        )
    assert _state(store, ACTION_ID) == before
    record_progress(
        store,
        ACTION_ID,
        party="MX",
        evidence=["indicator:cbp-fentanyl-swb-fy@FY2023"],
        today=date(2026, 1, 1),
    )
    assert _state(store, ACTION_ID)[0] == before[0] + 1


def test_enlace_tracking_update_on_the_command_line(tmp_path: Path) -> None:
    node = tmp_path / "mx"
    initialise_node(node, party="MX")
    _config, store = open_node(node)
    try:
        _store_records(store, _commitment(), _action())
    finally:
        store.close()
    runner = CliRunner()
    done = runner.invoke(
        build_app(),
        ["tracking", "update", ACTION_ID, "--status", "in-progress", "--node", str(node)],
    )
    assert done.exit_code == 0, done.output
    assert "announced -> in-progress" in done.stdout
    wrong = runner.invoke(
        build_app(), ["tracking", "update", ACTION_ID, "--status", "finished", "--node", str(node)]
    )
    assert wrong.exit_code == 1
    assert "expected one of announced, in-progress, delivered, stalled" in wrong.stderr
    assert "Traceback" not in wrong.output
