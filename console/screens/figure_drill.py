"""The cases behind one figure (e.g. those that missed the first-response limit): case,
time, agent, why. Read in a worker; Enter opens the case, Esc goes back to the figures."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.figure_days import days_words
from console.metrics import DrillRow, FigureInfo, Scope
from console.sla import shop_time
from console.textsafe import inert
from console.widgets.keybar import KeyBar

LIMIT = 500  # rows listed; the title says when there are more


class DrillTable(DataTable):
    """Enter is the table's own, so it acts on the row an arrow typed just before it moved to."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "打开工单", id="drill.open")]


class FigureDrillScreen(Screen[None]):
    HELP_TITLE = "数据明细"

    DEFAULT_CSS = """
    FigureDrillScreen #drill-title { height: 2; }
    FigureDrillScreen #drill-table { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "返回数据", id="drill.back"),
    ]

    def __init__(self, info: FigureInfo, scope: Scope, words: str = "") -> None:
        super().__init__()
        self.info = info
        self.scope = scope
        self.words = words
        self.rows: list[DrillRow] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="drill-title")
        yield DrillTable(id="drill-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self._paint_title("载入中…")
        self.query_one(DataTable).focus()
        metrics, figure_id, scope = self.app.services.metrics, self.info.id, self.scope
        self.app.read(lambda: metrics.drill(figure_id, scope, limit=LIMIT + 1), self._loaded,
                      owner=self, key=f"drill:{id(self)}")

    def on_resize(self) -> None:
        if self.rows is not None:
            self._fill()

    def _paint_title(self, count: str) -> None:
        s = self.scope
        who = f"客服 {inert(s.agent)}" if s.agent else "全团队"
        self.query_one("#drill-title", Static).update(Text.assemble(
            (f" {self.info.name} · 明细 ", "bold reverse"), " ", (days_words(s.start, s.end), "cyan"), " · ", who,
            "  ", (count, "bold"), "\n", (self.info.drill, "dim"), no_wrap=True, overflow="ellipsis",
        ))

    def _loaded(self, rows: list[DrillRow]) -> None:
        more = len(rows) > LIMIT
        self.rows = rows[:LIMIT]
        if not self.rows:
            count = "没有工单"
        else:
            count = f"列出前 {LIMIT} 件 (不止这些)" if more else f"{len(self.rows)} 件"
        self._paint_title(count)
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row or 0
        table.clear(columns=True)
        rows = self.rows or []
        policy = self.app.policy
        cases = [f"#{r.case_id}" for r in rows]
        whens = [shop_time(r.at, policy, "%m-%d %H:%M") if r.at else "—" for r in rows]
        agents = [inert(r.agent) if r.agent else "—" for r in rows]
        widths = [max([cell_len(h), *(cell_len(c) for c in col)]) for h, col in
                  (("工单", cases), ("时间", whens), ("客服", agents))]
        widths[2] = min(widths[2], 12)
        # The reason takes what is left (2 cells of padding a column, the scrollbar).
        reason = max(10, self.size.width - sum(widths) - 2 * 4 - 3)
        for title, width in zip(("工单", "时间", "客服"), widths, strict=True):
            table.add_column(title, width=width)
        table.add_column("原因", width=reason)
        for r, case, when, agent in zip(rows, cases, whens, agents, strict=True):
            table.add_row(case, when, Text(agent, no_wrap=True, overflow="ellipsis"),
                          Text(inert(r.reason), no_wrap=True, overflow="ellipsis"))
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return
        self.app.open_case(self.rows[table.cursor_row].case_id)

    def action_back(self) -> None:
        self.app.pop_screen()
