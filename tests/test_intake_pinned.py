"""The new-case form's parsers pinned: every branch of the paste parser, the typed times
(shop time, promised time) and the draft's checks, each at its edges.

`make mutation` runs mutmut over console/intake.py; these tests are what kills its mutants.

Accepted survivors (mutants no test can tell from the code, and why):
- `Picked.report`, line 245: the default of `KINDS.get(self.kind or "", "")` -> None, no
  default, "XXXX", and `or ""` -> `or "XXXX"`: a kind row exists only for a guessed kind, and
  every guessable kind is in KINDS, so neither default is ever read: equivalent.
- `plausible_buyer`, line 293: `0 < len(name)` -> `0 <= len(name)`: an empty name fails the
  "has a letter" test anyway: equivalent.
- `_when`, line 312: `int(m.group(3) or 0) < 60` -> `or 1`: a missing second is 0 or 1, both
  below 60: equivalent.
- `_speaker`, lines 337 and 349: `return "shop", who, ""` -> label "XXXX": the label is read
  only for a buyer: equivalent.
- `_speaker`, line 338: `if m or not who or …` -> `if m and not who or …`: `m` matches only
  with a colon (handled above) or with a space (caught by the space test): equivalent.
- `_labelled`, lines 395–396: the tracking/phone hit's empty token "" -> "XXXX", its line,
  label and rank (None, 1): a "not_order" hit is only ever read for its digits: equivalent.
- `_order_line`, lines 419, 422, 425: the order line's ranks 1, 3, 1 -> 2, 4, 2: no other hit
  has a rank between them and the next rule's, so the same hit wins: equivalent. Line 420:
  `next(…, "")` -> `next(…, None)`: both mean "no buyer" below: equivalent.
- `pick_from_paste`, line 452 `current = None` -> `""`, line 466 `current = "buyer"` -> None,
  "XXbuyerXX", "BUYER": `current` is only ever compared with "shop": equivalent.
- `pick_from_paste`, lines 453 and 470: `seen_buyer_time` False/True -> None/False: a later
  buyer line's time hit has rank 0 on a later line and never wins: equivalent.
- `pick_from_paste`, line 456: `if line.strip()` -> `or True`: a blank line has no time to
  match: equivalent.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from console.intake import (
    CaseDraft,
    Origin,
    Picked,
    ValidDraft,
    default_initiator,
    parse_future_time,
    parse_shop_time,
    pick_from_paste,
    plausible_buyer,
    validate_draft,
)
from tests.conftest import T0


def test_an_order_time_line_is_never_the_buyers_message_time(policy):
    # Order details copy as labelled lines; the payment time is three days before the buyer
    # wrote: a first-response clock started from it would be overdue at once.
    text = "会员名 快乐的小猪\n订单编号 3712345678901234567\n付款时间: 2026-11-20 10:11:12\n快递到哪了"
    p = pick_from_paste(text, policy, now=T0)
    assert p.message_time == "" and "message_time" not in p.origins
    assert p.description == "付款时间: 2026-11-20 10:11:12\n快递到哪了"
    assert p.origins["order_no"] == Origin(2, "订单编号:")
    # The buyer's own line still gives the time when there is one.
    p = pick_from_paste("下单时间 2026-11-20 10:11:12\n阿狸 2026-11-23 09:58:00\n在吗", policy, now=T0)
    assert p.message_time == "2026-11-23 09:58:00"


# ---- the draft's checks ------------------------------------------------------------------------


LATE = T0 + timedelta(hours=13, minutes=30)  # 2026-11-23 23:30 in Shanghai


def _errors(policy, now=T0, **typed) -> dict[str, str]:
    result = validate_draft(CaseDraft(**{"buyer_id": "阿狸", **typed}), policy, now)
    assert isinstance(result, dict), result
    return result


def test_a_valid_draft_keeps_every_field_trimmed(policy):
    draft = CaseDraft(buyer_id=" 阿狸 ", order_no=" 3712345678901234567 ", channel="phone", kind="exchange",
                      description="  尺码小了,想换L码  ", urgent=True, message_time="09:58", assignee="老陈",
                      initiated_by="buyer", product=" 纯棉T恤 ")
    assert validate_draft(draft, policy, T0) == ValidDraft(
        buyer_id="阿狸", order_no="3712345678901234567", channel="phone", kind="exchange",
        description="尺码小了,想换L码", urgent=True, message_at=T0 - timedelta(minutes=2), assignee="老陈",
        initiated_by="buyer", product="纯棉T恤",
    )


@pytest.mark.parametrize("typed, errors", [
    ({"buyer_id": " "}, {"buyer_id": "请填写买家旺旺名 (buyer ID is required)"}),
    ({"buyer_id": "猫" * 65}, {"buyer_id": "买家旺旺名太长 (最多 64 个字符)"}),
    ({"order_no": "37123456789x"}, {"order_no": "订单号只能是数字 (digits only)"}),
    ({"order_no": "123456789"}, {"order_no": "订单号应为 10–20 位数字,现在是 9 位"}),
    ({"order_no": "1" * 21}, {"order_no": "订单号应为 10–20 位数字,现在是 21 位"}),
    ({"channel": "fax"}, {"channel": "请选择渠道"}),
    ({"kind": "lunch"}, {"kind": "请选择工单类型"}),
    ({"initiated_by": "courier"}, {"initiated_by": "请选择是买家发起还是店铺发起"}),
    ({"product": "T" * 201}, {"product": "商品名太长 (最多 200 个字)"}),
    ({"description": "字" * 4001}, {"description": "描述太长 (最多 4000 字)"}),
    ({"message_time": "昨天下午"}, {"message_time": "买家消息时间格式: 14:03 或 14:03:22 或 2026-11-23 14:03"}),
    # A minute ahead of the console's clock is tolerated (clocks differ); a second more is not.
    ({"message_time": "2026-11-23 10:01:01"}, {"message_time": "买家消息时间不能晚于现在"}),
    # Thirty days back is still a message to answer; a second older is a typo.
    ({"message_time": "2026-10-24 09:59:59"}, {"message_time": "买家消息时间太早 (超过 30 天)"}),
])
def test_every_draft_error_reads_in_full(policy, typed, errors):
    assert _errors(policy, **typed) == errors


@pytest.mark.parametrize("typed", [
    {"buyer_id": "猫" * 64},
    {"order_no": "1234567890"},
    {"order_no": "1" * 20},
    {"product": "T" * 200},
    {"description": "字" * 4000},
    {"message_time": "2026-11-23 10:01:00"},
    {"message_time": "2026-10-24 10:00:00"},
])
def test_every_limit_of_a_draft_is_inclusive(policy, typed):
    assert isinstance(validate_draft(CaseDraft(**{"buyer_id": "阿狸", **typed}), policy, T0), ValidDraft)


def test_the_summary_of_a_new_case(policy):
    shop = validate_draft(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", channel="phone",
                                    kind="payment", initiated_by="shop"), policy, T0)
    assert shop.summary() == "买家 阿狸 · 订单 3712345678901234567 · 电话/催款 · 店铺发起"
    buyer = validate_draft(CaseDraft(buyer_id="阿狸", kind="return"), policy, T0)
    assert buyer.summary() == "买家 阿狸 · 旺旺/退货"
    # A case written by an older console with a channel or kind this one does not know.
    old = ValidDraft(buyer_id="阿狸", order_no=None, channel="fax", kind="lunch", description="",
                     urgent=False, message_at=None)
    assert old.summary() == "买家 阿狸 · fax/lunch"


def test_who_starts_a_case_of_each_kind():
    assert [default_initiator(k) for k in ("payment", "followup", "return", "complaint", "other")] == [
        "shop", "shop", "buyer", "buyer", "buyer"]


# ---- times as agents type them ---------------------------------------------------------------


@pytest.fixture
def machine_in_new_york(monkeypatch):
    """The computer's own zone is neither UTC nor the shop's."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("typed, now, at", [
    ("14：03", LATE, _utc(2026, 11, 23, 6, 3)),  # the full-width colon of a Chinese IME
    ("14:03", T0, _utc(2026, 11, 22, 6, 3)),  # later than now: yesterday's
    ("11-20 14:03", T0, _utc(2026, 11, 20, 6, 3)),  # month and day as Qianniu shows them
    ("11-24 09:00", T0, _utc(2026, 11, 24, 1, 0)),  # a date given is kept (the form refuses it)
    ("10:01", T0, _utc(2026, 11, 23, 2, 1)),  # a minute ahead is today's
    ("10:02", T0, _utc(2026, 11, 22, 2, 2)),  # more than a minute ahead is yesterday's
    ("2026-11-23 14:03:22", LATE, _utc(2026, 11, 23, 6, 3, 22)),
    ("2026/11/22 23:00", T0, _utc(2026, 11, 22, 15, 0)),
    ("2026/11/22 23:00:05", T0, _utc(2026, 11, 22, 15, 0, 5)),
    ("02-30 10:00", T0, None),
    ("25:00", T0, None),
])
def test_a_typed_shop_time(policy, machine_in_new_york, typed, now, at):
    got = parse_shop_time(typed, policy, now)
    assert got == at
    if at is not None:
        assert got.utcoffset() == timedelta(0)  # stored as UTC, whatever the machine's zone


