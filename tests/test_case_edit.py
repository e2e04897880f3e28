"""The one way to change a case: `Cases.edit`, a unit of work with one version bump.

Every module that changes a case (notes, replies, handover, registers, the wizard) goes
through it; these tests hold the unit's promises and the places that used to skip them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from console.cases import CaseDraft, StaleError
from console.db import NotFoundError, StoreError
from console.handover import Handovers
from console.models import CaseEvent
from console.notes import Notes
from console.registers import Registers
from console.replies import Replies

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _new(cases):
    return cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", kind="refund"), "小王")


def _events(db, case_id):
    with db.read() as s:
        return [e.action for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))]


def test_many_changes_in_one_edit_bump_the_version_once(cases, db):
    case = _new(cases)
    assert case.version == 1
    with cases.edit(case.id, "小王", expect_version=1) as e:
        e.assign("小王")
        e.first_reply("电话里答复了")
        e.move_status("waiting_buyer")
        e.add_tasks(["等买家寄回"])
    after = cases.get(case.id)
    assert after.case.version == 2
    assert {"assigned", "first_reply", "status", "task_added"} <= set(_events(db, case.id))


def test_a_stale_version_is_refused_before_anything_changes(cases, db):
    case = _new(cases)
    cases.assign(case.id, "阿珍", "阿珍")  # someone else moved the case on: version 2
    before = _events(db, case.id)
    with pytest.raises(StaleError, match="刚被别人改过"), cases.edit(case.id, "小王", expect_version=1) as e:
        e.move_status("waiting_buyer")  # pragma: no cover - never reached
    assert _events(db, case.id) == before
    assert cases.get(case.id).case.status == "new"


def test_an_error_inside_an_edit_rolls_all_of_it_back(cases, db):
    case = _new(cases)
    with pytest.raises(StoreError), cases.edit(case.id, "小王") as e:
        e.add_tasks(["会被撤回的待办"])
        e.set_status("new")  # not a status an agent may choose: refused
    detail = cases.get(case.id)
    assert detail.tasks == [] and detail.case.version == 1
    assert "task_added" not in _events(db, case.id)


def test_an_edit_with_nothing_to_do_leaves_the_version(cases):
    case = _new(cases)
    with cases.edit(case.id, "小王") as e:
        assert e.assign(None) is False  # already in the pool
    assert cases.get(case.id).case.version == 1


def test_unknown_case_is_refused(cases):
    with pytest.raises(NotFoundError), cases.edit(999, "小王"):
        pass  # pragma: no cover


def test_a_register_row_about_a_case_moves_its_version(cases, db, policy, clock):
    """It used to add the case's event without bumping its version, so another desk's
    screen kept its stale view and could overwrite the change."""
    case = _new(cases)
    registers = Registers(db, policy, clock)
    entry = registers.add("reship", {"reason": "漏发", "product": "保温杯"}, "小王", case_id=case.id)
    assert cases.get(case.id).case.version == 2
    registers.update("reship", entry.id, {"reason": "漏发赠品"}, "小王")
    assert cases.get(case.id).case.version == 3
    assert _events(db, case.id).count("register") == 2


def test_a_note_a_copy_and_a_handover_each_move_the_version_once(cases, policy, clock):
    case = _new(cases)
    notes = Notes(cases)
    notes.add(case.id, "买家说明天在家", "小王", promise_at=clock.now() + timedelta(hours=20))
    detail = cases.get(case.id)
    assert detail.case.version == 2 and any(d.kind == "buyer_promise" for d in detail.running)
    note = detail.notes[-1]
    notes.edit(note.id, "买家说后天在家", "小王")
    assert cases.get(case.id).case.version == 3
    Replies(cases).record_copy(case.id, ["greeting"], ["1"], "亲,您好", "小王")
    assert cases.get(case.id).case.version == 4
    cases.claim(case.id, "小王")
    version = cases.get(case.id).case.version
    Handovers(cases).hand_over("小王", "阿珍", "交给阿珍", {})
    after = cases.get(case.id).case
    assert after.assignee == "阿珍" and after.version == version + 1


def test_reply_usage_counts_every_reply_of_every_copy_combined_or_alone(cases, clock):
    case = _new(cases)
    copies = Replies(cases)
    copies.record_copy(case.id, ["greeting"], ["1"], "亲,您好", "小王")
    copies.record_copy(case.id, ["greeting"], ["1"], "亲,您好", "阿珍")
    copies.record_copy(case.id, ["greeting", "refund.done"], ["1", "2"], "亲,您好,已退款", "小王")
    copies.record_copy(None, ["refund.done"], ["2"], "已退款", "小王")
    assert copies.usage() == {"greeting": 3, "refund.done": 2}
    clock.advance(31 * 24 * 3600)  # a month on: what the team uses now, not a year ago
    copies.record_copy(None, ["refund.done"], ["2"], "已退款", "小王")
    assert copies.usage() == {"refund.done": 1}
