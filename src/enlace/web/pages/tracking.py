"""Tracking (seguimiento de resultados): meetings, commitments and actions by status with
the overdue flagged, indicator charts, and the meeting's progress report to download."""

from __future__ import annotations

import base64
import tempfile
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from enlace.reports.catalogue import language
from enlace.reports.charts import indicator_chart
from enlace.reports.errors import NoMeeting, UnknownLanguage
from enlace.reports.render import render_html, write_pdf
from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.navigation import TRACKING_ROLES
from enlace.web.pages.common import refusal_page
from enlace.web.queries.tracking import tracking_view
from enlace.web.rendering import render, request_language
from enlace.web.security import CurrentUser, allow

router = APIRouter()
_ID_MAX = 128


@router.get("/web/tracking")
def tracking_page(
    request: Request,
    context: Context,
    meeting: str = "",
    user: CurrentUser = allow(*TRACKING_ROLES),
) -> Response:
    """The chosen (or next) meeting's commitments and actions, and the indicators."""
    chosen = parameters.bounded_text(meeting, name="meeting", high=_ID_MAX)
    try:
        view = tracking_view(context.store, meeting_id=chosen or None, today=date.today())
    except NoMeeting:
        return refusal_page(request, user, 404, "This node holds no meeting {id}.", id=chosen)
    lang = request_language(request, user)
    charts = {
        series.id: _image_source(indicator_chart(series, lang))
        for series in view.indicators
        if series.points or series.target is not None
    }
    return render(
        request,
        user,
        "tracking.html",
        {"view": view, "data": view.data, "charts": charts, "today": date.today()},
    )


@router.get("/web/tracking/report")
def download_report(
    request: Request,
    context: Context,
    meeting: str = "",
    lang: str = "",
    format: str = "pdf",
    user: CurrentUser = allow(*TRACKING_ROLES),
) -> Response:
    """The meeting's progress report (informe de avance) as PDF or HTML, in es or en."""
    meeting = parameters.bounded_text(meeting, name="meeting", high=_ID_MAX)
    try:
        chosen = language(lang) if lang else request_language(request, user)
    except UnknownLanguage:
        return refusal_page(
            request, user, 400, "Unknown language {value}: expected es or en.", value=lang[:20]
        )
    if format not in ("pdf", "html"):
        return refusal_page(
            request, user, 400, "Unknown format {value}: expected pdf or html.", value=format[:20]
        )
    try:
        view = tracking_view(context.store, meeting_id=meeting or None, today=date.today())
    except NoMeeting:
        return refusal_page(request, user, 404, "This node holds no meeting {id}.", id=meeting)
    if view.data is None:
        return refusal_page(request, user, 404, "This node holds no meeting to report on.")
    html = render_html(view.data, chosen)
    name = f"informe-{chosen}" if chosen == "es" else f"report-{chosen}"
    if format == "html":
        return Response(
            html,
            media_type="text/html; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.html"'},
        )
    with tempfile.TemporaryDirectory(prefix="enlace-report-") as folder:
        path = Path(folder) / "report.pdf"
        write_pdf(html, path)
        body = path.read_bytes()
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


def _image_source(svg: str) -> str:
    # An image, not inline SVG: Matplotlib styles its drawing with style attributes and a
    # <style> element, which the pages' Content-Security-Policy refuses inline; inside an
    # image they are the image's own, and no script in it could ever run.
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
