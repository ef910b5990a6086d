"""Reading a communiqué (or an edit file) from disk, bounded.

A communiqué, press release or set of minutes is a few kilobytes; the longest the project has
seen is under 10 KB. Ingestion reads it whole and matches rules sentence by sentence, so a file
of tens of megabytes (a database dump passed by mistake, a log) would take minutes and memory
for nothing: it is refused above MAX_DOCUMENT_BYTES, reading no more than that, with one
message saying what was expected.
"""

from __future__ import annotations

import stat
from pathlib import Path

from enlace.tracking.errors import TrackingError

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
"""The largest communiqué or edit file read (2 MiB: two hundred times a long communiqué)."""


def read_document(path: Path, *, what: str = "the communiqué") -> str:
    """The UTF-8 text of `path`; TrackingError (naming the file and what was expected) when it
    is not a readable regular file, is larger than MAX_DOCUMENT_BYTES, or is not UTF-8."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or a device never ends
            raise TrackingError(f"{path}: {what} must be a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise TrackingError(f"{path}: cannot read {what}: {error.strerror}") from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise TrackingError(
            f"{path}: {what} is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; a "
            "communiqué is a few kilobytes of text — is this the right file? (nothing was read "
            "into the node)"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TrackingError(f"{path}: {what} is not UTF-8 text; save it as UTF-8") from None
