"""`?`: every key of the screen the agent was on, with what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from console.widgets.keybar import KeyBar


def key_rows(screen) -> list[tuple[str, str, str]]:
    """(key, description, tooltip) for every binding active on `screen`, footer keys first."""
    app = screen.app
    seen: dict[str, tuple[str, str, str]] = {}
    for active in screen.active_bindings.values():
        b = active.binding
        # Only the console's own keys (they all carry an id); Textual's generic scrolling
        # and focus keys would bury them.
        if not b.description or not b.id:
            continue
        shown = app.get_key_display(b)
        entry = (shown, b.description, b.tooltip or active.tooltip or "")
        # One line per action: keys bound together (e.g. up,k) are joined.
        previous = seen.get(b.action)
        if previous and shown not in previous[0].split(" / "):
            entry = (previous[0] + " / " + shown, b.description, entry[2])
        seen[b.action] = entry
    return list(seen.values())


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "关闭帮助", id="help.close"),
    ]

    def __init__(self, title: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self._title = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("按键 Key", no_wrap=True)
        table.add_column("功能")
        table.add_column("说明", style="dim")
        for key, desc, tip in self.rows:
            table.add_row(Text(key, style="bold"), Text(desc), Text(tip))
        with VerticalScroll(classes="dialog help"):
            yield Label(Text(f"{self._title} · 按键一览"), classes="dialog-title")
            yield Static(table)
            yield Label("Ctrl+P 打开命令面板,可搜索所有操作 · Esc 关闭", classes="dialog-hint")
        yield KeyBar()

    def action_close(self) -> None:
        self.dismiss(None)
