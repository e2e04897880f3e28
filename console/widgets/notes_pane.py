"""The notes pane beside the queue (shift notes) and the case screen (沟通记录).

What the agent types is saved as a draft a moment after they stop typing, so closing the
terminal or a crash loses nothing; the draft comes back the next time the pane opens.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static, TextArea

from console.db import StoreError
from console.models import Note
from console.notes import Notes, place_of
from console.sla import shop_time
from console.textsafe import inert, inert_multiline
from console.widgets.draft_keeper import DraftKeeper
from console.widgets.side_panel import hide_panel, show_panel


class NotesPane(Vertical):
    DEFAULT_CSS = """
    NotesPane {
        dock: right;
        width: 46;
        border-left: solid $panel-lighten-2;
        padding: 0 1;
        &.-hidden { display: none; }
        #notes-list { height: 1fr; }
        #notes-input { height: 6; }
        #notes-hint { color: $text-muted; height: auto; }
        #notes-title { text-style: bold; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存笔记", priority=True, id="notes.save"),
        Binding("ctrl+t", "promise", "答应买家", id="notes.promise", tooltip="保存为答应买家的事,并设一个时限"),
        # Not Ctrl+E: the text area takes it (end of line) before the pane sees it. G as in 改.
        Binding("ctrl+g", "edit_last", "改我上一条", id="notes.edit", tooltip="修改我最近的一条笔记 (旧版本保留在历史里)"),
        Binding("escape", "leave", "离开笔记栏", id="notes.leave"),
    ]

    def __init__(self, case_id: int | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.case_id = case_id
        self._draft = DraftKeeper(self, lambda: self.place)
        self._editing: Note | None = None
        self._loaded_draft = False

    @property
    def place(self) -> str:
        return place_of(self.case_id)

    @property
    def notes(self) -> Notes:
        return Notes(self.app.cases)

    def compose(self) -> ComposeResult:
        title = f"沟通记录 #{self.case_id}" if self.case_id is not None else "班次笔记"
        yield Label(title, id="notes-title")
        with VerticalScroll(id="notes-list"):
            yield Static(id="notes-body")
        yield TextArea(id="notes-input", soft_wrap=True)
        yield Static("Ctrl+S保存 · Ctrl+T答应买家 · Ctrl+G改我上一条 · 自动存草稿", id="notes-hint")

    def on_mount(self) -> None:
        self._area = self.query_one("#notes-input", TextArea)
        self.reload()
        self._load_draft()

    def _load_draft(self) -> None:
        try:
            draft = self.notes.draft(self.app.agent, self.place)
        except StoreError:
            draft = ""
        area = self.query_one("#notes-input", TextArea)
        if draft and not area.text:
            area.load_text(draft)
            area.move_cursor(area.document.end)
        self._loaded_draft = True

    def reload(self) -> None:
        try:
            notes = self.notes.current(self.case_id)
        except StoreError as exc:
            self.query_one("#notes-body", Static).update(Text(exc.message, style="red"))
            return
        policy = self.app.policy
        text = Text()
        if not notes:
            text.append("还没有笔记。\n", style="dim")
        for n in notes:
            text.append(f"{shop_time(n.created_at, policy)} {inert(n.author)}", style="dim")
            if n.supersedes:
                text.append(" (已修改)", style="yellow dim")
            if n.promise_at:
                text.append(f"\n⏰ 答应买家 {shop_time(n.promise_at, policy)} 前", style="bold yellow")
            text.append("\n" + inert_multiline(n.body) + "\n\n")
        self.query_one("#notes-body", Static).update(text)
        self.query_one("#notes-list", VerticalScroll).scroll_end(animate=False)

    def focus_input(self) -> None:
        show_panel(self)
        self.query_one("#notes-input", TextArea).focus()

    # ---- autosave --------------------------------------------------------------------------

    @on(TextArea.Changed, "#notes-input")
    def _typed(self) -> None:
        if self._loaded_draft:
            self._draft.changed(self._area.text)

    def on_unmount(self) -> None:
        self._draft.flush()  # leaving the screen: what is typed is written now

    # ---- actions ---------------------------------------------------------------------------

    def _save(self, promise_at=None) -> None:
        area = self.query_one("#notes-input", TextArea)
        body = area.text.strip()
        if not body:
            self.app.notify("笔记是空的", severity="warning")
            return
        app = self.app
        notes = self.notes
        editing = self._editing

        def job():
            if editing is not None:
                return notes.edit(editing.id, body, app.agent)
            return notes.add(self.case_id, body, app.agent, promise_at=promise_at)

        def done(_note) -> None:
            self._editing = None
            area.load_text("")
            self.reload()
            app.notify("笔记已保存" + (",已设答应买家的时限" if promise_at else ""))

        # On failure the text stays in the box (and in the draft): nothing is lost.
        app.write(job, done)

    def action_save(self) -> None:
        self._save()

    def action_promise(self) -> None:
        from console.intake import parse_future_time
        from console.screens.dialogs import PromptDialog

        if self.case_id is None:
            self.app.notify("答应买家的时限要记在工单上", severity="warning")
            return
        app = self.app

        def check(text: str) -> str | None:
            when = parse_future_time(text, app.policy, app.now())
            if when is None:
                return "时间格式: 18:30 / 明天10点 / 2026-11-25 10:00"
            return None

        app.push_screen(
            PromptDialog("答应买家在什么时间前? (店铺时间)", placeholder="明天10点", check=check),
            lambda text: text and self._save(parse_future_time(text, app.policy, app.now())),
        )

    def action_edit_last(self) -> None:
        mine = [n for n in self.notes.current(self.case_id) if n.author == self.app.agent]
        if not mine:
            self.app.notify("您在这里还没有笔记")
            return
        self._editing = mine[-1]
        area = self.query_one("#notes-input", TextArea)
        area.load_text(self._editing.body)
        area.focus()
        self.app.notify("修改模式: Ctrl+S 保存为新版本,旧版本保留在历史里")

    def action_leave(self) -> None:
        self.screen.focus_next()
        if self.has_focus_within:
            self.screen.set_focus(None)


def toggle_notes(pane: NotesPane, home) -> None:
    """One key for the pane: show and focus it; from inside it, hide it; else focus it.
    (Hidden may also mean the screen is too narrow for it: see side_panel.)"""
    if not pane.display:
        pane.focus_input()
    elif pane.has_focus_within:
        hide_panel(pane)
        home.focus()
    else:
        pane.focus_input()
