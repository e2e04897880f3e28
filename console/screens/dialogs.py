"""Small modal dialogs with typed results: pick one, type one line, confirm.

Their titles and options are often built from text people typed (a promise's note, a
colleague's name): every text shown goes through `shown()`, so control characters are drawn
visibly and markup stays text, whoever built the string."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from console.textsafe import inert, inert_multiline
from console.widgets.keybar import KeyBar


def shown(value: str) -> Text:
    """The one way a dialog draws a string: inert, line breaks kept."""
    return Text(inert_multiline(value))


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of up to nine options with its number key (or arrows and Enter)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="dialog.cancel"),
        *[Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)],
    ]

    def __init__(self, title: str, options: list[tuple[str, str]], current: str | None = None) -> None:
        super().__init__()
        self.heading = title
        self.options = options[:9]
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(shown(self.heading), classes="dialog-title")
            items = []
            for n, (key, text) in enumerate(self.options, 1):
                mark = " ✓" if key == self._current else ""
                items.append(Option(Text(f"{n}  {inert(text)}{mark}"), id=key))
            yield OptionList(*items)
            yield Label("数字键直接选择 · ↑↓ 回车 · Esc 取消", classes="dialog-hint")
        yield KeyBar()  # its status line shows messages while the dialog is open

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        ol.focus()
        keys = [k for k, _ in self.options]
        if self._current in keys:
            ol.highlighted = keys.index(self._current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_pick(self, n: int) -> None:
        if 1 <= n <= len(self.options):
            self.dismiss(self.options[n - 1][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class PromptDialog(ModalScreen[str | None]):
    """Type one line. `check` returns an error message (kept on screen) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "取消", id="dialog.cancel")]

    def __init__(
        self,
        title: str,
        value: str = "",
        placeholder: str = "",
        check: Callable[[str], str | None] | None = None,
        suggestions: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.heading = title
        self._value = value
        self._placeholder = placeholder
        self._check = check
        self._suggestions = suggestions or []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(shown(self.heading), classes="dialog-title")
            yield Input(self._value, placeholder=self._placeholder)
            yield Label("", classes="dialog-error")
            if self._suggestions:
                yield Label(shown("可选: " + "、".join(self._suggestions)), classes="dialog-hint")
            yield Label("回车确定 · Esc 取消", classes="dialog-hint")
        yield KeyBar()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        error = self._check(value) if self._check else None
        if error:
            self.query_one(".dialog-error", Label).update(shown(error))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "是 (y)", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "否 (n)", id="dialog.no"),
    ]

    def __init__(self, question: str, yes: str = "是", no: str = "否") -> None:
        super().__init__()
        self.question = question
        self._yes, self._no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(shown(self.question), classes="dialog-title")
            yield Label(shown(f"[y] {self._yes}    [n] {self._no}"), classes="dialog-hint")
        yield KeyBar()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ShowTextDialog(ModalScreen[None]):
    """Text the console could not copy, shown so the agent can select and copy it by hand."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "关闭", id="dialog.close")]

    def __init__(self, message: str, text: str) -> None:
        super().__init__()
        self._message = message
        self._text = text

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea

        with Vertical(classes="dialog wide"):
            yield Label(shown(self._message), classes="dialog-error")
            yield TextArea(self._text, read_only=True, soft_wrap=True)
            yield Label("用鼠标或终端的选择功能复制上面的文字 · Esc 关闭", classes="dialog-hint")
        yield KeyBar()

    def action_close(self) -> None:
        self.dismiss(None)


class InfoDialog(ModalScreen[None]):
    """A refusal or a notice the agent must read before going on (Enter or Esc closes it)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "close", "知道了", id="dialog.ok")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.heading, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(shown(self.heading), classes="dialog-title dialog-error")
            yield Label(shown(self.body))
            yield Label("回车或 Esc 关闭", classes="dialog-hint")
        yield KeyBar()

    def action_close(self) -> None:
        self.dismiss(None)
