"""Streaming readers: each yields one input item at a time, so memory stays flat.

CSV (UTF-8 or Latin-1, comma, semicolon or tab, with or without BOM), JSON Lines (flat rows or
STIX objects) and STIX 2.1 bundles (parsed incrementally with ijson, never loaded whole).

A CSV record or a JSON Lines line is read at most `MAX_LINE_CHARS` at a time: a file of one
enormous line (a broken export, or a hostile upload) is refused after that much was read,
never loaded whole. A cell is refused past `MAX_CELL_CHARS` (enlace.files.converting), where
the row is a bad row like any other. Both are far beyond any real field: the longest texts
records hold (a description, the sentence a commitment came from) are a few thousand
characters. docs/import-formats.md names them.
"""

from __future__ import annotations

import codecs
import csv
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import ijson
import orjson

from enlace.files.problems import UnreadableFile
from enlace.model.csv_cells import restored_cells

Format = Literal["csv", "jsonl", "stix"]
_CHUNK = 1 << 20
# The csv module's own limit on a cell is 131,072 characters: with records no longer than
# that, it is never the one that refuses (it would raise a bare csv.Error).
MAX_LINE_CHARS = 131_072  # a CSV record (its lines together), a JSON Lines line (in bytes)
MAX_CELL_CHARS = 32_768  # a CSV cell, a text value of a JSON object


class InputItem(NamedTuple):
    """One row (flat columns) or one STIX object, with where it came from.

    A named tuple: an import makes one per row, and a tuple is the cheapest object to make.
    """

    line: int | None
    where: str
    values: Mapping[str, Any]
    is_stix: bool
    raw: str | None = None  # the item as written (CSV record, JSON text), for the rejects file

    @property
    def original(self) -> str:
        """The item as it was written in the file, for the rejects file."""
        return self.raw if self.raw is not None else ""


@dataclass(frozen=True, slots=True)
class CsvHeader:
    """What every row of one CSV file shares: its columns and delimiter."""

    columns: tuple[str, ...]  # the distinct column names, in header order
    index: dict[str, int]  # column name -> position of its cell (a repeated name: the last)
    width: int  # cells in the header, repeated names included
    delimiter: str


class CsvRow(Mapping[str, str]):
    """One CSV record read by column name, sharing its header with every row of the file.

    Reads like the dict `dict(zip(header, cells))` (a repeated column name gives its last
    cell) without building one per row. It keeps the record's text and splits it into cells
    only when they are first read: an import hands the text to a worker process, which
    splits it there, so the importing process never does.
    """

    __slots__ = ("_cells", "header", "text")

    def __init__(self, header: CsvHeader, text: str, cells: list[str] | None = None) -> None:
        self.header = header
        self.text = text  # the record as written, without its line ending
        self._cells = cells

    @property
    def cells(self) -> list[str]:
        """The record's cells, as the csv module splits them."""
        cells = self._cells
        if cells is None:
            cells = self._cells = split_records([self.text], self.header.delimiter)[0]
        return cells

    @property
    def columns(self) -> tuple[str, ...]:
        """The header's distinct column names."""
        return self.header.columns

    @property
    def index(self) -> dict[str, int]:
        """Column name -> position of its cell."""
        return self.header.index

    def __getitem__(self, key: str) -> str:
        return self.cells[self.header.index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        """The cell of column `key`, or `default` when the file has no such column."""
        position = self.header.index.get(key)
        return default if position is None else self.cells[position]

    def __contains__(self, key: object) -> bool:
        return key in self.header.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.header.columns)

    def __len__(self) -> int:
        return len(self.header.columns)

    def __repr__(self) -> str:
        return f"CsvRow({dict(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (CsvRow, (self.header, self.text, self._cells))


def split_records(texts: list[str], delimiter: str) -> list[list[str]]:
    """The cells of each complete CSV record in `texts` (one record per text).

    A cell Enlace quoted against spreadsheet formulas (enlace.model.csv_cells) is read back
    without its quote, so a file Enlace wrote imports as the data it was written from.
    """
    rows = list(csv.reader(texts, delimiter=delimiter))
    if len(rows) != len(texts):  # cannot happen for texts that read_csv cut: say so if it does
        raise ValueError(f"{len(texts)} CSV records gave {len(rows)} rows")
    for number, text in enumerate(texts):
        if "'" in text:
            rows[number] = restored_cells(rows[number])
    return rows


