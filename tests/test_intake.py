import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.intake import (
    LABEL_WORDS,
    CaseDraft,
    Origin,
    ValidDraft,
    guess_kind,
    guess_kind_why,
    parse_shop_time,
    pick_from_paste,
    validate_draft,
)
from console.sla import load_policy
from tests.conftest import T0

# T0 is 10:00 in Shanghai; a case pasted late in the evening needs a later "now".
LATE = T0 + timedelta(hours=13, minutes=30)  # 2026-11-23 23:30 Shanghai


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


@pytest.mark.parametrize(("words", "kind", "why"), [
    ("能换成黑色的吗", "exchange", "换成"),
    ("穿着小,换L码", "exchange", "换L码"),
    ("帮我换个XL", "exchange", "换个"),
    ("换42码的", "exchange", "换42码"),
    ("这是物流纠纷,你们看着办", "complaint", "物流纠纷"),
    ("杯子裂了,要赔偿", "refund", "赔偿"),
    ("杯子裂了,要赔偿,不然就投诉", "complaint", "投诉"),
    ("杯子裂了", "logistics", "裂了"),
    ("退我50块钱就算了", "refund", "退我50块"),
    ("给我退 20元差价", "refund", "退 20元"),
])
def test_kind_from_ordinary_phrasings(words, kind, why):
    assert guess_kind_why(words) == (kind, why)


def test_changing_an_address_is_not_an_exchange():
    assert guess_kind("麻烦换个地址") is None
    assert guess_kind("能换成顺丰快递吗") == "logistics"


def test_a_logistics_dispute_gets_the_48_hour_dispute_clock(policy):
    kind = guess_kind("物流纠纷,三天了还没处理")
    clocks = policy.clocks_on_create("chat", kind, False, "buyer")
    assert "dispute_solution" in clocks
    assert policy.clocks["dispute_solution"].duration == timedelta(hours=48)


# ---- how Qianniu and Wangwang copy a conversation ---------------------------------


def test_a_label_before_the_speaker_is_not_part_of_the_name(policy):
    text = "买家:快乐的小猪 2026-11-23 23:06:40\n我买的T恤小了,想换L码\n订单号:3712345678901234567"
    p = pick_from_paste(text, policy, now=LATE)
    assert p.buyer_id == "快乐的小猪"
    assert p.message_time == "2026-11-23 23:06:40"
    assert p.order_no == "3712345678901234567"
    assert p.kind == "exchange"
    assert p.origins == {
        "buyer_id": Origin(1, "说话人"), "message_time": Origin(1, "说话人"),
        "order_no": Origin(3, "订单号:"), "kind": Origin(2, "换L码"),
    }
    assert p.report() == [
        ("买家", "快乐的小猪", "第1行,说话人"), ("订单号", "3712345678901234567", "第3行,订单号:"),
        ("时间", "2026-11-23 23:06:40", "第1行,说话人"), ("类型", "换货", "第2行,「换L码」"),
    ]
    assert p.description == "我买的T恤小了,想换L码"


def test_a_labelled_time_line_is_a_time_never_the_buyer(policy):
    p = pick_from_paste("时间 2026-11-23 23:07:05\n东西到了是坏的", policy, now=LATE)
    assert p.buyer_id == ""
    assert p.message_time == "2026-11-23 23:07:05"
    assert p.origins["message_time"] == Origin(1, "时间")
    assert p.description == "东西到了是坏的"


def test_the_first_buyer_speaker_line_gives_the_time_not_a_later_labelled_one(policy):
    text = "快乐的小猪 2026-11-23 23:06:40\n在吗\n时间 2026-11-23 23:07:05\n快递还没到"
    p = pick_from_paste(text, policy, now=LATE)
    assert (p.buyer_id, p.message_time) == ("快乐的小猪", "2026-11-23 23:06:40")


def test_a_same_day_header_with_the_time_only(policy):
    text = "小鹿乱撞2023 23:10:14\n退我50块钱吧"
    p = pick_from_paste(text, policy, now=LATE)
    assert p.buyer_id == "小鹿乱撞2023"
    assert p.message_time == "2026-11-23 23:10:14"
    assert p.kind == "refund"
    # Just after midnight, 23:10 is yesterday's.
    after_midnight = T0 + timedelta(hours=14, minutes=5)  # 2026-11-24 00:05 Shanghai
    assert pick_from_paste(text, policy, now=after_midnight).message_time == "2026-11-23 23:10:14"
    # Without a clock, the time is kept as copied (the form resolves it when saving).
    assert pick_from_paste(text, policy).message_time == "23:10:14"


