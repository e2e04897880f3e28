"""话术: find the right approved reply in a keystroke and copy it filled in for this buyer."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, Static, TextArea

from console.messages import DataChanged
from console.phrases import (
    CATEGORIES,
    ForbiddenListError,
    Library,
    Reply,
    Result,
    SearchIndex,
    describe,
    fill,
    find_forbidden,
    has_markers,
)
from console.reply_values import boost_for
from console.textsafe import inert
from console.units import qty
from console.widgets.keybar import KeyBar

SHOWN = 30


class QueryInput(Input):
    """The search box leaves 1-9 and + to the picker: they copy and append, and reply
    searches are words, pinyin and initials, never digits."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if character is not None and (character in "123456789+"):
            return False
        return super().check_consume_key(key, character)

    async def _on_key(self, event) -> None:
        if event.character is not None and event.character in "123456789+":
            return  # not typed: the screen's binding acts on it
        await super()._on_key(event)


class PhrasePicker(Screen[None]):
    HELP_TITLE = "话术"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "copy_nth(1)", "复制第几条", key_display="1-9", priority=True, id="phrases.copy_n"),
        *[Binding(str(n), f"copy_nth({n})", show=False, priority=True, id=f"phrases.copy{n}") for n in range(2, 10)],
        Binding("enter", "copy_current", "复制", id="phrases.copy", show=True),
        Binding("up", "move(-1)", "上", show=False, priority=True, id="phrases.up"),
        Binding("down", "move(1)", "下", show=False, priority=True, id="phrases.down"),
        Binding("plus", "append", "拼接", key_display="+", priority=True, id="phrases.append",
                tooltip="把这条加到待发送里,问候+方案+结束语一次粘贴"),
        Binding("ctrl+e", "edit", "改一下再复制", priority=True, id="phrases.edit"),
        Binding("ctrl+n", "new_draft", "新增草稿", priority=True, id="phrases.draft"),
        Binding("ctrl+o", "approve", "审核通过", priority=True, id="phrases.approve"),
        Binding("ctrl+x", "clear_parts", "清空拼接", priority=True, id="phrases.clear"),
        Binding("escape", "close", "关闭", id="phrases.close"),
    ]

    def __init__(self, case_id: int | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.results: list[Result] = []
        self.highlight = 0
        self.parts: list[Reply] = []  # replies appended with +
        self._opening = True
        self.lib: Library | None = None
        self.index: SearchIndex | None = None
        self.values: dict[str, str] = {}
        self.boost: list[str] = []
        self.usage: dict[str, int] = {}
        self.step: str | None = None
        # The case's values (and the fresh library) have arrived; the keys that need them wait.
        self._ready = False
        self._failed = False
        self._waiting: list[Callable[[], None]] = []

    def compose(self) -> ComposeResult:
        yield Static(id="pp-title")
        yield QueryInput(placeholder="搜索话术: 中文、拼音或首字母 (bq = 抱歉),数字键 1-9 直接复制", id="pp-query")
        yield Static(id="pp-results")
        with VerticalScroll(id="pp-preview-box"):
            yield Static(id="pp-preview")
        yield KeyBar()

    def prepare(self, case_id: int | None) -> None:
        """Point the picker at a case before it is shown again (the screen is kept between
        uses: building it anew costs most of the time it takes to open)."""
        self.case_id = case_id
        self._opening = True

    def on_screen_resume(self) -> None:
        # Back from one of its own dialogs (edit, new draft): keep the query and results.
        if not self._opening:
            return
        self._opening = False
        app = self.app
        self.parts = []
        self._ready, self._failed, self._waiting = False, False, []
        # At once from the library as the warm-up (or the last opening) built it; the case,
        # its step's replies, the usage counts and new stored drafts follow from a worker.
        built = app.services.replies.cached()
        self.lib, self.index = built if built is not None else (None, None)
        self.values, self.boost, self.step = app.reply_values(None), [], None
        self._paint_title()
        query = self.query_one("#pp-query", Input)
        query.value = ""
        query.focus()
        self.refresh_bindings()
        self._search("")
        self._load()

    def _load(self) -> None:
        """Read what the picker needs for this case in a worker; `_loaded` shows it."""
        app = self.app
        services, cases, case_id, agent = app.services, app.cases, self.case_id, app.agent

        def job():
            lib, index = services.replies.get()
            detail = cases.get(case_id) if case_id is not None else None
            step = detail.case.sop_step if detail is not None else None
            try:
                usage = services.copies.usage()
            except Exception:  # noqa: BLE001 - usage only orders results; never block the picker
                usage = {}
            return (lib, index, app.reply_values(detail), step, boost_for(step, lib, services.sop), usage,
                    cases.role_of(agent))

        app.read(job, self._loaded, self._load_failed, owner=self, key="phrases")

    def _loaded(self, result) -> None:
        self.lib, self.index, self.values, self.step, self.boost, self.usage, self.app.role = result
        self._become_ready()

    def _load_failed(self, _message: str) -> None:
        # Still usable: the library as last built, the placeholders left as 【待填】 markers.
        self._failed = True
        self._become_ready()

    def _become_ready(self) -> None:
        self._ready = True
        shown = self.current()
        self._paint_title()
        self.refresh_bindings()
        self._search(self.query_one("#pp-query", Input).value)
        if shown is not None:  # the reply the agent was looking at stays highlighted
            self.highlight = next((i for i, r in enumerate(self.results) if r.reply.id == shown.id), 0)
            self._paint()
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then()

    def _when_ready(self, then: Callable[[], None]) -> None:
        """Run `then` now, or once the case's values are here: a key pressed while the picker
        loads is not lost, and no reply is copied filled in without its case."""
        if self._ready:
            then()
        else:
            self._waiting.append(then)

    def _paint_title(self) -> None:
        title = Text.assemble((" 话术 ", "bold reverse"))
        if self.case_id is not None:
            title.append(f"  工单 #{self.case_id} ")
            if not self._ready:
                title.append("载入中…", style="dim")
            elif self._failed:
                title.append("工单信息没能载入,【待填】处请手动填写", style="bold yellow")
            else:
                title.append("买家 ")
                title.append(inert(self.values.get("buyer_id", "")), style="bold")
        if self.step:
            title.append(f"  当前SOP步骤 {self.step}", style="cyan")
        self.query_one("#pp-title", Static).update(title)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "approve":
            return self.app.is_supervisor
        if action == "clear_parts":
            return bool(self.parts)
        if action == "new_draft":
            return True if self.lib is not None else None  # a new id must not be taken: needs the library
        return True

    # ---- searching --------------------------------------------------------------------------

    @on(Input.Changed, "#pp-query")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, query: str) -> None:
        if self.index is None:  # nothing built yet: the list comes with the first read
            self.results = []
            self._paint()
            return
        self.results = self.index.search(query, boost_ids=self.boost, usage=self.usage, limit=SHOWN,
                                         include_drafts=True)
        self.highlight = 0
        self._paint()

    def _paint(self) -> None:
        lines = Text()
        if not self.results and self.index is None and not self._ready:
            lines.append("载入中…", style="dim")
        elif not self.results:
            lines.append("没有找到。试试拼音首字母,或 Ctrl+N 新增一条草稿。", style="dim")
        for i, r in enumerate(self.results[:SHOWN]):
            num = f"{i + 1}" if i < 9 else " "
            style = "reverse" if i == self.highlight else ""
            lines.append(f" {num} ", style="bold " + style)
            lines.append(f" {r.reply.title}", style=style)
            if not r.reply.approved:
                lines.append(" [草稿]", style="bold yellow " + style)
            if r.boosted:
                lines.append(" ★当前步骤", style="cyan " + style)
            lines.append(f"  {r.reply.id}\n", style="dim " + style)
        self.query_one("#pp-results", Static).update(lines)
        self._paint_preview()

    def current(self) -> Reply | None:
        return self.results[self.highlight].reply if self.results else None

    def _paint_preview(self) -> None:
        reply = self.current()
        text = Text()
        if self.parts:
            text.append(f"待发送 (已拼接 {qty(len(self.parts), '条')},Enter 连同当前这条一起复制)\n", style="bold cyan")
            if self._ready:
                text.append(self._marked(self._joined(self.parts)) + Text("\n\n"))
        if reply is not None:
            text.append(f"预览 · {reply.title}", style="bold")
            if not reply.approved:
                text.append("  草稿,复制前需要确认", style="bold yellow")
            text.append("\n")
            if self._ready:
                text.append(self._marked(fill(reply.text, self.values)))
            else:  # filled in with the case once it is here; never shown with its gaps meanwhile
                text.append("载入中…", style="dim")
        self.query_one("#pp-preview", Static).update(text)

    @staticmethod
    def _marked(filled: str) -> Text:
        """Filled text with the 【待填:…】 markers standing out, so nothing goes out unfilled."""
        out = Text(inert(filled).replace("⏎", "\n"))
        out.highlight_regex(r"【待填[^】]*】", "bold black on yellow")
        return out

    def _joined(self, replies: list[Reply]) -> str:
        return "\n".join(fill(r.text, self.values) for r in replies)

    # ---- keys -------------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        if self.results:
            self.highlight = max(0, min(len(self.results) - 1, self.highlight + delta))
            self._paint()

    def action_append(self) -> None:
        reply = self.current()
        if reply is not None:
            self.parts.append(reply)
            self.refresh_bindings()
            self._paint_preview()
            self.app.notify(f"已拼接: {reply.title}", markup=False)

    def action_clear_parts(self) -> None:
        self.parts.clear()
        self.refresh_bindings()
        self._paint_preview()

    def action_copy_nth(self, n: int) -> None:
        if self.index is None and not self._ready:  # no list shown yet: the key counts once it is
            self._when_ready(lambda: self.action_copy_nth(n))
            return
        if n <= len(self.results):
            self.highlight = n - 1
            self._paint()
            self.action_copy_current()

    @on(Input.Submitted, "#pp-query")
    def _submitted(self) -> None:
        self.action_copy_current()

    def _chosen(self) -> list[Reply]:
        """What Enter copies: the appended replies and the highlighted one."""
        reply = self.current()
        return self.parts + ([reply] if reply is not None else [])

    def action_copy_current(self) -> None:
        if self.index is None and not self._ready:
            self._when_ready(self.action_copy_current)
            return
        replies = self._chosen()
        if replies:
            # The replies the agent sees now, filled in once the case is here.
            self._when_ready(lambda: self._copy(replies, self._joined(replies), edited=False))

    def action_edit(self) -> None:
        replies = self._chosen()
        if not replies:
            return

        def open_dialog() -> None:
            dialog = EditReplyDialog(self._joined(replies))
            self.app.push_screen(dialog, lambda text: text and self._copy(replies, text, True, dialog.overridden))

        self._when_ready(open_dialog)

    def _copy(self, replies: list[Reply], text: str, edited: bool, overridden: int = 0) -> None:
        from console.screens.dialogs import ConfirmDialog

        if not edited and has_markers(text):
            # Never send 【待填:金额】 to a buyer by accident: fill it in first.
            self.app.notify("还有【待填】的内容,请先填上再复制", markup=False, severity="warning")
            dialog = EditReplyDialog(text)
            self.app.push_screen(dialog, lambda t: t and self._copy(replies, t, True, dialog.overridden))
            return
        drafts = [r for r in replies if not r.approved]
        if drafts:
            self.app.push_screen(
                ConfirmDialog(f"“{drafts[0].title}”是草稿,还没有审核。仍要复制吗?", yes="仍然复制", no="不复制"),
                lambda yes: yes and self._do_copy(replies, text, edited, overridden),
            )
        else:
            self._do_copy(replies, text, edited, overridden)

    def _do_copy(self, replies: list[Reply], text: str, edited: bool, overridden: int = 0) -> None:
        from console.replies import version_of

        app = self.app
        case_id = self.case_id

        def copied(ok: bool) -> None:
            if not ok:
                return  # the text is on screen to copy by hand; nothing recorded as sent
            ids = [r.id for r in replies]
            versions = [version_of(r.text) for r in replies]
            app.write(lambda: app.services.copies.record_copy(case_id, ids, versions, text, app.agent, edited,
                                                                 overridden),
                      self._after_copy)

        app.copy_text(text, copied)

    def _after_copy(self, copied) -> None:
        self.dismiss_picker()
        if copied.first_reply:
            # Said where the agent looks: the copy itself was the first reply.
            self.app.notify(f"工单 #{self.case_id} 已记为首次回复 (复制话术即算回复买家)", markup=False)

    def dismiss_picker(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()

    def action_new_draft(self) -> None:
        if self.lib is None:
            return

        def added(reply_id: str | None) -> None:
            if reply_id:
                self._reread_library()
                self.app.notify(f"已新增草稿 {reply_id},等主管审核", markup=False)

        self.app.push_screen(NewDraftDialog(self.query_one("#pp-query", Input).value, set(self.lib.ids)), added)

    def _reread_library(self, reload: bool = False) -> None:
        """The library again (a draft added or approved), read in a worker, then searched."""
        book = self.app.services.replies
        self.app.read(lambda: book.get(reload=reload), self._library_read, owner=self, key="phrases.library")

    def _library_read(self, built: tuple[Library, SearchIndex]) -> None:
        if built[0] is self.lib and built[1] is self.index:
            return  # nothing new: the list and the highlight stay as they are
        shown = self.current()
        self.lib, self.index = built
        self._search(self.query_one("#pp-query", Input).value)
        if shown is not None:  # the reply the agent was looking at stays highlighted
            self.highlight = next((i for i, r in enumerate(self.results) if r.reply.id == shown.id), 0)
            self._paint()

    def action_approve(self) -> None:
        """Approve the highlighted draft, in a worker. With a team library it becomes a new
        version of the team's reply file (every console offers it at once); without one a
        draft from the database is approved there and one in the shop's own reply files in
        its file; the shipped files are refused."""
        reply = self.current()
        app = self.app
        if reply is None or reply.approved or not app.is_supervisor:
            return
        book, agent = app.services.replies, app.agent
        app.write(lambda: book.approve(reply, agent), lambda failure: self._approved(reply.id, failure))

    def _approved(self, reply_id: str, failure: str) -> None:
        if failure:
            self.app.notify(failure, markup=False, severity="error", timeout=10)
            return
        self._reread_library(reload=True)
        self.app.notify(f"已审核通过 {reply_id}", markup=False)

    def on_data_changed(self, message: DataChanged) -> None:
        """Another console (or this one) changed something that is not a case: a draft added or
        approved, the team's library: the library again, in a worker, if the picker is open."""
        if message.case_ids is None and self.is_current:
            self._reread_library()

    def action_close(self) -> None:
        self._waiting = []  # a copy asked for while loading is not made after the picker closed
        self.app.pop_screen()


class EditReplyDialog(ModalScreen[str | None]):
    """A one-off edit before copying. Forbidden phrases are highlighted and need a confirmation."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "done", "复制", priority=True, id="edit.copy"),
        Binding("escape", "cancel", "取消", id="edit.cancel"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text
        self._warned_for: str | None = None
        # Forbidden phrases the agent chose to copy anyway (recorded with the copy).
        self.overridden = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("改一下再复制 (只改这一次,不改话术库)", classes="dialog-title")
            yield TextArea(self._text, id="edit-text", soft_wrap=True)
            yield Static("", id="edit-hits")
            yield Label("Ctrl+S 复制 · Esc 取消", classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_done(self) -> None:
        from console.screens.dialogs import ConfirmDialog

        text = self.query_one(TextArea).text.strip()
        if not text:
            return
        try:
            hits = find_forbidden(text, self.app.services.replies.forbidden_rules())
        except ForbiddenListError as exc:
            self.app.notify(f"禁用语列表有误,无法检查: {exc}", markup=False, severity="error")
            hits = []
        if has_markers(text) and self._warned_for != text:
            self._warned_for = text
            self.query_one("#edit-hits", Static).update(
                Text("还有【待填】的内容没有填。填好后再按 Ctrl+S;确实要原样复制就再按一次 Ctrl+S。", style="bold yellow"))
            return
        if not hits:
            self.dismiss(text)
            return
        shown = Text(inert(text).replace("⏎", "\n"))
        for hit in hits:
            shown.stylize("bold white on red", hit.start, hit.end)
        shown.append("\n\n")
        for hit in hits:
            shown.append("• " + describe(hit) + "\n", style="red")
        self.query_one("#edit-hits", Static).update(shown)
        self.app.push_screen(
            ConfirmDialog(f"内容里有 {len(hits)} 处禁用语 (已标红)。仍要复制吗?", yes="仍然复制", no="回去修改"),
            lambda yes: yes and self._override(text, len(hits)),
        )

    def _override(self, text: str, hits: int) -> None:
        self.overridden = hits
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NewDraftDialog(ModalScreen[str | None]):
    """Add a draft reply; it is visibly a draft until a supervisor approves it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存草稿", priority=True, id="draft.save"),
        Binding("escape", "cancel", "取消", id="draft.cancel"),
    ]

    def __init__(self, title: str, existing: set[str]) -> None:
        super().__init__()
        self._title = title
        self._existing = existing

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("新增草稿话术 (主管审核后才算正式话术)", classes="dialog-title")
            yield Label("分类: " + " ".join(f"{k}={v}" for k, v in CATEGORIES.items()), classes="dialog-hint")
            yield Input("apology", id="draft-category", placeholder="分类 (英文,见上)")
            yield Input(self._title, id="draft-title", placeholder="标题")
            yield Input(id="draft-tags", placeholder="标签,用空格分开 (可选)")
            yield TextArea(id="draft-text", soft_wrap=True)
            yield Static("", id="draft-error", classes="dialog-error")
        yield KeyBar()

    def action_save(self) -> None:
        """Checked here (fields, placeholders, forbidden phrases), then stored in the database
        by a worker; the dialog closes with the new id, or shows why not and keeps the text."""
        from console.phrases.drafts import DraftError, check_draft

        def val(wid: str) -> str:
            return self.query_one(f"#{wid}", Input).value

        text = self.query_one("#draft-text", TextArea).text
        try:
            rules = self.app.services.replies.forbidden_rules()
        except ForbiddenListError:
            rules = ()
        hits = find_forbidden(text, rules)
        if hits:
            self._error("含有禁用语: " + ";".join(describe(h) for h in hits))
            return
        try:
            category, title, body, tags = check_draft(val("draft-category"), val("draft-title"), text,
                                                      val("draft-tags"), rules)
        except DraftError as exc:
            self._error(str(exc))
            return
        app = self.app
        drafts, agent, taken = app.reply_drafts, app.agent, self._existing
        app.write(lambda: drafts.add(category, title, body, agent, tags, taken=taken, rules=rules),
                  self._saved, self._error)

    def _saved(self, reply: Reply) -> None:
        if self.is_current:
            self.dismiss(reply.id)
        else:  # closed while the write was on its way: it is stored all the same
            self.app.notify(f"已新增草稿 {reply.id},等主管审核", markup=False)

    def _error(self, message: str) -> None:
        if self.is_mounted:
            self.query_one("#draft-error", Static).update(Text(message))

    def action_cancel(self) -> None:
        self.dismiss(None)
