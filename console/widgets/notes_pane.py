"""The notes pane beside the queue (shift notes) and the case screen (沟通记录).

What the agent types is saved as a draft a moment after they stop typing, so closing the
terminal or a crash loses nothing; the draft comes back the next time the pane opens.
The notes and the draft are read in worker threads (`app.read`); the list says "载入中…"
until they arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static, TextArea

from console.cases import StaleError
from console.db import StoreError
from console.models import Note
from console.notes import Notes, place_of
from console.sla import shop_time
from console.textsafe import inert, inert_multiline
from console.widgets.draft_keeper import DraftKeeper
from console.widgets.side_panel import hide_panel, show_panel


@dataclass(frozen=True)
class Refused:
    """An edit refused because the note changed meanwhile: its newest version, and the
    agent's text, which is kept."""

    newest: Note
    body: str


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
        # What Ctrl+S does with the text: a new note; a new version of `_editing` (Ctrl+G);
        # or, after an edit was refused, a merge with the newest version of `_merging`.
        self._editing: Note | None = None
        self._merging: int | None = None
        self._loaded_draft = False
        self._notes: list[Note] | None = None  # the current versions, once read
        # A save on its way (or waiting for the database server): Ctrl+S again would write
        # the same note twice.
        self._saving = False

    @property
    def place(self) -> str:
        return place_of(self.case_id)

    @property
    def notes(self) -> Notes:
        return self.app.services.notes

    def compose(self) -> ComposeResult:
        title = f"沟通记录 #{self.case_id}" if self.case_id is not None else "班次笔记"
        yield Label(title, id="notes-title")
        with VerticalScroll(id="notes-list"):
            yield Static(Text("载入中…", style="dim"), id="notes-body")
        yield TextArea(id="notes-input", soft_wrap=True)
        yield Static("Ctrl+S保存 · Ctrl+T答应买家 · Ctrl+G改我上一条 · 自动存草稿", id="notes-hint")

    def on_mount(self) -> None:
        self._area = self.query_one("#notes-input", TextArea)
        self.reload()
        self._load_draft()

    def _load_draft(self) -> None:
        notes, agent, place = self.notes, self.app.agent, self.place

        def job() -> str:
            try:
                return notes.draft(agent, place)
            except StoreError:
                return ""

        self.app.read(job, self._draft_loaded, owner=self, key=f"notes-draft:{id(self)}")

    def _draft_loaded(self, draft: str) -> None:
        area = self._area
        typed = area.text
        self._loaded_draft = True
        if draft and typed != draft:
            # Typed before the draft arrived (a quick agent): both are kept, the draft first.
            area.load_text(draft + ("\n" + typed if typed else ""))
            area.move_cursor(area.document.end)
        elif typed:
            self._draft.changed(typed)  # typed meanwhile and no draft: saved like any change

    def reload(self) -> None:
        """Read the notes again in a worker; the list is repainted when they arrive."""
        notes, case_id = self.notes, self.case_id
        self.app.read(lambda: notes.current(case_id), self._loaded, self._not_loaded,
                      owner=self, key=f"notes-pane:{id(self)}")

    def _not_loaded(self, message: str) -> None:
        if self._notes is None:
            self.query_one("#notes-body", Static).update(Text(message, style="red"))

    def _loaded(self, notes: list[Note]) -> None:
        self._notes = notes
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
        if not self._area.text:
            self._editing = self._merging = None  # an empty box starts a new note
        if self._loaded_draft:
            self._draft.changed(self._area.text)

    def on_unmount(self) -> None:
        if not self.app.is_running:
            self._draft.flush()  # the console is closing: what is typed is written here and now
        elif self._draft.unsaved:
            self._draft.leave()  # leaving the screen: written at once, by a worker

    # ---- actions ---------------------------------------------------------------------------

    def _save(self, promise_at=None) -> None:
        area = self.query_one("#notes-input", TextArea)
        body = area.text.strip()
        if not body:
            self.app.notify("笔记是空的", severity="warning")
            return
        if self._saving:
            self.app.notify("这条笔记正在保存 (数据库连接中断时: 连接恢复后自动保存)", markup=False)
            return
        app = self.app
        notes = self.notes
        editing, merging = self._editing, self._merging
        area_text = area.text

        def job():
            if merging is not None:
                # After a refusal: always against the newest version, never the stale one.
                return Refused(notes.latest_version(merging), area_text)
            if editing is not None:
                try:
                    return notes.edit(editing.id, body, app.agent)
                except StaleError:
                    return Refused(notes.latest_version(editing.id), area_text)
            return notes.add(self.case_id, body, app.agent, promise_at=promise_at)

        def done(result) -> None:
            self._saving = False
            if isinstance(result, Refused):
                self._refused(result)
                return
            self._editing = self._merging = None
            self._clear_saved(area, area_text)
            self.reload()
            app.notify("笔记已保存" + (",已设答应买家的时限" if promise_at else ""))

        def failed(_message: str) -> None:
            self._saving = False

        # On failure the text stays in the box (and in the draft): nothing is lost.
        self._saving = True
        app.write(job, done, failed)

    def _clear_saved(self, area: TextArea, saved: str) -> None:
        """The note `saved` is in the database: take it out of the box. A save that waited
        for the database server lands later, and what was typed after it stays."""
        now = area.text
        if now == saved:
            area.load_text("")
        elif now.startswith(saved):
            area.load_text(now[len(saved):].lstrip("\n"))
            area.move_cursor(area.document.end)
        else:
            # Changed in between: all of it stays, and is a draft again (saving the note
            # emptied the stored one).
            self._draft.changed(now)

    def _refused(self, refused: Refused) -> None:
        """The note changed since the agent loaded it: the agent's text stays (box, draft,
        journal) and both versions are shown to merge. Ctrl+S from now on merges with the
        newest version, so a refusal never repeats itself."""
        from console.screens.note_merge import MergeNoteDialog

        self._editing = None
        self._merging = refused.newest.id
        app = self.app
        app.notify(f"这条笔记刚被 {refused.newest.author} 改过: 请对照最新版本合并,您的文字都在。",
                   markup=False, severity="warning")
        app.push_screen(MergeNoteDialog(refused.newest, refused.body, app.policy, self._draft.changed),
                        lambda merged: self._merged(refused.newest, merged))

    def _merged(self, newest: Note, merged) -> None:
        area = self.query_one("#notes-input", TextArea)
        if merged.text != area.text:
            area.load_text(merged.text)  # the box holds what the dialog ended with
            area.move_cursor(area.document.end)
        if not merged.save:
            self.app.notify("您的修改留在笔记栏: Ctrl+S 再打开合并", markup=False)
            area.focus()
            return
        app, notes, body = self.app, self.notes, merged.text.strip()

        def job():
            try:
                return notes.edit(newest.id, body, app.agent)
            except StaleError:
                return Refused(notes.latest_version(newest.id), merged.text)

        def done(result) -> None:
            if isinstance(result, Refused):
                self._refused(result)  # changed again meanwhile: merge with that one
                return
            self._editing = self._merging = None
            area.load_text("")
            self.reload()
            app.notify("已合并保存为新版本 (旧版本都在历史里)")

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
        if self._notes is None:
            self.app.notify("笔记还在载入,请稍等")
            return
        # The notes as last read: an edit of a version someone has changed since is refused
        # when saved, and merged then.
        mine = [n for n in self._notes if n.author == self.app.agent]
        if not mine:
            self.app.notify("您在这里还没有笔记")
            return
        area = self.query_one("#notes-input", TextArea)
        loaded = self._editing.body if self._editing is not None else ""
        if area.text.strip() and area.text != loaded:
            # Never over what the agent typed: it would be gone with the next autosave.
            self.app.notify("输入框里还有没保存的文字: 先 Ctrl+S 保存或清空,再改上一条", markup=False,
                            severity="warning")
            return
        self._merging = None
        self._editing = mine[-1]
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