def test_a_typed_time_is_to_the_second_even_when_now_is_not(policy):
    now = T0 + timedelta(seconds=7, microseconds=250_000)
    assert parse_shop_time("09:58", policy, now) == _utc(2026, 11, 23, 1, 58)


@pytest.mark.parametrize("typed, at", [
    ("18:30", _utc(2026, 11, 23, 10, 30)),  # the next 18:30: today
    ("09:00", _utc(2026, 11, 24, 1, 0)),  # 09:00 has passed: tomorrow
    ("10:00", _utc(2026, 11, 24, 2, 0)),  # it is 10:00 now: a promise is for the next one
    ("18：30", _utc(2026, 11, 23, 10, 30)),
    ("明天10点", _utc(2026, 11, 24, 2, 0)),
    ("明天 10:00", _utc(2026, 11, 24, 2, 0)),
    ("后天9:30", _utc(2026, 11, 25, 1, 30)),
    ("今天18点半", _utc(2026, 11, 23, 10, 30)),
    ("今天 18:30", _utc(2026, 11, 23, 10, 30)),
    ("10点15分", _utc(2026, 11, 23, 2, 15)),
    ("10 点 5 分", _utc(2026, 11, 23, 2, 5)),
    ("3点", _utc(2026, 11, 23, 19, 0)),  # 03:00 tomorrow
    ("2026-11-25 10:00", _utc(2026, 11, 25, 2, 0)),
    ("11-25 10:00", _utc(2026, 11, 25, 2, 0)),
    ("明天25点", None),
    ("明天下午", None),
    ("明天", None),
    ("等会儿", None),
])
def test_a_promised_time(policy, machine_in_new_york, typed, at):
    # A promise is for a whole minute, whatever the second it was typed in.
    now = T0 + timedelta(seconds=7, microseconds=250_000) if typed != "10:00" else T0
    got = parse_future_time(typed, policy, now)
    assert got == at
    if at is not None:
        assert got.utcoffset() == timedelta(0)


