"""Import (importar): upload a CSV, JSON Lines or STIX bundle file into the node.

The upload goes through the same importer as `enlace import`, all or nothing: a file with
any bad row writes nothing and the page lists the rows to fix. A file larger than
`MAX_UPLOAD_BYTES` is refused before it is read to the end; nothing is written either.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from enlace.files.importer import import_file
from enlace.files.problems import ImportRejected, InputProblem, UnreadableFile
from enlace.model.errors import RecordError
from enlace.store.errors import VersionConflict
from enlace.store.store import Store
from enlace.tracking.indicators.snapshot import refresh_indicators
from enlace.web.context import Context
from enlace.web.navigation import IMPORT_ROLES
from enlace.web.rendering import render
from enlace.web.security import CurrentUser, allow, csrf_checked

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
FORMATS = ("csv", "jsonl", "stix")
_SUFFIXES = {".csv", ".txt", ".tsv", ".jsonl", ".ndjson", ".json", ".stix", ".bundle"}
_CHUNK = 1024 * 1024
_NAME_MAX = 120
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the small fields around the file

router = APIRouter()


class UploadRefused(Exception):
    """The upload was not imported; nothing was written. `reason` is a msgid."""

    def __init__(
        self,
        status: int,
        reason: str,
        detail: str = "",
        problems: tuple[InputProblem, ...] = (),
        total: int = 0,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.detail = detail
        self.problems = problems
        self.total = total


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import through the web did."""

    name: str
    read: int
    imported: int
    unchanged: int


@router.get("/web/import")
def import_form(request: Request, user: CurrentUser = allow(*IMPORT_ROLES)) -> HTMLResponse:
    """The upload form."""
    return render(request, user, "import.html", _context())


async def uploaded_files_closed(request: Request) -> AsyncIterator[None]:
    """Close the parsed form's temporary files when the request ends, whoever parsed it
    (`csrf_checked` reads the form first) and however the request ends. A body over the
    limit never gets this far: `enlace.web.guard.RequestGuard` answers it 413."""
    try:
        yield
    finally:
        await request.close()


@router.post(
    "/web/import",
    # The role first: a visitor without it is turned away before the form is read.
    dependencies=[
        Depends(uploaded_files_closed),
        allow(*IMPORT_ROLES),
        csrf_checked,
    ],
)
async def upload(
    request: Request, context: Context, user: CurrentUser = allow(*IMPORT_ROLES)
) -> HTMLResponse:
    """Import the uploaded file; show what was imported, or why nothing was."""
    try:
        outcome = await _import_upload(request, context.store, context.party, user.username)
    except UploadRefused as refused:
        return render(
            request, user, "import.html", _context(refused=refused), status_code=refused.status
        )
    return render(request, user, "import.html", _context(outcome=outcome))


def _context(
    *, refused: UploadRefused | None = None, outcome: ImportOutcome | None = None
) -> dict[str, Any]:
    return {
        "formats": FORMATS,
        "max_mib": MAX_UPLOAD_BYTES // (1024 * 1024),
        "refused": refused,
        "outcome": outcome,
    }


async def _import_upload(
    request: Request, store: Store, party: str, username: str
) -> ImportOutcome:
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception:
        raise UploadRefused(400, "The upload could not be read: send the form again.") from None
    upload = form.get("file")
    chosen = str(form.get("format") or "")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise UploadRefused(400, "Choose a file to import.")
    name = PurePath(upload.filename.replace("\\", "/")).name[:_NAME_MAX] or "upload"
    suffix = PurePath(name).suffix.lower()
    if chosen and chosen not in FORMATS:
        raise UploadRefused(400, "Unknown format: choose CSV, JSON Lines or STIX.")
    if not chosen and suffix not in _SUFFIXES:
        raise UploadRefused(400, "The format cannot be told from the file name: choose it.")
    with tempfile.TemporaryDirectory(prefix="enlace-upload-") as folder:
        path = Path(folder) / ("upload" + (suffix if suffix in _SUFFIXES else ".dat"))
        await _save(upload, path)
        return await run_in_threadpool(
            _import_saved, store, party, path, name, chosen or None, username
        )


async def _save(upload: UploadFile, path: Path) -> None:
    written = 0
    with path.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            written += len(chunk)
            if written > MAX_UPLOAD_BYTES:
                raise UploadRefused(413, "The file is larger than the limit.")
            out.write(chunk)
    if written == 0:
        raise UploadRefused(400, "The file is empty.")


def _import_saved(
    store: Store, party: str, path: Path, name: str, fmt: str | None, username: str
) -> ImportOutcome:
    try:
        report = import_file(
            store, party=party, path=path, fmt=fmt, audited_as=(username, name, "web")
        )
    except ImportRejected as rejected:
        problems = tuple(_renamed(problem, name) for problem in rejected.problems)
        raise UploadRefused(
            400,
            "The file has bad rows: nothing was imported.",
            problems=problems,
            total=rejected.total,
        ) from None
    except (UnreadableFile, RecordError, VersionConflict, UnicodeError, ValueError) as error:
        # The importer names the file by its path: show the name the user uploaded.
        detail = str(error).replace(str(path), name).replace(path.name, name)
        raise UploadRefused(400, "The file could not be read.", detail=detail) from None
    if report.imported:
        refresh_indicators(store, today=date.today())  # the dashboard finds them ready
    return ImportOutcome(
        name=name, read=report.read, imported=report.imported, unchanged=report.unchanged
    )


def _renamed(problem: InputProblem, name: str) -> InputProblem:
    return InputProblem(
        path=Path(name),
        line=problem.line,
        where=problem.where,
        field=problem.field,
        found=problem.found,
        expected=problem.expected,
    )
