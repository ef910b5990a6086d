"""Streaming readers: each yields one input item at a time, so memory stays flat.

CSV (UTF-8 or Latin-1, comma, semicolon or tab, with or without BOM), JSON Lines (flat rows or
STIX objects) and STIX 2.1 bundles (parsed incrementally with ijson, never loaded whole).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import ijson
import orjson

from enlace.files.problems import UnreadableFile

Format = Literal["csv", "jsonl", "stix"]
_CHUNK = 1 << 20


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
    """The cells of each complete CSV record in `texts` (one record per text)."""
    rows = list(csv.reader(texts, delimiter=delimiter))
    if len(rows) != len(texts):  # cannot happen for texts that read_csv cut: say so if it does
        raise ValueError(f"{len(texts)} CSV records gave {len(rows)} rows")
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
        header_line = handle.readline()
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
        for start, text in _csv_records(handle, delimiter, first_line=2):
            yield InputItem(start, f"line {start}", CsvRow(header, text), False, text)


def _csv_records(
    lines: Iterable[str], delimiter: str, first_line: int
) -> Iterator[tuple[int, str]]:
    """(first line number, text without its line ending) of each non-blank record.

    Cuts the file into records without splitting them into cells, which is left to whoever
    reads the cells (a worker process, in a large import). A line without a quote character
    is a whole record, as it is for the csv module; a line with one may open a quoted cell
    that goes on over the following lines, which `_open_quote` tells the csv module's way.
    """
    number = first_line - 1
    pending: list[str] = []
    start = 0
    for line in lines:
        number += 1
        if pending:
            pending.append(line)
            text = "".join(pending)
            if _open_quote(text, delimiter):
                continue
            pending.clear()
        elif '"' in line and _open_quote(line, delimiter):
            pending.append(line)
            start = number
            continue
        else:
            if line.isspace() and delimiter not in line:  # a blank line (a tab may delimit)
                continue
            text, start = line, number
        yield start, _without_line_ending(text)
    if pending:  # the file ends inside a quoted cell: the csv module takes it as it is
        yield start, "".join(pending)


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
        for number, raw in enumerate(handle, start=1):
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
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    if fmt == "csv":
        return read_csv(path, encoding)
    if fmt == "jsonl":
        return read_jsonl(path)
    return read_stix_bundle(path)
