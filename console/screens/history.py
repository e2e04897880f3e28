"""The full history of a case: every event, who, when, before → after, and every version
of every note. Read in a worker thread; "载入中…" until it arrives."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from console.cases import CaseDetail, NotFoundError
from console.messages import DataChanged
from console.models import Note
from console.sla import shop_time
from console.textsafe import inert, inert_multiline
from console.units import qty
from console.vocab import ACTIONS, label
from console.widgets.keybar import KeyBar


class HistoryScreen(Screen[None]):
    HELP_TITLE = "处理历史"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "返回", id="history.back"),
        Binding("up", "scroll(-1)", "上", show=False, id="history.up"),
        Binding("down", "scroll(1)", "下", show=False, id="history.down"),
        Binding("pageup", "scroll(-20)", "上一页", show=False, id="history.pgup"),
        Binding("pagedown", "scroll(20)", "下一页", show=False, id="history.pgdn"),
    ]

    def __init__(self, case_id: int) -> None:
        super().__init__()
        self.case_id = case_id

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble((f" 工单 #{self.case_id} 处理历史 ", "bold reverse"), "  ", ("载入中…", "dim")),
                     id="history-title")
        with VerticalScroll(id="history-body"):
            yield Static(id="history-events")
            yield Static(id="history-notes")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#history-body").focus()

    def on_data_changed(self, message: DataChanged) -> None:
        """Someone committed (this console or another)."""
        if message.touches(self.case_id):
            self.reload()

    def reload(self) -> None:
        """Read the case in a worker; `_loaded` paints it when it arrives."""
        cases, case_id = self.app.cases, self.case_id

        def job() -> CaseDetail | None:
            try:
                return cases.get(case_id)
            except NotFoundError:
                return None

        self.app.read(job, self._loaded, owner=self, key=f"history:{id(self)}")

    def _loaded(self, detail: CaseDetail | None) -> None:
        app = self.app
        if detail is None:
            app.notify(f"找不到工单 #{self.case_id}", markup=False, severity="error")
            if self.is_current:
                app.pop_screen()
            return
        policy = app.policy
        c = detail.case
        self.query_one("#history-title", Static).update(Text.assemble(
            (f" 工单 #{c.id} 处理历史 ", "bold reverse"), "  买家 ", (inert(c.buyer_id), "bold"),
            f"  共 {qty(len(detail.events), '条')}记录",
        ))
        table = Table(box=None, expand=True, header_style="bold", padding=(0, 1))
        for title in ("时间", "客服", "操作", "改前", "改后", "说明"):
            table.add_column(title, overflow="fold")
        for e in detail.events:
            table.add_row(
                shop_time(e.at, policy, "%Y-%m-%d %H:%M:%S"), Text(inert(e.agent)), label(ACTIONS, e.action),
                Text(inert(e.before) or "—"), Text(inert(e.after) or "—"), Text(inert(e.detail)),
            )
        self.query_one("#history-events", Static).update(table)

        notes = Text("\n笔记的所有版本\n", style="bold underline")
        for n in detail.notes:
            notes.append(f"#{n.id} {shop_time(n.created_at, policy, '%Y-%m-%d %H:%M:%S')} {inert(n.author)}", style="dim")
            if n.supersedes:
                notes.append(f"  (修改了 #{n.supersedes})", style="yellow")
            if _superseded(n, detail.notes):
                notes.append("  (已被修改)", style="dim")
            notes.append("\n" + inert_multiline(n.body) + "\n\n", style="strike dim" if _superseded(n, detail.notes) else "")
        self.query_one("#history-notes", Static).update(notes)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#history-body", VerticalScroll).scroll_relative(y=lines, animate=False)


def _superseded(note: Note, notes: list[Note]) -> bool:
    return any(n.supersedes == note.id for n in notes)