def detect_format(path: Path, requested: str | None = None) -> Format:
    """Choose the reader from --format or from the file name."""
    name = (requested or path.suffix.lstrip(".")).lower()
    if name in ("csv", "txt", "tsv"):
        return "csv"
    if name in ("jsonl", "ndjson"):
        return "jsonl"
    if name in ("json", "stix", "bundle"):
        return "stix"
    raise UnreadableFile(
        f"{path}: cannot tell the format from '{path.suffix}': "
        "expected .csv, .jsonl or .json (a STIX bundle), or pass --format csv|jsonl|stix"
    )


def require_regular_file(path: Path) -> None:
    """Refuse, before anything is read, a path that is not a regular file.

    A device (/dev/zero), a FIFO or a socket never ends or never answers: reading one would
    hang the import, or fill memory.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except OSError as error:
        raise UnreadableFile(f"{path}: cannot be read ({error.strerror})") from None
    if not stat.S_ISREG(mode):
        raise UnreadableFile(
            f"{path}: not a regular file ({_kind_of(mode)}); expected a CSV, JSON Lines or "
            "STIX bundle file"
        )


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' when the whole file decodes as UTF-8 (BOM or not), else 'latin-1'.

    Reads the file once in chunks, so a Latin-1 byte far down a large file is still seen.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8-sig"


def read_csv(path: Path, encoding: str | None = None) -> Iterator[InputItem]:
    """Rows of a CSV file as mappings keyed by its (lower-cased, stripped) header."""
    chosen = encoding or detect_encoding(path)
    with path.open("r", encoding=chosen, newline="") as handle:
        header_line = handle.readline(MAX_LINE_CHARS + 2)
        if len(_without_line_ending(header_line)) > MAX_LINE_CHARS:
            raise _too_long(path, 1, header_line, ",", ())
        if not header_line.strip():
            raise UnreadableFile(f"{path}: line 1: empty; expected a header row naming the columns")
        delimiter = max((",", ";", "\t"), key=header_line.count)
        cells = next(csv.reader([header_line], delimiter=delimiter))
        columns = [c.strip().lower() for c in cells]
        if "type" not in columns:
            raise UnreadableFile(
                f"{path}: line 1: no 'type' column in header {cells!r}; expected a header "
                "with 'type' and the columns of docs/import-formats.md"
            )
        index = {column: position for position, column in enumerate(columns)}
        header = CsvHeader(tuple(index), index, len(columns), delimiter)
        records = _csv_records(_bounded_lines(handle), delimiter, first_line=2)
        try:
            for start, text in records:
                yield InputItem(start, f"line {start}", CsvRow(header, text), False, text)
        except _RecordTooLong as long:
            raise _too_long(path, long.line, long.text, delimiter, header.columns) from None


class _RecordTooLong(Exception):
    """A record went on past MAX_LINE_CHARS: `text` is its beginning, from `line`."""

    def __init__(self, line: int, text: str) -> None:
        super().__init__(line)
        self.line = line
        self.text = text


def _bounded_lines(handle: IO[str]) -> Iterator[str]:
    """The lines of `handle`, each read at most MAX_LINE_CHARS (and its ending) at a time.

    A longer line is handed on cut (no line ending): `_csv_records` then refuses it.
    """
    while line := handle.readline(MAX_LINE_CHARS + 2):
        yield line


def _too_long(
    path: Path, line: int, text: str, delimiter: str, columns: tuple[str, ...]
) -> UnreadableFile:
    """The one line saying where a record went on too long: file, line and column."""
    cells = _cells_begun(text[:MAX_LINE_CHARS], delimiter)
    position = max(cells - 1, 0)
    column = (
        f"column '{columns[position]}'" if position < len(columns) else f"column {position + 1}"
    )
    return UnreadableFile(
        f"{path}: line {line}, {column}: the record goes on past {MAX_LINE_CHARS:,} "
        f"characters; expected records of at most {MAX_LINE_CHARS:,} characters and cells of "
        f"at most {MAX_CELL_CHARS:,} (docs/import-formats.md). Nothing was imported."
    )


def _cells_begun(text: str, delimiter: str) -> int:
    """How many cells the csv module begins in `text`, a record's beginning."""
    try:
        row = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:
        return 0
    return len(row)