# ---- who could be a buyer ---------------------------------------------------------------------


@pytest.mark.parametrize("name, plausible", [
    ("猫", True),  # one character is a nickname
    ("猫" * 64, True),
    ("猫" * 65, False),
    ("Xin小新", True),
    ("tb_2018", True),
    ("Buyer", False),  # a label word in any case
    ("ORDER", False),
    ("聊天时间", False),
    ("店铺:客服", False),
    ("店铺：客服", False),
    ("阿 狸", False),
    ("12345", False),
    ("", False),
])
def test_plausible_buyer(name, plausible):
    assert plausible_buyer(name) is plausible


# ---- the paste parser, case by case ---------------------------------------------------------
#
# Each case is a paste as it comes out of Qianniu or Wangwang and everything the form takes
# from it: the values, the description left for the agent, and where each value came from.


def _picked(description="", buyer="", order="", time="", product="", kind=None, **origins) -> Picked:
    """The expected result; origins by field: buyer_id, order_no, message_time, product_at, kind_at."""
    names = {"product_at": "product", "kind_at": "kind"}
    return Picked(buyer_id=buyer, order_no=order, message_time=time, description=description, kind=kind,
                  product=product, origins={names.get(k, k): Origin(*v) for k, v in origins.items()})


ORDER = "3712345678901234567"

