"""CSV cells that a spreadsheet cannot run as formulas, and the way back for Enlace's importer.

Every CSV file Enlace writes goes through `FormulaSafeWriter` or `FormulaSafeDictWriter`.
A cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
spreadsheets skip before reading the rest as a formula) is written with a single quote in
front, as OWASP's "CSV Injection" guidance says: Excel and LibreOffice then show it as text.
The rule is applied to every such cell, numbers like `-5` and phone numbers like `+52…`
included: telling a harmless number from a formula (`-2+3`, `-cmd|…`) is what spreadsheets
get wrong, and a quoted number still reads as the number it is.

Enlace reads its own files back (`enlace synth` writes the CSV that `enlace import` reads),
so the quote must not become part of the data. A cell is quoted when, after any single
quotes it starts with, it begins with one of those characters; `restored` takes exactly one
quote off such a cell. The pair is exact: `restored(neutralised(x)) == x` for every text,
including a text that itself starts with quotes (`'=x` is written `''=x`). A file made by a
spreadsheet never carries the quote (it is how a spreadsheet marks text, not part of the
cell), so the importer reading `'+52 55…` as `+52 55…` loses nothing a person typed.

See docs/import-formats.md ("Safe output") and
https://owasp.org/www-community/attacks/CSV_Injection.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
# A cell a spreadsheet could run, behind any quotes it already starts with.
_RUNNABLE = re.compile("'*[=+\\-@\t\r]")
_QUOTED = re.compile("'+[=+\\-@\t\r]")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralised(value: object) -> object:
    """`value` as a CSV cell a spreadsheet shows as text: quoted when it could start a formula.

    Non-text values are looked at as they will be written (`str`), so `-5` is quoted too;
    None and texts that start otherwise are returned unchanged.
    """
    if value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    if text and _RUNNABLE.match(text):
        return _QUOTE + text
    return value


def restored(cell: str) -> str:
    """The cell as it was before `neutralised` (one quote off a quoted formula start)."""
    if cell.startswith(_QUOTE) and _QUOTED.match(cell):
        return cell[1:]
    return cell


def restored_cells(cells: list[str]) -> list[str]:
    """`restored` applied to each cell of a row."""
    return [restored(cell) if cell.startswith(_QUOTE) else cell for cell in cells]


class FormulaSafeWriter:
    """`csv.writer` whose every cell goes through `neutralised`."""

    def __init__(self, handle: _Writable, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[object]) -> Any:
        """Write one row."""
        return self._writer.writerow([neutralised(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write each row."""
        for row in rows:
            self.writerow(row)


class FormulaSafeDictWriter:
    """`csv.DictWriter` whose every cell goes through `neutralised`."""

    def __init__(self, handle: _Writable, fieldnames: Collection[str], **options: Any) -> None:
        self.fieldnames = fieldnames
        self._writer = csv.DictWriter(handle, fieldnames=fieldnames, **options)

    def writeheader(self) -> Any:
        """Write the header row (the field names, neutralised like any cell)."""
        return self.writerow({name: name for name in self.fieldnames})

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        """Write one row."""
        return self._writer.writerow({key: neutralised(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        """Write each row."""
        for row in rowdicts:
            self.writerow(row)
