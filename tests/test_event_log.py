"""Case events written in bulk (console/event_log.py) keep the promises of one row per
change: written in the order recorded, visible to a query in the same transaction, gone
with a rollback; and the cheap row objects (console/new_rows.py) are the constructor's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from console.cases import CaseDraft
from console.models import Case, CaseEvent, Deadline
from console.new_rows import new_row

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _draft(buyer: str) -> CaseDraft:
    return CaseDraft(buyer_id=buyer, order_no="3712345678901234567", kind="refund")


def test_events_of_a_batch_keep_the_order_they_were_recorded_in(cases, db):
    drafts = [_draft(f"买家{i}") for i in range(3)]
    with db.write() as s:
        order = []
        for e in cases.create_many(drafts, "小王", s):
            e.set_urgent(True, why="测试")
            s.flush()  # a flush between edits writes what is recorded so far
            e.fill_product("蓝色 M")
            order.append(e.case.id)
    with db.read() as s:
        rows = s.exec(select(CaseEvent).where(CaseEvent.case_id.in_(order)).order_by(CaseEvent.id)).all()
    seen = [(r.case_id, r.action) for r in rows]
    # Each case's events are together, cases in the order made, each case's in its order.
    assert [c for c, _ in seen] == sorted((c for c, _ in seen), key=order.index)
    first = [a for c, a in seen if c == order[0]]
    assert first[0] == "created" and first[-1] == "product" and "urgent" in first
    assert all(r.agent == "小王" and r.at is not None and r.at.tzinfo is not None for r in rows)


def test_a_query_in_the_same_transaction_sees_the_events_just_recorded(cases, db):
    case = cases.create(_draft("阿狸"), "小王")
    with db.write() as s:
        with cases.edit(case.id, "小王", session=s) as e:
            e.event("checked", None, None, "测试")  # nothing else changed: no flush pending
            actions = [r.action for r in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert actions[-1] == "checked"


def test_a_rolled_back_edit_leaves_no_event(cases, db):
    case = cases.create(_draft("阿狸"), "小王")
    before = len(cases.get(case.id).events)
    with pytest.raises(RuntimeError), cases.edit(case.id, "小王") as e:
        e.set_urgent(True, why="测试")
        raise RuntimeError("中途出错")
    with cases.edit(case.id, "小王") as e:
        e.fill_product("蓝色 M")
    assert [ev.action for ev in cases.get(case.id).events][before:] == ["product"]


def test_new_row_is_the_constructors_row(db, clock):
    now = clock.now()
    values = dict(case_id=1, kind="solution", clock="shop", started_at=now, due_at=now + timedelta(hours=2))
    cheap, plain = new_row(Deadline, **values), Deadline(**values)
    assert cheap.model_dump() == plain.model_dump()
    assert cheap.state == "running" and cheap.note == "" and cheap.remaining_s is None
    with pytest.raises(TypeError):
        new_row(Deadline, case_id=1, nonsense=1)


def test_a_case_built_by_new_row_is_written_and_changed_like_any(cases, db):
    case = cases.create(_draft("阿狸"), "小王")
    with db.read() as s:
        stored = s.get(Case, case.id)
    assert (stored.buyer_id, stored.status, stored.version, stored.urgent) == ("阿狸", "new", 1, False)
    cases.set_urgent(case.id, True, "小王")
    assert cases.get(case.id).case.urgent and cases.get(case.id).case.version == 2


def test_a_batch_of_new_cases_is_written_in_one_flush_and_numbered_like_any(cases, db):
    """create_many takes the ids up front: the cases, their clocks, a register row and the
    events all go in at the commit (foreign keys checked on both backends), and a case
    made afterwards the usual way gets the next id."""
    from console.models import ReturnEntry

    drafts = [_draft(f"买家{i}") for i in range(4)]
    with db.write() as s:
        made = []
        for e in cases.create_many(drafts, "小王", s):
            e.set_urgent(True, why="测试")  # a clock and an escalation
            row = new_row(ReturnEntry, created_at=e.now, created_by="小王", case_id=e.case.id,
                          buyer_id=e.case.buyer_id, tracking_no=f"SF{e.case.id}")
            e.add_row("退件表", row, detail="测试: 退件表 新增一行")
            made.append(e.case.id)
    assert made == list(range(made[0], made[0] + 4))
    later = cases.create(_draft("阿狸"), "小王")
    assert later.id > made[-1]
    with db.read() as s:
        for case_id in made:
            assert s.get(Case, case_id).urgent
            clocks = s.exec(select(Deadline).where(Deadline.case_id == case_id)).all()
            assert any(d.kind in cases.policy.start_urgent for d in clocks)
            assert s.exec(select(ReturnEntry).where(ReturnEntry.case_id == case_id)).one().tracking_no == f"SF{case_id}"
    for case_id in made:
        actions = [ev.action for ev in cases.get(case_id).events]
        assert actions[0] == "created" and actions[-1] == "register" and "urgent" in actions


def test_clocks_are_numbered_in_the_order_started_across_transactions(cases, db):
    """SQLite numbers new clocks itself ahead of the insert (new_rows.next_id); ids stay
    unique and ascending in the order the clocks were started, transaction after transaction."""
    first = cases.create(_draft("阿狸"), "小王")
    second = cases.create(_draft("小明"), "小王")
    with db.write() as s:
        for case_id in (first.id, second.id):
            with cases.edit(case_id, "小王", session=s) as e:
                e.start_clock("buyer_promise", due_at=e.now + timedelta(hours=3), note="回电")
    cases.start_clock(first.id, "buyer_promise", "小王", due_at=clock_now(cases) + timedelta(hours=5))
    with db.read() as s:
        rows = s.exec(select(Deadline).order_by(Deadline.id)).all()
    assert len({d.id for d in rows}) == len(rows)
    promises = [d for d in rows if d.kind == "buyer_promise"]
    assert [d.case_id for d in promises] == [first.id, second.id, first.id]


def clock_now(cases):
    return cases.clock.now()
