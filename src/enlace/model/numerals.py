"""Whole numbers written by people and partners: ASCII digits 0-9 only, within a range.

Python's `int` (and `str.isdigit`) accept digits of every script ('٣', '３', '²' passes
`isdigit` but not `int`) and thousands of them; a number that is not written as the pages
and the protocols write it is refused, not read as something else, and never grows past
what a store column holds.
"""

from __future__ import annotations

# The largest id an Integer column holds on every store: SQLite's INTEGER is 64-bit, but
# PostgreSQL's INTEGER is 32-bit, and an id beyond it is an error there, not "not found".
LARGEST_ROW_ID = 2**31 - 1


def ascii_whole_number(text: str, *, low: int = 0, high: int) -> int | None:
    """`text` as an int when it is only the digits 0-9 and within [low, high], else None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    if len(text.lstrip("0")) > len(str(high)):  # never int() thousands of digits
        return None
    value = int(text)
    return value if low <= value <= high else None