PASTES = {
    # Full-width colon, hash, ideographic and no-break spaces from a Chinese IME.
    "full-width punctuation": (
        f"买家：快乐的小猪\u3000订单号＃{ORDER}\xa0在吗", T0,
        _picked("在吗", buyer="快乐的小猪", order=ORDER, buyer_id=(1, "买家:"), order_no=(1, "订单号:"))),
    # Windows and old Mac line ends count as lines.
    "CRLF and CR line ends": (
        f"阿狸 2026-11-23 09:50:00\r\n想退货\r订单号:{ORDER}", T0,
        _picked("想退货", buyer="阿狸", order=ORDER, time="2026-11-23 09:50:00", kind="return",
                buyer_id=(1, "说话人"), message_time=(1, "说话人"), order_no=(3, "订单号:"), kind_at=(2, "退货"))),
    # Two labelled times: the earlier line wins.
    "time header before a labelled time": (
        "时间 2026-11-23 09:57:05\n留言时间: 2026-11-23 09:58:00 在吗", T0,
        _picked("留言时间: 2026-11-23 09:58:00 在吗", time="2026-11-23 09:57:05", message_time=(1, "时间"))),
    "labelled time before a time header": (
        "留言时间: 2026-11-23 09:58:00 在吗\n时间 2026-11-23 09:57:00", T0,
        _picked("在吗\n时间 2026-11-23 09:57:00", time="2026-11-23 09:58:00", message_time=(1, "留言时间"))),
    # The buyer's own line beats any labelled time, even an earlier one.
    "buyer line after a time header": (
        "时间 2026-11-23 09:57:05\n快乐的小猪 2026-11-23 09:56:40\n在吗", T0,
        _picked("时间 2026-11-23 09:57:05\n在吗", buyer="快乐的小猪", time="2026-11-23 09:56:40",
                buyer_id=(2, "说话人"), message_time=(2, "说话人"))),
    # A labelled speaker beats a labelled field, even an earlier one.
    "labelled speaker after a labelled buyer": (
        "买家: 阿狸\n买家:快乐的小猪 2026-11-23 09:51:00\n在吗", T0,
        _picked("买家: 阿狸\n在吗", buyer="快乐的小猪", time="2026-11-23 09:51:00",
                buyer_id=(2, "说话人"), message_time=(2, "说话人"))),
    # A labelled buyer field beats a plain speaker, even an earlier one.
    "plain speaker before a labelled buyer": (
        "阿狸 2026-11-23 09:50:00\n在吗\n买家: 快乐的小猪", T0,
        _picked("在吗", buyer="快乐的小猪", time="2026-11-23 09:50:00",
                buyer_id=(3, "买家:"), message_time=(1, "说话人"))),
    # A plain speaker beats the name in an order line, even an earlier one.
    "order line before a plain speaker": (
        f"{ORDER}\t阿狸\t纯棉T恤\t¥89.00\n快乐的小猪 2026-11-23 09:51:00\n在吗", T0,
        _picked("阿狸 ¥89.00\n在吗", buyer="快乐的小猪", order=ORDER, time="2026-11-23 09:51:00",
                product="纯棉T恤", buyer_id=(2, "说话人"), order_no=(1, "订单行"),
                message_time=(2, "说话人"), product_at=(1, "订单行"))),
    # A labelled order number beats the one in an order line, even an earlier one.
    "order line before a labelled order": (
        f"{ORDER}\t阿狸\t2026-11-20 10:00:00\t纯棉T恤\n订单号: 2876543210987654321", T0,
        _picked(f"{ORDER} 2026-11-20 10:00:00", buyer="阿狸", order="2876543210987654321", product="纯棉T恤",
                buyer_id=(1, "订单行"), order_no=(2, "订单号:"), product_at=(1, "订单行"))),
    # A labelled product beats the one in an order line.
    "order line before a labelled product": (
        f"{ORDER}\t阿狸\t2026-11-20 10:00:00\t纯棉T恤\n商品: 纯棉T恤 白色", T0,
        _picked("2026-11-20 10:00:00 纯棉T恤", buyer="阿狸", order=ORDER, product="纯棉T恤 白色",
                buyer_id=(1, "订单行"), order_no=(1, "订单行"), product_at=(2, "商品:"))),
    # A speaker line whose date does not exist gives no time; the next buyer line does.
    "impossible date on a speaker line": (
        "阿狸 2026-11-31 10:00:00\n在吗\n阿狸 2026-11-23 09:51:00\n还在吗", T0,
        _picked("在吗\n还在吗", buyer="阿狸", time="2026-11-23 09:51:00",
                buyer_id=(1, "说话人"), message_time=(3, "说话人"))),
    "a date Python cannot move to UTC": (
        "快乐的小猪 0001-01-01 00:00:00\n在吗", T0, _picked("在吗", buyer="快乐的小猪", buyer_id=(1, "说话人"))),
    # Words in a time label said while the shop speaks do not decide the kind.
    "a chat time after the shop spoke": (
        "旗舰店:小王 09:50:00\n退货时间 2026-11-20 10:00:00\n阿狸 09:52:10\n在吗", T0,
        _picked("旗舰店:小王 09:50:00\n退货时间 2026-11-20 10:00:00\n在吗", buyer="阿狸", time="2026-11-23 09:52:10",
                buyer_id=(3, "说话人"), message_time=(3, "说话人"))),
    "labelled bare time is today's": (
        "留言时间: 09:58 快递到哪了", T0,
        _picked("快递到哪了", time="2026-11-23 09:58", kind="logistics", message_time=(1, "留言时间"), kind_at=(1, "快递"))),
    "labelled time to the minute": (
        "时间: 2026-11-23 09:58 在吗", T0, _picked("在吗", time="2026-11-23 09:58", message_time=(1, "时间"))),
    # Digits in a speaker's nickname are never an order number.
    "digits in a nickname": (
        "小鱼1234567890123 2026-11-23 09:50:00\n在吗", T0,
        _picked("在吗", buyer="小鱼1234567890123", time="2026-11-23 09:50:00",
                buyer_id=(1, "说话人"), message_time=(1, "说话人"))),
    # The shop's header stays in the description as copied, without its indent.
    "indented shop header": (
        "  旗舰店:小王 2026-11-23 09:50:00\n亲在的\n阿狸 2026-11-23 09:52:10\n想退货", T0,
        _picked("旗舰店:小王 2026-11-23 09:50:00\n亲在的\n想退货", buyer="阿狸", time="2026-11-23 09:52:10",
                kind="return", buyer_id=(3, "说话人"), message_time=(3, "说话人"), kind_at=(4, "退货"))),
    "buyer label and a time": (
        "买家: 2026-11-23 09:50:00\n在吗", T0, _picked("在吗", time="2026-11-23 09:50:00", message_time=(1, "说话人"))),
    "buyer label alone and a time": (
        "买家 2026-11-23 09:50:00\n在吗", T0, _picked("在吗", time="2026-11-23 09:50:00", message_time=(1, "说话人"))),
    "English buyer label and a time": (
        "Buyer 2026-11-23 09:50:00\n在吗", T0, _picked("在吗", time="2026-11-23 09:50:00", message_time=(1, "说话人"))),
    "nickname ending in X": (
        "小X 2026-11-23 09:50:00\n在吗", T0,
        _picked("在吗", buyer="小X", time="2026-11-23 09:50:00", buyer_id=(1, "说话人"), message_time=(1, "说话人"))),
    "label, space, nickname, time": (
        "买家 快乐的小猪 2026-11-23 09:50:00\n在吗", T0,
        _picked("在吗", buyer="快乐的小猪", time="2026-11-23 09:50:00",
                buyer_id=(1, "说话人"), message_time=(1, "说话人"))),
    "English label, colon, nickname, time": (
        "Buyer:Tom 2026-11-23 09:50:00\n在吗", T0,
        _picked("在吗", buyer="Tom", time="2026-11-23 09:50:00", buyer_id=(1, "说话人"), message_time=(1, "说话人"))),
    "label and a number for a name": (
        "买家:12345 2026-11-23 09:50:00\n在吗", T0,
        _picked("在吗", time="2026-11-23 09:50:00", message_time=(1, "说话人"))),
    "a number and a time is no speaker": (
        "12345 2026-11-23 09:50:00\n在吗", T0, _picked("12345 2026-11-23 09:50:00\n在吗")),
    "a time label in brackets": (
        "消息时间(2026-11-23 09:57:05):\n东西到了是坏的", T0,
        _picked("东西到了是坏的", time="2026-11-23 09:57:05", message_time=(1, "消息时间"))),
    "any label ending in 时间": (
        "聊天时间 2026-11-23 09:57:05\n东西到了是坏的", T0,
        _picked("东西到了是坏的", time="2026-11-23 09:57:05", message_time=(1, "聊天时间"))),
    "date with dots": (
        "快乐的小猪 2026.11.23 09:50:00\n在吗", T0,
        _picked("在吗", buyer="快乐的小猪", time="2026-11-23 09:50:00",
                buyer_id=(1, "说话人"), message_time=(1, "说话人"))),
}

