"""交接班: hand open work to the next agent (outgoing), and read it first (incoming)."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static, TextArea

from console.db import StoreError
from console.handover import LISTED, NOTE_DRAFT, Handovers, HandoverSummary
from console.messages import DataChanged
from console.models import Handover
from console.sla import format_countdown, shop_time
from console.textsafe import inert, inert_multiline
from console.units import qty
from console.vocab import ESCALATIONS, KINDS, STATUSES
from console.widgets.draft_keeper import DraftKeeper
from console.widgets.fitted_table import share_width
from console.widgets.keybar import KeyBar

# (title, kept whole); the others share what is left of the width.
COLUMNS: list[tuple[str, bool]] = [("", True), ("工单", True), ("买家", False), ("类型/状态", True), ("计时", True),
                                   ("下一步", False), ("最后笔记", False), ("交给", True)]
MINIMUM = [4, 4, 12, 4, 10, 6, 6, 4]
SHRINK = [(4, 10), (6, 3), (5, 3), (2, 8)]  # (column, narrowest) when even the minimums do not fit
SCROLLBAR = 2
STATE_MARK = {"overdue": ("超时", "bold red"), "warning": ("临近", "bold yellow"), "paused": ("暂停", "dim"), "ok": ("", "")}


class HandoverScreen(Screen[None]):
    HELP_TITLE = "交接班"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "返回", id="handover.back"),
        Binding("t", "target", "交给谁", id="handover.target", tooltip="默认交给哪位客服 (留空=待分配池)"),
        Binding("a", "assign_one", "单独指定", id="handover.one", tooltip="选中的工单单独交给某人"),
        Binding("p", "pool_one", "放回池", id="handover.pool", tooltip="选中的工单放回待分配池"),
        Binding("n", "note", "写说明", id="handover.note", tooltip="写交接说明"),
        Binding("c", "copy", "复制摘要", id="handover.copy", tooltip="复制交接摘要,贴到团队群"),
        Binding("ctrl+s", "confirm", "确认交接", priority=True, id="handover.confirm"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.target: str | None = None
        self.overrides: dict[int, str | None] = {}
        self.summary: HandoverSummary | None = None
        # The handover note is a draft like the notes pane's: Esc, a closed terminal or a
        # kill loses none of it, and it is there the next time the screen opens.
        self._note_draft = DraftKeeper(self, lambda: NOTE_DRAFT)
        self._note_loaded = False
        self.roster: list[tuple[str, str]] = []  # for "交给谁": read with the summary

    @property
    def service(self) -> Handovers:
        return self.app.services.handovers

    def compose(self) -> ComposeResult:
        yield Static(id="handover-title")
        yield DataTable(id="handover-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="handover-extra"):
            yield Static(id="handover-flags")
        yield Label("交接说明 (按 n 编辑,Esc 回到列表)", classes="field-label")
        yield TextArea(id="handover-note", soft_wrap=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#handover-title", Static).update(Text.assemble((" 交接班 ", "bold reverse"),
                                                                       ("  载入中…", "dim")))
        self.query_one(DataTable).focus()
        self.reload()

    def _read_all(self) -> None:
        """Opening: who is on shift, the saved note, the summary and the roster, in a worker."""
        app = self.app
        service, notes, cases, agent = self.service, app.services.notes, app.cases, app.agent

        def job():
            on_shift = [a for a in service.on_shift() if a != agent]
            try:
                saved = notes.draft(agent, NOTE_DRAFT)
            except StoreError:
                saved = ""
            return on_shift, saved, service.summary(agent), cases.roster()

        app.read(job, self._opened, self._read_failed, owner=self, key=self._read_key)

    @property
    def _read_key(self) -> str:
        return f"handover:{id(self)}"

    def _opened(self, result) -> None:
        on_shift, saved, summary, roster = result
        self.target = on_shift[0] if len(on_shift) == 1 else None
        self._summary_read((summary, roster))
        self._load_note(saved)

    def _read_failed(self, message: str) -> None:
        self.query_one("#handover-title", Static).update(Text.assemble(
            (" 交接班 ", "bold reverse"), "  ", (message, "bold red"), ("  (有新的改动时会再读一次)", "dim")))

    def _load_note(self, saved: str) -> None:
        area = self.query_one("#handover-note", TextArea)
        typed = area.text
        if saved and saved != typed:
            # Typed before the saved note arrived: the saved one goes first, nothing is lost.
            area.load_text(f"{saved}\n{typed}" if typed else saved)
            area.move_cursor(area.document.end)
            self.app.notify("交接说明是上次写了没交接的,按 n 接着写", markup=False)
        self._note_loaded = True
        if typed:
            self._note_draft.changed(area.text)

    @on(TextArea.Changed, "#handover-note")
    def _note_typed(self, event: TextArea.Changed) -> None:
        if self._note_loaded:
            self._note_draft.changed(event.text_area.text)

    def on_unmount(self) -> None:
        self._note_draft.close()  # a save still pending goes to a worker (written here if the console closes)

    def on_data_changed(self, message: DataChanged) -> None:
        """Someone committed (this console or another)."""
        self.reload()

    def reload(self) -> None:
        """The summary again, read in a worker (everything, while still opening: the newer
        read replaces the older)."""
        if self.summary is None:
            self._read_all()
            return
        service, cases, agent = self.service, self.app.cases, self.app.agent
        self.app.read(lambda: (service.summary(agent), cases.roster()), self._summary_read, owner=self,
                      key=self._read_key)

    def _summary_read(self, result: tuple[HandoverSummary, list[tuple[str, str]]]) -> None:
        self.summary, self.roster = result
        self._show()

    def _show(self) -> None:
        """The table and the title from the summary as read, with the targets as chosen now."""
        self.refresh_bindings()
        self._fill_table()
        self._paint()

    def on_resize(self) -> None:
        # The columns are sized to the screen: redo them for the new width.
        if self.summary is not None:
            self._fill_table()

    def _fill_table(self) -> None:
        assert self.summary is not None
        now = self.app.now()
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        rows = []
        listed = self.summary.items[:LISTED]  # all of them move; the table lists the most urgent
        for item in listed:
            c = item.case
            word, style = STATE_MARK[item.state]
            # The countdown first: if the line is too narrow, the clock's name is what is cut.
            timer = (f"{format_countdown(item.timer_due - now)} {item.timer_label}" if item.timer_due
                     else item.timer_label)
            rows.append((
                Text(word, style=style), Text(f"#{c.id}"), Text(inert(c.buyer_id)),
                Text(f"{KINDS.get(c.kind, c.kind)}/{STATUSES.get(c.status, c.status)}"),
                Text(timer, style=style), Text(inert(item.next_step) or "—"),
                Text(inert(item.last_note)[:60] or "—"), Text(inert(self._target_of(c.id)) or "待分配"),
            ))
        table.clear(columns=True)
        for (title, _), width in zip(COLUMNS, self._column_widths(rows), strict=True):
            table.add_column(title, width=width)
        for row, item in zip(rows, listed, strict=True):
            table.add_row(*row, key=str(item.case.id))
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))

    def _column_widths(self, rows: list[tuple[Text, ...]]) -> list[int]:
        """Column widths from the screen width: kind/status, the timer, the case and who takes
        it over whole; buyer, next step and last note share the rest."""
        table = self.query_one(DataTable)
        padding = 2 * table.cell_padding * len(COLUMNS)
        room = (self.size.width or self.app.size.width) - padding - SCROLLBAR
        natural = [max([cell_len(title), *(row[i].cell_len for row in rows)]) for i, (title, _) in enumerate(COLUMNS)]
        widths = share_width(natural, [keep for _, keep in COLUMNS], room, MINIMUM)
        # Very narrow (80 columns): the timer keeps its countdown and loses its clock's name
        # first, then the shared columns go below their minimum.
        for column, floor in SHRINK:
            over = sum(widths) - room
            if over <= 0:
                break
            widths[column] = max(floor, widths[column] - over)
        return widths

    def _target_of(self, case_id: int) -> str | None:
        return self.overrides.get(case_id, self.target)

    def _paint(self) -> None:
        s = self.summary
        assert s is not None
        self.query_one("#handover-title", Static).update(Text.assemble(
            (" 交接班 ", "bold reverse"), f"  {self.app.agent} → ", (self.target or "待分配池", "bold cyan"),
            f"   未结 {qty(len(s.items), '个')}", ("   超时或临近 ", "bold red"), (str(s.burning), "bold red"),
        ))
        flags = Text()
        if len(s.items) > LISTED:
            flags.append(f"列表只显示最紧急的 {qty(LISTED, '个')};其余 {qty(len(s.items) - LISTED, '个')}"
                         f"也一起交给 {self.target or '待分配池'} (a/p 只改列出的工单)\n", style="bold yellow")
        if s.escalated:
            flags.append("已升级: ", style="bold")
            flags.append(";".join(f"#{i.case.id} {ESCALATIONS.get(i.case.escalated_to, '')}"
                                  f"({inert(i.case.escalation_reason)})" for i in s.escalated) + "\n")
        if s.promises:
            flags.append("答应买家: ", style="bold yellow")
            flags.append(";".join(f"#{i.case.id} {inert(d.note)} "
                                  f"{shop_time(d.due_at, self.app.policy) if d.due_at else '暂停'}前"
                                  for i, d in s.promises))
        if not s.items:
            flags.append("您名下没有未结工单。写一句交接说明后 Ctrl+S 也可以交班。", style="dim")
        self.query_one("#handover-flags", Static).update(flags)

    def _assignments(self) -> dict[int, str | None]:
        assert self.summary is not None
        return {i.case.id: self._target_of(i.case.id) for i in self.summary.items}

    def _selected_id(self) -> int | None:
        table = self.query_one(DataTable)
        if self.summary is None or not self.summary.items or table.cursor_row is None:
            return None
        return self.summary.items[table.cursor_row].case.id

    # ---- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.query_one(TextArea).has_focus:
            self.query_one(DataTable).focus()
            return
        self._note_draft.leave(self.query_one(TextArea).text)
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("target", "assign_one", "pool_one", "copy", "confirm") and self.summary is None:
            return None  # shown, not yet usable: the summary is loading
        return True

    def _ask_agent(self, title: str, done) -> None:
        from console.screens.agent_picker import POOL, AgentPicker

        app = self.app
        app.push_screen(AgentPicker(title, self.roster, exclude=app.agent),
                        lambda name: name is not None and done(None if name == POOL else name))

    def action_target(self) -> None:
        def done(name: str | None) -> None:
            self.target = name
            self._show()

        self._ask_agent("默认交给哪位客服?", done)

    def action_assign_one(self) -> None:
        case_id = self._selected_id()
        if case_id is None:
            return

        def done(name: str | None) -> None:
            self.overrides[case_id] = name
            self._show()

        self._ask_agent(f"工单 #{case_id} 交给谁?", done)

    def action_pool_one(self) -> None:
        case_id = self._selected_id()
        if case_id is not None:
            self.overrides[case_id] = None
            self._show()

    def action_note(self) -> None:
        self.query_one(TextArea).focus()

    def summary_text(self) -> str:
        assert self.summary is not None
        note = self.query_one(TextArea).text
        return self.service.summary_text(self.summary, note, self.target, self._assignments())

    def action_copy(self) -> None:
        self.app.copy_text(self.summary_text())

    def action_confirm(self) -> None:
        from console.screens.dialogs import ConfirmDialog

        app = self.app
        assignments = self._assignments()
        note = self.query_one(TextArea).text
        target = self.target
        assert self.summary is not None
        seen = self.summary.case_ids  # what the agent confirms is what moves, or nothing does
        count = len(seen)
        elsewhere: dict[str, int] = {}
        for t in assignments.values():
            if (t or "待分配池") != (target or "待分配池"):
                elsewhere[t or "待分配池"] = elsewhere.get(t or "待分配池", 0) + 1
        also = (" (其中 " + "、".join(f"{qty(n, '个')}交给 {name}" for name, n in elsewhere.items()) + ")"
                if elsewhere else "")

        def go(yes: bool) -> None:
            if not yes:
                return

            def done(_h) -> None:
                self._note_draft.forget()  # the note is in the handover now
                app.notify(f"已交接 {qty(count, '个')}工单给 {target or '待分配池'}{also}", markup=False)
                if self.is_current:  # not when it waited for the server and the agent moved on
                    app.pop_screen()

            app.write(lambda: self.service.hand_over(app.agent, target, note, assignments, expected=seen), done,
                      lambda _message: self.reload())  # refused: show the cases as they are now

        app.push_screen(ConfirmDialog(f"把全部 {qty(count, '个')}未结工单交给 {target or '待分配池'}{also} 并下班?"), go)


class HandoverInbox(Screen[None]):
    """What the incoming agent sees first: the latest handover for them or the pool."""

    HELP_TITLE = "交接给我的工作"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "acknowledge", "确认已读", id="inbox.ack"),
        Binding("c", "copy", "复制", id="inbox.copy"),
        Binding("escape", "later", "稍后再看", id="inbox.later", tooltip="保持未读,下次启动还会先显示"),
    ]

    def __init__(self, handover_id: int, unread: int = 1) -> None:
        super().__init__()
        self.handover_id = handover_id
        self.unread = unread
        self.handover: Handover | None = None  # read in a worker

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-title")
        with VerticalScroll(id="inbox-body"):
            yield Static(id="inbox-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#inbox-title", Static).update(Text.assemble(
            (" 交接给您的工作 (未读) ", "bold reverse yellow"), ("  载入中…", "dim")))
        self.query_one("#inbox-body").focus()
        handovers, handover_id = self.app.services.handovers, self.handover_id
        self.app.read(lambda: handovers.get(handover_id), self._show, owner=self)

    def _show(self, h: Handover | None) -> None:
        if h is None:
            self.query_one("#inbox-text", Static).update(Text("这份交接找不到了。", style="bold red"))
            return
        app = self.app
        self.handover = h
        more = f"   还有 {self.unread - 1} 份未读" if self.unread > 1 else ""
        self.query_one("#inbox-title", Static).update(Text.assemble(
            (" 交接给您的工作 (未读) ", "bold reverse yellow"),
            f"  来自 {inert(h.from_agent)}  {shop_time(h.created_at, app.policy, '%Y-%m-%d %H:%M')}"
            f"  交给 {inert(h.to_agent) or '待分配池'}{more}",
        ))
        body = Text()
        if h.note:
            body.append("交接说明\n", style="bold underline")
            body.append(inert_multiline(h.note) + "\n\n")
        body.append("摘要\n", style="bold underline")
        body.append(inert_multiline(h.summary))
        self.query_one("#inbox-text", Static).update(body)

    def action_acknowledge(self) -> None:
        app = self.app
        def done(_h) -> None:
            app.notify("交接已确认")
            if self.is_current:  # not when it waited for the server and the agent moved on
                app.pop_screen()

        app.write(lambda: app.services.handovers.acknowledge(self.handover_id, app.agent), done)

    def action_copy(self) -> None:
        if self.handover is not None:
            self.app.copy_text(self.handover.summary)

    def action_later(self) -> None:
        self.app.pop_screen()
