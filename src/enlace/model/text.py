"""Text that crosses a boundary (a form, a query, a partner's body): what it may not hold."""

from __future__ import annotations

# C0 controls and DEL: no id, name or search has them, a terminal or a log would act on
# them, and PostgreSQL refuses NUL in text (SQLite would keep it).
_CONTROLS = frozenset(chr(code) for code in (*range(32), 127))
_LINE_BREAKS = frozenset("\t\n\r")  # what free text typed by a person may hold
_CONTROLS_BUT_LINE_BREAKS = _CONTROLS - _LINE_BREAKS


def holds_control_characters(text: str, *, line_breaks_allowed: bool = False) -> bool:
    """True when `text` holds a C0 control character or DEL (tab, new line and carriage
    return excepted when `line_breaks_allowed`: free text a person typed)."""
    forbidden = _CONTROLS_BUT_LINE_BREAKS if line_breaks_allowed else _CONTROLS
    return not forbidden.isdisjoint(text)


def printable(text: str) -> str:
    """`text` with control characters escaped (\\x00, \\n...): safe in a log and a column."""
    if all(32 <= ord(char) != 127 for char in text):
        return text
    return "".join(char if 32 <= ord(char) != 127 else repr(char)[1:-1] for char in text)
