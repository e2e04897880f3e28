"""Copy a reply to the clipboard: the system clipboard first, OSC 52 through the terminal second.

pyperclip reaches the system clipboard (xclip/xsel/wl-copy on Linux, pbcopy, Windows).
On a headless box or over SSH there is none and pyperclip raises; then the text goes to
the terminal as an OSC 52 sequence (the screen passes Textual's `app.copy_to_clipboard`),
which the agent's own terminal puts on *their* clipboard. OSC 52 has no
acknowledgement, so the message says so. `copy` never raises: the agent always gets a
sentence saying what happened.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Method = Literal["system", "osc52", "none"]

MSG_SYSTEM = "已复制到剪贴板, 可以直接粘贴到旺旺/千牛"
MSG_OSC52 = ("系统剪贴板不可用, 已通过终端复制 (OSC 52); 如果粘贴不出来, "
             "请在终端设置里允许程序写剪贴板 (tmux 需 set-clipboard on)")
MSG_NONE = "复制失败: {reason}。请用鼠标选中文字手动复制"


@dataclass(frozen=True)
class CopyResult:
    ok: bool
    method: Method
    message: str  # Chinese, for the agent
    detail: str = ""  # the technical reason the system clipboard was not used


def copy(text: str, osc52_writer: Callable[[str], object] | None = None) -> CopyResult:
    """Put `text` on a clipboard and say how; never raises."""
    reason = _system_copy(text)
    if reason is None:
        return CopyResult(True, "system", MSG_SYSTEM)
    if osc52_writer is None:
        return CopyResult(False, "none", MSG_NONE.format(reason="系统剪贴板不可用"), reason)
    try:
        osc52_writer(text)
    except Exception as exc:  # noqa: BLE001 - a broken terminal must not crash the console
        detail = f"{reason}; OSC 52: {exc}"
        return CopyResult(False, "none", MSG_NONE.format(reason="系统剪贴板和终端复制都不可用"), detail)
    return CopyResult(True, "osc52", MSG_OSC52, reason)


def _system_copy(text: str) -> str | None:
    """Copy with pyperclip and read it back; None on success, else why not.

    Reading back matters: pyperclip ignores xclip's exit status, so a dead X display
    would otherwise look like a successful copy.
    """
    try:
        import pyperclip

        pyperclip.copy(text)
        pasted = pyperclip.paste()
    except Exception as exc:  # noqa: BLE001 - PyperclipException, OSError, a hung helper …
        return f"{type(exc).__name__}: {exc}"
    if _same(pasted, text):
        return None
    return "剪贴板内容与复制的文字不一致 (clipboard read-back differs)"


def _same(pasted: object, text: str) -> bool:
    # Windows clipboards turn \n into \r\n; X selections may drop a trailing newline.
    def norm(s: str) -> str:
        return s.replace("\r\n", "\n").rstrip("\n")

    return isinstance(pasted, str) and norm(pasted) == norm(text)


def osc52_sequence(text: str, *, selection: str = "c", tmux: bool = False) -> str:
    """The escape sequence that asks the terminal to put `text` on its clipboard.

    `ESC ] 52 ; c ; <base64 of UTF-8> BEL`; inside tmux it is wrapped in a DCS
    passthrough with every ESC doubled.
    """
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    sequence = f"\x1b]52;{selection};{payload}\a"
    if tmux:
        sequence = "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence
