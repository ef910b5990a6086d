"""Reports rendered by a worker, waiting for the command that asked for them: the
rendered_reports table (enlace.jobs.report)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from enlace.store.tables import rendered_reports


@dataclass(frozen=True, slots=True)
class RenderedReport:
    """One language of a rendered report."""

    language: str
    html: str
    pdf: bytes


class RenderedReportRepository:
    """The rendered_reports table, inside the caller's transaction (never commits)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def put(self, request_id: str, reports: list[RenderedReport], *, at: str) -> None:
        """Keep the reports of `request_id`, in place of any kept before (a job run again
        after its worker died leaves one copy, not two)."""
        self._connection.execute(
            delete(rendered_reports).where(rendered_reports.c.request_id == request_id)
        )
        if reports:
            self._connection.execute(
                insert(rendered_reports),
                [
                    {
                        "request_id": request_id,
                        "language": report.language,
                        "html": report.html,
                        "pdf": report.pdf,
                        "rendered_at": at,
                    }
                    for report in reports
                ],
            )

    def take(self, request_id: str) -> list[RenderedReport]:
        """The reports of `request_id`, by language, deleted from the table."""
        rows = self._connection.execute(
            select(rendered_reports.c.language, rendered_reports.c.html, rendered_reports.c.pdf)
            .where(rendered_reports.c.request_id == request_id)
            .order_by(rendered_reports.c.language)
        ).all()
        self._connection.execute(
            delete(rendered_reports).where(rendered_reports.c.request_id == request_id)
        )
        return [RenderedReport(str(r.language), str(r.html), bytes(r.pdf)) for r in rows]
