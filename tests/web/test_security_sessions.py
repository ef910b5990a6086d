"""Session expiry: idle and absolute limits, measured with a frozen clock on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from enlace.model.roles import Role
from enlace.store.store import Store
from enlace.store.tables import audit_log, web_sessions
from enlace.users.sessions import SessionPolicy, purge_expired_sessions
from support.clock import FrozenClock
from support.web import RunningWeb, serving, user_of

pytestmark = pytest.mark.e2e

ANALYST = user_of(Role.ANALYST)
POLICY = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=8))


@pytest.fixture
def web(store: Store, tmp_path: Path, frozen_now: FrozenClock) -> Iterator[RunningWeb]:
    with serving(store, tmp_path / "node", sessions=POLICY) as running:
        yield running


def _session_rows(store: Store) -> int:
    with store.unit_of_work() as uow:
        return len(uow.connection.execute(select(web_sessions.c.id_hash)).all())


def test_session_expires_after_thirty_idle_minutes(
    web: RunningWeb, frozen_now: FrozenClock
) -> None:
    client = web.login(ANALYST)
    frozen_now.advance(minutes=29)
    assert client.get("/web/audit").status_code != 303  # used: the idle clock restarts
    frozen_now.advance(minutes=29)
    assert client.get("/web/audit").status_code != 303
    frozen_now.advance(minutes=30)
    answer = client.get("/web/audit")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/web/login")
    assert _session_rows(web.store) == 0
    with web.store.unit_of_work() as uow:
        actions = (
            uow.connection.execute(select(audit_log.c.action).order_by(audit_log.c.seq))
            .scalars()
            .all()
        )
    assert "session-expired" in actions


def test_session_ends_after_eight_hours_however_busy(
    web: RunningWeb, frozen_now: FrozenClock
) -> None:
    client = web.login(ANALYST)
    for _ in range(16):  # a request every 29 minutes for 7 h 44 min: never idle
        frozen_now.advance(minutes=29)
        assert client.get("/web/audit").status_code != 303
    frozen_now.advance(minutes=17)  # 8 h 01 min after login
    assert client.get("/web/audit").status_code == 303
    assert _session_rows(web.store) == 0


def test_purge_deletes_expired_sessions_and_keeps_live_ones(
    web: RunningWeb, frozen_now: FrozenClock
) -> None:
    web.login(ANALYST)
    frozen_now.advance(minutes=20)
    web.login(user_of(Role.AUDITOR))
    frozen_now.advance(minutes=15)  # the first is 35 min idle, the second 15
    assert purge_expired_sessions(web.store, POLICY) == 1
    with web.store.unit_of_work() as uow:
        left = uow.connection.execute(select(web_sessions.c.username)).scalars().all()
    assert left == [user_of(Role.AUDITOR)]
