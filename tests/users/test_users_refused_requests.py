"""Refused anonymous requests are counted per minute and source, and become one audit entry
per minute and source once the minute is over; what a stranger can make the node store is
bounded. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from enlace.model.roles import Role
from enlace.partners.authentication import PartnerUnauthenticated, authenticate_partner
from enlace.store.repositories.audit import AuditEntry
from enlace.store.store import Store
from enlace.store.tables import refused_requests
from enlace.users import refused_requests as counting
from enlace.users.accounts import add_user
from enlace.users.authentication import ThrottlePolicy, authenticate
from enlace.users.refused_requests import flush_refused_requests, record_refused_request
from enlace.users.tokens import token_user
from support.clock import FrozenClock
from support.exchange import US_TOKEN, mx_node

pytestmark = pytest.mark.usefixtures("quick_passwords")

PATH = "/taxii2/"
PASSWORD = "correct horse battery"


def _refuse_partner(store: Store, client: str, path: str = PATH) -> None:
    with pytest.raises(PartnerUnauthenticated):
        authenticate_partner(store, authorization="Bearer nope", path=path, client=client)


def _counted(store: Store) -> list[AuditEntry]:
    with store.unit_of_work() as uow:
        assert uow.audit.verify().ok
        return [e for e in uow.audit.entries() if e.action == "refused-requests"]


def _rows(store: Store) -> int:
    with store.unit_of_work() as uow:
        return int(
            uow.connection.execute(select(func.count()).select_from(refused_requests)).scalar_one()
        )


def test_many_refusals_from_one_address_in_a_minute_become_one_entry_after_the_minute(
    store: Store, frozen_now: FrozenClock
) -> None:
    for second in range(60):
        frozen_now.set(frozen_now.now.replace(second=second))
        _refuse_partner(store, "203.0.113.9")
    assert _counted(store) == []  # the minute is not over: not in the log yet
    frozen_now.advance(seconds=1)  # 12:01:00, the next minute
    _refuse_partner(store, "198.51.100.1")
    (entry,) = _counted(store)
    expected: dict[str, Any] = {
        "minute": "2025-09-01T12:00Z",
        "source": "203.0.113.9",
        "count": 60,
        "reasons": {"partner-api: unknown token": 60},
        "targets": {PATH: 60},
        "other_targets": 0,
    }
    assert (entry.actor, entry.subject, entry.detail) == ("anonymous", "203.0.113.9", expected)
    assert _rows(store) == 1  # only the refusal of the minute in progress is still counted


def test_two_sources_in_a_minute_give_two_entries(store: Store, frozen_now: FrozenClock) -> None:
    for client in ("10.0.0.1", "10.0.0.2", "10.0.0.1"):
        _refuse_partner(store, client)
    frozen_now.advance(minutes=1)
    assert flush_refused_requests(store) == 2
    assert [(e.subject, e.detail["count"]) for e in _counted(store)] == [
        ("10.0.0.1", 2),
        ("10.0.0.2", 1),
    ]
    assert _rows(store) == 0


def test_each_kind_of_anonymous_refusal_is_counted_by_its_reason(
    store: Store, frozen_now: FrozenClock
) -> None:
    add_user(store, username="ana", display_name="Ana", password=PASSWORD, roles=[Role.ANALYST])
    before = _audit_actions(store)
    policy = ThrottlePolicy(free_failures=5, client_free_failures=1)
    _refuse_partner(store, "10.0.0.9")
    assert token_user(store, "enl_made-up", path="/web/api/me", client="10.0.0.9") is None
    assert authenticate(store, "nobody", "guess", client="10.0.0.9", policy=policy).refusal
    assert authenticate(store, "ana", PASSWORD, client="10.0.0.9", policy=policy).refusal == (
        "blocked"
    )
    assert _audit_actions(store) == before  # nothing of a stranger's is an entry of its own
    assert flush_refused_requests(store, include_open=True) == 1
    (entry,) = _counted(store)
    assert entry.detail["count"] == 4
    assert entry.detail["reasons"] == {
        "api-token: unknown token": 1,
        "partner-api: unknown token": 1,
        "sign-in: blocked": 1,
        "sign-in: no such account": 1,
    }
    assert entry.detail["targets"] == {"/taxii2/": 1, "/web/api/me": 1, "ana": 1, "nobody": 1}


def test_past_the_cap_of_sources_a_minute_the_rest_count_as_other(
    store: Store, frozen_now: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "MAX_SOURCES", 3)
    for number in range(1, 7):
        _refuse_partner(store, f"10.0.0.{number}")
    _refuse_partner(store, "10.0.0.1")  # a source already counted keeps its own count
    frozen_now.advance(minutes=1)
    assert flush_refused_requests(store) == 4
    assert {e.subject: e.detail["count"] for e in _counted(store)} == {
        "10.0.0.1": 2,
        "10.0.0.2": 1,
        "10.0.0.3": 1,
        "other": 3,
    }


def test_the_default_cap_is_a_thousand_sources_a_minute() -> None:
    assert counting.MAX_SOURCES == 1_000


def test_past_the_sample_of_targets_the_rest_are_counted_without_them(
    store: Store, frozen_now: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "TARGET_SAMPLE", 2)
    for number in range(5):
        _refuse_partner(store, "10.0.0.1", path=f"/taxii2/{number}/")
    assert _rows(store) == 2 + 1  # two targets kept, the rest under one row
    assert flush_refused_requests(store, include_open=True) == 1
    (entry,) = _counted(store)
    assert entry.detail["count"] == 5
    assert entry.detail["targets"] == {"/taxii2/0/": 1, "/taxii2/1/": 1}
    assert entry.detail["other_targets"] == 3


def test_a_long_source_or_target_is_stored_cut_and_escaped(
    store: Store, frozen_now: FrozenClock
) -> None:
    record_refused_request(store, source="x" * 500, reason="r" * 500, target="/\x00" + "p" * 500)
    assert flush_refused_requests(store, include_open=True) == 1
    (entry,) = _counted(store)
    assert entry.subject == "x" * counting.MAX_SOURCE
    (reason,) = entry.detail["reasons"]
    assert reason == "r" * counting.MAX_REASON
    (target,) = entry.detail["targets"]
    assert target == ("/\\x00" + "p" * 500)[: counting.MAX_TARGET]


def test_a_request_with_no_client_address_counts_under_unknown(
    store: Store, frozen_now: FrozenClock
) -> None:
    with pytest.raises(PartnerUnauthenticated):
        authenticate_partner(store, authorization="", path=PATH, client=None)
    flush_refused_requests(store, include_open=True)
    assert [e.subject for e in _counted(store)] == ["unknown"]


def test_flushing_writes_the_minutes_over_and_keeps_the_one_in_progress(
    store: Store, frozen_now: FrozenClock
) -> None:
    _refuse_partner(store, "10.0.0.1")
    assert flush_refused_requests(store) == 0
    assert _rows(store) == 1
    assert flush_refused_requests(store, include_open=True) == 1
    assert flush_refused_requests(store, include_open=True) == 0  # written once
    assert _rows(store) == 0


def test_an_authenticated_partner_is_neither_counted_nor_audited_differently(
    store: Store, frozen_now: FrozenClock
) -> None:
    mx_node(store)
    before = _audit_actions(store)
    partner = authenticate_partner(
        store, authorization=f"Bearer {US_TOKEN}", path=PATH, client="10.0.0.1"
    )
    assert partner.party == "US"
    assert _rows(store) == 0
    assert _audit_actions(store) == before


def test_a_wrong_password_for_an_existing_account_stays_an_entry_and_still_blocks(
    store: Store, frozen_now: FrozenClock
) -> None:
    add_user(store, username="ana", display_name="Ana", password=PASSWORD, roles=[Role.ANALYST])
    policy = ThrottlePolicy(free_failures=3)
    for _ in range(3):
        assert authenticate(store, "ana", "wrong", client="10.0.0.1", policy=policy).refusal == (
            "wrong"
        )
    assert _audit_actions(store).count("login-failure") == 3
    blocked = authenticate(store, "ana", PASSWORD, client="10.0.0.2", policy=policy)
    assert (blocked.refusal, blocked.retry_after_seconds) == ("blocked", 30)
    assert _rows(store) == 1  # the blocked attempt: counted, not an entry


def _audit_actions(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return [e.action for e in uow.audit.entries()]
