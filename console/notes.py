"""Notes (沟通记录 on a case, shift notes on the queue), their drafts, and buyer promises.

Notes are append-only: an edit writes a new version that supersedes the old one, which
stays in the history. Drafts are saved as the agent types, so closing the terminal loses
nothing. A promise to the buyer ("明天10点前回电") becomes a clock on the case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from console.cases import Cases, StaleError
from console.db import StoreError
from console.models import Note, NoteDraft

MAX_NOTE = 4000
SHIFT = "shift"


class Typed(Protocol):
    """Text typed at a place at a time (console.journal.Entry)."""

    place: str
    body: str
    time: datetime


def place_of(case_id: int | None) -> str:
    return f"case:{case_id}" if case_id is not None else SHIFT


class Notes:
    def __init__(self, cases: Cases) -> None:
        self.cases = cases
        self.db = cases.db
        self.clock = cases.clock

    def current(self, case_id: int | None, limit: int = 200) -> list[Note]:
        """The latest version of each note, oldest first (newest last)."""
        superseded = select(Note.supersedes).where(col(Note.supersedes).is_not(None))
        q = select(Note).where(Note.case_id == case_id if case_id is not None else col(Note.case_id).is_(None))
        q = q.where(col(Note.id).not_in(superseded)).order_by(col(Note.id).desc()).limit(limit)
        with self.db.read() as s:
            return list(reversed(s.exec(q).all()))

    def versions(self, note_id: int) -> list[Note]:
        """Every version of a note, oldest first."""
        with self.db.read() as s:
            chain: list[Note] = []
            note = s.get(Note, note_id)
            while note is not None:
                chain.append(note)
                note = s.get(Note, note.supersedes) if note.supersedes else None
            return list(reversed(chain))

    def add(self, case_id: int | None, body: str, agent: str, promise_at: datetime | None = None) -> Note:
        now = self.clock.now()
        body = _clean(body)
        if promise_at is not None:
            if case_id is None:
                raise StoreError("答应买家的时间只能记在工单上")
            if promise_at <= now:
                raise StoreError("答应买家的时间必须晚于现在")
        with self.db.write() as s:
            if case_id is None:
                note = Note(case_id=None, author=agent, created_at=now, body=body)
                s.add(note)
            else:
                with self.cases.edit(case_id, agent, session=s) as e:
                    note = e.add_note(body, promise_at, detail=body[:200])
            self.clear_draft(agent, place_of(case_id), session=s)
        return note

    def edit(self, note_id: int, body: str, agent: str) -> Note:
        """A new version of a note. Refused when someone edited it since (the text is kept
        by the caller); two agents writing new notes never collide."""
        now = self.clock.now()
        body = _clean(body)
        with self.db.write() as s:
            # Locked until the commit (FOR UPDATE on PostgreSQL; SQLite's write lock): of two
            # agents editing the same version at once, the second sees the first's and is refused.
            old = s.get(Note, note_id, with_for_update=True)
            if old is None:
                raise StoreError("找不到这条笔记")
            newer = s.exec(select(Note.author).where(Note.supersedes == note_id)).first()
            if newer is not None:
                raise StaleError(f"这条笔记刚被 {newer} 改过,请看最新版本后再改。您输入的内容没有丢失。")
            note = Note(case_id=old.case_id, author=agent, created_at=now, body=body,
                        supersedes=note_id, promise_at=old.promise_at)
            s.add(note)
            if old.case_id is not None:
                with self.cases.edit(old.case_id, agent, session=s) as e:
                    e.event("note_edited", old.body[:100], body[:100])
        return note

    def latest_version(self, note_id: int) -> Note:
        """The newest version of the note `note_id` is a version of (itself if none is newer)."""
        with self.db.read() as s:
            note = s.get(Note, note_id)
            if note is None:
                raise StoreError("找不到这条笔记")
            while True:
                newer = s.exec(select(Note).where(Note.supersedes == note.id).order_by(Note.id)).first()
                if newer is None:
                    return note
                note = newer

    # ---- drafts ------------------------------------------------------------------------

    def draft(self, agent: str, place: str) -> str:
        with self.db.read() as s:
            row = s.exec(select(NoteDraft).where(NoteDraft.agent == agent, NoteDraft.place == place)).first()
            return row.body if row else ""

    def save_draft(self, agent: str, place: str, body: str) -> None:
        now = self.clock.now()
        with self.db.write() as s:
            self.db.serialize(s, f"draft:{agent}")  # one row per agent and place, two consoles or not
            row = s.exec(select(NoteDraft).where(NoteDraft.agent == agent, NoteDraft.place == place)).first()
            if row is None:
                row = NoteDraft(agent=agent, place=place, body=body, updated_at=now)
            row.body, row.updated_at = body, now
            s.add(row)

    def restore_drafts(self, agent: str, entries: Iterable[Typed]) -> list[str]:
        """Put back text typed but never saved (the keystroke journal after a kill): each
        entry wins over the stored draft when it is newer and different. One transaction.
        Returns the places whose text came back, in the order given."""
        restored = []
        with self.db.write() as s:
            self.db.serialize(s, f"draft:{agent}")
            for e in entries:
                row = s.exec(select(NoteDraft).where(NoteDraft.agent == agent, NoteDraft.place == e.place)).first()
                if row is None:
                    if not e.body:
                        continue
                    row = NoteDraft(agent=agent, place=e.place, body="", updated_at=e.time)
                elif row.body == e.body or (row.updated_at is not None and row.updated_at >= e.time):
                    continue
                row.body, row.updated_at = e.body, e.time
                s.add(row)
                if e.body:
                    restored.append(e.place)
        return restored

    def clear_draft(self, agent: str, place: str, session: Session | None = None) -> None:
        """The draft at `place` became a note (or a handover): empty it, in the caller's
        transaction when given."""
        if session is None:
            with self.db.write() as s:
                self.clear_draft(agent, place, s)
            return
        s, now = session, self.clock.now()
        self.db.serialize(s, f"draft:{agent}")
        row = s.exec(select(NoteDraft).where(NoteDraft.agent == agent, NoteDraft.place == place)).first()
        if row is None:
            row = NoteDraft(agent=agent, place=place)
        # Dated, even when no draft was stored yet: text typed before this moment (still in
        # the keystroke journal after a kill) is the note now, not a draft to bring back.
        row.body, row.updated_at = "", now
        s.add(row)


def _clean(body: str) -> str:
    body = body.strip()
    if not body:
        raise StoreError("笔记是空的,没有保存")
    if len(body) > MAX_NOTE:
        raise StoreError(f"笔记太长 (最多 {MAX_NOTE} 字)")
    return body
