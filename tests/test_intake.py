from datetime import timedelta

from console.intake import (
    CaseDraft,
    ValidDraft,
    guess_kind,
    parse_shop_time,
    pick_from_paste,
    validate_draft,
)
from tests.conftest import T0


def test_chat_excerpt_gives_buyer_order_and_message_time(policy):
    text = (
        "小鱼儿2018 2026-11-23 09:58:12\n"
        "你好,我的快递三天没动了,订单号:3712345678901234567 电话13812345678\n"
        "麻烦帮我查一下\n"
    )
    p = pick_from_paste(text, policy)
    assert p.buyer_id == "小鱼儿2018"
    assert p.order_no == "3712345678901234567"
    assert p.message_time == "2026-11-23 09:58:12"
    assert "麻烦帮我查一下" in p.description
    assert "3712345678901234567" not in p.description
    assert p.kind == "logistics"


def test_order_line_with_labels(policy):
    p = pick_from_paste("订单编号 2876543210987654321 买家:甜甜圈的猫 付款时间 2026-11-20 10:11:12", policy)
    assert p.order_no == "2876543210987654321"
    assert p.buyer_id == "甜甜圈的猫"


def test_mobile_number_is_not_taken_for_an_order(policy):
    p = pick_from_paste("电话 13812345678 单号 48123456789012", policy)
    assert p.order_no == "48123456789012"


def test_shop_lines_are_not_the_buyer(policy):
    text = "旗舰店:小美 2026-11-23 09:58:00\n亲在的\n买家阿狸 2026-11-23 09:58:30\n想退货"
    p = pick_from_paste(text, policy, shop_name="旗舰店")
    assert p.buyer_id == "买家阿狸"
    assert p.message_time == "2026-11-23 09:58:30"
    assert p.kind == "return"


def test_nothing_to_pick(policy):
    p = pick_from_paste("你好在吗", policy)
    assert (p.buyer_id, p.order_no, p.message_time) == ("", "", "")
    assert p.description == "你好在吗"


def test_guess_kind():
    assert guess_kind("我要投诉你们,退款也不给") == "complaint"
    assert guess_kind("尺码小了想换大一号") == "exchange"
    assert guess_kind("今天天气不错") is None


def test_valid_draft_is_trimmed(policy):
    v = validate_draft(CaseDraft(buyer_id="  阿狸  ", order_no=" 3712345678901234567 ", kind="return"), policy, T0)
    assert isinstance(v, ValidDraft)
    assert v.buyer_id == "阿狸" and v.order_no == "3712345678901234567"
    assert v.message_at is None


def test_draft_errors_are_in_chinese_per_field(policy):
    errors = validate_draft(CaseDraft(buyer_id="  ", order_no="12ab", kind="nope"), policy, T0)
    assert set(errors) == {"buyer_id", "order_no", "kind"}
    assert "买家" in errors["buyer_id"]
    assert "数字" in errors["order_no"]
    short = validate_draft(CaseDraft(buyer_id="a", order_no="123"), policy, T0)
    assert "10–20" in short["order_no"]
    full_width = validate_draft(CaseDraft(buyer_id="a", order_no="１２３４５６７８９０１"), policy, T0)
    assert "数字" in full_width["order_no"]


def test_message_time(policy):
    # 09:58 Shanghai today is 01:58 UTC.
    assert parse_shop_time("09:58", policy, T0) == T0 - timedelta(minutes=2)
    assert parse_shop_time("09:58:30", policy, T0) == T0 - timedelta(seconds=90)
    assert parse_shop_time("2026-11-22 23:00", policy, T0) == T0 - timedelta(hours=11)
    # 23:59 typed at 10:00 means yesterday evening, not tonight.
    assert parse_shop_time("23:59", policy, T0) == T0 - timedelta(hours=10, minutes=1)
    assert parse_shop_time("25:00", policy, T0) is None
    errors = validate_draft(CaseDraft(buyer_id="a", message_time="2026-11-24 10:00"), policy, T0)
    assert "不能晚于现在" in errors["message_time"]
    errors = validate_draft(CaseDraft(buyer_id="a", message_time="昨天"), policy, T0)
    assert "格式" in errors["message_time"]
