"""The line across the top of every screen while the database server cannot be reached.

It says that the console is reconnecting and how many changes wait to be saved; it is gone
(display: none, no line taken) the rest of the time. The key bar, which every screen and
dialog has, mounts it into its screen, so no screen has to remember to.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

BANNER = "数据库连接中断,正在重连…"


@dataclass(frozen=True)
class LinkState:
    """What the banner shows: whether the server is out of reach, and how many writes wait."""

    down: bool = False
    waiting: int = 0


def banner_text(state: LinkState) -> str:
    if state.waiting:
        return f"⚠ {BANNER}  未保存: {state.waiting} 项,连接恢复后自动保存"
    return f"⚠ {BANNER}  您输入的内容不会丢失"


class LinkBanner(Static):
    DEFAULT_CSS = """
    LinkBanner {
        dock: top;
        height: 1;
        padding: 0 1;
        background: $error;
        color: $text;
        text-style: bold;
        display: none;
        &.-shown { display: block; }
    }
    """

    def on_mount(self) -> None:
        signal = getattr(self.app, "link_signal", None)
        if signal is not None:
            signal.subscribe(self, self.show, immediate=True)
            self.show(self.app.link_state)

    def on_unmount(self) -> None:
        signal = getattr(self.app, "link_signal", None)
        if signal is not None:
            signal.unsubscribe(self)

    def show(self, state: LinkState) -> None:
        self.set_class(state.down, "-shown")
        if state.down:
            self.update(Text(banner_text(state), no_wrap=True, overflow="ellipsis"))

    @property
    def text(self) -> str:
        """What it shows now ("" when hidden), for tests."""
        return str(self.render()) if self.has_class("-shown") else ""