# Without a clock the time is kept as copied, tidied, when it is a real time of day.
PASTES_WITHOUT_A_CLOCK = {
    "double space": ("快乐的小猪 2026-11-23  09:50:00\n在吗", "2026-11-23 09:50:00"),
    "slashes": ("快乐的小猪 2026/11/23 09:50:00\n在吗", "2026-11-23 09:50:00"),
    "hour 24": ("快乐的小猪 24:06:40\n在吗", ""),
    "hour 25": ("快乐的小猪 2026-11-23 25:06:40\n在吗", ""),
    "minute 60": ("快乐的小猪 23:60:40\n在吗", ""),
    "minute 61": ("快乐的小猪 23:61:00\n在吗", ""),
    "second 60": ("快乐的小猪 23:06:60\n在吗", ""),
    "last second of the day": ("快乐的小猪 23:59:59\n在吗", "23:59:59"),
}

LINES = {
    "two labels on one line": (
        f"买家:快乐的小猪 订单号:{ORDER} 在吗",
        _picked("在吗", buyer="快乐的小猪", order=ORDER, buyer_id=(1, "买家:"), order_no=(1, "订单号:"))),
    "three labels on one line": (
        f"买家: 阿狸 商品: 纯棉T恤 订单号: {ORDER}",
        _picked("", buyer="阿狸", order=ORDER, product="纯棉T恤",
                buyer_id=(1, "买家:"), order_no=(1, "订单号:"), product_at=(1, "商品:"))),
    "English labels": (
        f"Buyer: Tom order no. {ORDER} 在吗",
        _picked("在吗", buyer="Tom", order=ORDER, buyer_id=(1, "Buyer:"), order_no=(1, "order no.:"))),
    "order number mid-sentence": (
        f"在吗 {ORDER} 这单还没发", _picked("在吗 这单还没发", order=ORDER, order_no=(1, "数字串"))),
    "an unlabelled order on the second line": (
        f"在吗\n{ORDER} 到哪了", _picked("在吗\n到哪了", order=ORDER, kind="logistics",
                                          order_no=(2, "数字串"), kind_at=(2, "到哪了"))),
    # Of two bare numbers the longer is the order; of two as long, the first.
    "two bare numbers": (
        f"1234567890 还有\n{ORDER} 和 2876543210987654321",
        _picked("1234567890 还有\n和 2876543210987654321", order=ORDER, order_no=(2, "数字串"))),
    "two bare numbers as long": (
        f"{ORDER} 还有\n2876543210987654321",
        _picked("还有\n2876543210987654321", order=ORDER, order_no=(1, "数字串"))),
    "ten digits": ("在吗 1234567890 这单还没发", _picked("在吗 这单还没发", order="1234567890", order_no=(1, "数字串"))),
    "twenty digits": ("在吗 12345678901234567890 这单还没发",
                      _picked("在吗 这单还没发", order="12345678901234567890", order_no=(1, "数字串"))),
    "labelled ten digits": ("订单号: 1234567890 到了吗",
                            _picked("到了吗", order="1234567890", order_no=(1, "订单号:"))),
    "labelled twenty digits": ("订单号: 12345678901234567890 到了吗",
                               _picked("到了吗", order="12345678901234567890", order_no=(1, "订单号:"))),
    "punctuation left at the edge": (
        f"订单号:{ORDER},到哪了", _picked("到哪了", order=ORDER, kind="logistics", order_no=(1, "订单号:"),
                                         kind_at=(1, "到哪了"))),
    "a label that is not a field, then one that is": (
        f"买家3天没回 订单号:{ORDER}", _picked("买家3天没回", order=ORDER, order_no=(1, "订单号:"))),
    "a product count, then an order": (
        f"商品3件 订单号:{ORDER}", _picked("商品3件", order=ORDER, order_no=(1, "订单号:"))),
    "a buyer label with nothing after it": ("买家:", _picked("买家:")),
    "a buyer label and a comma": ("买家: 快乐的小猪, 在吗", _picked("在吗", buyer="快乐的小猪", buyer_id=(1, "买家:"))),
    "a product and punctuation": ("商品: 纯棉T恤;", _picked("", product="纯棉T恤", product_at=(1, "商品:"))),
    "a product and a tab": ("商品: 纯棉T恤\t89.00", _picked("89.00", product="纯棉T恤", product_at=(1, "商品:"))),
    "a product that is a number": ("商品: 123", _picked("商品: 123")),
    "a landline is not an order": ("电话 057188888888 在吗", _picked("电话 057188888888 在吗")),
    "a tracking label with nothing after it": ("快递单号:", _picked("快递单号:", kind="logistics", kind_at=(1, "快递"))),
    "a tracking number and a comma": (
        "快递单号: 773012345678901, 还没到",
        _picked("快递单号: 773012345678901, 还没到", kind="logistics", kind_at=(1, "快递"))),
    "a separator line": ("在吗\n----\n快递到哪了", _picked("在吗\n快递到哪了", kind="logistics", kind_at=(3, "快递"))),
    "indent and trailing spaces": ("  在吗  \n想换XL", _picked("  在吗\n想换XL", kind="exchange", kind_at=(2, "换XL"))),
    "a description starting with X": ("XL码有吗", _picked("XL码有吗")),
    "the first words of a kind decide": ("想退货\n真的想退货", _picked("想退货\n真的想退货", kind="return", kind_at=(1, "退货"))),
}

