"""The trees say what the shop's manual says: every deadline tracked, every postage payer
right (seeds 000, 002, 003, 004). One test per rule of issue 9, walking the shipped trees and,
where a clock is involved, applying the outcome to a case."""

from datetime import datetime, timedelta

import pytest

from console.intake import CaseDraft
from console.sla import load_policy
from console.sop import Money, load_library
from console.wizard import apply_outcome
from console.workdays import WorkCalendar, load_calendar
from tests.conftest import T0
from tests.test_sop import all_leaves

LIBRARY = load_library()
POLICY = load_policy()
LEAVES = {flow_id: all_leaves(flow) for flow_id, flow in LIBRARY.flows.items()}


def outcome(flow: str, node: str):
    return LEAVES[flow][node].outcome


def walk(flow: str, node: str):
    return LEAVES[flow][node]


def _case(cases, **kw):
    kw.setdefault("buyer_id", "阿狸")
    kw.setdefault("channel", "phone")
    return cases.create(CaseDraft(**kw), "小王")


# ---- deadlines that no clock tracked ---------------------------------------------------


@pytest.mark.parametrize("node", ["shipped_keep", "shipped_refuse_reapply", "shipped_refuse_reapply_buyer",
                                  "shipped_refuse_reapply_courier"])
def test_refusing_after_shipping_tracks_the_7_day_auto_agree_until_it_is_done(node):
    # 004 第四章: 7天内不处理系统自动同意; the refusal is made in Qianniu, then the buyer's 7 days.
    o = outcome("refund", node)
    assert "refund_auto_agree_shipped" in o.timers
    assert o.refund_status == "seller_refused"


def test_a_reapplication_after_the_recall_is_recorded_with_its_new_window():
    o = outcome("refund", "shipped_refuse_reapply")
    assert any("重新申请后按 f 记录“等待卖家同意”" in step for step in o.checklist)
    assert POLICY.refund_clocks["seller_refused"] == ("buyer_after_refusal",)


@pytest.mark.parametrize("flow,node", [("exchange", "a_allergy_advice"), ("return", "r_allergy_advice"),
                                       ("payment", "self_later")])
def test_a_promise_made_while_waiting_on_the_buyer_comes_due(cases, clock, flow, node):
    o = outcome(flow, node)
    assert "buyer_promise" in o.timers and o.next_status == "waiting_buyer"
    case = _case(cases, kind=o.case_kind, initiated_by="shop" if flow == "payment" else "buyer")
    promised = T0 + timedelta(days=3)
    w = walk(flow, node)
    apply_outcome(cases, case.id, o, w.path, "小王", "m", due={"buyer_promise": promised})
    detail = cases.get(case.id)
    assert detail.case.status == "waiting_buyer"
    promise = next(d for d in detail.running if d.kind == "buyer_promise")
    assert (promise.state, promise.due_at) == ("running", promised)
    # Without a typed time it is still the shop's commitment: 24 h, running.
    other = _case(cases, kind=o.case_kind)
    apply_outcome(cases, other.id, o, w.path, "小王", "m")
    promise = next(d for d in cases.get(other.id).running if d.kind == "buyer_promise")
    assert (promise.state, promise.due_at) == ("running", T0 + timedelta(hours=24))
    clock.advance(days=3, seconds=1)
    assert cases.get(case.id).case.next_due_at < clock.now()  # it came due: the queue shows it red


def test_a_complaints_golden_time_is_met_by_an_answer_not_by_a_greeting(cases, clock):
    # 003: 在24小时黄金时间内答复 — the greeting is the first reply, not the answer.
    case = _case(cases, kind="complaint", channel="chat")
    cases.mark_first_reply(case.id, "小王")
    running = {d.kind for d in cases.get(case.id).running}
    assert "complaint_response" in running and "first_response" not in running
    for status in ("registered", "investigating", "solution_proposed"):
        cases.set_complaint_status(case.id, status, "小王")
    assert "complaint_response" not in {d.kind for d in cases.get(case.id).running}
    # Applying a wizard outcome is an answer too.
    other = _case(cases, kind="complaint", channel="chat")
    w = walk("complaint", "plat_shipped_proof")
    apply_outcome(cases, other.id, w.outcome, w.path, "小王", "m")
    met = {d.kind for d in cases.get(other.id).deadlines if d.state == "met"}
    assert "complaint_response" in met


