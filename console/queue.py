"""Reading the queue: one page of open cases at a time, in deadline order, through an index.

The screen asks for a count and for pages of rows; it never loads the whole queue, so
its cost does not grow with the database.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Select

from console.db import Database, fault
from console.models import Case
from console.vocab import KINDS, STATUSES

DUE_SOON = timedelta(minutes=30)
# Rows per page read; the screen holds a few pages around its cursor.
PAGE = 100
# A search returns at most this many matches from each index before ordering them.
SEARCH_CAP = 2000


@dataclass(frozen=True)
class QueueFilter:
    mine: bool = False
    urgent: bool = False
    overdue: bool = False
    due_soon: bool = False
    kind: str | None = None
    status: str | None = None
    search: str = ""

    def toggled(self, name: str) -> QueueFilter:
        return replace(self, **{name: not getattr(self, name)})

    @property
    def active(self) -> bool:
        return self != QueueFilter(search=self.search) or bool(self.search)


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    buyer_id: str
    order_no: str | None
    kind: str
    status: str
    assignee: str | None
    urgent: bool
    created_at: datetime
    next_due_at: datetime
    next_warn_at: datetime
    next_due_kind: str | None
    version: int
    escalated_to: str | None
    refund_status: str | None
    platform_intervened: bool


@dataclass(frozen=True)
class QueueCounts:
    open: int
    warning: int
    overdue: int


_COLUMNS = (
    Case.id, Case.buyer_id, Case.order_no, Case.kind, Case.status, Case.assignee, Case.urgent,
    Case.created_at, Case.next_due_at, Case.next_warn_at, Case.next_due_kind, Case.version,
    Case.escalated_to, Case.refund_status, Case.platform_intervened,
)


@dataclass(frozen=True)
class QueueView:
    """One read of the queue for the screen: how many rows, where the cursor is, and the
    pages around it."""

    filter: QueueFilter
    total: int
    cursor: int
    pages: dict[int, list[QueueRow]]
    empty_database: bool  # no cases at all (not only none that match)


def _reads(method):
    """A failed read (disk error, database gone) becomes a StoreError with a message."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise fault(exc) from exc

    return wrapper


