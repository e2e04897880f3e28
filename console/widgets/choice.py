"""One value out of a few, on one line, for keyboard-only forms.

`←`/`→` (or space) step through the options and a digit picks one directly. Every option
is shown with its digit when they fit, else only the chosen one between arrows. One widget
where a `Select` is five (itself, its current-value box with two statics, and a dropdown
overlay with an option list): the new-case form has three of them and opens faster for it,
and there is no dropdown to open and close.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Key
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    DEFAULT_CSS = """
    Choice {
        width: 1fr;
        height: 1;
        background: $surface;
    }
    Choice:focus {
        background-tint: $foreground 5%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "上一个", show=False),
        Binding("right", "step(1)", "下一个", show=False),
        Binding("space", "step(1)", "下一个", show=False),
    ]

    value: reactive[str] = reactive("", init=False)
    """The key of the chosen option."""

    class Changed(Message):
        """The value changed; `by_hand` when the agent pressed a key for it."""

        def __init__(self, choice: Choice, value: str, by_hand: bool) -> None:
            super().__init__()
            self.choice = choice
            self.value = value
            self.by_hand = by_hand

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: dict[str, str], value: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._options = list(options.items())
        self._keys = [key for key, _ in self._options]
        self._by_key = False
        self.set_reactive(Choice.value, value if value in self._keys else self._keys[0])

    def validate_value(self, value: str) -> str:
        # A value from an old draft that is no longer an option keeps the current one.
        return value if value in self._keys else self.value

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value, self._by_key))

    def _pick(self, key: str) -> None:
        self._by_key = True
        try:
            self.value = key
        finally:
            self._by_key = False

    def action_step(self, delta: int) -> None:
        index = self._keys.index(self.value)
        self._pick(self._keys[(index + delta) % len(self._keys)])

    def on_key(self, event: Key) -> None:
        if event.character and event.character.isdigit() and event.character.isascii():
            index = int(event.character) - 1
            if 0 <= index < len(self._keys):
                event.stop()
                event.prevent_default()
                self._pick(self._keys[index])

    def render(self) -> Text:
        chosen = "bold reverse" if self.has_focus else "bold underline"
        every = Text()
        for i, (key, label) in enumerate(self._options, 1):
            every.append(f"{i}", "dim")
            every.append(label, chosen if key == self.value else "")
            every.append(" ")
        if cell_len(every.plain) <= self.size.width:
            return every
        index = self._keys.index(self.value)
        return Text.assemble(("◂ ", "dim"), (self._options[index][1], chosen), (" ▸", "dim"),
                             (f" {index + 1}/{len(self._keys)}", "dim"))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
