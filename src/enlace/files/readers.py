"""Streaming readers: each yields one input item at a time, so memory stays flat.

CSV (UTF-8 or Latin-1, comma, semicolon or tab, with or without BOM), JSON Lines (flat rows or
STIX objects) and STIX 2.1 bundles (parsed incrementally with ijson, never loaded whole).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import ijson
import orjson

from enlace.files.problems import UnreadableFile

Format = Literal["csv", "jsonl", "stix"]
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class InputItem:
    """One row (flat columns) or one STIX object, with where it came from."""

    line: int | None
    where: str
    values: Mapping[str, Any]
    is_stix: bool
    raw: str | None = None  # the original JSON text, for the rejects file
    cells: Sequence[str] | None = None  # a CSV row's cells, joined again only when rejected
    delimiter: str = ","

    @property
    def original(self) -> str:
        """The item as it was written (CSV cells joined by the file's delimiter), for rejects."""
        if self.raw is not None:
            return self.raw
        return self.delimiter.join(self.cells) if self.cells is not None else ""


class CsvRow(Mapping[str, str]):
    """One CSV row read by column name, sharing its header with every row of the file.

    Reads like the dict `dict(zip(header, cells))` (a repeated column name gives its last
    cell) without building one per row, and pickles as its cells plus a header that a list
    of rows shares, which matters when rows are sent to worker processes.
    """

    __slots__ = ("cells", "columns", "index")

    def __init__(self, columns: tuple[str, ...], index: dict[str, int], cells: list[str]) -> None:
        self.columns = columns  # the distinct column names, in header order
        self.index = index  # column name -> position of its cell
        self.cells = cells

    def __getitem__(self, key: str) -> str:
        return self.cells[self.index[key]]

    def get(self, key: str, default: Any = None) -> Any:
        """The cell of column `key`, or `default` when the file has no such column."""
        position = self.index.get(key)
        return default if position is None else self.cells[position]

    def __contains__(self, key: object) -> bool:
        return key in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __repr__(self) -> str:
        return f"CsvRow({dict(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (CsvRow, (self.columns, self.index, self.cells))


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
        header = next(csv.reader([header_line], delimiter=delimiter))
        columns = [c.strip().lower() for c in header]
        if "type" not in columns:
            raise UnreadableFile(
                f"{path}: line 1: no 'type' column in header {header!r}; expected a header "
                "with 'type' and the columns of docs/import-formats.md"
            )
        reader = csv.reader(handle, delimiter=delimiter)
        width = len(columns)
        index = {column: position for position, column in enumerate(columns)}
        names = tuple(index)
        line = 1
        for cells in reader:
            start = line + 1
            line = reader.line_num + 1  # +1: the header was read outside the csv reader
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) != width:
                values: Mapping[str, Any] = {"__width__": len(cells)}
            else:
                values = CsvRow(names, index, cells)
            yield InputItem(start, f"line {start}", values, False, None, cells, delimiter)


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
