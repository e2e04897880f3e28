"""The keystroke journal: what an agent typed since the last saved draft, on disk at once.

A draft reaches the database a moment after the last key (console/widgets/draft_keeper.py).
A console killed in that moment (kill -9, a crash, the task manager) would lose the burst, so
every change is also appended as one line to a file in the shop folder, and the lines of a
place are dropped once its draft is in the database. No fsync: the file only has to outlive
the process, not the machine (a write() is in the operating system's cache when it returns).
On the next start `replay` puts back what the database did not get.

    <home>/journal/<agent>-<key>.jsonl       one file per agent and database (key: 8 hex digits
                                             of a hash of the database URL and the name)
    {"agent": "小王", "place": "case:12", "body": "买家说…", "time": "2026-11-23T02:00:00.123+00:00"}

A line is one complete change: the whole text of the place, not a keystroke, so the last
complete line of a place is all that matters; a half-written last line (the process died
inside the write) is skipped. Writing the journal never stops typing: a failure is logged.

No Textual here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

JOURNAL_DIR = "journal"
# Rewritten with only the lines still needed when it grows past this (a long burst of typing
# in a big form writes the whole form on every key).
COMPACT_BYTES = 256 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """The last journaled text of one place."""

    place: str
    body: str
    time: datetime


def journal_file(folder: Path, agent: str, db_url: str) -> Path:
    """The agent's journal for this database. The name keeps letters (Chinese too) and
    replaces anything a file system might refuse; the hash keeps two databases (and names
    that differ only in replaced characters) apart."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in agent)[:40] or "agent"
    key = hashlib.sha1(f"{db_url}\0{agent}".encode()).hexdigest()[:8]
    return folder / f"{safe}-{key}.jsonl"


class Journal:
    """Appends and forgets lines of one agent's journal file. Thread-safe: typing appends on
    the UI thread, saves confirm from worker threads."""

    def __init__(self, path: Path, agent: str) -> None:
        self.path = path
        self.agent = agent
        self._lock = threading.Lock()
        self._file = None
        self._written = 0
        # place -> (sequence number, line) of the changes not yet confirmed in the database.
        self._unsaved: dict[str, tuple[int, str]] = {}
        self._failed = False

    # ---- writing -----------------------------------------------------------------------

    def append(self, place: str, body: str, when: datetime, seq: int) -> None:
        """Journal the whole text of `place`, as change number `seq` (rising; `saved` is
        later called with it)."""
        line = json.dumps({"agent": self.agent, "place": place, "body": body, "time": when.isoformat()},
                          ensure_ascii=False) + "\n"
        with self._lock:
            self._unsaved[place] = (seq, line)
            try:
                if self._file is None:
                    self._open()
                self._file.write(line)
                self._file.flush()  # into the operating system: survives the process
                self._written += len(line.encode())
                if self._written > COMPACT_BYTES:
                    self._rewrite()
            except OSError as exc:
                self._fail(exc)

    def saved(self, place: str, seq: int) -> None:
        """The draft of `place` as of change `seq` is in the database: its lines can go,
        unless the agent has typed there since."""
        with self._lock:
            current = self._unsaved.get(place)
            if current is None or current[0] > seq:
                return
            del self._unsaved[place]
            try:
                self._rewrite()
            except OSError as exc:
                self._fail(exc)

    def keep(self, entries: list[Entry]) -> None:
        """Lines of an earlier run that could not be replayed: keep them through the rewrites
        of this run, for the next start."""
        with self._lock:
            for e in entries:
                if e.place not in self._unsaved:
                    line = json.dumps({"agent": self.agent, "place": e.place, "body": e.body,
                                       "time": e.time.isoformat()}, ensure_ascii=False) + "\n"
                    self._unsaved[e.place] = (0, line)

    def close(self) -> None:
        with self._lock:
            self._close()

    @property
    def unsaved_places(self) -> list[str]:
        with self._lock:
            return list(self._unsaved)

    # ---- reading -----------------------------------------------------------------------

    def read(self) -> list[Entry]:
        """The last complete line of each place in the file (none if there is no file)."""
        try:
            with open(self.path, encoding="utf-8", errors="replace", newline="\n") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            log.warning("keystroke journal %s: %s", self.path, exc)
            return []
        latest: dict[str, Entry] = {}
        for raw in text.split("\n")[:-1]:  # the piece after the last newline is unfinished
            try:
                data = json.loads(raw)
                if data.get("agent") != self.agent:
                    continue
                entry = Entry(str(data["place"]), str(data["body"]), datetime.fromisoformat(data["time"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # a damaged line: the others still count
            if entry.time.tzinfo is None:
                continue
            latest.pop(entry.place, None)
            latest[entry.place] = entry
        return list(latest.values())

    def exists(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    def clear(self) -> None:
        """Everything in the file has been dealt with (replayed into the database)."""
        with self._lock:
            self._unsaved.clear()
            try:
                self._rewrite()
            except OSError as exc:
                self._fail(exc)

    # ---- internals ---------------------------------------------------------------------

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # newline="\n": the same bytes on Windows, so a line is a line everywhere.
        self._file = open(self.path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115 - kept open

    def _close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

    def _rewrite(self) -> None:
        """The file holds only the unsaved lines now; none: no file. Closed first, so Windows
        lets it be replaced or removed."""
        self._close()
        self._written = 0
        if not self._unsaved:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass
            return
        lines = "".join(line for _, line in sorted(self._unsaved.values()))
        tmp = self.path.with_suffix(".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(lines)
        os.replace(tmp, self.path)
        self._written = len(lines.encode())

    def _fail(self, exc: OSError) -> None:
        self._close()
        if not self._failed:
            self._failed = True
            log.warning("keystroke journal %s: %s", self.path, exc)


def replay(journal: Journal, notes) -> list[str]:
    """Put what the journal holds into the database drafts (`notes`: console.notes.Notes),
    each place's last line where it is newer than the stored draft, then empty the journal.
    Returns the places whose text came back. On a database error the lines stay, in the
    file and through this run's rewrites, for the next start."""
    entries = journal.read()
    if entries:
        try:
            restored = notes.restore_drafts(journal.agent, entries)
        except Exception:
            journal.keep(entries)
            raise
    else:
        restored = []
    journal.clear()
    return restored


def place_label(place: str) -> str:
    """How the agent knows a draft's place: 沟通记录 #12, 新建工单 …"""
    kind, _, rest = place.partition(":")
    labels = {"case": "沟通记录", "wizard": "SOP 向导"}
    if kind in labels and rest:
        return f"{labels[kind]} #{rest}"
    return {"shift": "班次笔记", "new_case": "新建工单", "handover": "交接说明"}.get(place, place)