def test_working_days_skip_weekends_and_listed_holidays(tmp_path):
    path = tmp_path / "holidays.toml"
    path.write_text("holidays = [2026-12-31, 2027-01-01]\nworkdays = [2027-01-03]\n", encoding="utf-8")
    cal = load_calendar(path)
    tz = POLICY.timezone
    wed = datetime(2026, 12, 30, 15, 0, tzinfo=tz)
    # Thu 31 and Fri 1 are holidays, Sat 2 is off, Sun 3 is worked (调休), Mon 4 works.
    assert cal.add(wed, 1, tz) == datetime(2027, 1, 3, 15, 0, tzinfo=tz)
    assert cal.add(wed, 2, tz) == datetime(2027, 1, 4, 15, 0, tzinfo=tz)
    # Requested on Saturday: counted from Monday's start, due at the end of Tuesday.
    sat = datetime(2026, 11, 28, 16, 30, tzinfo=tz)
    assert WorkCalendar().add(sat, 2, tz) == datetime(2026, 12, 2, 0, 0, tzinfo=tz)
    # Friday afternoon, 7 working days: over one weekend.
    fri = datetime(2026, 11, 27, 14, 0, tzinfo=tz)
    assert WorkCalendar().add(fri, 7, tz) == datetime(2026, 12, 8, 14, 0, tzinfo=tz)


def test_a_date_in_both_lists_or_a_wrong_value_is_refused(tmp_path):
    from console.workdays import HolidaysError

    path = tmp_path / "holidays.toml"
    path.write_text("holidays = [2026-10-01]\nworkdays = [2026-10-01]\n", encoding="utf-8")
    with pytest.raises(HolidaysError, match="2026-10-01"):
        load_calendar(path)
    path.write_text('holidays = ["10月1日"]\n', encoding="utf-8")
    with pytest.raises(HolidaysError, match="holidays 应为日期列表"):
        load_calendar(path)


def test_intervention_starts_the_platforms_working_day_clocks(cases, clock, tmp_path):
    # 003: 小二会在接到响应的2个工作日内介入 … 在7个工作日内处理完毕. T0 is Monday 10:00.
    case = _case(cases, kind="complaint")
    cases.set_intervened(case.id, True, "小王")
    due = {d.kind: d.due_at for d in cases.get(case.id).running}
    assert due["platform_intervene"] == T0 + timedelta(days=2)  # Wednesday 10:00
    assert due["platform_decision"] == T0 + timedelta(days=9)  # the next Wednesday: a weekend between
    cases.set_intervened(case.id, False, "小王")
    assert not {"platform_intervene", "platform_decision"} & {d.kind for d in cases.get(case.id).running}
    # A platform outcome marks the intervention itself, with the same clocks.
    other = _case(cases, kind="complaint")
    w = walk("complaint", "plat_received_proof")
    apply_outcome(cases, other.id, w.outcome, w.path, "小王", "m")
    detail = cases.get(other.id)
    assert detail.case.platform_intervened
    assert {"platform_intervene", "platform_decision"} <= {d.kind for d in detail.running}


def test_a_listed_holiday_moves_the_intervention_deadline(tmp_path):
    (tmp_path / "holidays.toml").write_text("holidays = [2026-11-24]\n", encoding="utf-8")
    policy = load_policy(holidays=tmp_path / "holidays.toml")
    due, _ = policy.due(policy.clocks["platform_intervene"], T0)  # Monday; Tuesday is off
    assert due == T0 + timedelta(days=3)


