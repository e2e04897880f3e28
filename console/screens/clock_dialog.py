"""Start a clock on a case: a platform timer or a time promised to the buyer."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from console.intake import parse_shop_time
from console.sla import format_countdown
from console.widgets.keybar import KeyBar

# Clocks an agent starts by hand; the shop's own service levels start by themselves.
MANUAL_CLOCKS = [
    "refund_auto_agree_paid",
    "refund_auto_agree_shipped",
    "unpaid_close",
    "buyer_unreachable",
    "goods_inspection",
    "buyer_promise",
]


class StartClockDialog(ModalScreen[tuple[str, datetime | None, str] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "取消", id="dialog.cancel")]

    def compose(self) -> ComposeResult:
        policy = self.app.policy
        with Vertical(classes="dialog wide"):
            yield Label("开始计时", classes="dialog-title")
            options = []
            for kind in MANUAL_CLOCKS:
                rule = policy.clocks.get(kind)
                if rule is not None:
                    word = "平台" if rule.clock == "platform" else "店铺"
                    options.append(Option(Text(f"{rule.label}  ({word},默认 {format_countdown(rule.duration)})"), id=kind))
            yield OptionList(*options)
            yield Label("到期时间 (店铺时间,可选): 留空=按规则从现在算;或输入千牛显示的到期时间", classes="dialog-hint")
            yield Input(placeholder="例如 2026-11-25 10:00 或 18:30", id="due")
            yield Input(placeholder="备注 (可选),例如 答应明天10点前回电", id="clock-note")
            yield Label("", classes="dialog-error")
            yield Label("↑↓ 选择 · Tab 到时间 · 回车开始 · Esc 取消", classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self) -> None:
        self.query_one("#due", Input).focus()

    def on_input_submitted(self) -> None:
        ol = self.query_one(OptionList)
        if ol.highlighted is None:
            self._error("请先选择计时类型")
            return
        kind = ol.get_option_at_index(ol.highlighted).id
        text = self.query_one("#due", Input).value.strip()
        due = None
        if text:
            now = self.app.now()
            due = parse_shop_time(text, self.app.policy, now)
            if due is None:
                self._error("时间格式: 2026-11-25 10:00 或 18:30")
                return
            if due <= now:
                # A bare time already past today means the same time tomorrow.
                if ":" in text and "-" not in text and "/" not in text:
                    from datetime import timedelta

                    due += timedelta(days=1)
                else:
                    self._error("到期时间必须晚于现在")
                    return
        note = self.query_one("#clock-note", Input).value.strip()[:200]
        self.dismiss((kind, due, note))

    def _error(self, message: str) -> None:
        self.query_one(".dialog-error", Label).update(Text(message))

    def action_cancel(self) -> None:
        self.dismiss(None)
