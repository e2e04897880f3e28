"""Applying an SOP outcome to a case: events, kind, status, timers, registers, checklist."""

from datetime import timedelta

import pytest

from console.db import StoreError
from console.intake import CaseDraft
from console.registers import Registers
from console.sop import Money, Walk, load_library
from console.sop.registers import registers_by_rule
from console.wizard import apply_outcome
from tests.conftest import T0
from tests.test_sop import all_leaves

pytestmark = pytest.mark.backends("sqlite", "postgresql")


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
    result = apply_outcome(cases, case.id, w.outcome, w.path, "小王", w.memo("小王", T0), start_at=applied_at,
                           money=Money("128", "128"))
    detail = cases.get(case.id)
    c = detail.case
    assert c.kind == "return" and c.status == "waiting_buyer" and c.assignee == "小王"
    assert c.sop_step == f"return.{w.outcome.node_id}"
    assert c.outcome_kind == "return"  # a refund with the goods coming back, for the work mix
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
    cases.set_status(case.id, "closed", "小王", leftovers="drop")
    w = _walk(library, "return", 2, 3, 2, "yes")
    with pytest.raises(StoreError, match="重新打开"):
        apply_outcome(cases, case.id, w.outcome, w.path, "小王", "memo")
    assert cases.get(case.id).tasks == []


def test_the_memo_is_a_note_for_the_next_colleague(library, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="return"), "小王")
    w = _walk(library, "return", 2, 3, 2, "yes")
    memo = w.memo("小王", T0)
    apply_outcome(cases, case.id, w.outcome, w.path, "小王", memo, money=Money("99", "99"))
    assert [n.body for n in cases.get(case.id).notes] == [f"[SOP] {memo}"]


def _leaf(library, flow, node):
    return all_leaves(library.flows[flow])[node]


def _case(cases, **kw):
    kw.setdefault("buyer_id", "阿狸")
    kw.setdefault("order_no", "3712345678901234567")
    return cases.create(CaseDraft(**kw), "小王")


def test_an_outcome_that_pays_the_buyer_needs_its_amounts(library, cases):
    case = _case(cases, kind="refund")
    w = _leaf(library, "refund", "paid_refund")  # not shipped: whole-order refund
    with pytest.raises(StoreError, match="退款金额、订单实付金额"):
        apply_outcome(cases, case.id, w.outcome, w.path, "小王", "memo")
    with pytest.raises(StoreError, match="只能整单退 128元"):
        apply_outcome(cases, case.id, w.outcome, w.path, "小王", "memo", money=Money("10", "128"))
    detail = cases.get(case.id)
    assert detail.case.sop_step is None and detail.tasks == []  # refused: nothing changed
    apply_outcome(cases, case.id, w.outcome, w.path, "小王", "memo", money=Money("128", "128"))
    c = cases.get(case.id).case
    assert (c.agreed_amount, c.order_amount) == ("128", "128")


def test_compensation_above_the_cap_is_refused_by_the_domain(library, cases):
    case = _case(cases, kind="complaint")
    w = _leaf(library, "complaint", "done_compensation")
    with pytest.raises(StoreError, match="上限 30元"):
        apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", money=Money("31", "100"))
    applied = apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", money=Money("30", "100"))
    assert applied.case.agreed_amount == "30" and applied.case.item_value == "100"
    assert any("补偿金额 30 元" in line for line in applied.changes)


def test_a_price_difference_never_goes_above_the_postage(library, cases):
    case = _case(cases, kind="refund")
    w = _leaf(library, "refund", "recv_price_diff")
    with pytest.raises(StoreError, match="超过了可给的上限 12元"):
        apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", money=Money("13", postage="12"))
    with pytest.raises(StoreError, match="退货寄回运费"):
        apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", money=Money("10"))
    applied = apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", money=Money("10", postage="12"))
    assert applied.case.agreed_amount == "10"


def test_applying_an_outcome_is_the_first_reply_and_says_so(library, cases, clock):
    case = _case(cases, kind="logistics")
    clock.advance(20)
    w = _leaf(library, "logistics", "paid_not_shipped")
    applied = apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m")
    assert applied.case.first_replied_at == clock.now()
    assert "已记为首次回复 (按SOP答复买家)" in applied.changes
    clocks = {d.kind: d.state for d in cases.get(case.id).deadlines}
    assert clocks["first_response"] == "met"
    # A contact the shop started has no first reply to record.
    shop = _case(cases, kind="payment", initiated_by="shop")
    w = _leaf(library, "payment", "will_pay")
    applied = apply_outcome(cases, shop.id, w.outcome, w.path, "小王", "m")
    assert applied.case.first_replied_at is None and not any("首次回复" in x for x in applied.changes)