@pytest.mark.parametrize("flow,node", [
    ("logistics", "hard_buyer_fixed"), ("logistics", "hard_buyer_trying"), ("logistics", "hard_courier_chase"),
    ("logistics", "ooa_transfer"), ("logistics", "ooa_pickup"), ("return", "nr_buyer_redeliver"),
    ("return", "nr_courier_wait"), ("return", "nr_shop_hurry"), ("return", "nr_buyer_keep"),
    ("return", "nr_courier_mediated"),
])
def test_a_parcel_kept_in_transit_tracks_the_automatic_receipt_and_its_extension(flow, node):
    # 004 第一章: 在交易成功前仍无法派送到客户手中的件, 一定要“延长收货时间”.
    o = outcome(flow, node)
    assert "receipt_timeout" in o.timers
    assert any("延长收货时间" in step for step in o.checklist)


@pytest.mark.parametrize("node", ["hard_buyer_return", "hard_buyer_return_shop", "hard_courier_reship", "ooa_reship"])
def test_a_parcel_coming_back_is_followed(node):
    # 004 第一章: 通知当地快递一周内将件退回.
    assert "courier_return" in outcome("logistics", node).timers
    assert POLICY.clocks["courier_return"].duration == timedelta(days=7)


def test_every_exchange_where_the_buyer_ships_back_runs_the_exchange_cycle(cases):
    # 000 换货周期监控与提醒: 超时未处理订单自动触发预警.
    shipped_back = [o for o in LIBRARY.flows["exchange"].outcomes() if o.goods_return == "buyer_ships"]
    assert len(shipped_back) == 9
    assert all("exchange_cycle" in o.timers for o in shipped_back)
    rule = POLICY.clocks["exchange_cycle"]
    assert not rule.pauses and rule.clock == "shop"
    case = _case(cases, kind="exchange")
    w = walk("exchange", "u_noreason_exchange")
    apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m")
    detail = cases.get(case.id)
    assert detail.case.status == "waiting_buyer"
    cycle = next(d for d in detail.running if d.kind == "exchange_cycle")
    assert cycle.state == "running"  # it runs while waiting on the buyer: a stalled exchange shows


def test_clocks_nothing_started_are_gone_and_the_shops_own_rule_is_a_shop_clock():
    assert "first_response_phone" not in POLICY.clocks and "goods_inspection" not in POLICY.clocks
    assert POLICY.clocks["buyer_unreachable"].clock == "shop"
    started = {t for flow in LIBRARY.flows.values() for o in flow.outcomes() for t in o.timers}
    started |= {k for kinds in POLICY.refund_clocks.values() for k in kinds}
    started |= set(POLICY.start_urgent) | {k for v in POLICY.start_kind.values() for k in v}
    started |= {k for v in POLICY.start_channel.values() for k in v}
    started |= {"platform_intervene", "platform_decision"}  # by 小二介入 (i, or an outcome)
    from console.imports.changes import PROOF

    started |= {PROOF}  # 举证超时, by an import of the refund export
    assert set(POLICY.clocks) <= started, set(POLICY.clocks) - started


# ---- who pays and what is checked --------------------------------------------------------


@pytest.mark.parametrize("node,payer", [
    ("shipped_recall_refund_buyer", "buyer"), ("shipped_recall_refund", "shop"),
    ("shipped_recall_refund_courier", "courier"), ("shipped_refuse_reapply_buyer", "buyer"),
    ("shipped_refuse_reapply", "shop"), ("shipped_refuse_reapply_courier", "courier"),
])
def test_recalling_a_shipped_parcel_charges_the_postage_by_its_cause(node, payer):
    # 004 第二章: 买家原因 … 如包裹已打包发出, 邮费需客户承担; 我司原因邮费我司承担; 快递原因损失由快递承担.
    o = outcome("refund", node)
    assert (o.postage_out, o.postage_back) == (payer, payer)
    assert o.goods_return == "recall" and o.refund_scope == "whole_order"
    cause = walk("refund", node).path[2].answer
    assert {"buyer": "买家原因", "shop": "我司原因", "courier": "快递原因"}[payer] in cause


