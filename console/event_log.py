"""The case history, written in bulk.

`CaseEdit.event` records each change as a plain row on its session (`session.info`) rather
than a CaseEvent object: the rows are written by one INSERT for many (executemany) just
after the session flushes (so the cases they belong to are in: a batch of new cases is
inserted by that flush, see Cases.create_many) and before it commits, in the order they
were recorded, so their ids ascend in that order as before. Building and flushing a SQLModel object per event was about half
the cost of an imported case (issue 12: 100,000 new cases, ~5 events each).

Events are append-only and nothing reads them back inside the transaction that records
them; still, a query on CaseEvent in that transaction writes them first (as autoflush
would), so it sees them. A rollback drops them with the rest of the transaction.
"""

from __future__ import annotations

from sqlalchemy import event, insert
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from console.models import CaseEvent

PENDING = "pending_case_events"
_INSERT = insert(CaseEvent.__table__)


def record(session: Session, row: dict) -> None:
    """Keep one event's row (every CaseEvent column but the id) until the session writes."""
    session.info.setdefault(PENDING, []).append(row)


def write_pending(session: Session) -> None:
    """Write the events recorded so far, in order, with one statement."""
    rows = session.info.pop(PENDING, None)
    if rows:
        session.connection().execute(_INSERT, rows)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:  # noqa: ANN001
    write_pending(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # the rows the events refer to first
    write_pending(session)  # (a flush with nothing to do does not call after_flush)


@event.listens_for(Session, "do_orm_execute")
def _before_read(state: ORMExecuteState) -> None:
    if PENDING in state.session.info and any(m.class_ is CaseEvent for m in state.all_mappers):
        state.session.flush()
        write_pending(state.session)


@event.listens_for(Session, "after_transaction_end")
def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (written before) or rolled back: gone either way
        session.info.pop(PENDING, None)
