"""Writes waiting for the database server, and whether the server can be reached.

A team console talks to a PostgreSQL server over the network, and servers restart and
networks drop. While the server cannot be reached, nothing the agent does is refused or
lost: each write (a note, a status, a claim, a draft) waits here, in the order it was made,
and is written when the server is back. The app (console/app.py) runs the writes in worker
threads, says on screen how many are waiting, and drains this outbox when it has reconnected.

Never twice: a write is tried again only when none of it can be in the database.
- The connection failed before or while the write's statements ran: PostgreSQL rolls an
  unfinished transaction back, so nothing of it committed (`StoreError.lost`).
- It failed during the COMMIT itself: the server may have committed. `Database.write` then
  asks the server by the transaction's id (`txid_status`); only "aborted" lets it be tried
  again, "committed" is a success. When the server could not be asked in time the write waits
  here with that id (`Waiting.xid`), and the question is asked again before anything else.
- A job that committed one transaction and then lost the connection (a write, then a read
  for the screen) is done: its result is unknown, it is never run again (`PARTLY`).
Only PostgreSQL goes "down": on SQLite a failing write is reported as before.

Writes are kept in memory only: a console closed while some wait loses those (the app asks
before Ctrl+Q). What is typed is safe regardless: drafts are in the keystroke journal.

No Textual here.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from console.db import CommitUnknown, Database, StoreError

log = logging.getLogger("console.outbox")

# The waits between tries to reach the server again (the last one repeats).
BACKOFF_S = (0.5, 1.0, 2.0, 5.0)

# What became of one try of a write (`Outbox.attempt`).
DONE = "done"  # written; `result` is the job's return value
LANDED = "landed"  # it turned out to be in the database already; no result
PARTLY = "partly"  # part of the job committed, then the connection went: not tried again
WAIT = "wait"  # the server is out of reach: the write waits (nothing of it committed)
FAILED = "failed"  # refused or broken: `message` says why; not tried again


@dataclass(eq=False)
class Waiting:
    """One write: the job (any thread), what to call with its result or its failure (the UI
    thread), and how it waits."""

    job: Callable[[], Any]
    done: Callable[[Any], Any] | None = None
    failed: Callable[[str], Any] | None = None
    # A newer write with the same key replaces this one while both wait (a draft's newest text).
    key: str | None = None
    # A draft: not said on the status line when it waits, no screen reloads after it.
    quiet: bool = False
    seq: int = 0  # the order the writes were made in
    tries: int = 0
    waited: bool = False  # it waited for the server: its `done` comes late
    # Its COMMIT got no answer: the server's transaction id, to ask about before anything else.
    xid: int | None = None


@dataclass
class Attempt:
    outcome: str
    result: Any = None
    message: str = ""
    error: BaseException | None = field(default=None, repr=False)


class Outbox:
    """Thread-safe: writes are admitted on the UI thread, tried in worker threads, and waiting
    ones are drained by the reconnect worker."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._up = True
        self._waiting: list[Waiting] = []  # ordered by seq
        self._running = 0  # admitted writes whose worker has not finished
        self._seq = itertools.count(1)

    @property
    def up(self) -> bool:
        """The server can be reached (as far as anyone knows) and nothing is waiting."""
        return self._up

    def waiting(self, *, quiet: bool = True) -> int:
        """How many writes are not in the database yet: waiting, and (while the server is out
        of reach) still on their way. `quiet=False`: not counting drafts."""
        with self._lock:
            count = sum(1 for w in self._waiting if quiet or not w.quiet)
            return count + (0 if self._up else self._running)

    def admit(self, write: Waiting) -> bool:
        """A new write. True: run it now (the caller must call `finished` afterwards);
        False: the server is out of reach, so it waits its turn here."""
        with self._lock:
            write.seq = next(self._seq)
            if self._up:
                self._running += 1
                return True
            self._put(write)
            return False

    def finished(self) -> None:
        with self._lock:
            self._running -= 1

    def hold(self, write: Waiting) -> None:
        """A write that found the server out of reach waits, in its place by order made."""
        with self._lock:
            self._up = False
            self._put(write)

    def mark_down(self) -> bool:
        """The server is out of reach: new writes wait. True if it was thought up until now."""
        with self._lock:
            was, self._up = self._up, False
            return was

    def running(self) -> int:
        with self._lock:
            return self._running

    def next(self) -> Waiting | None:
        """The oldest waiting write, taken out (a retry that finds the server gone again puts
        it back with `hold`). None when none is left: from then on the outbox is up."""
        with self._lock:
            if self._waiting:
                return self._waiting.pop(0)
            self._up = True
            return None

    def drop_all(self) -> list[Waiting]:
        """The console closes: whatever still waits is given up (and logged by the caller)."""
        with self._lock:
            dropped, self._waiting = self._waiting, []
            return dropped

    def _put(self, write: Waiting) -> None:
        write.waited = True
        if write.key is not None:
            if any(w.key == write.key and w.seq > write.seq for w in self._waiting):
                return  # a newer one of the same key already waits
            self._waiting = [w for w in self._waiting if w.key != write.key]
        bisect.insort(self._waiting, write, key=lambda w: w.seq)

    # ---- one try, in a worker thread ---------------------------------------------------------

    def attempt(self, write: Waiting) -> Attempt:
        """Try `write` once (any thread but the UI's). A write waiting with an unanswered
        COMMIT is first settled by asking the server, and run again only if that says it
        did not commit."""
        write.tries += 1
        if write.xid is not None:
            settled = self._settle(write)
            if settled is not None:
                return settled
        db = self.db
        before = db.commits_here()
        try:
            return Attempt(DONE, write.job())
        except StoreError as exc:
            if not db.lost(exc):
                return Attempt(FAILED, message=exc.message, error=exc)
            error: BaseException = exc
        except Exception as exc:  # noqa: BLE001 - never let a traceback reach the agent
            if not db.lost(exc):
                log.error("保存时出现意外错误", exc_info=exc)
                return Attempt(FAILED, message=f"操作失败: {exc}", error=exc)
            error = exc
        if isinstance(error, CommitUnknown):
            write.xid = error.xid
            return Attempt(WAIT, error=error)
        if db.commits_here() > before:
            return Attempt(PARTLY, error=error)
        return Attempt(WAIT, error=error)

    def _settle(self, write: Waiting) -> Attempt | None:
        """Ask what became of the write's unanswered COMMIT. None: it did not commit, so run
        it (again)."""
        assert write.xid is not None
        status = self.db.commit_status(write.xid)
        if status is None:
            return Attempt(WAIT)
        if status == "committed":
            log.info("等待中的写入 (事务 %s) 在连接断开前已经存上, 不再重写", write.xid)
            write.xid = None
            return Attempt(LANDED)
        if status == "in progress":
            self.db.end_orphan(write.xid)  # rolls it back; asked again at the next try
            return Attempt(WAIT)
        if status == "unknown":
            log.warning("无法查明事务 %s 是否已经存上, 不重写", write.xid)
            return Attempt(FAILED, message="连接中断时的一项保存无法查明是否已经存上, 没有重复保存; "
                                           "请看一下工单的记录, 需要的话再做一次。")
        write.xid = None  # aborted: nothing of it is in the database
        return None
