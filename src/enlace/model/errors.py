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
        if found is None or found == "":
            shown = "nothing"
        else:
            text = found if isinstance(found, str) else repr(found)
            shown = repr(text[:77] + "..." if len(text) > 80 else text)
        super().__init__(f"field '{field}': found {shown}, expected {expected}")