def test_a_second_pass_ends_what_the_first_pass_started(library, cases, clock):
    case = _case(cases, kind="logistics", channel="phone")
    first = _leaf(library, "logistics", "hard_courier_chase")  # promise to the buyer + checklist
    apply_outcome(cases, case.id, first.outcome, first.path, "小王", "m1")
    before = cases.get(case.id)
    assert "buyer_promise" in {d.kind for d in before.running}
    clock.advance(hours=1)
    second = _leaf(library, "logistics", "lost_reship")  # no promise
    applied = apply_outcome(cases, case.id, second.outcome, second.path, "小王", "m2")
    detail = cases.get(case.id)
    assert "buyer_promise" not in {d.kind for d in detail.running}
    assert [t.text for t in detail.tasks] == list(second.outcome.checklist)  # the old steps are gone
    why = f"被新的SOP结果取代: {second.outcome.summary}"
    assert any(e.action == "clock_cancelled" and e.detail == why for e in detail.events)
    assert any(e.action == "task_dropped" and why in e.detail for e in detail.events)
    assert any("上一次SOP结果的计时已结束: 答应买家" in x for x in applied.changes)


def test_refusing_a_refund_moves_the_platform_status_and_its_clock(library, cases, clock):
    case = _case(cases, kind="refund", channel="phone")
    cases.set_refund_status(case.id, "waiting_seller_agree", "小王", shipped=True)
    w = _leaf(library, "refund", "shipped_keep")  # the buyer no longer wants it: refuse
    applied = apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", platform_done=True)
    detail = cases.get(case.id)
    assert detail.case.refund_status == "seller_refused"
    clocks = {d.kind: d for d in detail.deadlines}
    assert clocks["refund_auto_agree_shipped"].state == "met"
    assert clocks["buyer_after_refusal"].state == "running"
    assert clocks["buyer_after_refusal"].due_at == clock.now() + timedelta(days=7)
    assert any("等待卖家同意 → 卖家拒绝退款" in x for x in applied.changes)


def test_a_refusal_not_yet_made_keeps_the_auto_agree_clock_and_says_what_to_do(library, cases, clock):
    # 004 第四章: 如买家不想要退款了, 拒绝退款申请即可 — until the click, 7 days run.
    case = _case(cases, kind="refund", channel="phone")
    w = _leaf(library, "refund", "shipped_keep")
    applied = apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", start_at=T0 - timedelta(days=2))
    detail = cases.get(case.id)
    assert detail.case.refund_status == "waiting_seller_agree"
    clocks = {d.kind: d for d in detail.running}
    assert clocks["refund_auto_agree_shipped"].due_at == T0 + timedelta(days=5)
    assert "buyer_after_refusal" not in clocks
    step = next(t.text for t in detail.tasks if "按 f 记录" in t.text)
    assert "拒绝退款申请" in step and "卖家拒绝退款" in step
    assert any("还没在千牛操作" in x for x in applied.changes)
    # Recorded with f: the auto-agree ends, the buyer's 7 days begin.
    cases.set_refund_status(case.id, "seller_refused", "小王")
    clocks = {d.kind: d for d in cases.get(case.id).running}
    assert "refund_auto_agree_shipped" not in clocks and "buyer_after_refusal" in clocks


def test_the_same_situation_opens_the_same_registers_in_every_flow(library, cases):
    # A shop-caused refund before shipping, through the return flow and through the refund flow.
    via_return = _leaf(library, "return", "nr_shop_refund").outcome
    via_refund = _leaf(library, "refund", "paid_refund").outcome
    assert via_return.registers == via_refund.registers == ("售后问题表",)
    for flow in library.flows.values():
        for outcome in flow.outcomes():
            rule = registers_by_rule(outcome)
            assert tuple(r for r in outcome.registers if r in rule) == rule, f"{flow.id}.{outcome.node_id}"


def test_an_outcome_that_changes_the_kind_changes_its_clocks(library, cases, clock):
    case = _case(cases, kind="logistics", channel="phone")
    clock.advance(hours=2)
    w = _leaf(library, "complaint", "plat_agreed")
    applied = apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m")
    clocks = {d.kind: d for d in cases.get(case.id).deadlines}
    assert clocks["solution"].state == "cancelled"
    assert clocks["dispute_solution"].state == "running"
    assert any(x.startswith("类型 物流查询 → 投诉纠纷") for x in applied.changes)


def test_an_allergy_product_fills_the_case(library, cases):
    case = _case(cases, kind="return")
    w = _leaf(library, "return", "r_allergy_advice")
    apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", facts={"product": "玻尿酸面霜"})
    assert cases.get(case.id).case.product == "玻尿酸面霜"


@pytest.mark.parametrize(("node", "target"), [("esc_legal", "risk_legal"), ("esc_fraud", "special_team"),
                                              ("esc_senior", "senior")])
def test_every_escalating_complaint_outcome_applies(library, cases, node, target):
    case = _case(cases, kind="complaint")
    w = _leaf(library, "complaint", node)
    apply_outcome(cases, case.id, w.outcome, w.path, "小王", "memo")
    c = cases.get(case.id).case
    assert c.escalated_to == target and c.sop_step == f"complaint.{node}"


def test_every_shipped_escalation_is_one_the_store_knows(library):
    from console.vocab import ESCALATIONS

    targets = {leaf.outcome.escalate for flow in library.flows.values()
               for leaf in all_leaves(flow).values() if leaf.outcome.escalate}
    assert targets and targets <= set(ESCALATIONS)
