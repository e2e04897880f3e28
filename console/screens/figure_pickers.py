"""The figures screen's dialogs: whose figures (the team or one agent), and a figure's `?`
(its formula, what counts above and below the line, which agent a case counts for)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from console.metrics import FigureInfo, FigureResult, format_value
from console.textsafe import inert
from console.widgets.keybar import KeyBar

TEAM = ""  # the picker's result for the whole team


class AgentScopePicker(ModalScreen[str | None]):
    """全团队 or one agent of those the database knows (read in a worker when it opens).
    Result: a name, TEAM, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "取消", id="figpick.cancel")]

    def __init__(self, current: str | None) -> None:
        super().__init__()
        self.current = current or TEAM
        self.names: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("看谁的数据", classes="dialog-title")
            yield OptionList(Option(Text("全团队"), id="team"), Option(Text("载入名单中…", style="dim"), disabled=True),
                             id="figpick-list")
            yield Label("↑↓ 选择 · 回车确定 · Esc 取消", classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        metrics = self.app.services.metrics
        self.app.read(metrics.agents, self._loaded, owner=self, key=f"figpick:{id(self)}")

    def _loaded(self, names: list[str]) -> None:
        self.names = names
        ol = self.query_one(OptionList)
        ol.clear_options()
        ol.add_option(Option(Text("全团队" + (" ✓" if self.current == TEAM else "")), id="team"))
        for i, name in enumerate(names):
            ol.add_option(Option(Text(inert(name) + (" ✓" if name == self.current else "")), id=f"a{i}"))
        ol.highlighted = names.index(self.current) + 1 if self.current in names else 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        i = event.option_index
        self.dismiss(TEAM if i == 0 else self.names[i - 1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class FormulaDialog(ModalScreen[None]):
    """`?` on a figure: its formula in words, numerator, denominator, which agent a case
    counts for, what Enter lists, and its numbers for the range shown."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,enter,q", "close", "关闭", id="formula.close"),
    ]

    def __init__(self, info: FigureInfo, result: FigureResult | None) -> None:
        super().__init__()
        self.info = info
        self.result = result

    def compose(self) -> ComposeResult:
        info = self.info
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")  # every word of the formula, never cut with …
        table.add_row("公式", Text(info.formula))
        table.add_row("分子", Text(info.numerator or "— (不是比例)"))
        table.add_row("分母", Text(info.denominator or "— (不是比例)"))
        table.add_row("算给谁", Text(info.agent_rule))
        table.add_row("排名", Text("越高越好" if info.better == "higher" else "越低越好"))
        table.add_row("回车明细", Text(info.drill))
        if self.result is not None:
            values = " · ".join(f"{v.label} {format_value(v.value, v.unit)}" for v in self.result.values)
            table.add_row("本范围", Text(values, style="cyan"))
        with VerticalScroll(classes="dialog figure-help"):
            yield Label(Text(f"{info.name} · 怎么算"), classes="dialog-title")
            yield Static(table, id="formula-body")
            yield Label("Esc 或 ? 关闭 · ↑↓ 滚动", classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # ↑↓ scroll a long formula in a small window

    def action_close(self) -> None:
        self.dismiss(None)
