"""主管数据: the supervisor's figures for a range of shop days, the team or one agent, one case
kind or all. Each figure is one row: name, value, its trend over the range (one character a
day), the agent's rank. Computed in a worker thread (console/metrics), a progress line while it
runs; a newer choice cancels the computation under way. `?` explains a figure, Enter lists the
cases behind it, `x` writes the view as .xlsx and .csv.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from console.db import StoreError
from console.figure_days import RANGE_HINT, days_words, parse_days, preset_days, shift_started
from console.figure_files import export_base, why_not_written, write_view
from console.log import exc_info
from console.metrics import FigureInfo, FigureResult, Scope, format_value
from console.metrics.export import ranks
from console.textsafe import inert
from console.vocab import KINDS
from console.widgets.keybar import KeyBar
from console.widgets.spark import spark

log = logging.getLogger("console.figures")

# Cells the other columns take at most (name 14, value 10, rank 7, DataTable padding and the
# scrollbar): what is left of the width is the trend's.
_OTHER_CELLS = 14 + 10 + 7 + 8 + 3


class _Superseded(Exception):
    """A newer choice came while this computation ran: stop, nobody wants its result."""


class FigureTable(DataTable):
    """The figures, one a row. Enter is the table's own (a screen binding with priority would
    run before an arrow key typed just ahead of it has moved the cursor)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "明细", id="figures.drill", tooltip="这项数据背后的工单,回车打开工单"),
    ]


