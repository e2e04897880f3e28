"""Copying a reply: system clipboard first, OSC 52 through the terminal second, never a crash."""

import base64
import os
import shutil
import subprocess

import pyperclip
import pytest

from console import clipboard
from console.clipboard import copy, osc52_sequence

TEXT = "亲，退款 12 元已为您操作～\n第二行 {不是占位符}"


@pytest.fixture
def restore_pyperclip(monkeypatch):
    """Tests swap pyperclip's backend; put the original back afterwards."""
    monkeypatch.setattr(pyperclip, "copy", pyperclip.copy)
    monkeypatch.setattr(pyperclip, "paste", pyperclip.paste)


class Terminal:
    """Stands in for Textual's `app.copy_to_clipboard`."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.received: list[str] = []

    def __call__(self, text: str) -> None:
        if self.fail:
            raise OSError("terminal gone")
        self.received.append(text)


def test_system_clipboard_when_pyperclip_works(monkeypatch, restore_pyperclip):
    store = {}
    monkeypatch.setattr(pyperclip, "copy", lambda text: store.update(text=text))
    monkeypatch.setattr(pyperclip, "paste", lambda: store["text"])
    terminal = Terminal()
    result = copy(TEXT, terminal)
    assert (result.ok, result.method) == (True, "system")
    assert store["text"] == TEXT and terminal.received == []
    assert "剪贴板" in result.message


def test_osc52_when_there_is_no_system_clipboard(monkeypatch, restore_pyperclip):
    """The real failure: no DISPLAY, no Wayland, so pyperclip has no mechanism and raises."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    pyperclip.copy, pyperclip.paste = pyperclip.determine_clipboard()
    terminal = Terminal()
    result = copy(TEXT, terminal)
    assert (result.ok, result.method) == (True, "osc52")
    assert terminal.received == [TEXT]
    assert "OSC 52" in result.message and "PyperclipException" in result.detail


def test_a_copy_that_does_not_read_back_falls_back(monkeypatch, restore_pyperclip):
    # pyperclip ignores xclip's exit status: a dead display "copies" without error.
    monkeypatch.setattr(pyperclip, "copy", lambda text: None)
    monkeypatch.setattr(pyperclip, "paste", lambda: "")
    terminal = Terminal()
    assert copy(TEXT, terminal).method == "osc52"
    assert terminal.received == [TEXT]


def test_both_paths_failing_is_a_message_not_an_exception(monkeypatch, restore_pyperclip):
    def broken(text):
        raise pyperclip.PyperclipException("no clipboard")

    monkeypatch.setattr(pyperclip, "copy", broken)
    result = copy(TEXT, Terminal(fail=True))
    assert (result.ok, result.method) == (False, "none")
    assert "复制失败" in result.message and "terminal gone" in result.detail
    result = copy(TEXT)  # no terminal writer given
    assert not result.ok and "手动" in result.message


def test_osc52_sequence():
    seq = osc52_sequence(TEXT)
    assert seq.startswith("\x1b]52;c;") and seq.endswith("\a")
    assert base64.b64decode(seq[len("\x1b]52;c;"):-1]).decode("utf-8") == TEXT
    wrapped = osc52_sequence("x", tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]52;c;eA==\a\x1b\\"


@pytest.fixture
def xvfb_display():
    """A private X server on a free display; skipped when Xvfb or xclip is missing."""
    missing = [tool for tool in ("Xvfb", "xclip") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (apt-get install xvfb xclip)")
    read_fd, write_fd = os.pipe()
    # -displayfd: Xvfb picks a free display itself and writes its number when ready.
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-nolisten", "tcp"],
                              pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as ready:
            number = ready.readline().strip()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_real_round_trip_through_an_x_clipboard(xvfb_display, monkeypatch, restore_pyperclip):
    monkeypatch.setenv("DISPLAY", xvfb_display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    pyperclip.copy, pyperclip.paste = pyperclip.determine_clipboard()  # picks xclip now
    terminal = Terminal()
    result = clipboard.copy(TEXT, terminal)
    assert (result.ok, result.method) == (True, "system"), result.detail
    out = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True,
                         env={**os.environ, "DISPLAY": xvfb_display}, timeout=10, check=True)
    assert out.stdout.decode("utf-8") == TEXT
    assert terminal.received == []
