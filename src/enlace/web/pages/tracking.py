"""Tracking (seguimiento de resultados): meetings, commitments and actions by status with
the overdue flagged, indicator charts, and the meeting's progress report to download."""

from __future__ import annotations

import base64
import functools
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from enlace.model.records import Action, Commitment
from enlace.model.vocabulary import (
    CommitmentTheme,
    MeetingMechanism,
    Responsible,
    TrackingStatus,
)
from enlace.reports.catalogue import Language, language
from enlace.reports.charts import indicator_chart
from enlace.reports.errors import NoMeeting, UnknownLanguage
from enlace.reports.render import render_html, write_pdf
from enlace.tracking.edit import edit_record, editable_fields, tracked_record
from enlace.tracking.errors import TrackingError
from enlace.tracking.indicators.series import IndicatorSeries
from enlace.tracking.progress import record_progress
from enlace.tracking.proposal import Proposal
from enlace.tracking.review import SAME_AS, held_document, pending_documents, review
from enlace.web import parameters
from enlace.web.context import Context
from enlace.web.i18n import Formatter
from enlace.web.navigation import TRACKING_ROLES
from enlace.web.pages.common import refusal_page
from enlace.web.queries.tracking import tracking_view
from enlace.web.rendering import render, request_language
from enlace.web.security import CurrentUser, allow, csrf_checked
from enlace.web.sparkline import chart_text

