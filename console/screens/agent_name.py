"""First start on this computer: ask the agent's name (the OS account is never used for it)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from console.identity import MAX_LENGTH, IdentityError, check_name


class AgentNameScreen(ModalScreen[str]):
    """Type your name, Enter. Dismisses with the checked name; Ctrl+Q (app-wide) quits."""

    HELP_TITLE = "输入客服名字"
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, remembered_in: Path | None) -> None:
        super().__init__()
        self._file = remembered_in

    def compose(self) -> ComposeResult:
        where = Text("这台电脑会记住它")
        if self._file is not None:
            where.append(" (")
            where.append(str(self._file), style="dim")
            where.append(")")
        where.append("。以后改名: aftersales whoami 新名字,或启动时加 --agent 名字。")
        with Vertical(classes="dialog", id="agent-name"):
            yield Label("欢迎使用售后工作台 · 请输入你的名字", classes="dialog-title")
            yield Static(Text("工单、备注、交接班和复制的话术都会记上这个名字,同事看到的就是它。"))
            yield Static(where)
            yield Input(placeholder="例如 小王 (Your name)", max_length=MAX_LENGTH, id="agent-name-input")
            yield Static("", id="agent-name-error", classes="dialog-error")
            yield Label("回车确认 · Ctrl+Q 退出", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#agent-name-input")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            name = check_name(event.value)
        except IdentityError as exc:
            self.query_one("#agent-name-error", Static).update(Text(exc.message))
            return
        self.dismiss(name)
