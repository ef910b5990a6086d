"""A meeting's report rendered by a worker (issue 19): `enlace report --queue` on a
PostgreSQL node has one of its `enlace worker` processes compute the indicators and print
the report; the files come back through the node's database and are the ones the
in-process `enlace report` writes. A worker killed with SIGKILL mid-job loses nothing:
the job is run again and the caller gets one report."""

from __future__ import annotations

import signal
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from enlace.jobs.queue import REPORT_TASK
from enlace.jobs.report import render_report_by_worker
from enlace.node.setup import initialise_node, open_node
from enlace.reports.render import ReportFiles
from enlace.store.store import Store
from enlace.store.tables import rendered_reports
from support import timing
from support.nodes import cli, enlace
from support.reports import tracking_node
from support.workers import blocked_on, jobs, working

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def tracked_node(node: Path, database_url: str | None) -> None:
    """MX's node with meetings, commitments, actions and statistics to report on."""
    initialise_node(node, party="MX", database_url=database_url)
    _, store = open_node(node)
    try:
        tracking_node(store)
    finally:
        store.close()


def kept_reports(database_url: str) -> int:
    """How many rendered files wait in the node's database."""
    store = Store.open(database_url, migrate=False)
    try:
        with store.engine.connect() as connection:
            found = connection.execute(select(func.count()).select_from(rendered_reports))
            return int(found.scalar_one())
    finally:
        store.close()


def test_a_report_rendered_by_a_worker_is_the_in_process_report(
    tmp_path: Path, database_url: str
) -> None:
    mx = tmp_path / "mx"
    tracked_node(mx, database_url)
    cli("report", "--node", str(mx), "--out", str(tmp_path / "in-process"))
    with working(mx, "worker-1"), working(mx, "worker-2"):
        output = cli("report", "--queue", "--node", str(mx), "--out", str(tmp_path / "queued"))
    assert "queued; waiting for the node's workers" in output
    for lang in ("es", "en"):
        html = tmp_path / "queued" / f"report-{lang}.html"
        pdf = tmp_path / "queued" / f"report-{lang}.pdf"
        assert str(html) in output
        assert str(pdf) in output
        in_process = tmp_path / "in-process" / f"report-{lang}.html"
        assert html.read_text(encoding="utf-8") == in_process.read_text(encoding="utf-8")
        assert pdf.read_bytes().startswith(b"%PDF-")
    assert jobs(database_url, REPORT_TASK) == [("succeeded", 1)]
    assert kept_reports(database_url) == 0  # taken by the command, not left behind


def test_a_report_on_a_sqlite_node_is_not_put_on_a_queue(tmp_path: Path) -> None:
    mx = tmp_path / "mx"
    tracked_node(mx, None)
    result = enlace("report", "--queue", "--node", str(mx), "--out", str(tmp_path / "out"))
    assert result.returncode != 0
    assert "workers need a PostgreSQL node" in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()


def _waiting_to_keep_the_files(database_url: str) -> bool:
    # The worker has rendered the report and waits, on the lock the test holds, to keep it.
    return blocked_on(database_url, "rendered_reports")


def test_a_worker_killed_mid_report_loses_nothing(tmp_path: Path, database_url: str) -> None:
    mx = tmp_path / "mx"
    tracked_node(mx, database_url)
    config, store = open_node(mx)
    blocker = Store.open(database_url, migrate=False)
    got: list[list[ReportFiles]] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            got.append(
                render_report_by_worker(
                    store,
                    store_url=config.store_url,
                    meeting_id=None,
                    languages=("es", "en"),
                    indicators=None,
                    out=tmp_path / "queued",
                    today=date.today(),
                    poll_every=0.1,
                )
            )
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    caller = threading.Thread(target=ask)
    try:
        with blocker.engine.connect() as hold:
            hold.execute(text("LOCK TABLE rendered_reports IN EXCLUSIVE MODE"))
            caller.start()
            with working(mx, "worker-1") as first:
                timing.wait_until(
                    lambda: _waiting_to_keep_the_files(database_url),
                    what="the first worker to be in the middle of the report",
                    timeout=60,
                    interval=0.05,
                    detail=lambda: (tmp_path / "worker-1.log").read_text(),
                )
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=timing.timeout(10))
            hold.rollback()  # the lock is let go
        assert kept_reports(database_url) == 0  # the killed run kept nothing
        with working(mx, "worker-2"):
            caller.join(timeout=timing.timeout(90))
            assert not caller.is_alive()
        second_log = (tmp_path / "worker-2.log").read_text()
    finally:
        caller.join(timeout=timing.timeout(10))
        blocker.close()
        store.close()
    assert errors == []
    assert "queued again" in second_log
    assert jobs(database_url, REPORT_TASK) == [("succeeded", 2)]
    [files] = got
    assert [f.language for f in files] == ["es", "en"]
    assert all(f.pdf.read_bytes().startswith(b"%PDF-") for f in files)
    assert kept_reports(database_url) == 0
