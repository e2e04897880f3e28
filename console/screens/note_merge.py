"""Merging an edit that was refused because a colleague changed the note meanwhile.

The colleague's newest version on top (read only: select and Ctrl+C copies from it), the
agent's own text below (editable, and still autosaved as the notes pane's draft). Ctrl+S
saves the merged text as a new version on top of the newest; Esc puts it back in the notes
pane, where Ctrl+S opens this dialog again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from console.models import Note
from console.sla import shop_time
from console.textsafe import inert
from console.widgets.keybar import KeyBar


@dataclass(frozen=True)
class Merged:
    """What the agent left the dialog with: `save` (Ctrl+S) or not (Esc), and the text."""

    save: bool
    text: str


class MergeNoteDialog(ModalScreen[Merged]):
    DEFAULT_CSS = """
    MergeNoteDialog .dialog.merge { width: 90%; height: 90%; }
    MergeNoteDialog .merge TextArea { height: 1fr; }
    MergeNoteDialog .merge .dialog-title { margin-bottom: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存合并", priority=True, id="merge.save",
                tooltip="把下面的文字保存为最新版本之后的新版本"),
        # Not a key the text area owns (see PITFALLS): O as in 对方.
        Binding("ctrl+o", "take_theirs", "插入对方版本", id="merge.theirs",
                tooltip="把同事的最新版本插到您文字的光标处"),
        Binding("escape", "later", "先不合并", id="merge.later", tooltip="您的文字留在笔记栏,Ctrl+S 再打开合并"),
    ]

    def __init__(self, newest: Note, mine: str, policy, changed: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.newest = newest
        self._mine = mine
        self._policy = policy
        self._changed = changed

    def compose(self) -> ComposeResult:
        n = self.newest
        with Vertical(classes="dialog merge"):
            yield Label(Text(f"这条笔记在您修改时被 {inert(n.author)} 改过: 请对照合并,您的文字都在下面。",
                             style="bold"), classes="dialog-title")
            yield Label(Text(f"{inert(n.author)} 的最新版本 ({shop_time(n.created_at, self._policy)},只读)"))
            yield TextArea(n.body, read_only=True, soft_wrap=True, id="merge-theirs")
            yield Label(Text("您的版本 (可编辑,保存为新版本)"))
            yield TextArea(self._mine, soft_wrap=True, id="merge-mine")
            yield Label("Ctrl+S 保存 · Ctrl+O 插入对方版本 · Tab 切换 (对方版本里可选中后 Ctrl+C,再到您的版本 Ctrl+V) · Esc 先不合并",
                        classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        mine = self.query_one("#merge-mine", TextArea)
        mine.move_cursor(mine.document.end)
        mine.focus()

    @property
    def text(self) -> str:
        return self.query_one("#merge-mine", TextArea).text

    @on(TextArea.Changed, "#merge-mine")
    def _typed(self) -> None:
        if self._changed is not None:
            self._changed(self.text)

    def action_take_theirs(self) -> None:
        mine = self.query_one("#merge-mine", TextArea)
        mine.insert(self.newest.body)
        mine.focus()

    def action_save(self) -> None:
        if not self.text.strip():
            self.notify("合并后的笔记是空的", severity="warning")
            return
        self.dismiss(Merged(True, self.text))

    def action_later(self) -> None:
        self.dismiss(Merged(False, self.text))
