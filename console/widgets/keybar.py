"""The key bar: every key of the screen, wrapped onto a second line when it does not fit.

Textual's Footer is one line and cuts off what does not fit; agents must see every key.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 3;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        self._changed()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

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
        self.update(text)
