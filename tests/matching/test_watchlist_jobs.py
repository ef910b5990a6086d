"""The scheduled watchlist check as a job (`serve --watch-every --workers`) on a PostgreSQL
node: the job a worker runs raises the alert once, a second job none; a job waiting is not
deferred twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import procrastinate
import pytest
from sqlalchemy import text

from enlace.jobs.queue import WorkerNode, defer_watch, job_queue
from enlace.matching.watchlists import add_to_watchlist, watchlist_alerts
from enlace.model.records import Firearm, derived_id
from enlace.model.roles import Role
from enlace.partners.credentials import write_outbound_token
from enlace.users.accounts import add_user
from support.exchange import CREATED, TO_US
from support.matching import agree, load, requester_token, served_nodes
from support.proxy import RecordingListener

if TYPE_CHECKING:  # at run time "conftest" may name another folder's conftest
    from conftest import PostgresServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def stolen_firearm() -> Firearm:
    return Firearm.from_values(
        id=derived_id("enlace-firearm", "watchlist-jobs", "colt"),
        owner="US",
        markings=TO_US,
        created=CREATED,
        modified=CREATED,
        created_by_ref=None,
        values={"make": "Colt", "serial": "AB-12345"},
    )


async def run_waiting_jobs(app: procrastinate.App, node: WorkerNode) -> None:
    """Run the jobs waiting on the queue, in this process, as a worker does; then return."""
    async with app.open_async():
        await app.run_worker_async(wait=False, additional_context={"node": node})


def test_a_worker_runs_the_watch_job_and_alerts_once(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    mx_schema, mx_url = postgres_server.new_schema()
    us_schema, us_url = postgres_server.new_schema()
    key_dir = tmp_path / "mx-keys"
    key_dir.mkdir()
    write_outbound_token(key_dir, "US", requester_token("MX", "US"))
    try:
        with served_nodes({"MX": mx_url, "US": us_url}) as nodes, RecordingListener() as hook:
            mx, us = nodes["MX"], nodes["US"]
            load(us, [stolen_firearm()])
            agree(us, "MX", kinds=("firearm",))
            add_user(mx.store, username="ana", display_name="Ana",
                     password="a long enough pass phrase 7", roles=[Role.ANALYST], actor="t")  # fmt: skip
            add_to_watchlist(mx.store, owner="ana", kind="firearm", identifier="COLT|AB12345",
                             actor="t")  # fmt: skip
            app = job_queue(mx_url)
            node = WorkerNode(store=mx.store, key_dir=key_dir, webhook_url=hook.url)
            for _ in range(2):
                with app.open():
                    assert defer_watch(app)
                    assert not defer_watch(app)  # one waiting: not deferred again
                asyncio.run(run_waiting_jobs(app, node))
            assert len(watchlist_alerts(mx.store, owner="ana")) == 1
            assert len(hook.requests) == 1
            with mx.store.engine.connect() as connection:
                statuses = connection.execute(
                    text("SELECT status FROM procrastinate_jobs ORDER BY id")
                ).scalars()
                assert list(statuses) == ["succeeded", "succeeded"]
    finally:
        postgres_server.drop_schema(mx_schema)
        postgres_server.drop_schema(us_schema)
