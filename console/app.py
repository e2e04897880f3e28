"""The Textual App: screens, global keys, the command palette, the one-second tick."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer

from console.cases import CaseDetail
from console.db import StoreError, display_url
from console.journal import JOURNAL_DIR, Journal, journal_file
from console.log import exc_info, log_cause
from console.log import setup as setup_log
from console.outbox import BACKOFF_S, DONE, FAILED, LANDED, PARTLY, WAIT, Attempt, Outbox, Waiting
from console.services import Services
from console.terminal import InertControls, use_paste_safe_parser
from console.widgets.keybar import StatusMessage
from console.widgets.link_banner import BANNER, LinkState
from console.widgets.presence_keeper import PresenceKeeper

T = TypeVar("T")

# How long a message stays on the status line unless replaced; a caller's longer timeout wins.
STATUS_SECONDS: dict[str, float] = {"information": 5.0, "warning": 10.0, "error": 15.0}
MSG_OSC52_AGAIN = "已通过终端复制 (OSC 52)"
# After SIGHUP/SIGTERM the drafts are saved at once; a closed terminal may then refuse the
# last screen writes and hang the normal exit, so the process ends by force after this long.
EXIT_GRACE_SECONDS = 5.0
# How often the watcher is asked whether another console committed.
POLL_SECONDS = 0.1
# How long notices arriving together are gathered into one DataChanged.
NOTICE_GATHER_SECONDS = 0.03
# Reads asked for while the server is out of reach, kept to run when it is back (the newest
# of each key; unkeyed ones up to this many).
MAX_DEFERRED_READS = 500

log = logging.getLogger("console.app")


class AftersalesApp(App[None]):
    """售后工作台. The services (database, policy, clock, case store, queue reader, SOP and
    reply libraries: console/services.py) are built by the caller and handed in, so tests
    inject a temp database and a frozen clock, and no screen builds its own.

    `agent` None: no name was given or remembered on this computer, so the console asks for
    it before the queue and remembers it in `identity_file` (default: the per-user config
    folder). `shop_name` given here wins over the shop folder's config.toml.
    """

    TITLE = "售后工作台"
    CSS_PATH = "app.tcss"
    # A width class on every screen: side panels give way below 110 (wizard) or 100 (case
    # notes) columns; see app.tcss and widgets/side_panel.py.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-medium"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "帮助", key_display="?", id="app.help"),
        Binding("ctrl+p", "command_palette", "命令面板", id="app.palette", show=False),
        Binding("ctrl+r", "phrases", "话术", id="app.phrases", tooltip="打开话术面板,按当前工单填好后复制"),
        Binding("ctrl+q", "quit", "退出", id="app.quit", priority=True),
    ]

    def __init__(
        self,
        services: Services,
        agent: str | None,
        tick_seconds: float = 1.0,
        offer_demo: bool = True,
        shop_name: str = "",
        *,
        identity_file: Path | None = None,
        journal_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        # The services every screen uses most, by short names.
        self.db = services.db
        self.policy = services.policy
        self.clock = services.clock
        self.cases = services.cases
        self.reader = services.queue
        self.home = services.home
        self.agent = agent or ""
        services.as_agent(self.agent)
        self.identity_file = identity_file
        self.watcher = self.db.watcher()
        # This console's heartbeat and the other consoles' (who has which case open, typing).
        self.presence = PresenceKeeper(self)
        self._polling = False
        # The team's library as last announced (a newer one is read in a worker and said).
        self._library_seen = services.library.generation
        self._library_syncing = False
        self._library_again = False
        self._reads: dict[str, bool] = {}  # keys of the reads under way (see read())
        self._read_next: dict[str, tuple] = {}  # by key: the newest ask waiting for its turn
        self._read_failing = False
        # The database server out of reach (PostgreSQL): writes wait in the outbox, reads
        # wait in `_deferred_reads`, a banner says so, a worker reconnects (console/outbox.py).
        self.outbox = Outbox(self.db)
        self._reconnecting = False
        self._listening = self.watcher.connected
        self._deferred_reads: dict[object, tuple] = {}
        self._ending = threading.Event()
        self._asking_to_quit = False
        self._outage_said: list[StatusMessage] = []  # what was said about it, to clear when back
        self.link_signal: Signal[LinkState] = Signal(self, "link")
        self.tick_seconds = tick_seconds
        self.offer_demo = offer_demo
        self.db_label = _db_label(self.db.url)
        self.last_copied: str | None = None
        # Every message said, newest last (tests read it); the one on the status line now.
        self.messages: deque[StatusMessage] = deque(maxlen=100)
        self.status: StatusMessage | None = None
        self.status_signal: Signal[StatusMessage | None] = Signal(self, "status")
        self._status_timer: Timer | None = None
        self._said_once: set[str] = set()
        self._inert_controls = InertControls()
        self.shop_name = shop_name or self.home.shop_name
        # The {return_address} of replies, from the shop's config.toml ("" when not set).
        self.return_address = self.home.return_address
        # This agent's role, read in a worker after start and each time the picker opens
        # (None until then: not a supervisor).
        self.role: str | None = None
        # The shop folder's logs/console.log (the command line has usually set it up already).
        self.log_file: Path | None = setup_log(self.home.root)
        # Set by an unexpected exception: what the agent reads on the terminal once the app ends.
        self.crash_message: str | None = None

        # Typing not yet in the database survives a kill in the keystroke journal (opened
        # once the agent is known); every draft keeper that has seen a change is listed
        # here, so SIGHUP/SIGTERM can save them all.
        self.journal_dir = journal_dir
        self.journal: Journal | None = None
        self.draft_keepers: weakref.WeakSet = weakref.WeakSet()
        self._signals: list[int] = []
        self._signalled_once = False
        self._force_exit: threading.Timer | None = None

    def on_mount(self) -> None:
        self._catch_hangup()
        log.info("工作台启动: 版本 %s, 数据库 %s, 客服 %s", _version(), display_url(self.db.url),
                 self.agent or "(未命名, 首次启动会询问)")
        if self.agent:
            self._start()
            return
        from console.identity import identity_file
        from console.screens.agent_name import AgentNameScreen

        self.push_screen(AgentNameScreen(self.identity_file or identity_file()), self._named)

    @property
    def reply_drafts(self):
        """Draft replies in this database (console.reply_drafts.ReplyDrafts)."""
        return self.services.replies.drafts

    def open_case(self, case_id: int, replace: bool = False) -> None:
        """Show a case; `replace`: in place of the current screen (the new-case form)."""
        from console.screens.case import CaseScreen

        if replace:
            self.switch_screen(CaseScreen(case_id))
        else:
            self.push_screen(CaseScreen(case_id))

    def reply_values(self, detail: CaseDetail | None) -> dict[str, str]:
        """What a reply's placeholders are filled with for this agent, shop and case."""
        from console.reply_values import case_values

        return case_values(detail, agent=self.agent, policy=self.policy, sop=self.services.sop,
                           shop_name=self.shop_name, return_address=self.return_address)

    def _named(self, name: str | None) -> None:
        """First start: remember the typed name on this computer, then open the queue."""
        from console.identity import IdentityError, remember_name

        if not name:
            self.exit()
            return
        try:
            remember_name(name, self.identity_file)
        except IdentityError as exc:
            self.notify(f"{exc.message}\n这次先用这个名字, 下次启动还会再问。", markup=False,
                        severity="warning", timeout=10)
        self.agent = name
        self.services.as_agent(name)
        self._start()

    def _start(self) -> None:
        folder = self.journal_dir or self.home.root / JOURNAL_DIR
        self.journal = Journal(journal_file(folder, self.agent, self.db.url), self.agent)
        if self.journal.exists():
            # Killed last time while typing: put it back before any screen reads its draft.
            self._replay_journal()
            return
        self._open_screens()

    @work(thread=True, exit_on_error=False, group="journal")
    def _replay_journal(self) -> None:
        from console.journal import replay

        restored: list[str] = []
        error = ""
        try:
            restored = replay(self.journal, self.services.notes)
        except StoreError as exc:
            error = exc.message
        except Exception as exc:  # noqa: BLE001 - never a traceback; the file stays for next time
            self.log.error(f"journal replay: {exc!r}")
            error = str(exc)
        self.call_from_thread(self._replayed, restored, error)

    def _replayed(self, restored: list[str], error: str) -> None:
        from console.journal import place_label

        self._open_screens()
        if restored:
            self.notify("恢复了上次没存上的输入: " + "、".join(place_label(p) for p in restored),
                        markup=False, severity="warning", timeout=15)
        if error:
            self.notify(f"上次没存上的输入这次没能放回: {error}。它还留在文件里,下次启动再试。",
                        markup=False, severity="warning", timeout=15)

    def _open_screens(self) -> None:
        from console.screens.queue import QueueScreen

        self.push_screen(QueueScreen())
        notice = self.services.library.notice
        if notice:
            # Read before the app started (build_services): this desk's own files are not the team's.
            log.warning("%s", notice)
            self.notify(notice, markup=False, severity="warning", timeout=30)
        self.presence.start()
        handovers, cases, agent = self.services.handovers, self.cases, self.agent

        def job():
            # A write: after the first frame, off the UI thread, like everything after it.
            cases.ensure_agent(agent)
            handovers.start_shift(agent)
            return handovers.unread_for(agent), cases.role_of(agent)

        def done(result) -> None:
            from console.screens.handover import HandoverInbox

            unread, self.role = result
            if unread:
                # The incoming agent reads what was handed over before anything else.
                self.push_screen(HandoverInbox(unread[0].id, len(unread)))

        # After the queue's first frame, in a worker: the shift starts, the unread handovers.
        self._shift_worker(job, done)
        if self.tick_seconds:
            self.set_interval(self.tick_seconds, self.tick)
            # Another desk's change shows here within a second: a poll is a microsecond on
            # SQLite (data_version) and a read of pending notifications on PostgreSQL.
            self.set_interval(POLL_SECONDS, self.poll_changes)
        # After the first frame, not before it: a full collection takes ~50 ms.
        self.set_timer(1.0, _freeze_startup_objects)
        # After the first frame: the pinyin table and index cost ~50 ms of CPU, and a thread
        # doing it during start-up would hold the GIL while the queue paints.
        self.set_timer(0.3, self._warm_phrases)
        # The new-case form is where the 30-second first reply starts: build it once while the
        # agent reads the queue, so even its first opening is as quick as the later ones.
        if self.tick_seconds:
            self.set_timer(1.2, self.warm_new_case)

    @work(thread=True, exit_on_error=False, group="shift")
    def _shift_worker(self, job, done) -> None:
        try:
            result = job()
        except StoreError as exc:
            log_cause(log, exc, "上班登记没有成功")
            self.notify(exc.message, markup=False, severity="warning")
            return
        self._call_soon(done, result)

    # ---- the terminal closed, the process told to end ----------------------------------

    def _catch_hangup(self) -> None:
        """Closing the terminal window sends SIGHUP, `kill` and a shutdown SIGTERM; Python's
        default for both ends the process at once, and Textual's Linux driver handles neither
        (only SIGTSTP, SIGCONT, SIGWINCH, SIGTTIN/SIGTTOU). Handled on the event loop
        (`add_signal_handler`), not inside the signal: save every draft, then exit as Ctrl+Q
        does. Windows has no SIGHUP and asyncio's Windows loop cannot take SIGTERM this way:
        there, the keystroke journal is what keeps the typing."""
        if not hasattr(signal, "SIGHUP"):
            return
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self._signalled, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                return
            self._signals.append(signum)

    def _signalled(self, signum: int) -> None:
        if self._signalled_once:
            return
        self._signalled_once = True
        self.flush_drafts()
        if not self.is_headless:
            # The drafts are in the database now: a hung exit must not keep the process.
            self._force_exit = threading.Timer(EXIT_GRACE_SECONDS, os._exit, (128 + signum,))
            self._force_exit.daemon = True
            self._force_exit.start()
        self.exit()

    def flush_drafts(self) -> tuple[int, int]:
        """Save every draft with changes the database does not have, here and now:
        (saved, not saved; those stay in the journal for the next start). Only on the way
        out: nothing waits for a database server that is gone from here on."""
        self._ending.set()
        self.db.stop_waiting()
        saved = lost = 0
        for keeper in list(self.draft_keepers):
            try:
                result = keeper.flush()
            except Exception:  # noqa: BLE001 - one broken draft must not stop the others
                result = False
            saved += result is True
            lost += result is False
        return saved, lost

    async def warm_new_case(self) -> None:
        """Skipped unless the agent is idle on the queue: a key pressed meanwhile would reach
        the form instead of the queue."""
        from console.screens.new_case import warm_new_case
        from console.screens.queue import QueueScreen

        screen = self.screen
        if isinstance(screen, QueueScreen) and screen.focused is screen.table:
            await warm_new_case(self)

    def get_driver_class(self):
        """Textual's driver for this terminal, reading bracketed pastes with `PasteSafeParser`
        (Textual's own parser reorders a paste that holds an ESC)."""
        driver = super().get_driver_class()
        use_paste_safe_parser()
        return driver

    def get_line_filters(self):
        """Textual's filters, then one that keeps control characters in drawn text (a pasted
        ESC in a text box) from reaching the terminal."""
        return [*super().get_line_filters(), self._inert_controls]

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm_phrases(self) -> None:
        """Load the reply library, its pinyin index and the SOP trees off the UI thread, so the
        picker and the wizard open at once."""
        try:
            self.services.replies.get()
            self.services.sop.get()
        except Exception as exc:  # noqa: BLE001 - the picker reports a broken library itself
            self.log.error(f"libraries: {exc!r}")
            log.warning("话术库或SOP预载失败", exc_info=exc_info(exc))

    @property
    def is_supervisor(self) -> bool:
        """Asked on every key-bar refresh of the picker: the role as last read, never a read."""
        return self.role == "supervisor"

    def action_phrases(self) -> None:
        from console.screens.phrases import PhrasePicker

        screen = self.screen
        if isinstance(screen, PhrasePicker):
            return
        case_id = getattr(screen, "case_id", None)
        if case_id is None and hasattr(screen, "table"):
            row = screen.table.current
            case_id = row.id if row else None
        try:
            if not self.is_screen_installed("phrases"):
                self.install_screen(PhrasePicker(), "phrases")
            picker = self.get_screen("phrases")
            picker.prepare(case_id)
            self.push_screen(picker)
        except Exception as exc:  # noqa: BLE001 - a broken library is a message, not a crash
            log.error("话术库打不开", exc_info=exc_info(exc))
            self.notify(f"话术库打不开: {exc}", markup=False, severity="error")

    def copy_text(self, text: str, done: Callable[[bool], Any] | None = None) -> None:
        """Put text on the clipboard: the system clipboard first, else OSC 52 through the
        terminal; the agent is told which. On failure the text is shown to copy by hand."""
        self.last_copied = text
        self._copy_worker(text, done)

    @work(thread=True, exit_on_error=False, group="clipboard")
    def _copy_worker(self, text: str, done) -> None:
        from console.clipboard import copy

        # pyperclip runs xclip/xsel: a few ms, and it has no timeout, so not on the UI thread.
        result = copy(text, lambda t: self.call_from_thread(self.copy_to_clipboard, t))
        self.call_from_thread(self._copied, text, result, done)

    def _copied(self, text: str, result, done) -> None:
        if result.method == "osc52":
            # The long "allow the terminal to write the clipboard" advice once per session.
            if not self.notify_once("clipboard.osc52", result.message, severity="warning"):
                self.notify(MSG_OSC52_AGAIN)
        elif result.ok:
            self.notify(result.message, markup=False)
        else:
            self.log.error(f"copy failed: {result.detail}")
            log.warning("复制失败: %s", result.detail)
            from console.screens.dialogs import ShowTextDialog

            self.push_screen(ShowTextDialog(result.message, text))
        if done is not None:
            done(result.ok)

    def now(self):
        return self.clock.now()

    # ---- the status line -------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
        once: str | None = None,
    ) -> None:
        """Say `message` on the status line of the key bar (every screen and dialog has one)
        instead of a toast. Drawn as plain text whatever `markup` says. It stays until the
        next message or for `STATUS_SECONDS[severity]` (or `timeout`, if longer).
        With `once=key`, a message with that key is said only the first time per session.
        Thread-safe, like `App.notify`."""
        self._say(message, title=title, severity=severity, timeout=timeout, once=once)

    def notify_once(self, key: str, message: str, **kw: Any) -> bool:
        """`notify` the first time `key` is used in this session; False (and nothing said) after."""
        return self._say(message, once=key, **kw)

    def _say(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        once: str | None = None,
        markup: bool = True,  # noqa: ARG002 - never markup on the status line
    ) -> bool:
        if once is not None:
            if once in self._said_once:
                return False
            self._said_once.add(once)
        text = f"{title}: {message}" if title else str(message)
        seconds = max(STATUS_SECONDS.get(severity, 5.0), timeout or 0.0)
        said = StatusMessage(text, severity, seconds)
        self.messages.append(said)
        if severity == "error":
            # What the agent was told, beside the original exception logged where it happened.
            log.warning("告诉客服: %s", text)
        # From a worker thread too: the widgets change on the UI thread.
        self.call_later(self._show_status, said)
        return True

    def _show_status(self, said: StatusMessage | None) -> None:
        current = self.status
        if (said is not None and current is not None and said.severity == "information"
                and current.severity != "information"):
            # A plain message never hides a warning still showing (the copy said how it went
            # wrong; "已记为首次回复" follows it): it is added to it.
            said = StatusMessage(f"{current.text} · {said.text}", current.severity,
                                 max(current.seconds, said.seconds))
        self.status = said
        if self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None
        if said is not None:
            self._status_timer = self.set_timer(said.seconds, partial(self._expire_status, said))
        self.status_signal.publish(said)

    def _expire_status(self, said: StatusMessage) -> None:
        if self.status is said:
            self._show_status(None)

    def tick(self) -> None:
        """Once a second: repaint countdowns (no database work: the rows are in memory). In
        tests (no interval timers) it also looks for other consoles' commits."""
        if not self.tick_seconds:
            self.poll_changes()
        self.presence.tick()
        if hasattr(self.screen, "tick"):
            self.screen.tick()
        elif len(self.screen_stack) > 1 and hasattr(self.screen_stack[-2], "tick"):
            # A dialog over a screen: keep the screen's countdowns alive underneath.
            self.screen_stack[-2].tick()

    # ---- other consoles' commits ----------------------------------------------------

    def poll_changes(self) -> None:
        """Ask the watcher, in a worker thread, whether anyone committed; every screen hears
        of it (`DataChanged`). One poll at a time: a slow server never piles them up."""
        if not self._polling:
            self._polling = True
            self._poll_worker()

    @work(thread=True, exit_on_error=False, group="watch")
    def _poll_worker(self) -> None:
        watcher = self.watcher
        try:
            # A server that pushes its notices (PostgreSQL): wait for the next one, so a
            # change shows the moment it arrives rather than at the next poll.
            changes = watcher.wait(POLL_SECONDS) if watcher.pushes else watcher.changes()
            if changes:
                # A busy team sends a notice per commit: gather what comes within a frame
                # or so into one message, so screens reload once for the lot.
                time.sleep(NOTICE_GATHER_SECONDS)
                more = watcher.changes()
                changes = None if more is None else changes | more
        except Exception as exc:  # noqa: BLE001 - the next poll tries again
            log.warning("change poll failed: %r", exc)
            changes = set()
        self._call_soon(self._polled, changes, self.watcher.connected)

    def _polled(self, changes: set[int] | None, listening: bool = True) -> None:
        self._polling = False
        was, self._listening = self._listening, listening
        if was and not listening:
            # The server's notices stopped coming (PostgreSQL: the LISTEN connection dropped,
            # usually the first to know that the server went away, even while nobody types).
            self._link_lost()
        if changes is None or changes:
            self.data_changed(None if changes is None else frozenset(changes))
        if self.watcher.pushes and self.tick_seconds and self.is_running:
            self.poll_changes()  # listen on at once; the interval is only the fallback

    def data_changed(self, case_ids: frozenset[int] | None = None) -> None:
        """Tell every screen (dialogs included) that data changed; each decides what to reload.
        Something other than cases changed (or may have): the team's library too, in a worker."""
        from console.messages import DataChanged

        for screen in self.screen_stack:
            screen.post_message(DataChanged(case_ids))
        if case_ids is None:
            self.sync_library()

    # ---- the team's library -------------------------------------------------------

    def sync_library(self) -> None:
        """Read the team's library again if it changed (a worker; one at a time), then say
        who changed what. The reply picker reads it again itself on the same DataChanged."""
        if self._library_syncing:
            self._library_again = True
            return
        self._library_syncing = True
        self._library_worker()

    @work(thread=True, exit_on_error=False, group="library")
    def _library_worker(self) -> None:
        library = self.services.library
        try:
            library.sync()
            if library.generation != self._library_seen:
                self.services.sop.get()  # the new trees now, not when the wizard next asks
        except Exception as exc:  # noqa: BLE001 - the next change tries again; the old library stays
            log.warning("团队库没有读到: %r", exc)
        self._call_soon(self._library_synced, library.generation)

    def _library_synced(self, generation: int) -> None:
        self._library_syncing = False
        updates = [u for g, u in self.services.library.updates if self._library_seen < g <= generation]
        self._library_seen = max(self._library_seen, generation)
        for update in updates:
            if update.appeared or update.clocks_changed or any(v.agent != self.agent for v in update.versions) \
                    or update.removed:
                self.notify(update.describe(), markup=False, timeout=10,
                            severity="warning" if update.appeared or update.clocks_changed else "information")
        if self._library_again:
            self._library_again = False
            self.sync_library()

    def _call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """`callback(*args)` on the UI thread, from a worker; dropped once the app is closing."""
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:
            pass  # the app has already stopped

    # ---- the database server out of reach, and back ------------------------------------

    @property
    def link_up(self) -> bool:
        """The database can be reached (as far as the console knows): False from a lost
        connection until it has reconnected and written every write that waited."""
        return self.outbox.up and not self._reconnecting

    @property
    def link_state(self) -> LinkState:
        return LinkState(down=not self.link_up, waiting=self.outbox.waiting())

    def _paint_link(self) -> None:
        self.link_signal.publish(self.link_state)

    def _link_lost(self) -> None:
        """A read, a write or the LISTEN connection found the server out of reach: from now
        on writes wait and reads are kept for later, the banner says so (one message per
        outage, not one per failure), and a worker reconnects."""
        if self._ending.is_set():
            return
        self.outbox.mark_down()
        if not self._reconnecting:
            self._reconnecting = True
            # A status change that waited behind this console's own waiting note on the same
            # case is not refused as stale when it lands (see Database.count_own_bumps).
            self.db.count_own_bumps(True)
            log.warning("和数据库服务器 %s 的连接中断, 正在重连", display_url(self.db.url))
            self.notify(f"{BANNER} 您输入的内容不会丢失,改动会在连接恢复后自动保存。", markup=False,
                        severity="warning", timeout=10)
            self._outage_said = [self.messages[-1]]
            self._reconnect_worker()
        self._paint_link()

    @work(thread=True, exit_on_error=False, group="reconnect")
    def _reconnect_worker(self) -> None:
        """Until the server answers: wait (BACKOFF_S), drop the pool's dead connections, try.
        Then write what waited, oldest first, one at a time; the server gone again meanwhile,
        and the rest waits for the next round. Never on the UI thread."""
        tries = saved = 0
        while not self._ending.is_set():
            self._ending.wait(BACKOFF_S[min(tries, len(BACKOFF_S) - 1)])
            tries += 1
            if self._ending.is_set():
                return
            self.db.dispose()  # a pooled connection from before the loss is dead
            if not self.db.ping():
                continue
            # Listening again before the screens re-read, so no change slips between.
            self.watcher.kick()
            self._wait_for(lambda: self.watcher.connected, 3.0)
            # A write still on its way (its COMMIT being settled) goes first, in its place.
            self._wait_for(lambda: self.outbox.running() == 0, 60.0)
            self._call_soon(self._clear_outage_status)
            while (write := self.outbox.next()) is not None:
                attempt = self.outbox.attempt(write)
                if attempt.outcome == WAIT:
                    self.outbox.hold(write)
                    break
                saved += attempt.outcome != FAILED and not write.quiet
                self._call_soon(self._write_tried, write, attempt)
            if write is None:
                self._call_soon(self._reconnected, saved)
                return
            self._call_soon(self._paint_link)

    def _clear_outage_status(self) -> None:
        """The server answers again: "reconnecting…" and "kept, saved when back" on the status
        line are no longer true (what lands next, and the reconnect, are said instead)."""
        shown = self.status
        if shown is not None and any(shown.text.startswith(m.text) for m in self._outage_said):
            self._show_status(None)
        self._outage_said = []

    def _wait_for(self, condition: Callable[[], bool], seconds: float) -> bool:
        for _ in range(int(seconds / 0.05)):
            if condition() or self._ending.is_set():
                break
            self._ending.wait(0.05)
        return condition()

    def _reconnected(self, saved: int) -> None:
        self._reconnecting = False
        if not self.outbox.up:  # lost again before this got here
            self._link_lost()
            return
        self._listening = self.watcher.connected
        self.db.count_own_bumps(False)
        log.info("和数据库服务器 %s 的连接已恢复%s", display_url(self.db.url),
                 f", 补存了 {saved} 项" if saved else "")
        self._clear_outage_status()
        self.notify("数据库已重新连接" + (f",已保存连接中断时的 {saved} 项" if saved else ""), markup=False)
        self._paint_link()
        deferred, self._deferred_reads = self._deferred_reads, {}
        for job, done, failed, owner, key in deferred.values():
            if owner is None or (owner.is_attached and owner.is_running):
                self.read(job, done, failed, owner=owner, key=key)
        # What other consoles changed meanwhile was never told here: every screen re-reads.
        self.data_changed(None)

    def _defer_read(self, job, done, failed, owner, key) -> None:
        self._deferred_reads.pop(key, None)
        self._deferred_reads[key if key is not None else object()] = (job, done, failed, owner, key)
        while len(self._deferred_reads) > MAX_DEFERRED_READS:
            del self._deferred_reads[next(iter(self._deferred_reads))]

    def _read_lost(self, job, done, failed, owner, key) -> None:
        if key is not None:
            # This key's read is no longer under way: it, or the newer ask that waited for
            # it, runs once the server is back.
            self._reads.pop(key, None)
            queued = self._read_next.pop(key, None)
            if queued is not None:
                job, done, failed, owner = queued
        self._defer_read(job, done, failed, owner, key)
        self._link_lost()

    def exit(self, result: None = None, return_code: int = 0, message: Any = None) -> None:
        """Closing: from now on nothing waits for the database server (the reconnect worker
        stops, a save settling an unanswered COMMIT gives up), so the drafts' last saves, which
        fall back to the journal, and the exit itself never hang on a server that is gone."""
        self._ending.set()
        self.db.stop_waiting()
        super().exit(result, return_code, message)

    async def action_quit(self) -> None:
        """Ctrl+Q. With changes still waiting for the server, ask first: they are only in memory."""
        from console.screens.dialogs import ConfirmDialog

        waiting = self.outbox.waiting(quiet=False)
        if not waiting or self._asking_to_quit:
            self.exit()  # Ctrl+Q twice: the agent means it
            return

        def answered(yes: bool) -> None:
            self._asking_to_quit = False
            if yes:
                self.exit()

        self._asking_to_quit = True
        self.push_screen(ConfirmDialog(
            f"数据库连接中断,还有 {waiting} 项改动没保存。现在退出,这些改动就丢了"
            "(正在写的文字在草稿里,下次打开还在)。仍要退出吗?",
            yes="退出", no="不退出,等连接恢复"), answered)

    # ---- database reads off the event loop ---------------------------------------

    def read(
        self,
        job: Callable[[], T],
        done: Callable[[T], Any],
        failed: Callable[[str], Any] | None = None,
        *,
        owner: Any = None,
        key: str | None = None,
    ) -> None:
        """Run a read in a worker thread and hand its result to `done` on the UI thread: the
        screen never waits on the database. `owner`: the widget or screen that asked; its
        `done` is skipped once it is gone. `key`: one read per key at a time. Asked again
        while one runs, the newest ask waits until it ends and then runs once (asks in
        between are dropped): a burst of other desks' changes costs two reads, not one
        per change, and a result is always delivered, so a steady stream of changes never
        starves the screen. A failure is said on the status line (once per spell of
        failures) and passed to `failed`. While the database server is out of reach a read
        waits (the newest of each key) and runs once the console has reconnected; the
        banner says why nothing arrives."""
        if not self.link_up:
            self._defer_read(job, done, failed, owner, key)
            return
        if key is not None:
            if key in self._reads:
                self._read_next[key] = (job, done, failed, owner)
                return
            self._reads[key] = True

        def finish(result: Any, error: str | None) -> None:
            if key is not None:
                del self._reads[key]
                queued = self._read_next.pop(key, None)
                if queued is not None:
                    next_job, next_done, next_failed, next_owner = queued
                    self.read(next_job, next_done, next_failed, owner=next_owner, key=key)
            if owner is not None and not (owner.is_attached and owner.is_running):
                return
            if error is None:
                self._read_failing = False
                done(result)
                return
            if not self._read_failing:
                self._read_failing = True
                self.notify(error, markup=False, severity="error", timeout=8)
            if failed is not None:
                failed(error)

        def run() -> None:
            try:
                result = job()
            except Exception as exc:  # noqa: BLE001 - never let a traceback reach the agent
                if self.db.lost(exc):
                    # Not an error to show: the read runs again once the server is back.
                    self.outbox.mark_down()
                    self._call_soon(self._read_lost, job, done, failed, owner, key)
                elif isinstance(exc, StoreError):
                    log_cause(log, exc, "读取没有成功")
                    self._call_soon(finish, None, exc.message)
                else:
                    log.error("读取时出现意外错误", exc_info=exc_info(exc))
                    self._call_soon(finish, None, f"读取失败: {exc}")
                return
            self._call_soon(finish, result, None)

        self.run_worker(run, thread=True, group="reads", exit_on_error=False)

    # ---- database writes off the event loop --------------------------------------

    def write(
        self,
        job: Callable[[], T],
        done: Callable[[T], Any] | None = None,
        failed: Callable[[str], Any] | None = None,
        *,
        key: str | None = None,
        quiet: bool = False,
    ) -> None:
        """Run a write in a worker thread; report success or a clear message back on the UI
        thread. While the database server is out of reach the write waits in the outbox, in
        order, and is written (then `done` called) once the console has reconnected; the
        agent is told it waits, not that it failed. `key`: a newer waiting write with the
        same key replaces this one (a draft's newest text). `quiet`: a draft's save, said
        nowhere and reloading nothing."""
        write = Waiting(job, done, failed, key=key, quiet=quiet)
        if self.outbox.admit(write):
            self._write_worker(write)
            return
        self._waits(write)

    @work(thread=True, exit_on_error=False, group="writes")
    def _write_worker(self, write: Waiting) -> None:
        attempt = Attempt(WAIT)
        try:
            attempt = self.outbox.attempt(write)
            if attempt.outcome == WAIT:
                self.outbox.hold(write)
        finally:
            self.outbox.finished()
        self._call_soon(self._write_tried, write, attempt)

    def _waits(self, write: Waiting) -> None:
        """A write is waiting for the server: the banner counts it, and the agent reads once
        that it is kept (drafts are counted, not said)."""
        if not write.quiet:
            self.notify(f"已记下,连接恢复后自动保存 (未保存: {self.outbox.waiting()} 项)", markup=False,
                        severity="warning")
            self._outage_said.append(self.messages[-1])
        self._paint_link()

    def _write_tried(self, write: Waiting, attempt: Attempt) -> None:
        outcome = attempt.outcome
        if outcome == WAIT:
            self._link_lost()
            if write.tries <= 1:
                self._waits(write)
            return
        late = write.waited
        if outcome == DONE:
            self._write_done(write, attempt.result, late)
        elif outcome == LANDED:
            # Its COMMIT got no answer, and the server says it did commit: never written again.
            self.notify("连接中断时的一项保存已经存上了 (没有重复保存)", markup=False)
            self.data_changed(None)
        elif outcome == PARTLY:
            self.notify("已保存,但随后和数据库的连接断了: 屏幕会在连接恢复后更新", markup=False,
                        severity="warning")
            self.data_changed(None)
            self._link_lost()
        else:
            self._write_failed(write, attempt, late)
        if late:
            self._paint_link()

    def _write_done(self, write: Waiting, result: Any, late: bool) -> None:
        # Our own commit: every screen reloads now rather than at the next poll.
        if not write.quiet:
            self.data_changed(None)
        self._callback(write.done, result, late)

    def _write_failed(self, write: Waiting, attempt: Attempt, late: bool) -> None:
        error = attempt.error
        if isinstance(error, StoreError):
            log_cause(log, error, "保存没有成功")  # the message itself is logged as it is shown
        if not write.quiet:
            self.notify(attempt.message, markup=False, severity="error", timeout=8)
        self._callback(write.failed, attempt.message, late)

    def _callback(self, callback: Callable[[Any], Any] | None, value: Any, late: bool) -> None:
        """A write's `done` or `failed`. One that waited for the server runs long after the
        agent asked, perhaps on a screen since closed: a failure there is logged, not fatal."""
        if callback is None:
            return
        if not late:
            callback(value)
            return
        try:
            callback(value)
        except Exception as exc:  # noqa: BLE001 - what landed is in the database all the same
            log.warning("补存后的界面更新没有成功: %r", exc, exc_info=exc_info(exc))

    # ---- the end: clean, or after an unexpected exception --------------------------------

    def on_unmount(self) -> None:
        """Closing (every screen and its drafts are gone by now): the signal handlers and the
        journal go; the write-ahead log is folded into the database file, so a copy of the
        `.db` alone holds the latest notes. Other consoles on the same file may keep part of
        it in the log; that is never waited for."""
        if self._force_exit is not None:
            self._force_exit.cancel()
        loop = asyncio.get_running_loop()
        for signum in self._signals:
            loop.remove_signal_handler(signum)
        self._signals.clear()
        if self.journal is not None:
            self.journal.close()
        self.presence.close()  # its row goes now; killed instead, it expires by itself
        # No more waiting for the database server: the reconnect worker and any write
        # settling an unanswered COMMIT give up, so the process can end.
        self._ending.set()
        self.db.stop_waiting()
        dropped = self.outbox.drop_all()
        if dropped:
            log.warning("关闭时还有 %d 项改动在等数据库连接恢复, 没有保存 (草稿在键入日志里)", len(dropped))
        self.watcher.close()
        try:
            self.db.checkpoint()
        except Exception as exc:  # noqa: BLE001 - closing goes on whatever happens
            log.warning("checkpoint failed: %r", exc)
        if self.crash_message is None:
            log.info("工作台正常关闭 (客服 %s)", self.agent or "-")
        else:
            log.info("工作台在意外错误后关闭 (客服 %s)", self.agent or "-")

    def _handle_exception(self, error: Exception) -> None:
        """An exception nothing caught. Textual's own handler prints a traceback and exits;
        here every pending draft is saved first, the traceback goes to the log, and the agent
        reads a calm message naming the log (on the terminal, once the console has closed)."""
        from textual.worker import WorkerFailed

        original = error.error if isinstance(error, WorkerFailed) else error
        try:
            log.critical("意外错误,工作台关闭", exc_info=exc_info(original))
        except Exception:  # noqa: BLE001 - the log must never stop the drafts being saved
            pass
        first = self.crash_message is None
        if first:
            self.crash_message = crash_message(self._save_drafts_now(), self.log_file)
        self._return_code = 1
        # As Textual does: run_test() re-raises the first one, so a test still fails on it.
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """Textual prints what ended the app here, once the terminal is back to normal. After
        an unexpected exception that is the calm message, printed as plain lines: Rich would
        fold and crop the log's path at the terminal's width."""
        if self.crash_message is None:
            super()._print_error_renderables()
            return
        self._exit_renderables.clear()
        try:
            sys.stderr.write(self.crash_message + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def _save_drafts_now(self) -> tuple[int, int] | None:
        """Write every pending draft at once: (saved, not saved), None if unknown."""
        try:
            counts = self.flush_drafts()
        except Exception as exc:  # noqa: BLE001 - say so rather than fail again
            log.error("草稿没能全部保存", exc_info=exc_info(exc))
            return None
        if isinstance(counts, tuple) and len(counts) == 2:
            log.info("意外错误后保存草稿: %d 份已保存, %d 份没能保存", *counts)
            return counts
        return None

    # ---- keys, help and palette ---------------------------------------------------------

    def action_help(self) -> None:
        from console.screens.help import HelpScreen, key_rows

        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        title = getattr(screen, "HELP_TITLE", self.TITLE)
        self.push_screen(HelpScreen(title, key_rows(screen)))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key of the current screen is also a palette entry."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            b = active.binding
            if not b.description or not b.id or b.action in seen or b.action == "command_palette":
                continue
            seen.add(b.action)
            key = self.get_key_display(b)
            yield SystemCommand(
                f"{b.description} ({key})",
                b.tooltip or f"快捷键 {key}",
                partial(self.call_later, self.run_action, b.action, active.node),
            )
        yield from super().get_system_commands(screen)


def _freeze_startup_objects() -> None:
    """Move everything alive after start-up out of the collector's way: full collections
    over ~100k long-lived objects otherwise pause the console for 60-75 ms now and then."""
    gc.collect()
    gc.freeze()


def crash_message(drafts: tuple[int, int] | None, log_file: Path | None) -> str:
    """What the agent reads after an unexpected exception: calm, what became of the drafts,
    where the log is. Never a traceback."""
    lines = ["售后工作台遇到意外错误,已经关闭。"]
    if drafts is None:
        lines.append("正在写的草稿可能没有保存,下次打开时请检查。")
    else:
        saved, lost = drafts
        if lost:
            lines.append(f"有 {lost} 份草稿没能保存 (数据库写不进去),下次打开时请检查。")
        else:
            lines.append("正在写的草稿都已保存,下次打开还在。"
                         if saved else "已保存的内容都在数据库里,没有丢失。")
    if log_file is not None:
        lines.append(f"错误的详细情况已写入日志: {log_file}")
        lines.append("请把这个文件发给负责工作台的同事。重新运行 aftersales 即可继续工作。")
    else:
        lines.append("日志文件无法写入。重新运行 aftersales 即可继续工作。")
    return "\n".join(lines)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aftersales-console")
    except PackageNotFoundError:
        return "unknown"


def _db_label(url: str) -> str:
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).name
    return url.split("@")[-1]