router = APIRouter()
_ID_MAX = 128
_FIELD_MAX = 4000
_DIGEST = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(r"[mca][0-9]{1,4}")
# What each field of a proposal is called on the review page (English msgids).
REVIEW_LABELS = {
    "title": "Title",
    "mechanism": "Mechanism",
    "sequence": "Session number",
    "meeting_date": "Date",
    "meeting_month": "Month (YYYY-MM)",
    "place": "Place",
    "mx_agencies": "Mexican agencies",
    "us_agencies": "US agencies",
    "text_es": "Text in Spanish",
    "text_en": "Text in English",
    "description_es": "Text in Spanish",
    "description_en": "Text in English",
    "theme": "Theme",
    "responsible": "Responsible",
    "lead_agencies": "Lead agencies",
    "due_date": "Due",
    "owner_agency": "Agency",
    "status": "Status",
    "evidence": "Evidence to add (record ids or indicator:<id>@<period>)",
}
# Progress (status, due date, evidence) is recorded as `enlace tracking update` records it
# (`record_progress`, audited tracking-progress); the correction form leaves these fields to
# the progress form, so a page never offers two inputs for one field.
PROGRESS_FIELDS = ("status", "due_date", "evidence")
_EVIDENCE_SPLIT = re.compile(r"[\s,]+")


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
        series.id: _chart_source(series, lang)
        for series in view.indicators
        if series.points or series.target is not None
    }
    t = Formatter(lang)
    chart_texts = {series.id: chart_text(series, t) for series in view.indicators}
    return render(
        request,
        user,
        "tracking.html",
        {
            "view": view,
            "data": view.data,
            "charts": charts,
            "chart_texts": chart_texts,
            "today": date.today(),
        },
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


# Drawing a chart (Matplotlib) is most of the page's time, and a series changes only when
# data is imported, synced or its statistics replaced: the drawings are kept by value — the
# whole series and the language are the key, so a changed series is drawn afresh and a stale
# one cannot be shown.
@functools.lru_cache(maxsize=64)
def _chart_source(series: IndicatorSeries, lang: Language) -> str:
    return _image_source(indicator_chart(series, lang))


def _image_source(svg: str) -> str:
    # An image, not inline SVG: Matplotlib styles its drawing with style attributes and a
    # <style> element, which the pages' Content-Security-Policy refuses inline; inside an
    # image they are the image's own, and no script in it could ever run.
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


@router.get("/web/tracking/review")
def review_page(
    request: Request,
    context: Context,
    decided: str = "",
    user: CurrentUser = allow(*TRACKING_ROLES),
) -> Response:
    """The proposals kept for review, one form per proposed meeting, commitment or action."""
    view = pending_documents(context.store)
    documents = [
        {
            "document": doc,
            "proposals": [i for i in review_items(doc.proposal) if i.key in doc.pending],
        }
        for doc in view.documents
    ]
    outcome = decided if decided in ("accepted", "rejected") else ""
    return render(
        request,
        user,
        "tracking_review.html",
        {
            "documents": documents,
            "decided": outcome,
            "choices": _choices(),
            "held_commitments": view.commitments,
        },
    )


_FORM = Annotated[str, Form(max_length=_FIELD_MAX)]


@router.post("/web/tracking/review/{digest}/{key}", dependencies=[csrf_checked])
def decide(
    request: Request,
    digest: str,
    key: str,
    context: Context,
    decision: Annotated[str, Form(max_length=10)] = "",
    mechanism: _FORM = "",
    sequence: _FORM = "",
    meeting_date: _FORM = "",
    meeting_month: _FORM = "",
    place: _FORM = "",
    mx_agencies: _FORM = "",
    us_agencies: _FORM = "",
    text_es: _FORM = "",
    text_en: _FORM = "",
    theme: _FORM = "",
    responsible: _FORM = "",
    lead_agencies: _FORM = "",
    due_date: _FORM = "",
    description_es: _FORM = "",
    description_en: _FORM = "",
    owner_agency: _FORM = "",
    same_as: Annotated[str, Form(max_length=_ID_MAX)] = "",
    user: CurrentUser = allow(*TRACKING_ROLES),
) -> Response:
    """Accept a proposal, with the fields as the form holds them, or reject it."""
    if not _DIGEST.fullmatch(digest) or not _KEY.fullmatch(key):
        return refusal_page(request, user, 404, "No proposal {id} is kept for review.", id=key[:8])
    if decision not in ("accept", "reject"):
        return refusal_page(
            request, user, 400, "Unknown decision {value}: expected accept or reject.",
            value=decision[:20],
        )  # fmt: skip
    held = held_document(context.store, digest)
    item = next((i for i in review_items(held.proposal) if i.key == key), None) if held else None
    if held is None or item is None:
        return refusal_page(request, user, 404, "No proposal {id} is kept for review.", id=key)
    sent = {
        "mechanism": mechanism, "sequence": sequence, "meeting_date": meeting_date,
        "meeting_month": meeting_month, "place": place, "mx_agencies": mx_agencies,
        "us_agencies": us_agencies, "text_es": text_es, "text_en": text_en, "theme": theme,
        "responsible": responsible, "lead_agencies": lead_agencies, "due_date": due_date,
        "description_es": description_es, "description_en": description_en,
        "owner_agency": owner_agency,
    }  # fmt: skip
    # Only what the coordinator changed is an edit: the rest is stored as proposed.
    edits: dict[str, object] = {}
    for field in item.fields:
        value = parameters.bounded_text(sent[field.name], name=field.name, high=_FIELD_MAX)
        if value != field.value:
            edits[field.name] = value
    if item.kind == "commitment" and same_as:
        edits[SAME_AS] = parameters.bounded_text(same_as, name="same_as", high=_ID_MAX)
    try:
        review(
            context.store,
            held.proposal,
            content_sha256=digest,
            party=context.party,
            accept=[key] if decision == "accept" else (),
            reject=[key] if decision == "reject" else (),
            edits={key: edits} if decision == "accept" and edits else {},
            actor=user.username,
        )
    except TrackingError as error:
        return refusal_page(request, user, 409, "Not done: {reason}", reason=str(error))
    outcome = "accepted" if decision == "accept" else "rejected"
    return RedirectResponse(f"/web/tracking/review?decided={outcome}", status_code=303)


@dataclass(frozen=True, slots=True)
class ReviewField:
    """One field of a proposal's form: its record field name, label, value as shown, kind
    of input ("text", "long", "date", or the vocabulary of a select)."""

    name: str
    label: str
    value: str
    kind: str


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One proposal's form."""

    key: str
    kind: str
    announced: bool
    sentence: str
    fields: tuple[ReviewField, ...]
    of: str | None = None  # an action's commitment key


def review_items(proposal: Proposal) -> list[ReviewItem]:
    """Each proposed item with its fields as a form shows them (the same text the handler
    compares the form with, so an untouched field is no edit)."""
    spanish = proposal.language == "es"
    items: list[ReviewItem] = []

    def field(name: str, value: object, kind: str = "text") -> ReviewField:
        if isinstance(value, tuple):
            shown = "|".join(value)
        elif value is None:
            shown = ""
        else:
            shown = str(getattr(value, "value", value))
        return ReviewField(name, REVIEW_LABELS[name], shown, kind)

    for m in proposal.meetings:
        items.append(ReviewItem(
            key=m.key, kind="meeting", announced=m.announced, sentence=m.source_sentence,
            fields=(
                field("mechanism", m.mechanism, "mechanism"),
                field("sequence", m.sequence),
                field("meeting_date", m.meeting_date, "date"),
                field("meeting_month", m.meeting_month),
                field("place", m.place),
                field("mx_agencies", m.mx_agencies),
                field("us_agencies", m.us_agencies),
            ),
        ))  # fmt: skip
    for c in proposal.commitments:
        items.append(ReviewItem(
            key=c.key, kind="commitment", announced=False, sentence=c.source_sentence,
            fields=(
                field("text_es", c.text if spanish else None, "long"),
                field("text_en", None if spanish else c.text, "long"),
                field("theme", c.theme, "theme"),
                field("responsible", c.responsible, "responsible"),
                field("lead_agencies", c.lead_agencies),
                field("due_date", c.due_date, "date"),
            ),
        ))  # fmt: skip
    for a in proposal.actions:
        items.append(ReviewItem(
            key=a.key, kind="action", announced=False, sentence=a.source_sentence,
            of=a.commitment_key,
            fields=(
                field("description_es", a.description if spanish else None,
                      "long"),
                field("description_en", None if spanish else a.description,
                      "long"),
                field("owner_agency", a.owner_agency),
                field("due_date", a.due_date, "date"),
            ),
        ))  # fmt: skip
    return items


_KINDS = {
    "mechanism": "mechanism",
    "theme": "theme",
    "responsible": "responsible",
    "meeting_date": "date",
    "due_date": "date",
    "text_es": "long",
    "text_en": "long",
    "description_es": "long",
    "description_en": "long",
}


def record_fields(record: object, kind: str) -> tuple[ReviewField, ...]:
    """A stored record's correctable fields as the edit form shows them (progress fields
    apart, on commitments and actions: the progress form shows those)."""
    shown: list[ReviewField] = []
    skipped = PROGRESS_FIELDS if kind in ("commitment", "action") else ()
    for name in editable_fields(kind):
        if name in skipped:
            continue
        value = getattr(record, name)
        if isinstance(value, tuple):
            text = "|".join(value)
        elif value is None:
            text = ""
        else:
            text = str(getattr(value, "value", value))
        shown.append(ReviewField(name, REVIEW_LABELS[name], text, _KINDS.get(name, "text")))
    return tuple(shown)


def progress_fields(record: Commitment | Action) -> tuple[ReviewField, ...]:
    """The progress form's fields: status, due date, and (on an action) evidence to add."""
    fields = [
        ReviewField("status", REVIEW_LABELS["status"], record.status.value, "status"),
        ReviewField(
            "due_date",
            REVIEW_LABELS["due_date"],
            record.due_date.isoformat() if record.due_date else "",
            "date",
        ),
    ]
    if isinstance(record, Action):
        fields.append(ReviewField("evidence", REVIEW_LABELS["evidence"], "", "text"))
    return tuple(fields)


def _choices() -> dict[str, list[str]]:
    return {
        "mechanism": [m.value for m in MeetingMechanism],
        "theme": [t.value for t in CommitmentTheme],
        "responsible": [r.value for r in Responsible],
        "status": [s.value for s in TrackingStatus],
    }


@router.get("/web/tracking/edit")
def edit_page(
    request: Request,
    context: Context,
    record: str = "",
    saved: str = "",
    user: CurrentUser = allow(*TRACKING_ROLES),
) -> Response:
    """A form to correct a meeting, commitment or action this node holds, and one to record
    a commitment's or action's progress."""
    chosen = parameters.bounded_text(record, name="record", high=_ID_MAX)
    held = tracked_record(context.store, chosen) if chosen else None
    if held is None:
        return refusal_page(
            request, user, 404, "This node holds no meeting, commitment or action {id}.", id=chosen
        )
    progress = progress_fields(held) if isinstance(held, Commitment | Action) else ()
    return render(
        request,
        user,
        "tracking_edit.html",
        {
            "record": held,
            "fields": record_fields(held, held.KIND),
            "progress": progress,
            "choices": _choices(),
            "saved": saved if saved in ("1", "progress") else "",
        },
    )


@router.post("/web/tracking/edit", dependencies=[csrf_checked])
def edit_submit(
    request: Request,
    context: Context,
    record: Annotated[str, Form(max_length=_ID_MAX)] = "",
    title: _FORM = "",
    mechanism: _FORM = "",
    sequence: _FORM = "",
    meeting_date: _FORM = "",
    meeting_month: _FORM = "",
    place: _FORM = "",
    mx_agencies: _FORM = "",
    us_agencies: _FORM = "",
    text_es: _FORM = "",
    text_en: _FORM = "",
    theme: _FORM = "",
    responsible: _FORM = "",
    lead_agencies: _FORM = "",
    due_date: _FORM = "",
    description_es: _FORM = "",
    description_en: _FORM = "",
    owner_agency: _FORM = "",
    user: CurrentUser = allow(*TRACKING_ROLES),
) -> Response:
    """Correct the record with the fields the form changed: a new audited version."""
    chosen = parameters.bounded_text(record, name="record", high=_ID_MAX)
    held = tracked_record(context.store, chosen) if chosen else None
    if held is None:
        return refusal_page(
            request, user, 404, "This node holds no meeting, commitment or action {id}.", id=chosen
        )
    sent = {
        "title": title, "mechanism": mechanism, "sequence": sequence,
        "meeting_date": meeting_date, "meeting_month": meeting_month, "place": place,
        "mx_agencies": mx_agencies, "us_agencies": us_agencies, "text_es": text_es,
        "text_en": text_en, "theme": theme, "responsible": responsible,
        "lead_agencies": lead_agencies, "due_date": due_date,
        "description_es": description_es, "description_en": description_en,
        "owner_agency": owner_agency,
    }  # fmt: skip
    changes: dict[str, object] = {}
    for field in record_fields(held, held.KIND):
        value = parameters.bounded_text(sent[field.name], name=field.name, high=_FIELD_MAX)
        if value != field.value:
            changes[field.name] = value
    try:
        edit_record(context.store, held.id, changes, party=context.party, actor=user.username)
    except TrackingError as error:
        return refusal_page(request, user, 409, "Not done: {reason}", reason=str(error))
    return RedirectResponse(f"/web/tracking/edit?record={held.id}&saved=1", status_code=303)


@router.post("/web/tracking/progress", dependencies=[csrf_checked])
def progress_submit(
    request: Request,
    context: Context,
    record: Annotated[str, Form(max_length=_ID_MAX)] = "",
    status: Annotated[str, Form(max_length=40)] = "",
    due_date: Annotated[str, Form(max_length=40)] = "",
    evidence: _FORM = "",
    user: CurrentUser = allow(*TRACKING_ROLES),
) -> Response:
    """Record a commitment's or action's progress as `enlace tracking update` does: a new
    version with its status, due date or added evidence, audited tracking-progress."""
    chosen = parameters.bounded_text(record, name="record", high=_ID_MAX)
    held = tracked_record(context.store, chosen) if chosen else None
    if not isinstance(held, Commitment | Action):
        return refusal_page(
            request, user, 404, "This node holds no commitment or action {id}.", id=chosen
        )
    wanted = parameters.bounded_text(status, name="status", high=40)
    try:
        new_status = TrackingStatus(wanted) if wanted else None
    except ValueError:
        choices = ", ".join(s.value for s in TrackingStatus)
        return refusal_page(
            request, user, 400, "Unknown status {value}: expected one of {choices}.",
            value=wanted[:40], choices=choices,
        )  # fmt: skip
    due = parameters.bounded_text(due_date, name="due_date", high=40)
    try:
        new_due = date.fromisoformat(due) if due else None
    except ValueError:
        return refusal_page(
            request, user, 400, "Not a date: {value}; expected YYYY-MM-DD.", value=due[:40]
        )
    items = parameters.bounded_text(evidence, name="evidence", high=_FIELD_MAX)
    try:
        record_progress(
            context.store,
            held.id,
            party=context.party,
            status=new_status,
            due_date=new_due,
            evidence=[item for item in _EVIDENCE_SPLIT.split(items) if item],
            actor=user.username,
        )
    except TrackingError as error:
        return refusal_page(request, user, 409, "Not done: {reason}", reason=str(error))
    return RedirectResponse(f"/web/tracking/edit?record={held.id}&saved=progress", status_code=303)
