"""The money rules the wizard enforces: amounts, whole-order refunds, the 30 % cap, the price ladder."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.sop import (
    AmountError,
    Rules,
    check_compensation,
    check_refund,
    load_library,
    load_rules,
    parse_amount,
    price_difference_offer,
)
from console.sop.loader import DEFAULT_DIR

D = Decimal


# ---- parse_amount -----------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("12", "12.00"), ("12.5", "12.50"), ("12.50", "12.50"), (" 3 ", "3.00"), ("¥12", "12.00"),
    ("12元", "12.00"), ("１２．５", "12.50"), ("0.01", "0.01"), (7, "7.00"), (D("9.9"), "9.90"),
])
def test_parse_amount_accepts_yuan(text, value):
    assert parse_amount(text) == D(value)


@pytest.mark.parametrize("text, message", [
    ("12.345", "金额最多两位小数"),
    ("", "请输入金额"),
    ("   ", "请输入金额"),
    ("-3", "金额必须大于 0"),
    ("0", "金额必须大于 0"),
    ("0.00", "金额必须大于 0"),
    ("abc", "金额应为数字"),
    ("1e3", "金额应为数字"),
    ("1,200", "金额应为数字"),
    ("12.", "金额应为数字"),
    ("NaN", "金额应为数字"),
])
def test_parse_amount_refuses_with_a_clear_message(text, message):
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert message in str(info.value)


def test_parse_amount_names_the_field_and_checks_the_maximum():
    with pytest.raises(AmountError, match="运费最多两位小数"):
        parse_amount("1.234", what="运费")
    with pytest.raises(AmountError, match="过大"):
        parse_amount("200000", maximum=D(100000))


@given(st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2))
def test_parse_amount_round_trips_two_decimals(value):
    assert parse_amount(str(value)) == value


# ---- not-received refunds are per whole order -----------------------------------------


def test_whole_order_refund_allows_only_the_full_amount():
    assert check_refund("128", "128")
    postage_only = check_refund("10", "128", scope="whole_order")
    assert not postage_only
    assert "整单" in postage_only.reason and "不能部分退款" in postage_only.reason
    assert "邮费" in postage_only.reason


def test_partial_refund_is_allowed_after_receipt_but_not_above_the_total():
    assert check_refund("10", "128", scope="partial")
    too_much = check_refund("130", "128", scope="partial")
    assert not too_much and "超过订单实付" in too_much.reason


def test_refund_amounts_are_parsed():
    verdict = check_refund("12.345", "128")
    assert not verdict and "最多两位小数" in verdict.reason
    assert not check_refund("10", "abc", scope="partial")


def test_the_refund_flows_mark_not_received_outcomes_whole_order():
    outcome = load_library().flows["refund"].nodes["paid_refund"].outcome
    assert not check_refund("5", "99", scope=outcome.refund_scope)


# ---- compensation cap ------------------------------------------------------------------


def test_compensation_up_to_30_percent_is_allowed():
    assert check_compensation("30", "100")
    assert check_compensation("29.99", "100")


def test_compensation_above_the_cap_is_blocked_with_the_reason():
    verdict = check_compensation("30.01", "100")
    assert not verdict
    assert "30%" in verdict.reason and "上限 30元" in verdict.reason and "主管" in verdict.reason


def test_the_cap_comes_from_the_rules():
    strict = Rules(compensation_max_ratio=D("0.2"))
    verdict = check_compensation("25", "100", strict)
    assert not verdict and "20%" in verdict.reason
    assert check_compensation("20", "100", strict)


def test_compensation_amounts_are_parsed():
    assert "最多两位小数" in check_compensation("1.001", "100").reason
    assert "宝贝价值" in check_compensation("1", "").reason


# ---- price-difference ladder ----------------------------------------------------------


def test_price_difference_ladder_follows_the_training_examples():
    # "补的差价必须在来回运费之内": 12 back -> 10; 24 both ways -> 20; 3–5 more, never above it [002].
    ret = price_difference_offer("12", basis="退货寄回运费")
    assert ret.first == D(10) and ret.ladder == (D(10), D(12))
    exchange = price_difference_offer(24, basis="换货来回运费")
    assert exchange.first == D(20) and exchange.ladder == (D(20), D(23), D(24))
    text = ret.text()
    assert "10元 → 12元" in text and "退货/换货" in text
    assert "上限是退货寄回运费 12元" in text  # the screen says which postage is the base


@given(st.integers(min_value=2, max_value=500))
def test_the_ladder_never_goes_above_the_postage(postage):
    offer = price_difference_offer(postage)
    assert 1 <= offer.first < postage
    assert list(offer.ladder) == sorted(set(offer.ladder))
    assert max(offer.ladder) <= postage


def test_the_ladder_stops_at_the_compensation_cap():
    offer = price_difference_offer("24", item_value="70")  # cap 21
    assert offer.ladder == (D(20),) and "21" in offer.note
    with pytest.raises(AmountError, match="补偿上限"):
        price_difference_offer("24", item_value="30")  # cap 9 < first offer 20


def test_postage_too_low_for_a_price_difference():
    with pytest.raises(AmountError, match="直接按退货/换货处理"):
        price_difference_offer("1")
    with pytest.raises(AmountError, match="两位小数"):
        price_difference_offer("12.001")


def test_the_ladder_steps_come_from_the_rules():
    rules = Rules(first_offer_ratio=D("0.5"), raise_by=(D(2),))
    assert price_difference_offer("12", rules).ladder == (D(6), D(8))


# ---- rules.toml --------------------------------------------------------------------------


def test_shipped_rules_file():
    rules, errors = load_rules(DEFAULT_DIR / "rules.toml")
    assert errors == []
    assert rules.compensation_max_ratio == D("0.30")
    assert rules.raise_by == (D(3), D(5))
    assert set(rules.required_facts["allergy"]) == {
        "skin", "age", "region", "product", "usage", "symptoms", "photos"}
    assert "退差价" in rules.buyer_gets and "allergy" in rules.tones


def test_broken_rules_fall_back_to_defaults_with_errors(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[compensation]\nmax_ratio = 3\n[price_difference]\nraise_by = "lots"\n',
                    encoding="utf-8")
    rules, errors = load_rules(path)
    assert rules.compensation_max_ratio == D("0.30") and rules.raise_by == (D(3), D(5))
    assert len(errors) == 2 and all(str(path) in str(e) for e in errors)
    path.write_text("[compensation\n", encoding="utf-8")
    rules, errors = load_rules(path)
    assert len(errors) == 1 and rules.compensation_max_ratio == D("0.30")


def test_missing_rules_file_means_defaults(tmp_path):
    rules, errors = load_rules(tmp_path / "rules.toml")
    assert errors == [] and "退款" in rules.buyer_gets
