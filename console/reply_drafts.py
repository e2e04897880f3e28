"""Draft replies in the database: an agent adds one from the picker, a supervisor approves it.

The reply files are only read (the program's shipped defaults, or the shop's own folder that
a supervisor edits by hand), so drafts and their approval live here, where every console on
the same database sees them at once. The picker searches the files plus these rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable

from sqlmodel import select

from console.clock import Clock
from console.db import Database
from console.models import ReplyDraft
from console.phrases.approve import ApproveError
from console.phrases.drafts import check_draft, next_draft_id
from console.phrases.forbidden import Rule
from console.phrases.library import SPLIT
from console.phrases.lint import lint_reply
from console.phrases.model import IN_DATABASE, Reply


def as_reply(row: ReplyDraft) -> Reply:
    """A database row as the library's Reply (path IN_DATABASE), for search and the picker."""
    note = f"{row.author} 在话术面板里新增"
    note += f", {row.approved_by} 审核通过" if row.status == "approved" else ", 待主管审核"
    return Reply(
        id=row.reply_id,
        title=row.title,
        text=row.text,
        status=row.status,
        tags=tuple(t for t in SPLIT.split(row.tags) if t),
        note=note,
        path=IN_DATABASE,
    )


class ReplyDrafts:
    """The one writer of `reply_draft`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add(self, category: str, title: str, text: str, author: str, tags: str = "", *,
            taken: Collection[str] = (), rules: Iterable[Rule] = ()) -> Reply:
        """Store a new draft; its id is `<category>.draft_<n>`, free among `taken` (the
        file library's ids) and the drafts already stored. DraftError (console.phrases.drafts)
        if it is not usable."""
        category, title, text, tags = check_draft(category, title, text, tags, rules)
        now = self.clock.now()
        with self.db.write() as s:
            # Inside the write transaction (BEGIN IMMEDIATE on SQLite, an advisory lock on
            # PostgreSQL): two consoles adding at once get different numbers.
            self.db.serialize(s, "reply_draft")
            stored = set(s.exec(select(ReplyDraft.reply_id).where(ReplyDraft.category == category)).all())
            row = ReplyDraft(reply_id=next_draft_id(category, stored | set(taken)), category=category,
                             title=title, tags=tags, text=text, author=author[:64], created_at=now)
            s.add(row)
            s.flush()
            reply = as_reply(row)
        return reply

    def replies(self) -> list[Reply]:
        """Every stored draft, approved or not, oldest first."""
        with self.db.read() as s:
            return [as_reply(r) for r in s.exec(select(ReplyDraft).order_by(ReplyDraft.id)).all()]

    def get(self, reply_id: str) -> Reply | None:
        with self.db.read() as s:
            row = s.exec(select(ReplyDraft).where(ReplyDraft.reply_id == reply_id)).first()
            return as_reply(row) if row is not None else None

    def approve(self, reply_id: str, by: str, *, rules: Iterable[Rule] = (), force: bool = False) -> bool:
        """Mark a draft approved by `by`. False if it already was; ApproveError if there is no
        such draft or it still has problems (forbidden words, unknown placeholders) and not `force`."""
        rules = tuple(rules)
        now = self.clock.now()
        with self.db.write() as s:
            row = s.exec(select(ReplyDraft).where(ReplyDraft.reply_id == reply_id)).first()
            if row is None:
                raise ApproveError(f"数据库里没有草稿 {reply_id}")
            if row.status == "approved":
                return False
            if not force:
                problems = lint_reply(dataclasses.replace(as_reply(row), status="approved"), rules)
                if problems:
                    raise ApproveError(f"{reply_id} 还有问题, 未审核通过", problems)
            row.status = "approved"
            row.approved_by = by[:64]
            row.approved_at = now
            s.add(row)
        return True