ORDER_LINES = {
    "an amount with a space": (
        f"{ORDER}\t快乐的小猪\t纯棉T恤\t¥ 89.00", "¥ 89.00", "快乐的小猪", ORDER, "纯棉T恤"),
    "a ten-digit order": ("1234567890\t快乐的小猪\t纯棉T恤\t¥89.00", "¥89.00", "快乐的小猪", "1234567890", "纯棉T恤"),
    "a twenty-digit order": (
        "12345678901234567890\t快乐的小猪\t纯棉T恤\t¥89.00", "¥89.00", "快乐的小猪", "12345678901234567890", "纯棉T恤"),
    "spaces and a time": (
        f"{ORDER} 快乐的小猪 2026-11-23 09:06:40 纯棉T恤", "2026-11-23 09:06:40", "快乐的小猪", ORDER, "纯棉T恤"),
    "spaces and a price": (f"{ORDER} 快乐的小猪 纯棉T恤 89.00元", "89.00元", "快乐的小猪", ORDER, "纯棉T恤"),
    "three cells": (f"{ORDER} 快乐的小猪 89.00", "89.00", "快乐的小猪", ORDER, ""),
    "tabs, no time, no price": (f"{ORDER}\t快乐的小猪\t纯棉T恤", "", "快乐的小猪", ORDER, "纯棉T恤"),
    "no buyer": (f"{ORDER}\t2026-11-20 10:00:00\t¥89.00\t交易成功", "2026-11-20 10:00:00 ¥89.00 交易成功",
                 "", ORDER, ""),
    "a dash for the product": (f"{ORDER}\t快乐的小猪\t—\t¥89.00", "¥89.00", "快乐的小猪", ORDER, ""),
    # The buyer's nickname twice (buyer and receiver): the second stays for the agent.
    "the buyer twice": (f"{ORDER} 阿狸 阿狸 89.00", "阿狸 89.00", "阿狸", ORDER, ""),
}


