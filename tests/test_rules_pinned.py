"""The money rules pinned to the cent: amounts as typed, the whole-order refund, the 30 % cap,
the price-difference ladder, what an outcome must be given, sop/rules.toml and the register rule.

`make mutation` runs mutmut over these modules; these tests are what kills its mutants. Each
assertion is a figure or a sentence an agent or a supervisor would recognise.

Accepted survivors (mutants no test can tell from the code, and why):
- money.py `parse_amount`: none.
- sop/rules.py `yuan`, line 34: `.rstrip("0")` -> `.rstrip("XX0XX")` and `.rstrip(".")` ->
  `.rstrip("XX.XX")`: rstrip takes a set of characters and "%.2f" never writes an X: equivalent.
- sop/rules.py `yuan`, line 35: `text or "0"` -> `text or "XX0XX"`: "%.2f" of any Decimal leaves
  at least "0" after the strips, so the fallback never runs: equivalent.
- sop/rules.py `PriceOffer.text`, line 97: `.rstrip()` -> `.lstrip()`: the text starts with
  "出价阶梯" and ends with the note or "。", never with a space: equivalent.
- sop/rules.py `price_difference_offer`, line 115: `quantize(Decimal(1), …)` -> `Decimal(2)`:
  quantize takes only the exponent of its argument, and 1 and 2 both have exponent 0: equivalent.
- sop/rules.py `check_money`, line 205: `or "partial"` -> `or "XXpartialXX"` / `"PARTIAL"`:
  check_refund treats every scope but "whole_order" as partial, so any other word is the same.
- sop/rules.py `load_rules`, line 219: `read_text(encoding="utf-8")` -> `encoding=None` or
  `"UTF-8"`: the same codec on every machine the tests run on (UTF-8 locale); the explicit
  UTF-8 is for Windows (PITFALLS.md), where no test of ours runs.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from console.money import AmountError, parse_amount
from console.sop import (
    Money,
    MoneyNeeds,
    Outcome,
    Rules,
    check_compensation,
    check_money,
    check_refund,
    compensation_cap,
    load_rules,
    money_needs,
    postage_basis,
    price_difference_offer,
    yuan,
)
from console.sop.registers import registers_by_rule
from console.sop.rules import DEFAULT_BUYER_GETS

D = Decimal


def _outcome(**kw) -> Outcome:
    base = Outcome(
        flow_id="return", flow_title="退货", node_id="leaf", text="", summary="", buyer_gets=("退款",),
        goods_return="none", postage_out="none", postage_back="none", check_on_arrival="",
        checklist=(), registers=(), timers=(), replies=(), next_status="in_progress", case_kind="return",
    )
    return replace(base, **kw)


def _refusal(call, *args, **kw) -> str:
    with pytest.raises(AmountError) as err:
        call(*args, **kw)
    return str(err.value)


# ---- amounts as agents type them -------------------------------------------------------


@pytest.mark.parametrize("typed, message", [
    (None, "金额应为数字,例如 12 或 12.50"),
    (True, "金额应为数字,例如 12 或 12.50"),  # a tick box is not an amount, even if bool is an int
    (12.5, "金额应为数字,例如 12 或 12.50"),  # a float is never trusted with money
    ("", "请输入金额"),
    ("-3", "金额必须大于 0"),
    ("0.00", "金额必须大于 0"),
    ("12.345", "金额最多两位小数"),
    ("12块", "金额应为数字,例如 12 或 12.50 (got '12块')"),
])
def test_every_refusal_of_an_amount_reads_in_full(typed, message):
    assert _refusal(parse_amount, typed) == message


def test_the_amount_ceiling_is_inclusive_and_named():
    assert parse_amount("100000", maximum=D(100000)) == D("100000.00")
    assert _refusal(parse_amount, "100000.01", maximum=D(100000)) == "金额过大(上限 100000元),请检查是否输错"
    assert _refusal(parse_amount, "5000.5", what="运费", maximum=D(5000)) == "运费过大(上限 5000元),请检查是否输错"


# ---- refunds ---------------------------------------------------------------------------


def test_a_refund_is_whole_order_unless_the_outcome_says_otherwise():
    # A refund with no scope is the not-received case: only the full amount.
    verdict = check_refund("10", "128")
    assert not verdict
    assert verdict.reason == "未收到货的退款以订单为单位,只能整单退 128元;不能部分退款(如只退邮费、折扣、抵价券)"
    assert check_refund("128", "128")
    assert check_refund("128.00", "128")  # the same amount written with cents


def test_a_refund_above_what_was_paid_reads_in_full():
    verdict = check_refund("130.5", "128", scope="partial")
    assert verdict.reason == "退款 130.5元 超过订单实付 128元,不能同意"
    assert check_refund("128", "128", scope="partial")  # exactly what was paid is allowed


def test_refund_fields_are_named_in_their_refusals():
    assert check_refund("12.345", "128").reason == "退款金额最多两位小数"
    assert check_refund("12", "12.345").reason == "订单实付金额最多两位小数"


def test_refund_and_compensation_stop_at_the_amount_ceiling():
    # 100000 元 is the shop's ceiling for a typed amount (sop/rules.toml [amount] max).
    assert check_refund("100001", "100001").reason == "退款金额过大(上限 100000元),请检查是否输错"
    assert check_refund("100000", "100000")
    assert check_compensation("1", "100001").reason == "宝贝价值过大(上限 100000元),请检查是否输错"
    assert check_compensation("100001", "100000").reason == "补偿金额过大(上限 100000元),请检查是否输错"
    lower = Rules(amount_max=D(500))
    assert check_refund("600", "600", rules=lower).reason == "退款金额过大(上限 500元),请检查是否输错"


# ---- the 30 % compensation cap -----------------------------------------------------------


def test_the_cap_rounds_half_up_to_the_cent():
    # 30 % of 12.35 is 3.705: the agent may give 3.71, not 3.70 (banker's rounding).
    assert compensation_cap(D("12.35")) == D("3.71")
    assert check_compensation("3.71", "12.35")
    assert compensation_cap(D("0.05")) == D("0.02")  # 0.015 -> 0.02


def test_compensation_exactly_at_the_cap_is_allowed_a_cent_more_is_not():
    assert check_compensation("30", "100")
    verdict = check_compensation("3.72", "12.35")
    assert verdict.reason == (
        "补偿 3.72元 超过宝贝价值 12.35元 的 30%(上限 3.71元),不能同意;请逐步协商,超出上限请上报主管"
    )


def test_compensation_fields_are_named_in_their_refusals():
    assert check_compensation("1.001", "100").reason == "补偿金额最多两位小数"
    assert check_compensation("1", "abc").reason == "宝贝价值应为数字,例如 12 或 12.50 (got 'abc')"


def test_a_stricter_cap_from_the_rules_is_used_and_named():
    verdict = check_compensation("20.5", "100", Rules(compensation_max_ratio=D("0.2")))
    assert verdict.reason == (
        "补偿 20.5元 超过宝贝价值 100元 的 20%(上限 20元),不能同意;请逐步协商,超出上限请上报主管"
    )


# ---- the price-difference ladder -----------------------------------------------------------


def test_the_first_offer_rounds_half_up():
    # 83 % of 150 is 124.5: the first offer is 125, then +3 and +5.
    offer = price_difference_offer(150)
    assert offer.ladder == (D(125), D(128), D(130)) and offer.first == D(125)
    assert offer.postage == D("150.00") and offer.note == "" and offer.basis == "运费"
    assert offer.text() == "出价阶梯: 125元 → 128元 → 130元(上限是运费 150元);仍不接受就按退货/换货处理。"


def test_the_postage_is_checked_against_the_ceiling_and_named():
    assert _refusal(price_difference_offer, "200000", basis="换货来回运费") == (
        "换货来回运费过大(上限 100000元),请检查是否输错")
    assert _refusal(price_difference_offer, "12.001", basis="退货寄回运费") == "退货寄回运费最多两位小数"
    assert _refusal(price_difference_offer, "1", basis="退货寄回运费") == (
        "退货寄回运费只有 1元,退差价省不了钱,直接按退货/换货处理")
    assert _refusal(price_difference_offer, "0.5") == "运费只有 0.5元,退差价省不了钱,直接按退货/换货处理"


def test_a_rung_exactly_at_the_compensation_cap_stays():
    # Item 80 元: cap 24 元, the exchange postage is 24 元: nothing is above the cap.
    offer = price_difference_offer("24", item_value="80")
    assert offer.ladder == (D(20), D(23), D(24)) and offer.note == ""
    # Item 76.67 元: cap 23 元; the 23 元 rung is exactly the cap and stays, 24 goes.
    offer = price_difference_offer("24", item_value="76.67")
    assert offer.ladder == (D(20), D(23))
    assert offer.note == "已去掉超过补偿上限 23元 的出价。"
    assert offer.text() == ("出价阶梯: 20元 → 23元(上限是运费 24元);仍不接受就按退货/换货处理。"
                            "已去掉超过补偿上限 23元 的出价。")


def test_the_ladder_cap_follows_the_rules_and_names_the_item_value():
    offer = price_difference_offer("24", Rules(compensation_max_ratio=D("0.25")), item_value="92")  # cap 23
    assert offer.ladder == (D(20), D(23))
    assert _refusal(price_difference_offer, "24", item_value="30") == (
        "补偿上限只有 9元,低于首次出价,直接按退货/换货处理")
    assert _refusal(price_difference_offer, "24", item_value="3.5.1") == (
        "宝贝价值应为数字,例如 12 或 12.50 (got '3.5.1')")


# ---- which postage a price difference replaces, and what an outcome needs ------------------


def test_the_postage_basis_is_both_ways_for_an_exchange():
    assert postage_basis(_outcome(flow_id="exchange", buyer_gets=("退差价",))) == "换货来回运费"
    assert postage_basis(_outcome(flow_id="quality", buyer_gets=("退差价", "换货"))) == "换货来回运费"
    assert postage_basis(_outcome(flow_id="return", buyer_gets=("退差价",))) == "退货寄回运费"


def test_what_each_paying_outcome_needs():
    assert money_needs(_outcome(price_difference=True, buyer_gets=("退差价",))) == MoneyNeeds(
        amount="商定的差价", base="宝贝价值", postage="退货寄回运费", base_optional=True, base_kind="item")
    assert money_needs(_outcome(compensation=True, buyer_gets=("补偿",))) == MoneyNeeds(
        amount="补偿金额", base="宝贝价值", base_kind="item")
    refund = MoneyNeeds(amount="退款金额", base="订单实付金额", base_kind="order")
    assert money_needs(_outcome(refund_scope="whole_order", buyer_gets=("重发",))) == refund
    assert money_needs(_outcome(buyer_gets=("退款",))) == refund
    assert money_needs(_outcome(buyer_gets=("重发",))) == MoneyNeeds()
    assert not MoneyNeeds().any and refund.any


def test_check_money_asks_for_what_is_missing_by_name():
    diff = _outcome(flow_id="exchange", price_difference=True, buyer_gets=("退差价",))
    assert check_money(diff, Money()).reason == "这个结果要付钱给买家,请先填: 换货来回运费、商定的差价"
    assert check_money(diff, Money(amount="20")).reason == "这个结果要付钱给买家,请先填: 换货来回运费"
    refund = _outcome(buyer_gets=("退款",))
    assert check_money(refund, Money(amount="20")).reason == "这个结果要付钱给买家,请先填: 订单实付金额"
    assert check_money(_outcome(buyer_gets=("重发",)), Money())  # nothing to pay, nothing to check


def test_check_money_holds_the_price_difference_to_its_top_rung():
    diff = _outcome(flow_id="exchange", price_difference=True, buyer_gets=("退差价",))
    assert check_money(diff, Money(amount="24", postage="24"))  # the top rung is allowed
    verdict = check_money(diff, Money(amount="24.5", postage="24"))
    assert verdict.reason == "差价 24.5元 超过了可给的上限 24元(换货来回运费 24元);买家仍不接受就按退货/换货处理"
    capped = check_money(diff, Money(amount="24", base="76.67", postage="24"))
    assert capped.reason == "差价 24元 超过了可给的上限 23元(换货来回运费 24元,及补偿上限);买家仍不接受就按退货/换货处理"
    assert check_money(diff, Money(amount="12.345", postage="24")).reason == "商定的差价最多两位小数"
    assert check_money(diff, Money(amount="1", postage="1")).reason == (
        "换货来回运费只有 1元,退差价省不了钱,直接按退货/换货处理")


def test_check_money_uses_the_shops_rules_for_every_kind():
    rules = Rules(compensation_max_ratio=D("0.2"), first_offer_ratio=D("0.5"), amount_max=D(500))
    diff = _outcome(price_difference=True, buyer_gets=("退差价",))
    # 12 元 back at 50 %: 6, 9, 11 -> top 11 with +5 capped at 12: (6, 9, 11).
    assert check_money(diff, Money(amount="11", postage="12"), rules)
    assert not check_money(diff, Money(amount="12", postage="12", base="55"), rules)  # cap 11
    comp = _outcome(compensation=True, buyer_gets=("补偿",))
    assert check_money(comp, Money(amount="20", base="100"), rules)
    assert not check_money(comp, Money(amount="21", base="100"), rules)
    refund = _outcome(buyer_gets=("退款",))
    assert check_money(refund, Money(amount="10", base="128"))  # partial after receipt
    not_received = _outcome(buyer_gets=("退款",), refund_scope="whole_order")
    assert check_money(not_received, Money(amount="10", base="128")).reason == (
        "未收到货的退款以订单为单位,只能整单退 128元;不能部分退款(如只退邮费、折扣、抵价券)")
    assert check_money(not_received, Money(amount="128", base="128"))
    assert check_money(refund, Money(amount="600", base="600"), rules).reason == (
        "退款金额过大(上限 500元),请检查是否输错")


# ---- sop/rules.toml ----------------------------------------------------------------------


def _rules(tmp_path, text: str):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path, *load_rules(path)


def test_a_rules_file_sets_every_number(tmp_path):
    _, rules, errors = _rules(tmp_path, (
        "[compensation]\nmax_ratio = 0.25\n"
        "[price_difference]\nfirst_offer_ratio = 0.5\nraise_by = [1, 2.5]\n"
        "[amount]\nmax = 5000\n"
        "[vocab]\nbuyer_gets = [\"退款\", \"补偿\"]\n"
        "[facts.allergy]\nrequired = [\"skin\", \"age\"]\n"
        "[tones]\nallergy = [\"先安抚\"]\n"
    ))
    assert errors == []
    assert rules == Rules(
        compensation_max_ratio=D("0.25"), first_offer_ratio=D("0.5"), raise_by=(D(1), D("2.5")),
        amount_max=D(5000), required_facts={"allergy": ("skin", "age")},
        buyer_gets=frozenset({"退款", "补偿"}), tones={"allergy": ("先安抚",)},
    )


def test_a_file_with_one_table_keeps_the_other_defaults(tmp_path):
    _, rules, errors = _rules(tmp_path, "[compensation]\nmax_ratio = 0.2\n")
    assert errors == []
    assert rules == Rules(compensation_max_ratio=D("0.2"), buyer_gets=DEFAULT_BUYER_GETS)


@pytest.mark.parametrize("text, accepted", [
    ("[compensation]\nmax_ratio = 0", D(0)),  # no compensation at all
    ("[compensation]\nmax_ratio = 1", D(1)),  # up to the whole item value
    ("[price_difference]\nfirst_offer_ratio = 0.1", D("0.1")),
    ("[price_difference]\nfirst_offer_ratio = 0.99", D("0.99")),
    ("[amount]\nmax = 1", D(1)),
    ("[amount]\nmax = 1000000000", D(10**9)),
])
def test_the_limits_of_each_number_are_inclusive(tmp_path, text, accepted):
    _, rules, errors = _rules(tmp_path, text)
    assert errors == []
    assert accepted in (rules.compensation_max_ratio, rules.first_offer_ratio, rules.amount_max)


@pytest.mark.parametrize("text, reason", [
    ("[compensation]\nmax_ratio = 1.01", "[compensation] max_ratio 应为 0–1 之间的数 (got Decimal('1.01'))"),
    ("[compensation]\nmax_ratio = true", "[compensation] max_ratio 应为 0–1 之间的数 (got True)"),
    ("[compensation]\nmax_ratio = \"30%\"", "[compensation] max_ratio 应为 0–1 之间的数 (got '30%')"),
    ("[price_difference]\nfirst_offer_ratio = 1",
     "[price_difference] first_offer_ratio 应为 0.1–0.99 之间的数 (got 1)"),
    ("[amount]\nmax = 0", "[amount] max 应为 1–1000000000 之间的数 (got 0)"),
    ("[amount]\nmax = 1000000001", "[amount] max 应为 1–1000000000 之间的数 (got 1000000001)"),
    ("[price_difference]\nraise_by = [3, 0]", "[price_difference] raise_by 应为正数列表 (got [3, 0])"),
    ("[price_difference]\nraise_by = [true]", "[price_difference] raise_by 应为正数列表 (got [True])"),
    ("[price_difference]\nraise_by = [\"3\"]", "[price_difference] raise_by 应为正数列表 (got ['3'])"),
    ("[price_difference]\nraise_by = 3", "[price_difference] raise_by 应为正数列表 (got 3)"),
    ("[facts]\nallergy = \"skin\"", "[facts.allergy] required 应为字段名列表"),
    ("[facts.allergy]\nrequired = \"skin\"", "[facts.allergy] required 应为字段名列表"),
    ("[vocab]\nbuyer_gets = []", "[vocab] buyer_gets 应为非空的文字列表"),
    ("[vocab]\nbuyer_gets = [\"退款\", \" \"]", "[vocab] buyer_gets 应为非空的文字列表"),
    ("[tones]\nallergy = [1]", "[tones] allergy 应为文字列表"),
])
def test_each_refusal_names_the_file_and_the_key_and_keeps_the_default(tmp_path, text, reason):
    path, rules, errors = _rules(tmp_path, text)
    assert [str(e) for e in errors] == [f"{path}: {reason}"]
    assert rules.compensation_max_ratio == D("0.30") and rules.first_offer_ratio == D("0.83")
    assert rules.raise_by == (D(3), D(5)) and rules.amount_max == D(100000)
    assert rules.buyer_gets == DEFAULT_BUYER_GETS
    assert rules.required_facts == {} and rules.tones == {}


def test_a_bad_entry_does_not_hide_the_good_ones_after_it(tmp_path):
    _, rules, errors = _rules(tmp_path, (
        "[facts]\na = 1\n[facts.allergy]\nrequired = [\"skin\"]\n"
        "[tones]\nbad = \"x\"\nallergy = [\"先安抚\"]\n"
    ))
    assert [e.reason for e in errors] == ["[facts.a] required 应为字段名列表", "[tones] bad 应为文字列表"]
    assert rules.required_facts == {"allergy": ("skin",)}
    assert rules.tones == {"allergy": ("先安抚",)}


def test_an_unreadable_rules_file_is_named(tmp_path):
    path, rules, errors = _rules(tmp_path, "[compensation\n")
    assert len(errors) == 1 and errors[0].file == str(path)
    assert errors[0].reason.startswith("无法读取规则文件: ")
    assert rules == Rules(buyer_gets=DEFAULT_BUYER_GETS)


# ---- which registers an outcome opens ----------------------------------------------------


def test_the_register_rule():
    assert registers_by_rule(_outcome(goods_return="buyer_ships", buyer_gets=("退款",))) == (
        "退件表", "售后问题表")
    assert registers_by_rule(_outcome(buyer_gets=("换货",), goods_return="buyer_ships")) == (
        "退件表", "重发单", "售后问题表")
    assert registers_by_rule(_outcome(buyer_gets=("小样",), problem=False)) == ("重发单",)
    assert registers_by_rule(_outcome(buyer_gets=("无",), problem=False)) == ()


def test_yuan_drops_only_trailing_zeros():
    assert [yuan(D(x)) for x in ("12.00", "12.50", "12.05", "120", "0")] == ["12", "12.5", "12.05", "120", "0"]
