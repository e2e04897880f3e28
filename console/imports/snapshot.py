"""What the database already holds for the keys of an import, loaded in bulk: one query per
few hundred keys, never one per row (a 100,000-row export is compared in seconds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from console.models import Case, Deadline, ReturnEntry

CHUNK = 500  # keys per IN (…): well under SQLite's and PostgreSQL's parameter limits


@dataclass(slots=True)
class Snap:
    """The parts of a case an import compares with."""

    id: int
    order_no: str | None
    refund_no: str | None
    is_open: bool
    refund_status: str | None
    platform_intervened: bool
    escalated_to: str | None
    buyer_name: str | None
    refund_amount: str | None
    return_tracking_no: str
    return_carrier: str
    order_amount: str | None
    item_value: str | None
    order_status: str
    items: str
    province: str
    clocks: dict[str, tuple[datetime | None, str]] = field(default_factory=dict)  # running: kind -> (due, origin)
    return_row: tuple[str, str] | None = None  # the newest 退件表 row's (退回单号, 快递公司)


_FIELDS = (Case.id, Case.order_no, Case.refund_no, Case.is_open, Case.refund_status, Case.platform_intervened,
           Case.escalated_to, Case.buyer_name, Case.refund_amount, Case.return_tracking_no, Case.return_carrier,
           Case.order_amount, Case.item_value, Case.order_status, Case.items, Case.province)


def _chunks(keys: list[str]):
    for i in range(0, len(keys), CHUNK):
        yield keys[i:i + CHUNK]


def by_refund(s: Session, refund_nos: list[str]) -> dict[str, Snap]:
    snaps: dict[str, Snap] = {}
    for chunk in _chunks(refund_nos):
        rows = s.exec(select(*_FIELDS).where(col(Case.refund_no).in_(chunk))).all()
        found = [Snap(*row) for row in rows]
        _fill(s, found)
        snaps.update((snap.refund_no, snap) for snap in found)
    return snaps


def by_order(s: Session, order_nos: list[str]) -> dict[str, list[Snap]]:
    snaps: dict[str, list[Snap]] = {}
    for chunk in _chunks(order_nos):
        rows = s.exec(select(*_FIELDS).where(col(Case.order_no).in_(chunk)).order_by(Case.id)).all()
        found = [Snap(*row) for row in rows]
        for snap in found:
            snaps.setdefault(snap.order_no, []).append(snap)
    return snaps


def _fill(s: Session, snaps: list[Snap]) -> None:
    """The running platform clocks and the 退件表 row of each case, two queries in all."""
    if not snaps:
        return
    of = {snap.id: snap for snap in snaps}
    ids = list(of)
    for case_id, kind, due, origin in s.exec(running_platform_clocks(ids)).all():
        of[case_id].clocks[kind] = (due, origin)
    rows = s.exec(select(ReturnEntry.case_id, ReturnEntry.tracking_no, ReturnEntry.carrier)
                  .where(col(ReturnEntry.case_id).in_(ids)).order_by(ReturnEntry.id)).all()
    for case_id, tracking, carrier in rows:
        of[case_id].return_row = (tracking, carrier)  # the newest wins


def running_platform_clocks(case_ids: list[int]):
    """The running platform clocks of these cases, found through the case_id index only.
    `clock || ''` keeps SQLite (which has no statistics here) from taking clock = 'platform'
    as its way in, through an index on clock that holds every platform clock ever started,
    read once per chunk: that grows with the history (48 s of a 49 s re-import on the bench).
    The state and clock tests then only filter the few clocks of each case."""
    return (select(Deadline.case_id, Deadline.kind, Deadline.due_at, Deadline.origin)
            .where(col(Deadline.case_id).in_(case_ids), Deadline.state == "running",
                   col(Deadline.clock).concat("") == "platform"))
