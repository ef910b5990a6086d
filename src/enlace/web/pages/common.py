"""Small things the page routes share: messages after an action, paths, refusal pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse

from enlace.web.rendering import render
from enlace.web.security import CurrentUser

# STIX ids: '<type>--<UUID>'; anything else cannot be a record of this node.
_RECORD_ID = re.compile(
    r"[a-z][a-z0-9-]{0,80}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_PARTY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class Flash:
    """A one-line message at the top of a page after an action: 'ok' or 'error'."""

    kind: str
    text: str
    details: tuple[str, ...] = ()


def is_record_id(text: str) -> bool:
    """Whether `text` has the form of a STIX id."""
    return _RECORD_ID.fullmatch(text) is not None


def is_party(text: str) -> bool:
    """Whether `text` is a two-letter party code in capitals."""
    return _PARTY.fullmatch(text) is not None


def record_path(record_id: str) -> str:
    """The record page of `record_id`."""
    return "/web/records/" + quote(record_id, safe="")


def safe_local_path(raw: str | None, default: str = "/web/") -> str:
    """`raw` when it is a path of this node's web pages (never another site), else `default`."""
    path = (raw or "").strip()
    if (
        not path.startswith("/web")
        or path.startswith("//")
        or "\\" in path
        or any(ord(char) < 32 for char in path)
    ):
        return default
    return path


# Titles of the refusals the pages answer themselves (English msgids).
REFUSAL_TITLES = {
    400: "The request could not be read",
    404: "Page not found",
    409: "Not done",
    413: "Too large",
    502: "The partner could not be reached",
    503: "Not possible now",
}


def refusal_page(
    request: Request,
    user: CurrentUser | None,
    status: int,
    message: str,
    **values: str,
) -> HTMLResponse:
    """An error page in the reader's language: `message` is an English msgid whose
    `{fields}` are filled with `values` (which stay as they are: names, codes, reasons)."""
    return render(
        request,
        user,
        "error.html",
        {
            "status": status,
            "title": REFUSAL_TITLES.get(status, "The request could not be read"),
            "message": message,
            "message_values": values,
        },
        status_code=status,
    )