def _csv_records(
    lines: Iterable[str], delimiter: str, first_line: int
) -> Iterator[tuple[int, str]]:
    """(first line number, text without its line ending) of each non-blank record.

    Raises _RecordTooLong for a record longer than MAX_LINE_CHARS, its lines together.

    Cuts the file into records without splitting them into cells, which is left to whoever
    reads the cells (a worker process, in a large import). A line without a quote character
    is a whole record, as it is for the csv module; a line with one may open a quoted cell
    that goes on over the following lines, which `_open_quote` tells the csv module's way.
    """
    number = first_line - 1
    pending: list[str] = []
    start = 0
    pending_chars = 0
    for line in lines:
        number += 1
        if pending:
            pending.append(line)
            pending_chars += len(line)
            if pending_chars > MAX_LINE_CHARS + 2:
                raise _RecordTooLong(start, "".join(pending))
            text = "".join(pending)
            if _open_quote(text, delimiter):
                continue
            pending.clear()
            pending_chars = 0
        elif '"' in line and _open_quote(line, delimiter):
            pending.append(line)
            pending_chars = len(line)
            start = number
            continue
        else:
            if line.isspace() and delimiter not in line:  # a blank line (a tab may delimit)
                continue
            text, start = line, number
        record = _without_line_ending(text)
        if len(record) > MAX_LINE_CHARS:
            raise _RecordTooLong(start, record)
        yield start, record
    if pending:  # the file ends inside a quoted cell: the csv module takes it as it is
        record = "".join(pending)
        if len(record) > MAX_LINE_CHARS:
            raise _RecordTooLong(start, record)
        yield start, record


def _open_quote(text: str, delimiter: str) -> bool:
    """True when `text` ends inside a quoted cell, as the csv module reads it.

    Written by hand because the csv module cannot be asked this: a quote matters only at
    the start of a cell (elsewhere it is an ordinary character), and inside a quoted cell
    a doubled quote stands for one.
    """
    position, end = 0, len(text)
    while position < end:
        if text[position] == '"':  # a quoted cell: find its closing quote
            position += 1
            while True:
                close = text.find('"', position)
                if close < 0:
                    return True
                if text.startswith('"', close + 1):  # "" inside a quoted cell
                    position = close + 2
                    continue
                position = close + 1
                break
        following = text.find(delimiter, position)  # the rest of the cell is plain text
        if following < 0:
            return False
        position = following + 1
    return False


def _without_line_ending(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith(("\n", "\r")):
        return text[:-1]
    return text


def read_jsonl(path: Path) -> Iterator[InputItem]:
    """One JSON object per line: a STIX object (has spec_version) or a flat row."""
    with path.open("rb") as handle:
        lines = iter(lambda: handle.readline(MAX_LINE_CHARS + 2), b"")
        for number, raw in enumerate(lines, start=1):
            if len(raw.rstrip(b"\r\n")) > MAX_LINE_CHARS:
                raise UnreadableFile(
                    f"{path}: line {number}: longer than {MAX_LINE_CHARS:,} bytes; expected one "
                    f"JSON object per line of at most {MAX_LINE_CHARS:,} bytes, with texts of at "
                    f"most {MAX_CELL_CHARS:,} characters (docs/import-formats.md). Nothing was "
                    "imported."
                )
            if not raw.strip():
                continue
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                yield InputItem(
                    number,
                    f"line {number}",
                    {"__json__": str(error)},
                    False,
                    raw.decode("utf-8", "replace").rstrip("\n"),
                )
                continue
            if not isinstance(value, dict):
                yield InputItem(
                    number,
                    f"line {number}",
                    {"__json__": "not an object"},
                    False,
                    raw.decode("utf-8", "replace").rstrip("\n"),
                )
                continue
            yield InputItem(
                number,
                f"line {number}",
                value,
                "spec_version" in value,
                raw.decode("utf-8", "replace").rstrip("\n"),
            )


def read_stix_bundle(path: Path) -> Iterator[InputItem]:
    """The objects of a STIX 2.1 bundle, parsed incrementally."""
    with path.open("rb") as handle:
        try:
            for number, obj in enumerate(ijson.items(handle, "objects.item", use_float=True), 1):
                label = obj.get("id", "?") if isinstance(obj, dict) else "?"
                yield InputItem(
                    None,
                    f"object #{number} ({label})",
                    obj if isinstance(obj, dict) else {"__json__": "not an object"},
                    isinstance(obj, dict),
                    orjson.dumps(obj).decode(),
                )
        except ijson.JSONError as error:
            raise UnreadableFile(
                f"{path}: not a valid STIX bundle ({error}); expected a JSON object "
                '{"type": "bundle", "id": "bundle--…", "objects": [...]}'
            ) from None


def read_items(path: Path, fmt: Format, encoding: str | None = None) -> Iterator[InputItem]:
    """Dispatch to the reader for `fmt`."""
    require_regular_file(path)
    if fmt == "csv":
        return read_csv(path, encoding)
    if fmt == "jsonl":
        return read_jsonl(path)
    return read_stix_bundle(path)