class FiguresScreen(Screen[None]):
    HELP_TITLE = "主管数据"

    DEFAULT_CSS = """
    FiguresScreen #fig-title { height: auto; max-height: 2; }
    FiguresScreen #fig-progress { height: 1; color: $text-muted; }
    FiguresScreen #fig-progress.-error { color: $text-error; text-style: bold; }
    /* The table as tall as its rows; the line under it takes the rest (everyone's rank). */
    FiguresScreen #fig-table { height: auto; max-height: 1fr; }
    FiguresScreen #fig-detail { height: 1fr; min-height: 2; color: $text-muted; padding: 0 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "返回", id="figures.back"),
        Binding("1", "preset('today')", "今天", id="figures.today"),
        Binding("2", "preset('shift')", "本班", id="figures.shift", tooltip="您这一班的日期 (交接班记录的班次)"),
        Binding("3", "preset('week')", "本周", id="figures.week", tooltip="本周一到今天"),
        Binding("4", "preset('30d')", "近30天", id="figures.30d", tooltip="包括今天在内的30天"),
        Binding("t", "type_days", "输入日期", id="figures.days", tooltip="输入日期范围: 2026-11-01..2026-11-30"),
        Binding("a", "pick_agent", "客服", id="figures.agent", tooltip="全团队或某位客服 (选一位客服时显示名次)"),
        Binding("k", "pick_kind", "类型", id="figures.kind", tooltip="只看某类工单"),
        # The app's `?` is the key list; here it explains the figure under the cursor (F1 lists keys).
        Binding("question_mark", "formula", "公式", key_display="?", id="figures.formula",
                tooltip="这项数据的公式、分子分母、工单算给哪位客服"),
        Binding("x", "export", "导出", id="figures.export", tooltip="把当前数据导出为 .xlsx 和 .csv (店铺文件夹的导出目录)"),
        Binding("r", "refresh", "重算", id="figures.refresh", tooltip="按最新的工单记录重新计算"),
        Binding("f1", "app.help", "按键", id="figures.keys", tooltip="本屏所有按键"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.infos: list[FigureInfo] = []
        self.scope: Scope | None = None  # what was asked last
        self.days_words = ""  # how the title names the range (近30天, 本班 (…), a typed range)
        self.results: list[FigureResult] | None = None  # for `shown`, None while computing
        self.shown: Scope | None = None
        self.progress = (0, 0, "")
        self.error = ""
        self.last_export = ""
        self.per_cell = 1  # days a character of the trend stands for
        self.wide = 1  # characters a day of the trend takes (a wide window, a short range)
        self._generation = 0

    @property
    def metrics(self):
        return self.app.services.metrics

    def compose(self) -> ComposeResult:
        yield Static(id="fig-title")
        yield Static(id="fig-progress")
        yield FigureTable(id="fig-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="fig-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.infos = self.metrics.figures()  # plain data, no database
        table = self.query_one(DataTable)
        table.focus()
        today = self.metrics.today()
        start, end, words = preset_days("30d", today, None, self.app.policy.timezone)
        self.ask(Scope(start, end), words)

    def on_resize(self) -> None:
        if self.infos:
            self._fill()

    # ---- asking and computing ---------------------------------------------------------

    def ask(self, scope: Scope, words: str, fresh: bool = False) -> None:
        """Show `scope` (its words in the title) and compute it; a computation under way for an
        older choice is cancelled. `fresh`: read the database again rather than reuse what the
        figures read for the same days a moment ago (`r`)."""
        self.scope, self.days_words = scope, words
        self.results, self.error = None, ""
        self._generation += 1
        self.progress = (0, len(self.infos), "")
        self._paint_title()
        self._fill()
        self._compute(scope, self._generation, fresh)

    @work(thread=True, exclusive=True, group="figures", exit_on_error=False)
    def _compute(self, scope: Scope, generation: int, fresh: bool) -> None:
        worker = get_current_worker()
        metrics = self.metrics

        def progress(done: int, total: int, name: str) -> None:
            if worker.is_cancelled:
                raise _Superseded
            self._later(self._progressed, generation, done, total, name)

        try:
            results = metrics.compute_all(scope, progress, fresh=fresh)
        except _Superseded:
            return
        except StoreError as exc:
            self._later(self._failed, generation, exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - never let a traceback reach the agent
            if self.app.db.lost(exc):
                self._later(self._failed, generation, "数据库连接中断,没能计算。连上后按 r 重算")
                return
            log.error("主管数据计算出错", exc_info=exc_info(exc))
            self._later(self._failed, generation, f"计算没有成功: {exc}")
            return
        self._later(self._computed, generation, scope, results)

    def _later(self, callback, *args) -> None:
        """`callback(*args)` on the UI thread, from the worker; dropped once the screen has been
        closed (Esc while it computed) or the app has stopped."""

        def call() -> None:
            if self.is_attached:
                callback(*args)

        try:
            self.app.call_from_thread(call)
        except RuntimeError:
            pass

    def _progressed(self, generation: int, done: int, total: int, name: str) -> None:
        if generation == self._generation and self.results is None:
            self.progress = (done, total, name)
            self._paint_progress()

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.error = message
            self._paint_progress()

    def _computed(self, generation: int, scope: Scope, results: list[FigureResult]) -> None:
        if generation != self._generation:
            return  # an older choice's, finished before its cancel was seen
        self.results, self.shown = results, scope
        self._paint_title()
        self._fill()

    # ---- drawing ------------------------------------------------------------------------

    def _paint_title(self) -> None:
        scope = self.scope
        if scope is None:
            return
        who = f"客服 {inert(scope.agent)}" if scope.agent else "全团队"
        kind = KINDS.get(scope.kind, scope.kind) if scope.kind else "全部类型"
        self.query_one("#fig-title", Static).update(Text.assemble(
            (" 主管数据 ", "bold reverse"), " ", (self.days_words, "bold"), " ",
            (days_words(scope.start, scope.end), "cyan"), " · ", (who, "bold"), " · ", kind,
        ))  # a second line in a narrow window rather than a cut

    def _paint_progress(self) -> None:
        line = self.query_one("#fig-progress", Static)
        line.set_class(bool(self.error), "-error")
        if self.error:
            line.update(Text(f"✖ {inert(self.error)} (按 r 重算)", no_wrap=True, overflow="ellipsis"))
            return
        if self.results is None:
            done, total, name = self.progress
            width = 20
            filled = width * done // total if total else 0
            line.update(Text.assemble(
                "计算中 ", ("█" * filled, "cyan"), ("░" * (width - filled), "dim"), f" {done}/{total} ",
                inert(name), no_wrap=True, overflow="ellipsis",
            ))
            return
        now = self.app.now().astimezone(self.app.policy.timezone).strftime("%m-%d %H:%M")
        tail = f" · 已导出到 {self.last_export}" if self.last_export else ""
        each = (f"每格约{self.per_cell}天" if self.per_cell > 1 else "每格一天" if self.wide == 1
                else f"每天{self.wide}格")
        line.update(Text(f"{len(self.results)} 项 · 算于 {now} (店铺时间) · 趋势: {each},· 表示没有可算的{tail}",
                         no_wrap=True, overflow="ellipsis"))

    def _trend_width(self, days: int) -> int:
        """Cells for the trend: a day each while they fit, two a day in a wide window."""
        room = max(7, self.size.width - _OTHER_CELLS)
        return min(room, days * max(1, min(2, room // max(1, days))))

    def _fill(self) -> None:
        """The table from `results` (or the names with … while computing); the cursor stays."""
        table = self.query_one(DataTable)
        keep = table.cursor_row or 0
        table.clear(columns=True)
        results = {r.info.id: r for r in self.results or []}
        days = len(self.scope.days()) if self.scope else 1
        width = self._trend_width(days)
        # Fixed widths: the columns do not jump while the values are on their way.
        table.add_column("数据", key="name", width=14)
        table.add_column("数值", key="value", width=10)
        table.add_column("趋势", key="trend", width=max(width, 4))
        self.per_cell = 1 if days <= width else -(-days // width)
        self.wide = width // days if days <= width else 1
        table.add_column("名次", key="rank", width=7)
        for info in self.infos:
            r = results.get(info.id)
            if r is None:
                table.add_row(Text(info.name), Text("…", style="dim"), "", "", key=info.id)
                continue
            trend = spark([v for _, v in r.series], width)
            if self.wide > 1:
                trend = "".join(ch * self.wide for ch in trend)  # a wide window: a wider day
            table.add_row(Text(info.name), Text(format_value(r.headline, info.unit), style="bold", justify="right"),
                          Text(trend, style="cyan"), Text(_rank(r)), key=info.id)
        if self.infos:
            table.move_cursor(row=min(keep, len(self.infos) - 1))
        self._paint_progress()
        self._paint_detail()

    def on_data_table_row_highlighted(self) -> None:
        self._paint_detail()

    def _paint_detail(self) -> None:
        info = self.selected_info()
        detail = self.query_one("#fig-detail", Static)
        if info is None:
            detail.update("")
            return
        r = self._result(info.id)
        if r is None:
            detail.update(Text(f"{info.name}: {info.formula}", overflow="ellipsis"))
            return
        parts = [f"{v.label} {format_value(v.value, v.unit)}" for v in r.values]
        text = Text(f"{info.name}: " + " · ".join(parts))
        if r.ranking:
            # Everyone's value, best first: who needs help reads here (room for it in a tall window).
            way = "越高越好" if info.better == "higher" else "越低越好"
            text.append(f"\n排名 ({way}): ", style="bold")
            text.append(" · ".join(f"{rank} {inert(who)} {format_value(h, info.unit)}"
                                   for rank, who, h in ranks(r.ranking)))
        detail.update(text)

    # ---- what is under the cursor ------------------------------------------------------------

    def selected_info(self) -> FigureInfo | None:
        table = self.query_one(DataTable)
        if not self.infos or table.cursor_row is None or table.cursor_row >= len(self.infos):
            return None
        return self.infos[table.cursor_row]

    def _result(self, figure_id: str) -> FigureResult | None:
        return next((r for r in self.results or [] if r.info.id == figure_id), None)

    def _ready(self) -> bool:
        if self.results is None:
            self.app.notify("还在计算,请稍等" if not self.error else "这次没有算出来,请按 r 重算")
            return False
        return True

    # ---- keys -----------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        if self.scope is not None:
            self.ask(self.scope, self.days_words, fresh=True)

    def action_preset(self, name: str) -> None:
        today = self.metrics.today()
        tz = self.app.policy.timezone
        if name != "shift":
            start, end, words = preset_days(name, today, None, tz)
            self.ask(self._scope(start, end), words)
            return
        db, agent = self.app.db, self.app.agent

        def found(started) -> None:
            start, end, words = preset_days("shift", today, started, tz)
            self.ask(self._scope(start, end), words)

        self.app.read(lambda: shift_started(db, agent), found, owner=self, key=f"figures-shift:{id(self)}")

    def _scope(self, start, end) -> Scope:
        old = self.scope or Scope(start, end)
        return Scope(start, end, old.agent, old.kind)

    def action_type_days(self) -> None:
        from console.screens.dialogs import PromptDialog

        today = self.metrics.today()
        scope = self.scope
        current = f"{scope.start.isoformat()}..{scope.end.isoformat()}" if scope else ""

        def check(text: str) -> str | None:
            result = parse_days(text, today)
            return result if isinstance(result, str) else None

        def chosen(text: str | None) -> None:
            if text is None:
                return
            result = parse_days(text, today)
            if isinstance(result, str):  # checked in the dialog; kept safe all the same
                self.app.notify(result, markup=False, severity="warning")
                return
            self.ask(self._scope(*result), "自选")

        self.app.push_screen(PromptDialog("输入日期范围 (店铺日期,含首尾两天)", current, RANGE_HINT, check), chosen)

    def action_pick_agent(self) -> None:
        from console.screens.figure_pickers import AgentScopePicker

        def chosen(name: str | None) -> None:
            if name is None or self.scope is None:
                return
            s = self.scope
            self.ask(Scope(s.start, s.end, name or None, s.kind), self.days_words)

        current = self.scope.agent if self.scope else None
        self.app.push_screen(AgentScopePicker(current), chosen)

    def action_pick_kind(self) -> None:
        from console.screens.dialogs import ChoiceDialog

        def chosen(key: str | None) -> None:
            if key is None or self.scope is None:
                return
            s = self.scope
            self.ask(Scope(s.start, s.end, s.agent, key or None), self.days_words)

        options = [("", "全部类型"), *KINDS.items()]
        self.app.push_screen(ChoiceDialog("只看某类工单", options, (self.scope.kind if self.scope else None) or ""),
                             chosen)

    def action_formula(self) -> None:
        from console.screens.figure_pickers import FormulaDialog

        info = self.selected_info()
        if info is not None:
            self.app.push_screen(FormulaDialog(info, self._result(info.id)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_drill()

    def action_drill(self) -> None:
        from console.screens.figure_drill import FigureDrillScreen

        info = self.selected_info()
        if info is None or not self._ready() or self.shown is None:
            return
        self.app.push_screen(FigureDrillScreen(info, self.shown, self.days_words))

    def action_export(self) -> None:
        if not self._ready() or self.results is None or self.shown is None:
            return
        # In the shop folder's exports/, not wherever the shell was.
        base = export_base(self.app.home.exports_dir, self.shown, self.app.now().astimezone(self.app.policy.timezone))
        self._write_files(list(self.results), base)

    @work(thread=True, group="figures-export", exit_on_error=False)
    def _write_files(self, results: list[FigureResult], base) -> None:
        try:
            paths = write_view(results, base)
        except OSError as exc:
            where = exc.filename or base.parent
            self._later(self._exported, None, f"导出失败: 不能写入 {where} ({why_not_written(exc)})")
            return
        except Exception as exc:  # noqa: BLE001 - never let a traceback reach the agent
            log.error("主管数据导出出错", exc_info=exc_info(exc))
            self._later(self._exported, None, f"导出失败: {exc}")
            return
        self._later(self._exported, paths, "")

    def _exported(self, paths, error: str) -> None:
        if paths is None:
            self.app.notify(error, markup=False, severity="error")
            return
        xlsx, csv = paths
        self.last_export = str(xlsx.parent)
        self._paint_progress()
        self.app.notify(f"已导出 {xlsx.name} 和 {csv.suffix} → {xlsx.parent}", markup=False, timeout=15)


def _rank(r: FigureResult) -> str:
    if r.scope.agent is None:
        return ""
    return f"第{r.rank}/{r.ranked}" if r.rank is not None else "—"

