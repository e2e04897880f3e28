"""Applying an SOP outcome to a case: events, kind, status, timers, registers, checklist."""

from datetime import timedelta

import pytest

from console.db import StoreError
from console.intake import CaseDraft
from console.registers import Registers
from console.sop import Walk, load_library
from console.wizard import apply_outcome
from tests.conftest import T0


@pytest.fixture(scope="module")
def library():
    return load_library()


def _walk(library, flow, *answers):
    w = Walk.start(library.flows[flow])
    for a in answers:
        if isinstance(a, dict):
            assert w.provide(a).ok
        elif a in ("yes", "no"):
            assert w.confirm(a == "yes").ok
        else:
            v = w.answer(a)
            assert v.ok, v.reason
    assert w.done
    return w


def test_no_reason_return_applied(library, cases, db, policy, clock):
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", kind="other"), "小王")
    w = _walk(library, "return", 2, 3, 2, "yes")
    applied_at = T0 - timedelta(hours=3)
    result = apply_outcome(cases, case.id, w.outcome, w.path, "小王", w.memo("小王", T0), start_at=applied_at)
    detail = cases.get(case.id)
    c = detail.case
    assert c.kind == "return" and c.status == "waiting_buyer" and c.assignee == "小王"
    assert c.sop_step == f"return.{w.outcome.node_id}"
    assert [t.text for t in detail.tasks] == list(w.outcome.checklist)
    actions = [e.action for e in detail.events]
    assert "sop_applied" in actions and "kind" in actions
    timer = next(d for d in detail.deadlines if d.kind == "refund_auto_agree_shipped")
    assert timer.due_at == applied_at + timedelta(days=7)
    assert c.refund_status == "waiting_seller_agree"
    regs = Registers(db, policy, clock)
    assert {k for k, _ in result.rows} == {"return", "problem"}
    row = regs.rows("return")[0]
    assert (row.buyer_id, row.order_code, row.case_id) == ("阿狸", "3712345678901234567", case.id)


def test_applying_to_a_closed_case_is_refused(library, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    cases.set_status(case.id, "closed", "小王")
    w = _walk(library, "return", 2, 3, 2, "yes")
    with pytest.raises(StoreError, match="重新打开"):
        apply_outcome(cases, case.id, w.outcome, w.path, "小王", "memo")
    assert cases.get(case.id).tasks == []


def test_the_memo_is_a_note_for_the_next_colleague(library, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="return"), "小王")
    w = _walk(library, "return", 2, 3, 2, "yes")
    memo = w.memo("小王", T0)
    apply_outcome(cases, case.id, w.outcome, w.path, "小王", memo)
    assert [n.body for n in cases.get(case.id).notes] == [f"[SOP] {memo}"]
