"""The console as a real process in a pseudo-terminal: typing survives SIGHUP (the terminal
window closed), SIGTERM and kill -9.

Each test starts `python -m console` on a temp shop folder and database, types as a terminal
would (bytes on the pty), waits for the keystroke journal to show the text (so the keys have
arrived), and ends the process before the 0.6 s autosave. Every wait polls for a condition
with a generous deadline: the machine may be busy.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

if sys.platform == "win32":  # pragma: no cover - no pty, no SIGHUP
    pytest.skip("pseudo-terminals and SIGHUP are POSIX only", allow_module_level=True)

import fcntl
import struct
import termios

ROOT = Path(__file__).resolve().parent.parent
AGENT = "小王"
F2 = b"\x1bOQ"
START_SECONDS = 60.0
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b.")


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"waited {seconds:.0f} s for {what}")


class Console:
    """`aftersales` in a pseudo-terminal of 140×40, its screen output collected as text."""

    def __init__(self, tmp_path: Path) -> None:
        self.home = tmp_path / "home"
        self.home.mkdir(exist_ok=True)
        self.journal_dir = self.home / "journal"
        self.db_file = self.home / "console.db"
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", PYTHONUTF8="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console", "--home", str(self.home), "--agent", AGENT, "--no-demo-offer"],
            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True,
            # The pty becomes the controlling terminal: closing it sends SIGHUP, as a window does.
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self._out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self._out.extend(data)

    def screen_text(self) -> str:
        return ANSI.sub("", bytes(self._out).decode("utf-8", "replace"))

    def wait_for_screen(self, text: str, seconds: float = START_SECONDS) -> None:
        wait_for(lambda: text in self.screen_text(), seconds, f"{text!r} on the screen")

    def press(self, data: bytes | str) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def journal_text(self) -> str:
        text = ""
        for path in self.journal_dir.glob("*.jsonl"):
            try:
                text += path.read_text(encoding="utf-8")
            except FileNotFoundError:  # emptied while we looked
                pass
        return text

    def type_and_wait_for_journal(self, text: str) -> None:
        self.press(text)
        wait_for(lambda: text in self.journal_text(), 30, "the typed text in the keystroke journal")

    def end(self, seconds: float = 30) -> int:
        try:
            return self.proc.wait(seconds)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            try:
                os.close(self.master)
            except OSError:
                pass

    def draft(self, place: str) -> str:
        with sqlite3.connect(self.db_file) as con:
            row = con.execute("select body from note_draft where agent = ? and place = ?", (AGENT, place)).fetchone()
        return row[0] if row else ""


@pytest.fixture
def console(tmp_path):
    started: list[Console] = []

    def start() -> Console:
        c = Console(tmp_path)
        started.append(c)
        return c

    yield start
    for c in started:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait()


def _queue_up(c: Console) -> None:
    c.wait_for_screen("交接班")  # the queue's key bar


def test_sighup_saves_the_new_case_form_and_exits_cleanly(console):
    c = console()
    _queue_up(c)
    c.press("n")
    c.wait_for_screen("粘贴区")
    c.type_and_wait_for_journal("买家说周六在家")
    c.proc.send_signal(signal.SIGHUP)
    # Python's default for SIGHUP ends the process by the signal (-1); handled, it exits as Ctrl+Q does.
    assert c.end() == 0
    assert json.loads(c.draft("new_case"))["paste"] == "买家说周六在家"
    assert c.journal_text() == ""  # saved, so nothing is left to replay


def test_sigterm_saves_the_notes_pane_and_exits_cleanly(console):
    c = console()
    _queue_up(c)
    c.press(F2)
    c.wait_for_screen("班次笔记")
    c.type_and_wait_for_journal("仓库下午三点盘点")
    c.proc.send_signal(signal.SIGTERM)
    assert c.end() == 0
    assert c.draft("shift") == "仓库下午三点盘点"
    assert c.journal_text() == ""


def test_closing_the_terminal_saves_the_notes_pane(console):
    c = console()
    _queue_up(c)
    c.press(F2)
    c.wait_for_screen("班次笔记")
    c.type_and_wait_for_journal("交接前要回电话")
    os.close(c.master)  # the window closes: the kernel sends SIGHUP to the console
    assert c.proc.wait(30) == 0
    assert c.draft("shift") == "交接前要回电话"


def test_kill_9_while_typing_is_put_back_on_the_next_start(console):
    c = console()
    _queue_up(c)
    c.press(F2)
    c.wait_for_screen("班次笔记")
    c.type_and_wait_for_journal("买家要求明天上午发货")
    c.proc.kill()  # SIGKILL: nothing runs, only what is on disk counts
    assert c.end() == -signal.SIGKILL
    assert "买家要求明天上午发货" in c.journal_text(), "the autosave ran before the kill: nothing to replay"

    again = console()
    wait_for(lambda: again.draft("shift") == "买家要求明天上午发货", START_SECONDS, "the journal replayed into the draft")
    again.wait_for_screen("恢复了上次没存上的输入: 班次笔记")
    again.press(F2)
    again.wait_for_screen("买家要求明天上午发货")  # back in the notes pane
    wait_for(lambda: again.journal_text() == "", 10, "the replayed journal to be emptied")
    again.press(b"\x11")  # Ctrl+Q
    assert again.end() == 0


def _presence_rows(c: Console) -> list[tuple[str, str]]:
    with sqlite3.connect(c.db_file) as con:
        try:
            return con.execute("select console, agent from presence").fetchall()
        except sqlite3.OperationalError:  # not migrated yet
            return []


def test_kill_9_leaves_a_presence_row_that_expires_by_age_and_ctrl_q_removes_its_own(console):
    from datetime import UTC, datetime, timedelta

    from console.clock import FrozenClock, SystemClock
    from console.db import open_database, resolve_url
    from console.presence import STALE_SECONDS, PresenceStore

    c = console()
    _queue_up(c)
    killed = wait_for(lambda: _presence_rows(c), 30, "the console's first heartbeat")
    c.proc.kill()  # SIGKILL: nothing runs, so nothing deletes the row
    assert c.end() == -signal.SIGKILL
    assert _presence_rows(c) == killed
    db = open_database(resolve_url(str(c.db_file)))
    try:
        # Every other console still sees it for a while, and none at all once it is stale.
        assert PresenceStore(db, SystemClock()).others("another").online() == [AGENT]
        later = FrozenClock(datetime.now(UTC) + timedelta(seconds=STALE_SECONDS + 1))
        assert PresenceStore(db, later).others("another").seen == ()
    finally:
        db.dispose()

    again = console()
    _queue_up(again)
    wait_for(lambda: set(_presence_rows(again)) - set(killed), 30, "the second console's heartbeat")
    again.press(b"\x11")  # Ctrl+Q: its own row goes as it closes
    assert again.end() == 0
    # (The killed console's row stays until it is stale, and then the next start sweeps it.)
    assert set(_presence_rows(again)) <= set(killed)