def test_a_shop_caused_return_after_receipt_needs_the_resale_check():
    # 004 第二章: 因我司单方原因 … 如不影响二次销售可给予处理.
    assert outcome("refund", "rr_shop_cause").requires == ("resale",)
    not_resale = outcome("refund", "rr_shop_not_resale")
    assert not_resale.compensation and not_resale.goods_return == "none"
    assert "我司原因(错发、漏发)" in [s.answer for s in walk("refund", "rr_shop_cause").path]


@pytest.mark.parametrize("node,back", [("plat_return_refund", "shop"), ("plat_return_refund_buyer", "buyer"),
                                       ("plat_return_refund_courier", "courier")])
def test_a_platform_return_pays_the_return_by_its_cause(node, back):
    assert outcome("complaint", node).postage_back == back


def test_a_payout_after_the_trade_asks_the_cause_and_keeps_the_rules(cases):
    leaves = {k for k in LEAVES["refund"] if k.startswith("completed_")}
    assert leaves == {"completed_comp", "completed_return_shop", "completed_courier_comp",
                      "completed_return_courier", "completed_return_buyer", "completed_decline"}
    for node in leaves:
        o = outcome("refund", node)
        assert "售后问题表" in o.registers
        assert walk("refund", node).path[1].node.id == "completed"  # the account is checked first
    assert outcome("refund", "completed_comp").compensation  # the 30 % cap applies
    assert outcome("refund", "completed_return_buyer").requires == ("resale",)
    case = _case(cases, kind="refund")
    w = walk("refund", "completed_comp")
    with pytest.raises(Exception, match="上限 30元"):
        apply_outcome(cases, case.id, w.outcome, w.path, "小王", "m", money=Money("40", "100"))


def test_an_undeliverable_parcel_the_buyer_caused_asks_who_pays():
    paths = {walk("logistics", n).path[-1].answer for n in ("hard_buyer_return", "hard_buyer_return_shop")}
    assert paths == {"按规则买家承担(电话打不通、地址不对是买家原因)", "我司让利承担(写明原因)"}
    assert outcome("logistics", "hard_buyer_return").postage_back == "buyer"
    assert outcome("logistics", "hard_buyer_return_shop").postage_back == "shop"


# ---- situations that had no path ----------------------------------------------------------


@pytest.mark.parametrize("flow,node,words", [
    ("complaint", "not_valid", "投诉不成立"),                 # 003: 委婉答复, 消除误会
    ("complaint", "prepaid_not_returned", "先行垫付"),        # 003: 先行垫付
    ("return", "nr_buyer_keep", "另购了其他品牌"),            # 004 第二章 未收到 b
    ("return", "nr_courier_mediated", "调解成功"),            # 004: 快递服务差 → 协商
    ("return", "r_courier_send_missing", "少件或少量漏液"),   # 004: 少量/漏液
    ("return", "r_quality_send_missing", "出厂量少或密封不好漏液较多"),
])
def test_situations_the_manual_names_have_a_path(flow, node, words):
    o = outcome(flow, node)
    assert words in o.summary
    if node.endswith("send_missing"):
        assert o.buyer_gets == ("重发",) and o.goods_return == "none" and "重发单" in o.registers
    if node == "not_valid":
        assert o.next_status == "resolved" and o.buyer_gets == ("无",)


def test_a_prepaid_case_with_the_goods_back_follows_the_returns_cause():
    choices = {c.label: c.next for c in LIBRARY.flows["complaint"].nodes["plat_prepaid"].choices}
    assert choices["买家已退货"] == "plat_return_cause"