def test_wangwang_message_manager_header(policy):
    p = pick_from_paste("快乐的小猪(2026-11-23 23:06:40):\n物流纠纷,我要投诉", policy, now=LATE)
    assert p.buyer_id == "快乐的小猪"
    assert p.message_time == "2026-11-23 23:06:40"
    assert p.kind == "complaint"
    assert p.origins["kind"] == Origin(2, "物流纠纷")
    full_width = pick_from_paste("快乐的小猪（2026/11/23 23:06:40）：\n在吗", policy, now=LATE)
    assert (full_width.buyer_id, full_width.message_time) == ("快乐的小猪", "2026-11-23 23:06:40")


def test_a_time_in_a_message_is_not_a_speaker_line(policy):
    p = pick_from_paste("阿狸 2026-11-23 09:50:00\n明天下午 3:00\n之前能到吗", policy, now=T0)
    assert p.buyer_id == "阿狸"
    assert "明天下午 3:00" in p.description


def test_shop_sub_accounts_and_agents_are_never_the_buyer(policy):
    text = ("旗舰店:小王 2026-11-23 09:50:00\n亲,在的\n小美 09:51:00\n稍等\n"
            "阿狸 2026-11-23 09:52:10\n想退货")
    p = pick_from_paste(text, policy, now=T0, agents=["小美"])
    assert p.buyer_id == "阿狸"
    assert p.message_time == "2026-11-23 09:52:10"
    assert p.kind == "return"
    # The shop's words stay in the description with who said them; the buyer's header goes.
    assert p.description.splitlines() == ["旗舰店:小王 2026-11-23 09:50:00", "亲,在的", "小美 09:51:00",
                                          "稍等", "想退货"]
    # The shop's own name as the speaker (the main account).
    p = pick_from_paste("旗舰店 09:50:00\n您好\n阿狸 09:52:10\n在吗", policy, shop_name="旗舰店", now=T0)
    assert (p.buyer_id, p.message_time) == ("阿狸", "2026-11-23 09:52:10")


def test_the_shops_words_do_not_decide_the_kind(policy):
    text = "旗舰店:小王 09:50:00\n退款已经给您处理了哦\n阿狸 09:52:10\n快递到哪了"
    assert pick_from_paste(text, policy, now=T0).kind == "logistics"


@pytest.mark.parametrize(("text", "buyer", "rule"), [
    ("买家: 快乐的小猪\n在吗", "快乐的小猪", "买家:"),
    ("旺旺：快乐的小猪 想问一下", "快乐的小猪", "旺旺:"),
    ("会员名 快乐的小猪", "快乐的小猪", "会员名:"),
])
def test_labelled_buyer(policy, text, buyer, rule):
    p = pick_from_paste(text, policy)
    assert p.buyer_id == buyer
    assert p.origins["buyer_id"] == Origin(1, rule)
    assert buyer not in p.description


def test_words_after_a_label_without_a_separator_are_not_a_buyer(policy):
    assert pick_from_paste("买家3天没回消息了", policy).buyer_id == ""
    assert pick_from_paste("旺旺 上说好的", policy).buyer_id == ""


def test_labelled_fields_of_an_order_detail(policy):
    text = ("会员名 快乐的小猪\n订单编号 3712345678901234567\n手机 13812345678\n"
            "快递单号 773012345678901\n商品: 纯棉T恤 L码\n想换个颜色")
    p = pick_from_paste(text, policy)
    assert p.buyer_id == "快乐的小猪"
    assert p.order_no == "3712345678901234567"
    assert p.origins["order_no"] == Origin(2, "订单编号:")
    assert p.product == "纯棉T恤 L码"
    assert p.origins["product"] == Origin(5, "商品:")
    assert p.kind == "exchange"
    # Phone and tracking number stay in the description for the agent.
    assert "773012345678901" in p.description and "13812345678" in p.description


