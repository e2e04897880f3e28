"""Pick a colleague from the known agents: typing filters the list, Enter takes the highlighted
one. A name nobody has is a new colleague only after the agent confirms it, so a typo never
creates an agent or meets a clock. Without a roster given, the picker reads it in a worker
thread; what is typed meanwhile filters it when it arrives, and an Enter pressed before then
is carried out then."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from console.cases import ROLES
from console.textsafe import inert
from console.widgets.keybar import KeyBar

POOL = ""  # the result for "back to the pool" (待分配)


class AgentPicker(ModalScreen[str | None]):
    """Result: an agent's name, POOL for the pool (when allowed), or None when cancelled.
    `roster`: (name, role) pairs; None: read from the database when the picker opens."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="picker.cancel"),
        Binding("down", "move(1)", "下", show=False, priority=True),
        Binding("up", "move(-1)", "上", show=False, priority=True),
    ]

    def __init__(self, title: str, roster: list[tuple[str, str]] | None = None, *, exclude: str | None = None,
                 allow_pool: bool = True, note: str = "") -> None:
        super().__init__()
        self._title = title
        self._exclude = exclude
        self._roster = self._without_me(roster)
        self._enter_pending = False  # Enter pressed while the roster was still on its way
        self._waiting = "载入中…"  # what the list says until the roster is there
        self._allow_pool = allow_pool
        self._note = note
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self._title), classes="dialog-title")
            yield Input(placeholder="输入名字筛选" + (",留空=放回待分配" if self._allow_pool else ""), id="picker-filter")
            yield OptionList(id="picker-list")
            yield Label("", id="picker-error", classes="dialog-error")
            hint = "↑↓ 选择 · 回车确定 · Esc 取消"
            if self._note:
                hint = self._note + "\n" + hint
            yield Label(Text(hint), classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-filter", Input).focus()
        if self._roster is None:
            cases = self.app.cases
            self.app.read(cases.roster, self._loaded, self._not_loaded, owner=self, key=f"agent-picker:{id(self)}")

    def _without_me(self, roster: list[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
        return None if roster is None else [(n, r) for n, r in roster if n != self._exclude]

    def _loaded(self, roster: list[tuple[str, str]]) -> None:
        self._roster = self._without_me(roster)
        self._fill(self.query_one("#picker-filter", Input).value)
        if self._enter_pending:
            self._enter_pending = False
            self._submitted()

    def _not_loaded(self, _message: str) -> None:
        # The status line says why; nothing to choose from, so Enter does nothing.
        self._enter_pending = False
        self._waiting = "名单没能载入: Esc 关闭后再试"
        self._fill("")

    def _fill(self, query: str) -> None:
        ol = self.query_one("#picker-list", OptionList)
        if self._roster is None:
            self._shown = []
            ol.clear_options()
            ol.add_option(Option(Text(self._waiting, style="dim"), disabled=True))
            return
        query = query.strip().lower()
        names = [(n, r) for n, r in self._roster if query in n.lower()]
        # Exact and prefix matches first, then the rest in name order.
        names.sort(key=lambda nr: (nr[0].lower() != query, not nr[0].lower().startswith(query), nr[0]))
        options = []
        self._shown = []
        if self._allow_pool and not query:
            options.append(Option(Text("待分配 (放回待分配池)", style="dim")))
            self._shown.append(POOL)
        for name, role in names:
            line = Text(inert(name))
            if role != "agent":
                line.append(f"  {ROLES.get(role, role)}", style="cyan")
            options.append(Option(line))
            self._shown.append(name)
        if query and not any(n.lower() == query for n, _ in names):
            raw = self.query_one("#picker-filter", Input).value.strip()
            options.append(Option(Text(f"新同事: “{inert(raw)}” (回车后确认添加)", style="yellow")))
            self._shown.append("\x00new")
        ol.clear_options()
        ol.add_options(options)
        if options:
            ol.highlighted = 0

    @on(Input.Changed, "#picker-filter")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#picker-error", Label).update("")
        self._fill(event.value)

    def action_move(self, delta: int) -> None:
        ol = self.query_one("#picker-list", OptionList)
        if ol.option_count:
            ol.highlighted = max(0, min(ol.option_count - 1, (ol.highlighted or 0) + delta))

    @on(Input.Submitted, "#picker-filter")
    def _submitted(self) -> None:
        if self._roster is None:
            self._enter_pending = True
            return
        ol = self.query_one("#picker-list", OptionList)
        if ol.highlighted is not None and ol.highlighted < len(self._shown):
            self._choose(self._shown[ol.highlighted])

    @on(OptionList.OptionSelected, "#picker-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(self._shown[event.option_index])

    def _choose(self, name: str) -> None:
        if name != "\x00new":
            self.dismiss(name)
            return
        raw = self.query_one("#picker-filter", Input).value.strip()
        error = _check_name(raw, self._exclude)
        if error:
            self.query_one("#picker-error", Label).update(Text(error))
            return
        from console.screens.dialogs import ConfirmDialog

        def confirmed(yes: bool) -> None:
            if not yes:
                return
            app = self.app
            app.write(lambda: app.cases.ensure_agent(raw), lambda _r: self.dismiss(raw))

        self.app.push_screen(
            ConfirmDialog(f"名单里没有“{raw}”。要把“{raw}”添加为新同事吗?(打错字请选否,再从名单里选)",
                          yes="添加为新同事", no="不,回去改"),
            confirmed,
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


def _check_name(name: str, exclude: str | None) -> str | None:
    from console.identity import IdentityError, check_name

    try:
        check_name(name)
    except IdentityError as exc:
        return str(exc)
    if name == exclude:
        return "不能选自己"
    return None
