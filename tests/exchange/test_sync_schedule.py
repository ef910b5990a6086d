"""The scheduled sync of `enlace serve --sync-every`: a failing partner is tried less and
less often (up to an hour apart), the others every period, and again every period once it
answers. The network sync is faked at its boundary (`sync_node_partner`): what is tested is
the schedule, on a real store with real registered partners."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from enlace.exchange import sync_client
from enlace.exchange.sync_client import SyncError, SyncReport
from enlace.exchange.sync_schedule import MAX_BACKOFF_SECONDS, PeriodicSync
from enlace.store.store import Store

PERIOD = 10.0


@dataclass
class Partners:
    """Which partners each round synced, and which are down."""

    synced: list[str] = field(default_factory=list)
    down: set[str] = field(default_factory=set)
    bringing: dict[str, int] = field(default_factory=dict)  # records a partner's sync stores


@pytest.fixture
def partners(store: Store, monkeypatch: pytest.MonkeyPatch) -> Partners:
    """CA and US registered on `store`; a sync of a partner in `down` fails."""
    with store.unit_of_work() as uow:
        for party in ("CA", "US"):
            uow.partners.put(
                party=party,
                url=f"http://127.0.0.1:1/{party}",
                verify_key_hex="00" * 32,
                token_hash="0" * 64,
                added_at=uow.started_at,
            )
        uow.commit()
    state = Partners()

    def fake_sync(_store: Store, _key_dir: Path, party: str, **_: object) -> SyncReport:
        state.synced.append(party)
        if party in state.down:
            raise SyncError(party, f"http://127.0.0.1:1/{party}", "cannot reach the partner")
        return SyncReport(partner=party, received=state.bringing.get(party, 0))

    monkeypatch.setattr(sync_client, "sync_node_partner", fake_sync)
    return state


def synced_at(schedule: PeriodicSync, partners: Partners, now: float) -> list[str]:
    partners.synced.clear()
    schedule.run_once(now)
    return sorted(partners.synced)


def test_a_failing_partner_is_tried_less_often_and_every_period_again_once_it_answers(
    store: Store, partners: Partners, tmp_path: Path
) -> None:
    partners.down.add("US")
    schedule = PeriodicSync(store, tmp_path, PERIOD)
    assert synced_at(schedule, partners, 0) == ["CA", "US"]  # fails: next after 2 periods
    assert synced_at(schedule, partners, 10) == ["CA"]
    assert synced_at(schedule, partners, 20) == ["CA", "US"]  # fails again: after 4
    assert [synced_at(schedule, partners, t) for t in (30, 40, 50)] == [["CA"]] * 3
    partners.down.clear()
    assert synced_at(schedule, partners, 60) == ["CA", "US"]  # answers: every period again
    assert synced_at(schedule, partners, 70) == ["CA", "US"]


def test_the_wait_stops_growing_at_an_hour(
    store: Store, partners: Partners, tmp_path: Path
) -> None:
    partners.down.add("US")
    schedule = PeriodicSync(store, tmp_path, PERIOD)
    tries = [
        now
        for now in (PERIOD * n for n in range(int(5 * MAX_BACKOFF_SECONDS / PERIOD)))
        if "US" in synced_at(schedule, partners, now)
    ]
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert gaps[:4] == [20, 40, 80, 160]
    assert max(gaps) == MAX_BACKOFF_SECONDS
    assert gaps[-1] == MAX_BACKOFF_SECONDS


def test_a_round_that_stored_records_refreshes_what_the_pages_keep_ready_once(
    store: Store, partners: Partners, tmp_path: Path
) -> None:
    refreshed: list[int] = []
    schedule = PeriodicSync(
        store, tmp_path, PERIOD, after_changes=lambda: refreshed.append(schedule.runs)
    )
    schedule.run_once(0)  # nothing new from anyone: nothing to refresh
    partners.bringing.update(CA=3, US=2)
    schedule.run_once(10)  # both brought records: one refresh for the round
    partners.bringing.clear()
    partners.down.add("US")
    schedule.run_once(20)  # one failed, the other brought nothing
    assert refreshed == [2]


def test_a_failing_refresh_does_not_stop_the_schedule(
    store: Store, partners: Partners, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("indicators unavailable")

    partners.bringing["CA"] = 1
    schedule = PeriodicSync(store, tmp_path, PERIOD, after_changes=broken)
    assert sorted(schedule.run_once(0)) == ["CA", "US"]
    assert synced_at(schedule, partners, 10) == ["CA", "US"]
    assert "refreshing after the scheduled sync failed" in caplog.text