def test_a_tracking_or_mobile_number_is_never_the_order(policy):
    assert pick_from_paste("快递单号 773012345678901 还没到", policy).order_no == ""
    assert pick_from_paste("电话 13812345678 在吗", policy).order_no == ""
    assert pick_from_paste("SF1234567890123 到哪了", policy).order_no == ""
    p = pick_from_paste("手机13812345678 订单3712345678901234567", policy)
    assert p.order_no == "3712345678901234567"


def test_an_unlabelled_order_number(policy):
    p = pick_from_paste("在吗 3712345678901234567 这单还没发", policy)
    assert p.order_no == "3712345678901234567"
    assert p.origins["order_no"] == Origin(1, "数字串")


@pytest.mark.parametrize("line", [
    "3712345678901234567\t快乐的小猪\t2026-11-23 23:06:40\t纯棉T恤 L码\t¥89.00\t交易成功",
    "3712345678901234567  快乐的小猪  2026-11-23 23:06:40  纯棉T恤 L码  89.00",
    "3712345678901234567 快乐的小猪 2026-11-23 23:06:40 纯棉T恤 L码 89.00",
])
def test_an_order_line_from_the_qianniu_order_list(policy, line):
    p = pick_from_paste(line, policy, now=LATE)
    assert p.order_no == "3712345678901234567"
    assert p.buyer_id == "快乐的小猪"
    assert p.product == "纯棉T恤 L码"
    assert {p.origins[f] for f in ("order_no", "buyer_id", "product")} == {Origin(1, "订单行")}
    # The order's time is when it was placed, not when the buyer wrote.
    assert p.message_time == ""
    assert "89.00" in p.description and "快乐的小猪" not in p.description


def test_an_order_number_and_a_few_words_are_not_an_order_line(policy):
    p = pick_from_paste("3712345678901234567 到哪了", policy)
    assert p.order_no == "3712345678901234567"
    assert p.buyer_id == ""


def test_a_labelled_buyer_speaker_wins_over_a_plain_one(policy):
    text = "阿狸 2026-11-23 09:50:00\n在吗\n买家:快乐的小猪 2026-11-23 09:51:00\n?"
    p = pick_from_paste(text, policy, now=T0)
    assert p.buyer_id == "快乐的小猪"
    # ... but the buyer's message time is still the first buyer line's.
    assert p.message_time == "2026-11-23 09:50:00"


# ---- properties ---------------------------------------------------------------------

_FRAGMENTS = [
    "买家", "买家:", "旺旺:", "会员名", "订单号:", "订单编号", "时间", "时间 ", "付款时间", "商品:",
    "快递单号", "电话", "店铺:小王", "阿狸", "快乐的小猪", "小鹿乱撞2023", "2026-11-23", "23:06:40",
    "2026-11-23 23:06:40", "(2026-11-23 23:06:40):", "3712345678901234567", "13812345678", "¥89.00",
    "换L码", "退我50块钱", "物流纠纷", "\t", "\n", " ", ":", "：", "（", "）", "[b]", "\x1b[2J",
]
_TIME_LIKE = re.compile(r"[0-9]{1,4}([-/.:][0-9]{1,2}){1,2}([ ][0-9]{1,2}(:[0-9]{2}){1,2})?")
_POLICY = load_policy()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=6)), max_size=30).map("".join),
))
def test_the_parser_never_raises_nor_takes_a_label_time_or_number_for_the_buyer(text):
    p = pick_from_paste(text, _POLICY, shop_name="店铺", now=T0, agents=["小王"])
    buyer = p.buyer_id
    if buyer:
        assert buyer in text
        assert buyer.lower() not in LABEL_WORDS
        assert not buyer.endswith(("时间", ":"))
        assert not _TIME_LIKE.fullmatch(buyer)
        assert not buyer.isdigit()
        assert buyer not in ("小王", "店铺")
    if p.order_no:
        assert p.order_no.isascii() and p.order_no.isdigit() and p.order_no in text
        assert not re.fullmatch(r"1[3-9][0-9]{9}", p.order_no)
    assert set(p.origins) <= {"buyer_id", "order_no", "message_time", "product", "kind"}
    for name, origin in p.origins.items():
        assert 1 <= origin.line <= text.count("\n") + text.count("\r") + 1, name


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
