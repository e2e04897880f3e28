"""What comes from the terminal and what goes to it, made safe for text from outside.

In: a bracketed paste arrives as one `Paste` event, in order, whatever it holds.

Textual 8.2's `XTermParser`, inside a bracketed paste (`ESC[200~ … ESC[201~`), takes an ESC
in the pasted text for the start of a key sequence: the text from that ESC on is sent as
separate key presses (the ESC itself as `^`) *before* the `Paste` event, which carries only
the text before the ESC. A chat excerpt holding `AAA ESC[31m BBB` reached the notes pane as
the keys `^[31mBBB` and then the paste `AAA`: stored as `^[31mBBBAAA`.

`PasteSafeParser` takes every bracketed paste out of the input before Textual's parser sees
it and hands it on as one `Paste` event with the exact text (control characters included:
they are stored as typed and drawn inert by `console.textsafe`). Everything else goes to
Textual's parser unchanged. `use_paste_safe_parser()` makes Textual's drivers use it.

Out: Textual's TextArea and Input draw their text as it is, so an ESC in a pasted note would
reach the terminal as a real escape sequence (recolour, move the cursor, set the clipboard
with OSC 52). `InertControls` is a line filter over everything drawn: control characters
(C0, DEL, C1; zero cells wide for Rich, so no layout changes) are dropped from the output.
The console's own views of outside text already show them visibly (`console.textsafe`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from rich.segment import Segment
from textual import constants, events
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.color import Color
from textual.filter import LineFilter
from textual.message import Message

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
ESC = "\x1b"

# Modules of Textual's drivers that build an XTermParser by this global name.
_DRIVER_MODULES = ("textual.drivers.linux_driver", "textual.drivers.linux_inline_driver", "textual.drivers.win32")


def _partial_suffix(data: str, marker: str) -> int:
    """Length of the longest end of `data` that is the start of `marker` (not all of it)."""
    for size in range(min(len(data), len(marker) - 1), 0, -1):
        if marker.startswith(data[-size:]):
            return size
    return 0


class PasteSafeParser(XTermParser):
    """XTermParser whose bracketed pastes keep every character, in order."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._pasting = False
        self._paste: list[str] = []
        # The end of a read that may be the start of a paste marker split across two reads.
        self._held = ""
        self._held_at = 0.0

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input
            held, self._held = self._held, ""
            if self._pasting:
                self._pasting = False
                yield self._flush(held)
            elif held:
                yield from super().feed(held)
            yield from super().feed("")
            return
        data, self._held = self._held + data, ""
        while data:
            if self._pasting:
                end = data.find(PASTE_END)
                if end == -1:
                    keep = _partial_suffix(data, PASTE_END)
                    self._paste.append(data[: len(data) - keep])
                    self._held = data[len(data) - keep :]
                    return
                self._pasting = False
                yield self._flush(data[:end])
                data = data[end + len(PASTE_END) :]
            else:
                start = data.find(PASTE_START)
                if start == -1:
                    keep = _partial_suffix(data, PASTE_START)
                    if keep:
                        # Held until the next read, or until tick() decides it was a key (Esc).
                        self._held, self._held_at = data[-keep:], get_time()
                        data = data[:-keep]
                    if data:
                        yield from super().feed(data)
                    return
                if start:
                    yield from super().feed(data[:start])
                self._pasting = True
                data = data[start + len(PASTE_START) :]

    def _flush(self, last: str) -> events.Paste:
        self._paste.append(last)
        text = "".join(self._paste)
        self._paste.clear()
        # NUL removed as Textual does (textual #1661).
        return events.Paste(text.replace("\x00", ""))

    def tick(self) -> Iterable[Message]:
        if self._held and not self._pasting and get_time() - self._held_at >= constants.ESCAPE_DELAY:
            # Nothing followed: it was a key, not a paste marker.
            held, self._held = self._held, ""
            if held == ESC:
                yield events.Key("escape", ESC)
            else:
                yield from super().feed(held)
        yield from super().tick()


def use_paste_safe_parser() -> None:
    """Make Textual's terminal drivers (Linux, Windows) parse input with `PasteSafeParser`."""
    for name in _DRIVER_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "XTermParser", None) is XTermParser:
            module.XTermParser = PasteSafeParser  # type: ignore[attr-defined]


# C0 controls, DEL and C1 controls: never sent to the terminal inside drawn text.
# C0 (newline kept by Rich as a line end, never inside a segment), DEL, C1, and the
# bidirectional controls, which would reorder what follows them on screen.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class InertControls(LineFilter):
    """Drop control characters from every drawn line (the last guard; see the module doc)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        # One search over the line's text: this runs for every line of every paint.
        if not _CONTROL.search("".join([text for text, _, control in segments if not control])):
            return segments
        return [
            seg if seg.control else Segment(_CONTROL.sub("", seg.text), seg.style)
            for seg in segments
        ]
