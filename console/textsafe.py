"""Make text from outside (buyer IDs, pasted chat) safe to draw in a terminal.

Text is stored exactly as typed. Only when it is drawn do control characters become
visible caret notation (ESC -> ^[), so an escape sequence in a pasted chat can never
move the cursor or recolour the screen. Rich markup is not interpreted because
callers build `rich.text.Text` objects, never markup strings, from this text.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; and the bidirectional controls, which reorder what follows
# them on screen (U+202E makes "txt.exe" read "exe.txt"): a buyer ID must read as it is.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _caret(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch == "\t":
        return " "
    if ch in "\r\n":
        return "⏎"
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    if code > 0xFF:
        return f"<U+{code:04X}>"
    return f"\\x{code:02x}"


def inert(text: str | None) -> str:
    """Return `text` with every control character replaced by a visible form (one line)."""
    if not text:
        return ""
    return _CONTROL.sub(_caret, text)


def inert_multiline(text: str | None) -> str:
    """Like `inert` but keeps line breaks (for descriptions and notes)."""
    if not text:
        return ""
    return "\n".join(inert(line) for line in text.replace("\r\n", "\n").split("\n"))


# A spreadsheet reads a cell starting with one of these as a formula (=HYPERLINK(…), +cmd|…).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(text: str) -> str:
    """`text` for a spreadsheet cell (xlsx, csv) that Excel or WPS shows as text, never runs as
    a formula: a leading ' is added where the text starts like a formula (OWASP's advice)."""
    return "'" + text if text.startswith(_FORMULA_START) else text
