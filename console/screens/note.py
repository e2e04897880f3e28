"""A multi-line note. What is typed survives Esc: it comes back the next time."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from console.widgets.keybar import KeyBar

# Unsaved note text per dialog title, for this run of the console.
_drafts: dict[str, str] = {}


def saved(title: str) -> None:
    """Forget the draft of the note dialog called `title` once its text is in the database."""
    _drafts.pop(title, None)


class NoteDialog(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存", priority=True, id="note.save"),
        Binding("escape", "cancel", "先放着", id="note.later"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text(self._title), classes="dialog-title")
            yield TextArea(_drafts.get(self._title, ""), id="note-text", soft_wrap=True)
            yield Label("Ctrl+S 保存 · Esc 先放着 (内容会保留,下次打开还在)", classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        _drafts[self._title] = event.text_area.text

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify("笔记是空的", severity="warning")
            return
        # The draft stays until the caller has saved it (see `saved`): a failed write loses nothing.
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
