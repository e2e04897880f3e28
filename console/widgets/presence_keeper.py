"""This console's heartbeat, and what it knows of the other consoles (console/presence.py).

`tick()` runs once a second (the app's tick) and whenever the screen changes or the agent
starts typing. It beats (one UPSERT, in a worker) when the state changed, at most once per
MIN_GAP seconds, and otherwise every BEAT_SECONDS; it reads the other consoles every
READ_SECONDS, and right after each beat, so a case just opened shows who else is on it
within one round trip. A new picture of the team goes to every screen as `PresenceChanged`,
never as DataChanged: nothing is reloaded for it. The first beat also sweeps away the rows
of consoles that vanished; closing the console deletes its own row (`close`).

The agent is told on the status line when the case they open (or have open) is one another
agent is typing in, once per agent per opening.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from functools import partial
from typing import Any

from textual.screen import ModalScreen
from textual.widgets import Input, TextArea

from console.presence import BEAT_SECONDS, STALE_SECONDS, TYPING_SECONDS, Team
from console.textsafe import inert

MIN_GAP = 1.0  # seconds between two beats: a change waits at most this long
READ_SECONDS = 2.0
LEAVE_WAIT = 2.0  # closing waits at most this long for the row's removal; else it expires

# What another agent is doing in a case, by the screen they are on (only while typing).
WHERE = {"CaseScreen": "写笔记", "WizardScreen": "SOP向导"}

log = logging.getLogger("console.presence")

State = tuple[str, int | None, bool]  # (screen, case, typing)


def doing(agent: str, typing: bool, screen: str) -> str:
    """`小李 正在处理 (写笔记)` or `小李 也打开了此单`; the name drawn inert."""
    if typing:
        where = WHERE.get(screen)
        return f"{inert(agent)} 正在处理" + (f" ({where})" if where else "")
    return f"{inert(agent)} 也打开了此单"


class PresenceKeeper:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.store = app.services.presence
        self.console = uuid.uuid4().hex[:16]
        # The latest picture of the other consoles; `known` once one has been read.
        self.team = Team()
        self.known = False
        self.reads = 0  # how many pictures have arrived (tests wait on it)
        self._sent: State | None = None
        self._sent_at = float("-inf")
        self._read_at = float("-inf")
        self._read_ok_at = float("-inf")
        self._typed_at = float("-inf")
        self._busy = False
        self._started = False
        self._closed = False
        self._sweep = True
        self._lock = threading.Lock()  # one database step at a time; `close` waits for it
        self._failing = False
        # Who this agent was told is typing in the case they have open.
        self._told_case: int | None = None
        self._told: set[str] = set()

    def start(self) -> None:
        """The agent is known and the queue is up: beat now, and again at every screen change."""
        self._started = True
        self.app.screen_change_signal.subscribe(self.app, lambda _screen: self.tick())
        self.tick()

    # ---- this console's state -----------------------------------------------------------

    def typed(self) -> None:
        """A draft changed (a notes pane, a wizard field …): typing, if a text field has
        the focus. A draft loaded into the box as a case opens is not the agent typing."""
        if not isinstance(self.app.focused, (Input, TextArea)):
            return
        was = self.typing
        self._typed_at = time.monotonic()
        if not was:
            self.tick()

    @property
    def typing(self) -> bool:
        return time.monotonic() - self._typed_at < TYPING_SECONDS

    def state(self) -> State:
        """The screen on top (a dialog counts as the screen under it) and the case open in
        this console: the nearest screen from the top that shows one."""
        stack = self.app.screen_stack
        screen = next((s for s in reversed(stack) if not isinstance(s, ModalScreen)), None)
        case_id = next((c for s in reversed(stack) if isinstance(c := getattr(s, "case_id", None), int)), None)
        return (type(screen).__name__ if screen is not None else "", case_id, self.typing)

    # ---- beating and reading --------------------------------------------------------------

    def tick(self) -> None:
        """Beat and read if it is time (see the module's docstring); never waits."""
        if not self._started or self._closed:
            return
        state = self.state()
        self._notice(state[1])
        if self._busy:
            return
        now = time.monotonic()
        if self._failing and now - self._read_at < BEAT_SECONDS:
            return  # the database is out of reach: try again every few seconds, not every tick
        since = now - self._sent_at
        beat = (state != self._sent and since >= MIN_GAP) or since >= BEAT_SECONDS
        if not beat and now - self._read_at < READ_SECONDS:
            return
        self._busy = True
        self._read_at = now
        if beat:
            self._sent, self._sent_at = state, now
        sweep, self._sweep = self._sweep and beat, self._sweep and not beat
        self.app.run_worker(partial(self._work, state if beat else None, sweep, self.app.agent),
                            thread=True, group="presence", exit_on_error=False)

    def _work(self, state: State | None, sweep: bool, agent: str) -> None:
        """In a worker thread: the beat (if due), then the other consoles."""
        try:
            with self._lock:
                if self._closed:
                    return
                if state is not None:
                    self.store.beat(self.console, agent, *state)
                if sweep:
                    self.store.sweep()
            team = self.store.others(self.console)
        except Exception as exc:  # noqa: BLE001 - presence is a help, never in the way
            if not self._failing:
                log.warning("在线状态没有更新: %s", getattr(exc, "message", None) or repr(exc))
            self._call_soon(self._failed)
            return
        self._call_soon(self._arrived, team)

    def _call_soon(self, callback, *args) -> None:  # noqa: ANN001
        """`callback(*args)` on the UI thread, without waiting for it: a worker blocked in
        call_from_thread while the console closes would keep the process alive (the thread
        pool is joined at exit), and presence runs often enough to be caught in that moment.
        Dropped once the app is closing."""
        self.app.call_later(callback, *args)

    def _failed(self) -> None:
        self._busy = False
        self._failing = True
        self._sent = None  # beat again at the next chance
        if self.team.seen and time.monotonic() - self._read_ok_at > STALE_SECONDS:
            # Out of touch for as long as a vanished console takes to expire: the old
            # picture would only mislead (marks of agents who have long left the case).
            self._show(Team())

    def _arrived(self, team: Team) -> None:
        self._busy = False
        self._failing = False
        self._read_ok_at = time.monotonic()
        first = not self.known
        self.known = True
        self.reads += 1
        if team != self.team or first:
            self._show(team)
        self.tick()

    def _show(self, team: Team) -> None:
        from console.messages import PresenceChanged

        self.team = team
        for screen in self.app.screen_stack:
            screen.post_message(PresenceChanged(team))

    def _notice(self, case_id: int | None) -> None:
        """Tell the agent, once per agent and opening, who is typing in the case they have open."""
        if case_id != self._told_case:
            self._told_case, self._told = case_id, set()
        if case_id is None:
            return
        for agent, typing, screen in self.team.on_case(case_id, besides=self.app.agent):
            if typing and agent not in self._told:
                self._told.add(agent)
                # One line at 80 columns: the status line is where the agent looks.
                self.app.notify(f"{doing(agent, True, screen)} 工单 #{case_id}: 先和{inert(agent)}确认再动手,"
                                "免得重复回复买家", markup=False, severity="warning", timeout=10)

    def close(self) -> None:
        """The console closes: delete its row, waiting at most LEAVE_WAIT seconds (a slow
        server: the row then expires by itself). Off the UI thread, like every database step."""
        if not self._started or self._closed:
            return
        self._closed = True

        def leave() -> None:
            with self._lock:
                try:
                    self.store.leave(self.console)
                except Exception as exc:  # noqa: BLE001 - it expires by itself
                    log.warning("在线状态没有删除, 它会自己过期: %r", exc)

        thread = threading.Thread(target=leave, name="aftersales-presence-leave", daemon=True)
        thread.start()
        thread.join(LEAVE_WAIT)
