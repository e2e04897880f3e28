"""The home screen: every open case, the one closest to timing out on top."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static

from console.db import StoreError
from console.messages import DataChanged, PresenceChanged
from console.queue import PAGE, QueueCounts, QueueFilter, QueueView, describe
from console.sla import shop_time
from console.textsafe import inert
from console.units import qty
from console.vocab import KINDS, STATUSES
from console.widgets.case_table import CaseTable, header_line
from console.widgets.keybar import KeyBar
from console.widgets.notes_pane import NotesPane, toggle_notes

DEMO_CASES = 200


class QueueScreen(Screen[None]):
    HELP_TITLE = "工单队列"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_case", "新建", id="queue.new", tooltip="新建工单 (可粘贴千牛聊天/订单行)"),
        Binding("slash", "search", "搜索", key_display="/", id="queue.search",
                tooltip="按买家旺旺名或订单号搜索 (前缀匹配)"),
        Binding("r", "first_reply", "已首响", id="queue.first_reply", tooltip="标记选中工单已首次回复"),
        Binding("w", "wizard", "SOP向导", id="queue.wizard", tooltip="为选中工单打开SOP向导"),
        Binding("m", "toggle('mine')", "我的", id="queue.mine", tooltip="只看分配给我的"),
        Binding("u", "toggle('urgent')", "加急", id="queue.urgent", tooltip="只看加急工单"),
        Binding("o", "toggle('overdue')", "超时", id="queue.overdue", tooltip="只看已超时"),
        Binding("d", "toggle('due_soon')", "30分内", id="queue.due_soon", tooltip="只看30分钟内到期"),
        Binding("k", "pick_kind", "类型", id="queue.kind", tooltip="按工单类型筛选"),
        Binding("s", "pick_status", "状态", id="queue.status", tooltip="按状态筛选"),
        Binding("c", "clear", "清除筛选", id="queue.clear", tooltip="清除所有筛选和搜索"),
        Binding("i", "import_exports", "导入", id="queue.import", tooltip="导入千牛导出 (退款/订单报表)"),
        Binding("F", "figures", "主管数据", id="queue.figures", tooltip="主管数据: 按客服/按天的服务数据"),
        Binding("R", "registers", "登记表", id="queue.registers", tooltip="退件表 / 重发单 / 售后问题表"),
        Binding("f2", "notes", "笔记栏", id="queue.notes", tooltip="显示/聚焦/隐藏班次笔记 (笔记栏里: Ctrl+S 保存 · Ctrl+G 改我上一条)"),
        Binding("H", "handover", "交接班", id="queue.handover", tooltip="下班交接: 我的未结工单交给下一位或待分配"),
        Binding("I", "inbox", "交接收件", id="queue.inbox", tooltip="看交接给我(或待分配池)的未读交接"),
        Binding("D", "load_demo", "载入演示", id="queue.demo", tooltip=f"载入 {qty(DEMO_CASES, '条')}演示工单"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Demo data is offered only while the database has no cases at all.
        if action == "load_demo":
            return self._empty_database
        return True

    def __init__(self) -> None:
        super().__init__()
        self.filter = QueueFilter()
        self._counts: QueueCounts | None = None
        self._selected_id: int | None = None
        self._offered_demo = False
        self._empty_database = False
        self._open_total: int | None = None
        self._unread = 0
        self._resumed_once = False
        self._on_shift: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield Static(id="counts")
        yield Input(placeholder="搜索 买家旺旺名 或 订单号 (回车进入列表 · Esc 清除)", id="search")
        yield Static(id="colheader")
        yield CaseTable(self._request_page, self.app.now, self.app.policy, id="table")
        yield Static(id="empty")
        yield NotesPane(None, id="notes")
        yield KeyBar()

    @property
    def table(self) -> CaseTable:
        return self.query_one(CaseTable)

    def on_mount(self) -> None:
        self.query_one(NotesPane).add_class("-hidden")
        self.query_one("#search").display = False
        self.table.focus()
        # The first frame shows the queue itself, so this one read waits for the database;
        # every later one runs in a worker.
        try:
            self._loaded(self._view(keep_cursor=False), keep_cursor=False)
        except StoreError as exc:
            self.app.notify(exc.message, markup=False, severity="error", timeout=8)
        self._refresh_counts()
        self.set_interval(5, self._refresh_counts)
        self._show_presence()

    def on_screen_resume(self) -> None:
        # Coming back from a case: re-read. The first resume comes right after on_mount,
        # which has just read everything (a second count of the open queue costs start-up).
        if self._resumed_once:
            self.reload()
        self._resumed_once = True

    @on(CaseTable.Resized)
    def _table_resized(self, event: CaseTable.Resized) -> None:
        self.query_one("#colheader", Static).update(Text(header_line(event.width or self.size.width)))

    # ---- data ------------------------------------------------------------------

    def _request_page(self, generation: int, page_no: int) -> None:
        """A page the table is about to draw, read in a worker."""
        app, table = self.app, self.table
        f, now, reader = self.filter, app.now(), app.reader
        app.read(lambda: reader.page(f, now, page_no * PAGE, PAGE),
                 lambda rows: table.set_page(generation, page_no, rows),
                 lambda _: table.page_failed(generation, page_no), owner=self)

    def on_presence_changed(self, message: PresenceChanged) -> None:
        """Who else has which case open changed: the marks and 在班, nothing re-read."""
        self._show_presence()

    def _show_presence(self) -> None:
        presence, me = self.app.presence, self.app.agent
        self.table.set_presence({case_id: on for case_id in presence.team.by_case
                                 if (on := presence.team.on_case(case_id, besides=me))})
        self._paint_topbar()

    def on_data_changed(self, message: DataChanged) -> None:
        """Someone committed (this console or another): the visible rows may have moved."""
        self.reload()

    def reload(self, keep_cursor: bool = True) -> None:
        """Re-read the count and the pages around the cursor in a worker; the table keeps
        showing what it has until they arrive. `keep_cursor`: stay on the same case (data
        changed) rather than go to the top (a new filter)."""
        job = self._view_job(keep_cursor)
        self.app.read(job, lambda view: self._loaded(view, keep_cursor), owner=self, key="queue")

    def _view(self, keep_cursor: bool) -> QueueView:
        return self._view_job(keep_cursor)()

    def _view_job(self, keep_cursor: bool) -> Callable[[], QueueView]:
        app, table, reader = self.app, self.table, self.app.reader
        f, now = self.filter, app.now()
        near = table.cursor_row if keep_cursor else 0
        selected = self._selected_id if keep_cursor else None
        height = max(table.size.height, 40)
        return lambda: reader.view(f, now, near=near, selected=selected, height=height)

    def _loaded(self, view: QueueView, keep_cursor: bool) -> None:
        if view.filter != self.filter:
            return  # a newer filter's read is on its way
        table = self.table
        table.show(view.total, view.pages, view.cursor)
        # The same figure the header shows, when the queue is the open cases.
        self._open_total = view.total if view.filter == QueueFilter() else None
        if keep_cursor:
            # Called because data changed (not a filter): the header figures may have too.
            self._refresh_counts()
        self._paint_counts()
        self._paint_empty()
        if keep_cursor:
            self.query_one(NotesPane).reload()
        if view.empty_database != self._empty_database:
            self._empty_database = view.empty_database
            self.refresh_bindings()
        if view.empty_database and not self._offered_demo:
            self._offered_demo = True
            if self.app.offer_demo:
                self._offer_demo()

    @work(thread=True, exclusive=True, exit_on_error=False, group="counts")
    def _refresh_counts(self) -> None:

        app = self.app
        if not app.link_up:
            return  # the database server is out of reach: re-read when it is back (DataChanged)
        try:
            counts = app.reader.counts(app.now(), total=self._open_total)
            handovers = app.services.handovers
            crew = (len(handovers.unread_for(app.agent)), handovers.on_shift())
        except Exception:  # noqa: BLE001 - header figures wait for the next round
            return
        app.call_from_thread(self._set_counts, counts, crew)

    def _set_counts(self, counts: QueueCounts, crew: tuple[int, list[str]]) -> None:
        self._counts = counts
        self._unread, self._on_shift = crew
        self._paint_counts()
        self._paint_topbar()

    def tick(self) -> None:
        tables = self.query(CaseTable)
        if not tables:  # the console is closing: the widgets are already gone
            return
        tables.first().tick()
        self._paint_topbar()

    # ---- painting ------------------------------------------------------------------

    def _paint_topbar(self) -> None:
        app = self.app
        clock = shop_time(app.now(), app.policy, "%Y-%m-%d %H:%M:%S")
        text = Text.assemble(
            (" 售后工作台 ", "bold reverse"),
            "  客服 ", (inert(app.agent), "bold"),
            "  数据库 ", (app.db_label, "dim"),
            "  ", (clock, "bold"),
        )
        unread = f"  未读交接 {self._unread} (按 I)" if self._unread else ""
        crew = self._crew()
        if crew:
            # What fits before the unread-handover badge, which must always show.
            room = self.size.width - text.cell_len - cell_len(unread)
            text.append(crew_line(crew, room), style="dim")
        if unread:
            text.append(unread, style="bold black on yellow")
        # One fixed line: no relayout of the screen every second.
        self.query_one("#topbar", Static).update(text, layout=False)

    def _crew(self) -> list[str]:
        """Who is on shift: the agents whose console is running now (this one included),
        once presence has been read; until then those with an open shift. A shift stays
        open until its agent's handover, so it also lists agents long gone home."""
        presence = self.app.presence
        if not presence.known:
            return self._on_shift
        return sorted({self.app.agent, *presence.team.online()})

    def _paint_counts(self) -> None:
        c = self._counts
        parts: list[tuple[str, str] | str] = []
        if c is not None:
            parts += [
                "未结 ", (f"{c.open:,}", "bold"), "   ",
                ("预警 ", "bold yellow"), (f"{c.warning:,}", "bold yellow"), "   ",
                ("超时 ", "bold red"), (f"{c.overdue:,}", "bold red"),
            ]
        shown = self.table.total
        parts += ["   │ 列表 ", (f"{shown:,}", "bold"), " 条"]
        filters = describe(self.filter)
        if filters:
            parts += ["   筛选: ", (" ".join(filters), "bold cyan")]
        if self.filter.search:
            parts += ["   搜索: ", (self.filter.search, "bold cyan")]
        self.query_one("#counts", Static).update(Text.assemble(*parts))

    def _paint_empty(self) -> None:
        empty = self.query_one("#empty", Static)
        if self.table.total:
            empty.display = False
            return
        empty.display = True
        if self.filter.active:
            empty.update(Text("没有符合条件的工单。按 c 清除筛选。"))
        else:
            empty.update(Text(f"还没有工单。按 n 新建工单,或按 D 载入 {qty(DEMO_CASES, '条')}演示工单。"))

    # ---- actions ---------------------------------------------------------------------

    @on(CaseTable.Highlighted)
    def _remember(self, event: CaseTable.Highlighted) -> None:
        if event.row is not None:  # None: its page is still on its way
            self._selected_id = event.row.id

    @on(CaseTable.Opened)
    def _open(self, event: CaseTable.Opened) -> None:
        self.app.open_case(event.case_id)

    def action_notes(self) -> None:
        toggle_notes(self.query_one(NotesPane), self.table)

    def action_handover(self) -> None:
        from console.screens.handover import HandoverScreen

        self.app.push_screen(HandoverScreen())

    def action_inbox(self) -> None:
        from console.screens.handover import HandoverInbox

        app = self.app
        handovers, agent = app.services.handovers, app.agent

        def show(unread) -> None:
            if not unread:
                app.notify("没有未读的交接")
                return
            app.push_screen(HandoverInbox(unread[0].id, len(unread)))

        app.read(lambda: handovers.unread_for(agent), show, owner=self, key="inbox")

    def action_figures(self) -> None:
        from console.screens.figures import FiguresScreen

        self.app.push_screen(FiguresScreen())

    def action_registers(self) -> None:
        from console.screens.registers import RegistersScreen

        self.app.push_screen(RegistersScreen())

    def action_import_exports(self) -> None:
        from console.screens.imports import ImportScreen

        self.app.push_screen(ImportScreen())

    def action_new_case(self) -> None:
        from console.screens.new_case import open_new_case

        open_new_case(self.app)

    def action_wizard(self) -> None:
        from console.screens.wizard import WizardScreen

        row = self.table.current
        self.app.push_screen(WizardScreen(row.id if row else None))

    def action_first_reply(self) -> None:
        row = self.table.current
        if row is None:
            return
        app = self.app
        app.write(
            lambda: app.cases.mark_first_reply(row.id, app.agent),
            lambda case: app.notify(f"#{case.id} 已标记首次回复", markup=False),
        )

    def _set_filter(self, f: QueueFilter) -> None:
        self.filter = f
        self.table.hold()  # the old rows stay until the new ones are read
        self._paint_counts()
        self.reload(keep_cursor=False)

    def action_toggle(self, name: str) -> None:
        f = self.filter.toggled(name)
        if name == "overdue" and f.overdue:
            f = QueueFilter(**{**f.__dict__, "due_soon": False})
        if name == "due_soon" and f.due_soon:
            f = QueueFilter(**{**f.__dict__, "overdue": False})
        self._set_filter(f)

    def action_pick_kind(self) -> None:
        from console.screens.dialogs import ChoiceDialog

        options = [("", "全部类型")] + list(KINDS.items())
        self.app.push_screen(
            ChoiceDialog("按类型筛选", options, self.filter.kind or ""),
            lambda key: key is not None and self._set_filter(
                QueueFilter(**{**self.filter.__dict__, "kind": key or None})),
        )

    def action_pick_status(self) -> None:
        from console.screens.dialogs import ChoiceDialog

        options = [("", "全部未结")] + list(STATUSES.items())
        self.app.push_screen(
            ChoiceDialog("按状态筛选", options, self.filter.status or ""),
            lambda key: key is not None and self._set_filter(
                QueueFilter(**{**self.filter.__dict__, "status": key or None})),
        )

    def action_clear(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self.table.focus()
        self._set_filter(QueueFilter())

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text != self.filter.search:
            self._set_filter(QueueFilter(**{**self.filter.__dict__, "search": text}))

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    def on_key(self, event) -> None:
        search = self.query_one("#search", Input)
        if event.key == "escape" and search.has_focus:
            event.stop()
            search.value = ""
            search.display = False
            self.table.focus()

    # ---- demo data --------------------------------------------------------------------

    def _offer_demo(self) -> None:
        from console.screens.dialogs import ConfirmDialog

        self.app.push_screen(
            ConfirmDialog(
                f"数据库里还没有工单。要载入 {qty(DEMO_CASES, '条')}演示工单看看吗?\n(演示数据可随时用新数据库替换)",
                yes=f"载入 {qty(DEMO_CASES, '条')}演示工单", no="不用,从空队列开始",
            ),
            lambda yes: yes and self.action_load_demo(),
        )

    def action_load_demo(self) -> None:
        from console.demo import populate

        app = self.app
        app.write(
            lambda: populate(app.db, app.policy, app.now(), DEMO_CASES, open_ratio=0.9, agent=app.agent),
            lambda n: app.notify(f"已载入 {qty(n, '条')}演示工单", markup=False),
        )


def crew_line(crew: list[str], room: int) -> str:
    """`  在班 小李、小王` cut to `room` cells: when it does not fit, how many in all and as
    many of the names as fit (`  在班 4人 小李、小王、欧…`); the bare count, or nothing, when
    even that does not fit."""
    joined = "、".join(inert(name) for name in crew)
    full = "  在班 " + joined
    if cell_len(full) <= room:
        return full
    head = f"  在班 {len(crew)}人"
    if cell_len(head) + 4 > room:
        return head if cell_len(head) <= room else ""
    return f"{head} {set_cell_size(joined, room - cell_len(head) - 2).rstrip()}…"
