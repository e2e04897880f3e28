"""导入千牛导出: pick an export (the newest in the agent's folder first), see the preview,
confirm, see the result. The preview and the commit run in worker threads with a progress
bar and can be cancelled; a cancelled commit leaves whole batches (console/imports)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, ProgressBar, Static

from console.db import StoreError
from console.import_picks import Offer
from console.imports import (
    ImportCancelled,
    ImportPlan,
    ImportResult,
    ImportRules,
    RulesError,
    commit,
    load_import_rules,
    preview,
)
from console.log import exc_info
from console.screens.import_pick import PickExports
from console.screens.import_views import (
    SHOWN_ROWS,
    change_detail,
    change_rows,
    fill_table,
    plan_summary,
    rejected_detail,
    rejected_rows,
    result_lines,
)
from console.textsafe import inert
from console.widgets.keybar import KeyBar

log = logging.getLogger("console.import")

PICK, READING, PLAN, WRITING, DONE = "pick", "reading", "plan", "writing", "done"
# Which keys each step offers (the footer shows only these).
STEP_ACTIONS: dict[str, set[str]] = {
    PICK: {"back", "preview", "preview_all", "refresh", "paste", "folder"},
    READING: {"cancel"},
    PLAN: {"back", "tab", "confirm", "confirm_hint"},
    WRITING: {"cancel"},
    DONE: {"close"},
}


class ImportScreen(PickExports, Screen[None]):
    HELP_TITLE = "导入千牛导出"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "preview", "预览", priority=True, id="imp.preview", tooltip="预览选中的文件 (不会写入)"),
        Binding("a", "preview_all", "全部预览", id="imp.all", tooltip="把列出的导出一起预览 (退款报表 + 订单报表 + 宝贝报表)"),
        Binding("r", "refresh", "刷新", id="imp.refresh", tooltip="重新看一遍文件夹 (刚下载了新的导出)"),
        Binding("p", "paste", "输入路径", id="imp.paste", tooltip="输入或粘贴文件路径 (多个用 ; 分隔或各加引号)"),
        Binding("f", "folder", "文件夹", id="imp.folder", tooltip="设置先看哪个文件夹 (例如 下载), 这台电脑会记住"),
        # y only: an Enter pressed twice on the file list must not import unread.
        Binding("y", "confirm", "确认导入", priority=True, id="imp.confirm",
                tooltip="按预览写入 (分批写入, 可取消)"),
        Binding("enter", "confirm_hint", show=False, priority=True),
        Binding("1", "tab('changes')", "变更", id="imp.changes", tooltip="新建和变更的工单"),
        Binding("2", "tab('rejected')", "拒收行", id="imp.rejected", tooltip="读不了的行: 文件、行、列、原因"),
        Binding("escape,c", "cancel", "取消", priority=True, id="imp.cancel", key_display="Esc/c",
                tooltip="停下: 预览什么也不写; 导入只留下整批"),
        Binding("enter,escape", "close", "回到队列", priority=True, id="imp.close", key_display="回车"),
        Binding("escape", "back", "返回", id="imp.back", tooltip="预览时: 回到文件列表; 文件列表: 回到队列 (都不写入)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.step = PICK
        self.folder: Path | None = None
        self.folder_remembered = False
        self.offers: list[Offer] = []
        self.rules: ImportRules | None = None
        self.plan: ImportPlan | None = None
        self.result: ImportResult | None = None
        self.tab = "changes"
        self._cancel = threading.Event()
        self._progress: tuple[int, int] = (0, 0)

    # ---- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="imp-title")
        with ContentSwitcher(initial="imp-pick", id="imp-body"):
            with Vertical(id="imp-pick"):
                yield Static(id="imp-folder")
                yield DataTable(id="imp-offers", cursor_type="row", zebra_stripes=True)
                yield Static(id="imp-pick-note")
            with Vertical(id="imp-work"):
                yield Static(id="imp-work-label")
                yield ProgressBar(id="imp-bar", show_eta=False)
                yield Static(id="imp-work-note")
            with Vertical(id="imp-plan"):
                yield Static(id="imp-summary")
                yield Static(id="imp-tabs")
                yield DataTable(id="imp-changes", cursor_type="row", zebra_stripes=True)
                yield DataTable(id="imp-rejects", cursor_type="row", zebra_stripes=True)
                yield Static(id="imp-detail")
            yield Static(id="imp-done")
        yield KeyBar()

    def on_mount(self) -> None:
        self._app = self.app
        self._paint_title()
        self.query_one("#imp-folder", Static).update(Text("正在查找导出文件…"))
        self.query_one("#imp-offers", DataTable).focus()
        self.set_interval(0.1, self._show_progress)
        self._load_offers()

    def on_unmount(self) -> None:
        # The console closing mid-import: the worker stops after the batch it is writing.
        self._cancel.set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        for actions in STEP_ACTIONS.values():
            if action in actions:
                return action in STEP_ACTIONS[self.step]
        return True

    def _go(self, step: str) -> None:
        self.step = step
        body = {PICK: "imp-pick", READING: "imp-work", PLAN: "imp-plan", WRITING: "imp-work", DONE: "imp-done"}
        self.query_one(ContentSwitcher).current = body[step]
        self._paint_title()
        self.refresh_bindings()

    def _paint_title(self) -> None:
        steps = [(PICK, "1 选文件"), (READING, "2 预览"), (WRITING, "3 导入"), (DONE, "4 结果")]
        at = {PICK: 0, READING: 1, PLAN: 1, WRITING: 2, DONE: 3}[self.step]
        parts: list[Any] = [(" 导入千牛导出 ", "bold reverse"), "  "]
        for i, (_, label) in enumerate(steps):
            parts += [(f" {label} ", "bold reverse" if i == at else "dim"), " "]
        self.query_one("#imp-title", Static).update(Text.assemble(*parts))

    # ---- workers ---------------------------------------------------------------------

    def _later(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """`callback(*args)` on the UI thread, from a worker; dropped once the app is closing.
        (`self.app` is not known in a worker thread: the app is taken when the screen mounts.)"""
        try:
            self._app.call_from_thread(callback, *args, **kwargs)
        except RuntimeError:
            pass

    def _rules(self) -> ImportRules:
        """The shop's column names (in the worker: it reads a file)."""
        if self.rules is None:
            self.rules = load_import_rules(self._app.home)
        return self.rules

    def _start(self, step: str, label: str, job: Callable[[], Any], done: Callable[[Any], None],
               cancel: threading.Event) -> None:
        """Run `job` in a worker with the progress bar; `done(result)` on the UI thread,
        where result is the job's value or the exception it raised. `cancel`: what Esc sets."""
        self._cancel = cancel
        self._progress = (0, 0)
        bar = self.query_one("#imp-bar", ProgressBar)
        bar.update(total=None, progress=0)
        self.query_one("#imp-work-label", Static).update(Text(label))
        note = ("按 Esc 或 c 取消: 预览不写入任何内容。" if step == READING else
                "按 Esc 或 c 取消: 已写入的批次保留, 没写的一批也不会写一半; 再导入一次即可完成。")
        self.query_one("#imp-work-note", Static).update(Text(note, style="dim"))
        self._go(step)

        def run() -> None:
            try:
                value: Any = job()
            except BaseException as exc:  # noqa: BLE001 - handed to the screen, never a traceback
                value = exc
            self._later(done, value)

        self.run_worker(run, thread=True, exit_on_error=False, group="import")

    def _progress_cb(self, done: int, total: int) -> None:
        self._progress = (done, total)  # read by the UI's timer; no call per chunk

    def _show_progress(self) -> None:
        if self.step not in (READING, WRITING):
            return
        done, total = self._progress
        if total:
            self.query_one("#imp-bar", ProgressBar).update(total=total, progress=done)

    # ---- preview -------------------------------------------------------------------------

    def _preview(self, paths: list[Path]) -> None:
        cases, cancel = self.app.cases, threading.Event()
        names = "、".join(inert(p.name) for p in paths)

        def job() -> ImportPlan:
            return preview(paths, cases, self._rules(), progress=self._progress_cb, cancel=cancel)

        self._start(READING, f"正在预览 {names} (只读, 不写入)…", job, self._previewed, cancel)

    def _previewed(self, value: Any) -> None:
        if isinstance(value, ImportCancelled):
            self._go(PICK)
            self.app.notify("已取消预览, 没有写入任何内容")
            return
        if not isinstance(value, ImportPlan):
            self._go(PICK)
            self.app.notify(_failure("预览", value), markup=False, severity="error", timeout=15)
            return
        self.plan = value
        self.query_one("#imp-summary", Static).update(plan_summary(value))
        self._fill_tables()
        self.tab = "changes" if value.has_work or not value.rejected else "rejected"
        self._go(PLAN)
        self._show_tab()

    def on_resize(self) -> None:
        if self.plan is not None and self.step == PLAN:
            self._fill_tables()

    def _fill_tables(self) -> None:
        plan = self.plan
        if plan is None:
            return
        width = max(self.size.width - 2, 40)
        fill_table(self.query_one("#imp-changes", DataTable), ["类型", "工单", "订单号", "退款编号", "买家", "变化"],
              change_rows(plan), width, keep=[True, True, True, True, False, False])
        fill_table(self.query_one("#imp-rejects", DataTable), ["文件", "行", "列", "原因"],
              rejected_rows(plan), width, keep=[False, True, False, False])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id in ("imp-changes", "imp-rejects"):
            self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted row in full under the table: a cell the width cut is readable here."""
        plan, detail = self.plan, self.query_one("#imp-detail", Static)
        table = self.query_one("#imp-changes" if self.tab == "changes" else "#imp-rejects", DataTable)
        row = table.cursor_row
        if plan is None or not table.row_count or row is None:
            detail.update("")
            return
        detail.update(change_detail(plan, row) if self.tab == "changes" else rejected_detail(plan, row))

    def action_tab(self, tab: str) -> None:
        self.tab = tab
        self._show_tab()

    def _show_tab(self) -> None:
        plan = self.plan
        if plan is None:
            return
        changes = len(plan.new) + len(plan.changed)
        rejected = len(plan.rejected)
        tabs: list[Any] = []
        for key, label, count in (("changes", "1 变更", changes), ("rejected", "2 拒收行", rejected)):
            tabs += [(f" {label} {count:,} ", "bold reverse" if key == self.tab else "dim"), " "]
        total = changes if self.tab == "changes" else rejected
        if total > SHOWN_ROWS:
            tabs.append((f"  只显示前 {SHOWN_ROWS:,} 条, 共 {total:,} 条 (全部会导入)"
                         if self.tab == "changes" else f"  只显示前 {SHOWN_ROWS:,} 条, 共 {total:,} 条", "yellow"))
        elif total == 0:
            tabs.append(("  没有要变更的工单" if self.tab == "changes" else "  每一行都读得了", "dim"))
        self.query_one("#imp-tabs", Static).update(Text.assemble(*tabs))
        shown = self.query_one("#imp-changes" if self.tab == "changes" else "#imp-rejects", DataTable)
        hidden = self.query_one("#imp-rejects" if self.tab == "changes" else "#imp-changes", DataTable)
        hidden.display = False
        shown.display = True
        shown.focus()
        self._show_detail()

    def action_back(self) -> None:
        if self.step == PLAN:
            self.plan = None
            self._go(PICK)
            self.query_one("#imp-offers", DataTable).focus()
            self.app.notify("没有导入, 什么也没写")
            return
        self.app.pop_screen()

    # ---- commit --------------------------------------------------------------------------

    def action_confirm(self) -> None:
        plan = self.plan
        if plan is None:
            return
        if not plan.has_work:
            self.app.notify("没有要导入的变更 (全都和工单一致, 或没有读得了的行)")
            return
        cases, agent = self.app.cases, self.app.agent
        cancel = threading.Event()

        def job() -> ImportResult:
            return commit(plan, cases, agent, progress=self._progress_cb, cancel=cancel)

        count = len(plan.new) + len(plan.changed)
        self._start(WRITING, f"正在导入 {count:,} 项 (分批写入)…", job, self._committed, cancel)

    def action_confirm_hint(self) -> None:
        self.app.notify("要导入请按 y (回车不导入, 免得连按两下就导入了)")

    def _committed(self, value: Any) -> None:
        self.plan = None
        done = self.query_one("#imp-done", Static)
        if isinstance(value, ImportResult):
            self.result = value
            done.update(result_lines(value))
        else:
            done.update(Text("✖ " + _failure("导入", value) + "\n\n已写入的批次保留; 再导入一次即可完成。",
                             style="bold"))
        self._go(DONE)
        # The queue and any other screen read again (another console sees it at its next poll).
        self.app.data_changed(None)

    def action_cancel(self) -> None:
        if not self._cancel.is_set():
            self._cancel.set()
            self.query_one("#imp-work-label", Static).update(Text("正在取消… (等这一批写完)" if self.step == WRITING
                                                                  else "正在取消…"))

    def action_close(self) -> None:
        self.app.pop_screen()


def _failure(what: str, error: object) -> str:
    """A failed preview or commit in words; the traceback goes to the log only."""
    if isinstance(error, RulesError):
        return str(error)
    if isinstance(error, StoreError):
        return f"{what}没有完成: {error.message}"
    if isinstance(error, BaseException):
        log.error("%s时出现意外错误", what, exc_info=exc_info(error))
        return f"{what}时出现意外错误: {error}。详情已写入日志。"
    return f"{what}没有完成"
