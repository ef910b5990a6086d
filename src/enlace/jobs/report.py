"""`enlace report --queue`: a meeting's report rendered by a worker of a PostgreSQL node.

Computing the indicators and printing the PDF take seconds to minutes on a large node; as a
job they run on a worker, possibly on another machine. The worker keeps the files in the
node's database (`rendered_reports`), the one thing it shares with the caller; the caller
waits for the job, writes the files where it was asked to and deletes them from the table.
The report is the one `enlace report` writes in process: the same data, the same templates.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from procrastinate.jobs import Status

from enlace.jobs.queue import defer_report, job_queue
from enlace.model.timestamps import format_timestamp, utc_now
from enlace.node.errors import NodeError
from enlace.reports.catalogue import language
from enlace.reports.queries import build_report_data, meeting_report
from enlace.reports.render import ReportFiles, render_files
from enlace.store.repositories.rendered_reports import RenderedReport
from enlace.store.store import Store
from enlace.tracking.indicators.definitions import default_definitions_path, load_definitions

_DONE = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.ABORTED})


class ReportJobFailed(NodeError):
    """The worker could not render the report (its log says why)."""


def render_for_request(
    store: Store,
    *,
    request_id: str,
    meeting_id: str | None,
    languages: Sequence[str],
    definitions_toml: str | None,
    today: date,
) -> None:
    """Use case (the job's work): render the meeting's report in each language and keep the
    files under `request_id`, replacing any kept by an earlier run of the same job."""
    if definitions_toml is None:
        definitions = load_definitions(default_definitions_path())
    else:
        with tempfile.TemporaryDirectory(prefix="enlace-indicators-") as folder:
            path = Path(folder) / "indicators.toml"
            path.write_text(definitions_toml, encoding="utf-8")
            definitions = load_definitions(path)
    data = meeting_report(store, meeting_id=meeting_id, definitions=definitions, today=today)
    rendered = []
    for code in languages:
        html, pdf = render_files(data, language(code))
        rendered.append(RenderedReport(code, html, pdf))
    with store.unit_of_work() as uow:
        uow.rendered_reports.put(request_id, rendered, at=format_timestamp(utc_now()))
        uow.commit()


def render_report_by_worker(
    store: Store,
    *,
    store_url: str,
    meeting_id: str | None,
    languages: Sequence[str],
    indicators: Path | None,
    out: Path,
    today: date,
    poll_every: float = 0.5,
    queued: Callable[[int], object] | None = None,
) -> list[ReportFiles]:
    """Use case: have a worker render the meeting's report, wait for it, and write
    report-<lang>.html and .pdf into `out`, as `enlace report` does in process.

    NoMeeting before anything is queued when the node holds no such meeting; an
    IndicatorDefinitionError when `indicators` is not usable; ReportJobFailed when the job
    failed for good. `queued` is told the job's id before the wait."""
    # Told here, at once, rather than by a failed job: the meeting, and the definitions.
    build_report_data(store, meeting_id=meeting_id, indicators=(), today=today)
    definitions_toml = None
    if indicators is not None:
        load_definitions(indicators)
        definitions_toml = indicators.read_text(encoding="utf-8")
    request_id = uuid.uuid4().hex
    app = job_queue(store_url)
    with app.open():
        job_id = defer_report(
            app,
            request_id,
            meeting_id=meeting_id,
            languages=list(languages),
            definitions_toml=definitions_toml,
            today=today,
        )
        if queued is not None:
            queued(job_id)
        while (status := app.job_manager.get_job_status(job_id)) not in _DONE:
            time.sleep(poll_every)
    if status != Status.SUCCEEDED:
        raise ReportJobFailed(
            f"the report job {job_id} ended {status.value}: see the workers' logs"
        )
    files = []
    with store.unit_of_work() as uow:
        # Deleted from the table only once the files are written: a write that fails leaves
        # them there (the next report, or an operator, can still read them).
        for report in uow.rendered_reports.take(request_id):
            code = language(report.language)
            out.mkdir(parents=True, exist_ok=True)
            html_path, pdf_path = out / f"report-{code}.html", out / f"report-{code}.pdf"
            html_path.write_text(report.html, encoding="utf-8")
            pdf_path.write_bytes(report.pdf)
            files.append(ReportFiles(language=code, html=html_path, pdf=pdf_path))
        uow.commit()
    order = {code: n for n, code in enumerate(languages)}
    return sorted(files, key=lambda f: order[f.language])
