"""Text from records and partners, made inert before it is printed on a terminal.

A partner's text (a refusal reason, a record's field, an id it chose) reaches the liaison
officer's terminal through `enlace match requests`, `enlace partners`, `enlace audit show` and
the like. Printed as it came, an ESC sequence in it clears or recolours the screen, a carriage
return overwrites what is shown, a bidi override reverses what is read, and rich markup
(`[bold red]…`) restyles it or forges an "error:" line. `safe_text` removes the first and
escapes the second; every command that prints such text passes it through here.
"""

from __future__ import annotations

from rich.markup import escape

# C0 controls, DEL and the C1 controls (ESC's 8-bit forms, CSI U+009B among them); the bidi
# marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069);
# the Unicode line and paragraph separators, which some terminals take as a new line.
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SEPARATORS = [0x2028, 0x2029]

_ONE_LINE = dict.fromkeys((*_CONTROLS, *_BIDI))
_ONE_LINE.update({ord("\t"): " ", ord("\n"): " ", ord("\r"): " "})
_ONE_LINE.update(dict.fromkeys(_SEPARATORS, " "))
_LINES = {**_ONE_LINE, ord("\n"): "\n"}
# For an auditor, who must see every character of what was logged: each one spelt out.
_SPELT = {
    code: (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in (*_CONTROLS, *_BIDI, *_SEPARATORS)
}


def safe_text(value: object, *, lines: bool = False, spelt: bool = False) -> str:
    """`value` as text that only shows itself on a terminal, escaped for rich markup.

    Control characters and bidi controls are removed; a tab, carriage return or new line
    becomes a space, so one record's text cannot forge a line of output, unless `lines` is
    true (a message meant to span lines): then new lines are kept. With `spelt`, each is
    shown as its escape instead (`\\x1b`), for the audit log.
    """
    text = value if isinstance(value, str) else str(value)
    table = _SPELT if spelt else _LINES if lines else _ONE_LINE
    return escape(text.translate(table))


def plain_text(value: object, *, lines: bool = False) -> str:
    """`safe_text` without the markup escaping: for output printed with markup off."""
    text = value if isinstance(value, str) else str(value)
    return text.translate(_LINES if lines else _ONE_LINE)
