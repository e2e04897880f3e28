"""The shipped SOP trees (console/defaults/sop) and walking them: every leaf, random walks, back/restart, memo."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.sla import load_policy
from console.sop import (
    GOODS_RETURN,
    PAYERS,
    REGISTERS,
    Flow,
    Outcome,
    Walk,
    load_library,
    memo_line,
)
from console.vocab import KINDS, STATUSES

FLOWS = ("logistics", "return", "exchange", "refund", "payment", "followup", "complaint")
REPLY = re.compile(r"^(greeting|apology|logistics|return|exchange|refund|compensation|payment"
                   r"|followup|stock|closing)\.[a-z0-9_]+$")

LIBRARY = load_library()
POLICY = load_policy()  # hypothesis tests cannot use function-scoped fixtures


@pytest.fixture(scope="module")
def library():
    return LIBRARY


def fill(node) -> dict[str, str]:
    return {f.key: f"{f.label}内容" for f in node.fields}


def all_leaves(flow: Flow) -> dict[str, Walk]:
    """Drive a Walk down every branch; one finished walk per leaf reached."""
    reached: dict[str, Walk] = {}

    def explore(answers: list) -> None:
        walk = Walk(flow)
        for action in answers:
            assert action(walk), f"{flow.id}: step refused at {walk.node.id}"
        node = walk.node
        if node.type == "outcome":
            reached.setdefault(node.id, walk)
        elif node.type == "question":
            for i in range(1, len(node.choices) + 1):
                explore(answers + [lambda w, i=i: w.answer(i)])
        elif node.type == "facts":
            explore(answers + [lambda w: w.provide(fill(w.node))])
        else:
            explore(answers + [lambda w: w.confirm(True)])
            if node.otherwise:
                explore(answers + [lambda w: w.confirm(False)])

    explore([])
    return reached


def assert_complete(outcome: Outcome, flow: Flow, library, policy) -> None:
    where = f"{flow.id}.{outcome.node_id}"
    assert outcome.summary.strip(), where
    assert outcome.buyer_gets and set(outcome.buyer_gets) <= library.rules.buyer_gets, where
    assert outcome.goods_return in GOODS_RETURN, where
    assert outcome.postage_out in PAYERS and outcome.postage_back in PAYERS, where
    assert (outcome.goods_return == "none") == (outcome.postage_back == "none"), where
    if outcome.goods_return != "none":
        assert outcome.check_on_arrival.strip(), where
    assert outcome.checklist and all(s.strip() for s in outcome.checklist), where
    assert set(outcome.registers) <= set(REGISTERS), where
    assert set(outcome.timers) <= set(policy.clocks), where
    assert all(REPLY.match(r) for r in outcome.replies), where
    assert outcome.next_status in STATUSES, where
    assert outcome.case_kind in KINDS, where
    assert outcome.flow_id == flow.id and outcome.flow_title == flow.title


def test_shipped_trees_load_without_errors(library):
    assert [str(e) for e in library.errors] == []
    assert set(library.flows) == set(FLOWS)
    assert library.unavailable == {}
    assert {f.case_kind for f in library.flows.values()} == set(FLOWS)


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_leaf_is_reached_and_complete(library, policy, flow_id):
    flow = library.flows[flow_id]
    reached = all_leaves(flow)
    assert set(reached) == {o.node_id for o in flow.outcomes()}
    for walk in reached.values():
        assert walk.done
        assert_complete(walk.outcome, flow, library, policy)
        memo = walk.memo("小王", date(2026, 11, 23))
        assert "\n" not in memo and flow.title in memo and "小王" in memo


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_random_walk_ends_in_a_complete_outcome(data):
    flow = LIBRARY.flows[data.draw(st.sampled_from(FLOWS), label="flow")]
    walk = Walk(flow)
    for _ in range(200):
        if walk.done:
            break
        node = walk.node
        if walk.path and data.draw(st.integers(0, 9), label="back?") == 0:
            before = len(walk.path)
            assert walk.back()
            assert len(walk.path) == before - 1
            continue
        if node.type == "question":
            assert walk.answer(data.draw(st.integers(1, len(node.choices)), label="choice"))
        elif node.type == "facts":
            if data.draw(st.booleans(), label="skip a field?"):
                required = [f for f in node.fields if f.required]
                values = fill(node)
                del values[data.draw(st.sampled_from(required)).key]
                assert not walk.provide(values) and walk.node is node  # refused, unchanged
            assert walk.provide(fill(node))
        else:
            yes = data.draw(st.booleans(), label="confirm") or not node.otherwise
            assert walk.confirm(yes)
    while not walk.done:  # finish without going back, so the walk always ends
        node = walk.node
        ok = (walk.answer(1) if node.type == "question"
              else walk.provide(fill(node)) if node.type == "facts" else walk.confirm(True))
        assert ok
    assert_complete(walk.outcome, flow, LIBRARY, POLICY)
    assert len(walk.path) <= len(flow.nodes)


# ---- the branches DOMAIN.md §3 asks for ------------------------------------------------


def labels(flow: Flow, node_id: str) -> list[str]:
    return [c.label for c in flow.nodes[node_id].choices]


def test_logistics_covers_every_kind_of_parcel(library):
    flow = library.flows["logistics"]
    text = " ".join(labels(flow, "parcel_kind"))
    for word in ("正常件", "疑难件·买家原因", "疑难件·快递原因", "超区件", "破损件", "丢件"):
        assert word in text
    assert "延长收货时间" in flow.nodes["parcel_kind"].hint
    assert "buyer_unreachable" in flow.nodes["hard_buyer_trying"].outcome.timers
    assert [c.next for c in flow.nodes["out_of_area"].choices] == ["ooa_reship", "ooa_transfer",
                                                                    "ooa_pickup"]


def test_every_return_and_exchange_outcome_goes_into_the_problem_table(library):
    for flow_id in ("return", "exchange"):
        for outcome in library.flows[flow_id].outcomes():
            assert "售后问题表" in outcome.registers, outcome.node_id


def test_not_received_refunds_are_whole_order(library):
    refund, ret = library.flows["refund"], library.flows["return"]
    for node in ("paid_refund", "shipped_recall_refund", "shipped_refuse_reapply"):
        assert refund.nodes[node].outcome.refund_scope == "whole_order"
    for node in ("nr_buyer_refund", "nr_buyer_refuse", "nr_shop_refund", "nr_shop_refuse",
                 "nr_courier_refuse"):
        assert ret.nodes[node].outcome.refund_scope == "whole_order"
    assert refund.nodes["recv_partial"].outcome.refund_scope == "partial"


def test_refund_timers_follow_the_order_status(library):
    refund = library.flows["refund"]
    assert refund.nodes["paid_refund"].outcome.timers == ("refund_auto_agree_paid",)
    assert refund.nodes["shipped_recall_refund"].outcome.timers == ("refund_auto_agree_shipped",)


def test_who_pays_postage_by_cause(library):
    ret = library.flows["return"].nodes
    assert (ret["nr_buyer_refuse"].outcome.postage_back, ret["nr_shop_refuse"].outcome.postage_back,
            ret["nr_courier_refuse"].outcome.postage_back) == ("buyer", "shop", "courier")
    assert ret["nr_buyer_refuse"].outcome.goods_return == "refuse_delivery"
    quality = ret["r_quality_return"].outcome
    assert (quality.postage_out, quality.postage_back, quality.goods_return) == (
        "shop", "shop", "buyer_ships")
    exchange = library.flows["exchange"].nodes["a_shop_exchange"].outcome
    assert exchange.advance_by == "buyer" and exchange.postage_back == "shop"
    assert "重发单" in exchange.registers
    assert "买家垫付→我司承担" in exchange.postage_text()


def test_no_reason_branches_need_the_resale_confirmation(library):
    for flow_id, node_id in (("return", "r_noreason_return"), ("exchange", "u_noreason_exchange"),
                             ("refund", "rr_buyer_noreason")):
        assert library.flows[flow_id].nodes[node_id].outcome.requires == ("resale",)


def test_allergy_tone_rules_are_shown_beside_the_questions(library):
    node = library.flows["exchange"].nodes["a_allergy_talk"]
    assert any("审问" in rule for rule in node.tone)
    assert any("安慰" in rule for rule in node.tone)


# ---- Walk behaviour -------------------------------------------------------------------


def return_walk(library) -> Walk:
    return Walk.start(library.flows["return"])


def test_walk_to_a_no_reason_return(library):
    walk = return_walk(library)
    assert walk.node.id == "received" and walk.path == () and not walk.done
    assert walk.answer(2) and walk.answer(3) and walk.answer(2)
    assert walk.node.type == "confirm"
    assert walk.confirm(True)
    assert walk.done and walk.outcome.node_id == "r_noreason_return"
    assert [p[0] for p in walk.pairs] == ["received", "r_cause", "r_noreason_talk",
                                          "r_noreason_resale"]
    assert walk.pairs[1][1] == "买家原因:无理由退货"
    assert walk.pairs[3][1] == "已确认:商品不影响二次销售"


def test_not_resaleable_goods_lead_to_a_polite_refusal(library):
    walk = return_walk(library)
    for n in (2, 3, 2):
        walk.answer(n)
    assert walk.confirm(False)
    assert walk.outcome.node_id == "r_noreason_decline"
    assert walk.outcome.goods_return == "none"


def test_a_confirm_without_otherwise_refuses_to_go_on_unconfirmed(library):
    walk = Walk(library.flows["exchange"])
    walk.answer(1)
    walk.answer(3)  # allergy
    walk.provide(fill(walk.node))
    walk.answer(2)  # insists on a product of their own choice
    node = walk.node
    verdict = walk.confirm(False)
    assert not verdict and "损失由买家承担" in verdict.reason
    assert walk.node is node and len(walk.path) == 4
    assert walk.confirm(True) and walk.outcome.node_id == "a_allergy_exchange_chosen"


def test_allergy_facts_are_required_before_continuing(library):
    walk = return_walk(library)
    walk.answer(2)
    walk.answer(2)  # allergy
    node = walk.node
    assert node.rule == "allergy"
    verdict = walk.provide({"skin": "干性", "age": "28"})
    assert not verdict
    for label in ("所在地区", "使用的产品", "使用时间和用量", "不适症状", "照片"):
        assert label in verdict.reason
    assert walk.node is node and len(walk.path) == 2
    blank = fill(node) | {"symptoms": "   "}
    assert not walk.provide(blank)
    assert walk.provide(fill(node) | {"history": ""})  # optional field may stay empty
    assert walk.node.id == "r_allergy_talk"
    assert walk.facts()["肤质"] == "肤质内容"
    assert "以前有没有过敏史" not in walk.facts()


def test_facts_by_label_and_unknown_fields(library):
    walk = Walk(library.flows["logistics"])
    walk.answer(2)
    walk.answer(5)  # damaged
    assert walk.node.type == "facts"
    verdict = walk.provide({"颜色": "红"})
    assert not verdict and "颜色" in verdict.reason
    assert walk.provide({"外包装是否完好": "完好", "破损程度": "瓶身裂", "破损件数": "1",
                         "照片": "3 张"})
    assert walk.outcome.node_id == "damaged_reship"


def test_wrong_actions_are_refused_and_change_nothing(library):
    walk = return_walk(library)
    for bad in (0, 3, -1, True):
        verdict = walk.answer(bad)
        assert not verdict and "1–2" in verdict.reason
    assert not walk.provide({"x": "y"})
    assert not walk.confirm(True)
    assert not walk.back()
    assert walk.node.id == "received" and walk.path == ()


def test_back_keeps_earlier_answers_and_remembers_the_undone_one(library):
    walk = return_walk(library)
    walk.answer(2)
    walk.answer(2)
    walk.provide(fill(walk.node))
    assert walk.node.id == "r_allergy_talk"
    assert walk.back()
    assert walk.node.id == "r_allergy_facts"
    assert [p[1] for p in walk.pairs] == ["已经收到", "买家原因:过敏"]
    remembered = walk.previous("r_allergy_facts")
    assert remembered is not None and dict(remembered.values)["skin"] == "肤质内容"
    assert walk.back() and walk.back()
    assert walk.node.id == "received" and not walk.back()
    walk.answer(1)
    walk.restart()
    assert walk.node.id == "received" and walk.path == ()


def test_answers_from_text(library):
    walk = return_walk(library)
    assert walk.choose("已经收到")
    assert walk.choose("3")
    verdict = walk.choose("随便")
    assert not verdict and "1) 协商后买家不退了" in verdict.reason
    assert walk.choose("买家坚持退货")
    assert not walk.choose("maybe")
    assert walk.choose("是")
    assert walk.done and not walk.choose("1")

    walk = Walk(library.flows["logistics"])
    walk.choose("2")
    walk.choose("5")
    assert not walk.choose("package完好")
    assert walk.choose("package:完好;degree:裂;count:1;photos:3张")
    assert walk.done


def test_memo_line(library):
    walk = return_walk(library)
    for n in (2, 3, 2):
        walk.answer(n)
    walk.confirm(True)
    memo = walk.memo("小王\n\x1b[31m", date(2026, 11, 23))
    assert memo.startswith("2026-11-23 小王")
    assert "\n" not in memo and "\x1b" not in memo
    for part in ("退货SOP", "已经收到 › 买家原因:无理由退货", "运费: 去程买家,回程买家",
                 "下一步: 给出退货地址", "(等买家)"):
        assert part in memo
    same = memo_line(walk.outcome, walk.pairs, "小王", "2026-11-23")
    assert same == memo_line(walk.outcome, walk.path, "小王", "2026-11-23")


def test_memo_needs_an_outcome(library):
    with pytest.raises(ValueError):
        return_walk(library).memo("小王", date(2026, 11, 23))


def test_outcome_as_dict_is_plain(library):
    data = library.flows["refund"].nodes["paid_refund"].outcome.as_dict()
    assert data["timers"] == ["refund_auto_agree_paid"] and data["refund_scope"] == "whole_order"
    assert isinstance(data["checklist"], list)