@pytest.mark.parametrize("name", PASTES)
def test_a_paste(policy, name):
    text, now, expected = PASTES[name]
    assert pick_from_paste(text, policy, now=now) == expected


@pytest.mark.parametrize("name", PASTES_WITHOUT_A_CLOCK)
def test_a_paste_without_a_clock(policy, name):
    text, time_text = PASTES_WITHOUT_A_CLOCK[name]
    origins = {"buyer_id": (1, "说话人")} | ({"message_time": (1, "说话人")} if time_text else {})
    assert pick_from_paste(text, policy) == _picked("在吗", buyer="快乐的小猪", time=time_text, **origins)


@pytest.mark.parametrize("name", LINES)
def test_a_line(policy, name):
    text, expected = LINES[name]
    assert pick_from_paste(text, policy) == expected


@pytest.mark.parametrize("name", ORDER_LINES)
def test_an_order_line(policy, name):
    text, description, buyer, order, product = ORDER_LINES[name]
    origins = {"order_no": (1, "订单行")} | ({"buyer_id": (1, "订单行")} if buyer else {}) | (
        {"product_at": (1, "订单行")} if product else {})
    assert pick_from_paste(text, policy, now=T0) == _picked(description, buyer=buyer, order=order, product=product,
                                                            **origins)


def test_the_shop_and_its_agents_are_kept_as_copied_without_the_indent(policy):
    text = "  旗舰店 09:50:00\n您好\n 小美 09:51:00\n稍等\n阿狸 09:52:10\n在吗"
    assert pick_from_paste(text, policy, shop_name="旗舰店", now=T0, agents=["小美"]) == _picked(
        "旗舰店 09:50:00\n您好\n小美 09:51:00\n稍等\n在吗", buyer="阿狸", time="2026-11-23 09:52:10",
        buyer_id=(5, "说话人"), message_time=(5, "说话人"))


def test_the_report_names_the_kind_and_quotes_the_words(policy):
    p = pick_from_paste(f"阿狸 2026-11-23 09:50:00\n杯子裂了\n订单号:{ORDER}", policy, now=T0)
    assert p.found == ["买家", "订单号", "时间", "类型"]
    assert p.report() == [("买家", "阿狸", "第1行,说话人"), ("订单号", ORDER, "第3行,订单号:"),
                          ("时间", "2026-11-23 09:50:00", "第1行,说话人"), ("类型", "物流查询", "第2行,「裂了」")]