class QueueReader:
    def __init__(self, db: Database, agent: str) -> None:
        self.db = db
        self.agent = agent

    def _where(self, f: QueueFilter, now: datetime) -> list:
        conds = []
        # Without a status filter or a search the queue is the open cases.
        if f.status is not None:
            conds.append(Case.status == f.status)
        elif not f.search:
            conds.append(Case.is_open.is_(True))
        if f.mine:
            conds.append(Case.assignee == self.agent)
        if f.urgent:
            conds.append(Case.urgent.is_(True))
        if f.kind is not None:
            conds.append(Case.kind == f.kind)
        if f.overdue:
            conds.append(Case.next_due_at < now)
        elif f.due_soon:
            conds.append(Case.next_due_at <= now + DUE_SOON)
        return conds

    def _search_ids(self, text: str) -> Select:
        """Case ids whose buyer ID or order number starts with `text` (case as typed), each
        side capped, each through its column's index.

        SQLite: a range on the plain index (its LIKE ignores case and uses no index).
        PostgreSQL: LIKE 'text%', right under whatever collation the server has (a range
        is only right under C: a Chinese or English collation puts 'ABCD' or full-width
        'ａｂｃ' inside it), through the varchar_pattern_ops indexes (migration 0008)."""
        if self.db.is_postgresql:
            pattern = text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
            buyer = Case.buyer_id.like(pattern, escape="/")
            order = Case.order_no.like(pattern, escape="/")
        else:
            hi = text + "\U0010ffff"
            buyer = and_(Case.buyer_id >= text, Case.buyer_id < hi)
            order = and_(Case.order_no >= text, Case.order_no < hi)
        by_buyer = select(Case.id).where(buyer).limit(SEARCH_CAP)
        by_order = select(Case.id).where(order).limit(SEARCH_CAP)
        return select(by_buyer.subquery().c.id).union(select(by_order.subquery().c.id))

    def _query(self, columns, f: QueueFilter, now: datetime) -> Select:
        q = select(*columns).where(and_(*self._where(f, now))) if self._where(f, now) else select(*columns)
        if f.search:
            q = q.where(Case.id.in_(self._search_ids(f.search.strip())))
        return q

    @_reads
    def count(self, f: QueueFilter, now: datetime) -> int:
        q = self._query([func.count()], f, now).select_from(Case)
        with self.db.engine.connect() as conn:
            return conn.execute(q).scalar_one()

    @_reads
    def page(self, f: QueueFilter, now: datetime, offset: int, limit: int) -> list[QueueRow]:
        q = self._query(_COLUMNS, f, now)
        if f.search:
            q = q.order_by(Case.is_open.desc(), Case.next_due_at, Case.id)
        else:
            q = q.order_by(Case.next_due_at, Case.id)
        q = q.offset(offset).limit(limit)
        with self.db.engine.connect() as conn:
            return [QueueRow(*r) for r in conn.execute(q)]

    @_reads
    def has_cases(self) -> bool:
        with self.db.engine.connect() as conn:
            return conn.execute(select(Case.id).limit(1)).first() is not None

    @_reads
    def counts(self, now: datetime, total: int | None = None) -> QueueCounts:
        """Header figures: open cases, cases in their warning window, cases past due.

        `total` (the open count) changes only when something is saved, so a caller that
        already knows it passes it in and saves the largest of the three counts."""
        with self.db.engine.connect() as conn:
            if total is None:
                total = conn.execute(
                    select(func.count()).select_from(Case).where(Case.is_open.is_(True))
                ).scalar_one()
            overdue = conn.execute(
                select(func.count()).select_from(Case).where(Case.is_open.is_(True), Case.next_due_at < now)
            ).scalar_one()
            warning = conn.execute(
                select(func.count())
                .select_from(Case)
                .where(Case.is_open.is_(True), Case.next_warn_at <= now, Case.next_due_at >= now)
            ).scalar_one()
        return QueueCounts(total, warning, overdue)

    def view(self, f: QueueFilter, now: datetime, *, near: int = 0, selected: int | None = None,
             height: int = 50) -> QueueView:
        """The count, the cursor (kept on `selected` when it is still near `near`) and the
        pages covering `height` rows either side of it."""
        total = self.count(f, now)
        cursor = near
        if selected is not None and total:
            pos = self.position(f, now, selected, near)
            if pos is not None:
                cursor = pos
        cursor = max(0, min(cursor, total - 1))
        pages = {}
        if total:
            first, last = max(0, cursor - height) // PAGE, min(total - 1, cursor + height) // PAGE
            pages = {n: self.page(f, now, n * PAGE, PAGE) for n in range(first, last + 1)}
        empty = total == 0 and not f.active and not self.has_cases()
        return QueueView(f, total, cursor, pages, empty)

    def position(self, f: QueueFilter, now: datetime, case_id: int, near: int, window: int = 200) -> int | None:
        """Index of `case_id` in the rows around `near`, to keep the cursor on a case that moved."""
        start = max(0, near - window // 2)
        for i, row in enumerate(self.page(f, now, start, window)):
            if row.id == case_id:
                return start + i
        return None


def describe(f: QueueFilter) -> list[str]:
    parts = []
    if f.mine:
        parts.append("我的")
    if f.urgent:
        parts.append("加急")
    if f.overdue:
        parts.append("已超时")
    elif f.due_soon:
        parts.append("30分钟内到期")
    if f.kind:
        parts.append(f"类型:{KINDS.get(f.kind, f.kind)}")
    if f.status:
        parts.append(f"状态:{STATUSES.get(f.status, f.status)}")
    return parts


