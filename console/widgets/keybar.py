"""The key bar: one status line, then every key of the screen (wrapped onto a second line
when it does not fit).

Textual's Footer is one line and cuts off what does not fit; agents must see every key.
Textual's toasts cover the key bar and blank wide characters where they overlap a border,
so messages (`app.notify`) go to the status line instead: it sits in the bar, covers nothing,
keeps its one line while empty (no jump of the screen when a message comes and goes) and
takes a second line only for a message too long for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from console.textsafe import inert

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class StatusMessage:
    """One message on the status line (also kept in `app.messages`, newest last)."""

    text: str
    severity: Severity = "information"
    seconds: float = 5.0  # how long it stays unless replaced


class StatusLine(Static):
    """The app's current message, coloured by severity; empty when there is none."""

    DEFAULT_CSS = """
    StatusLine {
        height: auto;
        min-height: 1;
        max-height: 2;
        text-style: bold;
        &.-warning { color: $text-warning; }
        &.-error { color: $text-error; background: $error-muted; }
    }
    """

    def show(self, message: StatusMessage | None) -> None:
        self.set_class(message is not None and message.severity == "warning", "-warning")
        self.set_class(message is not None and message.severity == "error", "-error")
        if message is None:
            self.update("")
            return
        mark = {"information": "› ", "warning": "⚠ ", "error": "✖ "}[message.severity]
        # Plain text, never markup; control characters drawn visible.
        self.update(Text(mark + inert(message.text), no_wrap=False, overflow="fold"))


class KeyBar(Vertical):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 5;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
        & > #keys { height: auto; max-height: 3; }
    }
    """

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static(id="keys")

    def on_mount(self) -> None:
        from console.widgets.link_banner import LinkBanner

        # The database banner across the top of this screen (hidden while all is well).
        if not self.screen.query(LinkBanner):
            self.screen.mount(LinkBanner())
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        status = getattr(self.app, "status_signal", None)
        if status is not None:
            status.subscribe(self, self._status, immediate=True)
            self._status(self.app.status)
        self._changed()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)
        status = getattr(self.app, "status_signal", None)
        if status is not None:
            status.unsubscribe(self)

    def _status(self, message: StatusMessage | None) -> None:
        self.query_one(StatusLine).show(message)

    @property
    def status_text(self) -> str:
        """What the status line shows now (for tests)."""
        return str(self.query_one(StatusLine).render())

    def _changed(self, *_: object) -> None:
        app = self.app
        key_style = "bold " + (app.current_theme.accent or "yellow") if app.current_theme else "bold yellow"
        text = Text(no_wrap=False, overflow="fold")
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            b = active.binding
            if not b.show or not b.description or b.action in seen:
                continue
            seen.add(b.action)
            if len(text):
                text.append("  ")
            text.append(app.get_key_display(b), style=key_style if active.enabled else "dim")
            # No space inside an item, so a wrap never splits a key from its word.
            text.append(b.description, style="" if active.enabled else "dim")
        self.query_one("#keys", Static).update(text)
