"""New table rows built cheaply, for the store's bulk paths (an import creates 100,000 cases
with two or three clocks each): the objects (`new_row`), and their ids up front (`new_ids`).

SQLModel's __init__ on a table model sets every field through pydantic and SQLAlchemy's
attribute instrumentation one by one: ~40 µs for a Deadline, ~140 µs for a Case, about a
fifth of an imported case's cost. `new_row` makes the instance with its SQLAlchemy
state as the ORM makes a row it loads (ClassManager.new_instance, no __init__) and puts the
values and the fields' defaults straight into the instance dict, which is what the ORM
inserts from. The object is the constructor's: pending once added to a session, then
persistent, changed through normal attribute access. Like the constructor of a table model, nothing is
validated.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import SQLModel

T = TypeVar("T", bound=SQLModel)
_IMMUTABLE = (type(None), bool, int, float, str, bytes, datetime)


@cache
def _defaults(cls: type[SQLModel]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The fields' plain defaults, once per class; and the fields whose default is made for
    each row (a factory, or a value that could be changed in place)."""
    plain, made = {}, []
    for name, field in cls.model_fields.items():
        if field.is_required():
            continue  # left unset, as SQLModel's constructor leaves it
        if field.default_factory is None and isinstance(field.get_default(), _IMMUTABLE):
            plain[name] = field.get_default()
        else:
            made.append(name)
    return plain, tuple(made)


def new_row(cls: type[T], **values: Any) -> T:
    if cls.__sqlmodel_relationships__:  # (none of ours: the constructor sets them up)
        return cls(**values)
    # The instance with its SQLAlchemy state and nothing else, as the ORM makes a row it loads.
    obj = manager_of_class(cls).new_instance()
    unknown = values.keys() - cls.model_fields.keys()
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    plain, made = _defaults(cls)
    data = obj.__dict__
    data.update(plain)
    for name in made:
        if name not in values:
            data[name] = cls.model_fields[name].get_default(call_default_factory=True)
    data.update(values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def new_ids(session: Session, cls: type[SQLModel], n: int) -> list[int] | None:
    """Ids for `n` new rows of `cls`, taken before the rows are written, so that rows
    referring to them can be made first and everything inserted in one flush (and each
    new case once, as its edit leaves it, rather than inserted and then updated).
    PostgreSQL: from the table's sequence. SQLite: after the largest id, which is what
    SQLite itself would give; the caller's write transaction (BEGIN IMMEDIATE) keeps every
    other writer out until it commits. None elsewhere: let the database number them."""
    table = cls.__table__
    dialect = session.get_bind().dialect.name
    quoted = session.get_bind().dialect.identifier_preparer.quote(table.name)
    if dialect == "postgresql":
        got = session.execute(text("SELECT nextval(pg_get_serial_sequence(:name, 'id')) "
                                   "FROM generate_series(1, :n)"), {"name": quoted, "n": n}).scalars()
        return sorted(got)
    if dialect == "sqlite":
        session.flush()  # rows of the table still pending take their ids first
        top = session.execute(text(f"SELECT coalesce(max(id), 0) FROM {quoted}")).scalar_one()
        return list(range(top + 1, top + 1 + n))
    return None


# session.info key: per table, the next id to hand out in this transaction (SQLite).
_NEXT = "next_ids"


def next_id(session: Session, cls: type[SQLModel]) -> int | None:
    """SQLite: an id for one new row of `cls`, counted on from the table's largest id (read
    once per transaction, without a flush: a batch of new cases stays pending until its
    edits are done), so that the ORM can insert the rows together: SQLite does not promise
    the order of RETURNING, so rows whose ids come back from the database are inserted one
    statement each. Every new row of the table in the transaction must take its id here
    (console/case_clocks.py makes every clock); the write lock keeps other writers out.
    None elsewhere: PostgreSQL numbers a batch of rows in one statement by itself."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    known = session.info.setdefault(_NEXT, {})
    if cls not in known:
        quoted = session.get_bind().dialect.identifier_preparer.quote(cls.__table__.name)
        with session.no_autoflush:
            known[cls] = session.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {quoted}")).scalar_one()
    got = known[cls]
    known[cls] = got + 1
    return got


@event.listens_for(Session, "after_transaction_end")
def _forget_next(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # another transaction: other writers may have come between
        session.info.pop(_NEXT, None)
