"""Errors a user can meet when a record or a marking is not what the model expects."""

from __future__ import annotations


class RecordError(ValueError):
    """A record field holds something the model cannot accept.

    Carries the field, what was found and what was expected, so that an importer can
    add the file and line and print one clear message.
    """

    def __init__(self, field: str, found: object, expected: str) -> None:
        self.field = field
        self.found = found
        self.expected = expected
        shown = found if isinstance(found, str) else repr(found)
        if isinstance(shown, str) and len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"field '{field}': found {shown!r}, expected {expected}")
