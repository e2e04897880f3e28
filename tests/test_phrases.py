"""Reply scripts: the shipped library, parsing, placeholders and ranked search."""

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.phrases import (
    CATEGORIES,
    PLACEHOLDERS,
    SearchIndex,
    fill,
    has_markers,
    lint,
    load_library,
    missing_values,
    parse_text,
)
from console.phrases.pinyin import CHAR_READINGS, DOMAIN_WORDS, _char, _table, pinyin_of
from console.phrases.placeholders import MARKER

# ---- the shipped library ----


@pytest.fixture(scope="module")
def shipped():
    return load_library()


@pytest.fixture(scope="module")
def index(shipped):
    return SearchIndex(shipped.replies)


def test_shipped_library_passes_lint():
    errors = [str(p) for p in lint() if p.level == "error"]
    assert errors == []


def test_shipped_library_is_big_enough_and_covers_every_category(shipped):
    assert len(shipped.approved) >= 80
    assert {r.category for r in shipped.approved} == set(CATEGORIES)
    assert shipped.problems == []


def test_every_reply_an_sop_step_asks_for_exists_and_is_approved(shipped):
    from console.phrases.lint import read_sop

    sop = read_sop()
    if not sop.refs:
        pytest.skip("the shipped sop/ has no flows yet")
    approved = {r.id for r in shipped.approved}
    assert sorted({rid for rid, _, _ in sop.refs} - approved) == []
    # and the link back: each of those replies names at least one existing SOP step
    assert all(set(r.sop) <= sop.steps for r in shipped.replies)


def test_replies_for_a_step(shipped):
    assert "refund.nr_shipped_refuse_explain" in shipped.for_step("refund.shipped_recall")
    assert shipped.for_step("no.such_step") == []


# Replies that told buyers what was not true (an approval nobody gave, a maximum, a factory
# decision, same-day shipping, a postage payer the SOP outcome does not give): the ids the
# SOP trees link are kept, the untrue words are gone, what is true stays.
@pytest.mark.parametrize(("reply_id", "gone", "kept"), [
    ("refund.flaw_price_diff_raise", ["主管", "最大诚意", "来回运费"], ["{amount}元"]),
    ("compensation.raise_step", ["转达给主管", "争取到"], ["{amount}元"]),
    ("compensation.upper_limit", ["最高", "运费", "退货或换货"], ["交给主管重新评估"]),
    ("return.rcv_packaging_differs_gift", ["厂家", "同一款产品"], ["照片", "核实", "{gift}"]),
    ("exchange.quality_small_leak_comp", ["出厂", "{amount}"], ["中小样"]),
    ("logistics.delivery_slow_fastest", ["{deadline}", "当地网点"], ["{delivery_estimate}"]),
    ("logistics.not_shipped_urged", ["今天"], ["单号"]),
    ("payment.self_remind", ["当天"], ["三天后会自动关闭"]),
    ("payment.wangwang_message", ["当天"], ["{platform_deadline}"]),
    ("payment.change_order", ["当天"], ["尽快"]),
    ("refund.nr_paid_negotiate", ["今天"], ["优先"]),
    ("refund.nr_shipped_buyer_keeps", ["关闭"], ["拒绝这次退款申请"]),
    ("refund.flaw_else_return", ["来回运费由我们承担"], ["退货退款"]),
    ("apology.our_mistake", ["跑一趟", "多花一分钱"], ["失误"]),
    ("compensation.samples", ["今天", "{tracking_no}"], ["{gift}"]),
    ("exchange.allergy_buyer_postage", ["更温和的{product}"], ["来回运费需要您承担"]),
    ("return.rcv_courier_damage_return", ["由我们承担"], ["运费不用您承担", "先垫付"]),
])
def test_the_untrue_replies_no_longer_say_it(shipped, reply_id, gone, kept):
    reply = shipped.get(reply_id)
    assert reply is not None and reply.approved  # the id the SOP trees link is kept
    for words in gone:
        assert words not in reply.text, (reply_id, words)
    for words in kept:
        assert words in reply.text, (reply_id, words)


def test_phone_scripts_exist_for_each_situation(shipped):
    ids = shipped.ids
    for wanted in ("payment.self_opening", "payment.other_answers", "followup.received_opening",
                   "followup.not_received_check", "stock.phone_notice"):
        assert wanted in ids


def test_phrases_package_does_not_import_textual():
    code = ("import sys, console.phrases, console.phrases.cli, console.clipboard\n"
            "print([m for m in sys.modules if m.split('.')[0] == 'textual'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- parsing ----

BLOCKS = """\
# 注释
[refund.one]
标题： 退款到账说明
tags: 退款，到账、银行卡
status: Approved
sop: refund.paid_refund

亲，您好。

第二段 {amount} 元。
# 正文里的注释不算正文
客服：这行是正文

[refund.two]
title: 草稿
status: draft
正文紧跟字段也可以
"""


def test_parse_is_forgiving_about_names_colons_and_separators():
    replies, problems = parse_text(BLOCKS, Path("refund.txt"))
    assert problems == []
    one, two = replies
    assert one.title == "退款到账说明"
    assert one.tags == ("退款", "到账", "银行卡")
    assert one.status == "approved" and one.approved
    assert one.sop == ("refund.paid_refund",)
    assert one.text == "亲，您好。\n\n第二段 {amount} 元。\n客服：这行是正文"
    assert one.line("title") == 3 and one.line("text") == 8
    assert one.text_line(one.text.index("客服")) == 12  # the comment line is skipped, not counted
    assert two.text == "正文紧跟字段也可以" and not two.approved


def test_parse_reports_stray_text_and_unknown_fields_with_lines():
    source = "开头的字\n[refund.x]\ntitel: 错字\nstatus: draft\n\n正文\n"
    replies, problems = parse_text(source, Path("refund.txt"))
    assert [(p.line, "多余文字" in p.message or "未知字段" in p.message) for p in problems] == [
        (1, True), (3, True)]
    assert replies[0].title == ""


def test_line_numbers_count_only_cr_and_lf():
    # U+2028 is a line break for str.splitlines but not for editors or for `approve`.
    replies, _ = parse_text("[a.b]\ntitle: t\u2028still line 2\nstatus: draft\n\ntext\n")
    assert replies[0].line("status") == 3


# ---- placeholders ----


def test_fill_uses_case_values_and_marks_missing_ones():
    text = "订单{order_no}退款{amount}元，单号{tracking_no}，{mystery}"
    out = fill(text, {"order_no": "3151234567890123", "amount": 12, "tracking_no": "  "})
    assert out == "订单3151234567890123退款12元，单号【待填:快递单号】，【待填:mystery】"
    assert has_markers(out)
    assert missing_values(text, {"order_no": "1", "amount": 0}) == ["tracking_no", "mystery"]


def test_fill_does_not_expand_braces_inside_values():
    assert fill("{product}", {"product": "{order_no}套装"}) == "{order_no}套装"
    assert fill("没有占位符 {不是名字}") == "没有占位符 {不是名字}"


_LITERAL = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=8)
_PIECES = st.lists(st.one_of(_LITERAL, st.sampled_from(sorted(PLACEHOLDERS)).map(lambda n: "{" + n + "}")),
                   min_size=1, max_size=8).filter(lambda parts: any(p.startswith("{") for p in parts))


@given(_PIECES, st.dictionaries(st.sampled_from(sorted(PLACEHOLDERS)), st.text()))
def test_fill_never_raises_and_leaves_no_known_placeholder(pieces, values):
    # A template built from plain text and placeholders: each placeholder becomes its value,
    # or the visible marker when the value is missing or blank; the plain text stays as it is.
    expected = []
    for piece in pieces:
        name = piece[1:-1] if piece.startswith("{") and piece.endswith("}") and piece[1:-1] in PLACEHOLDERS else None
        if name is None:
            expected.append(piece)
        elif str(values.get(name, "")).strip():
            expected.append(str(values[name]).strip())
        else:
            expected.append(MARKER.format(PLACEHOLDERS[name]))
    assert fill("".join(pieces), values) == "".join(expected)


# ---- pinyin ----


def test_pinyin_full_initials_and_domain_words():
    py = pinyin_of("重新发货，延长收货")
    assert py.full == "chongxinfahuoyanchangshouhuo"
    assert py.initials == "cxfhycsh"
    assert pinyin_of("抱歉").initials == "bq"
    assert pinyin_of("绿").full == "lv"  # ü is typed as v
    assert pinyin_of("OSC 52 复制").full == "osc52fuzhi"


def _toneless(syllable):
    return "".join(c for c in unicodedata.normalize("NFD", syllable) if c.isascii())


def test_domain_words_are_needed():
    """Every domain word must differ from the plain per-character reading, or it is dead weight."""
    for word, reading in DOMAIN_WORDS.items():
        assert [_char(c) for c in word] != reading.split(), word
    for ch, reading in CHAR_READINGS.items():  # an override picks another of its readings
        readings = [_toneless(r) for r in _table()[ord(ch)].split(",")]
        assert reading in readings[1:], ch


# ---- search ----

LIB = """\
[apology.sorry]
title: 给您带来不便，非常抱歉
tags: 抱歉 致歉
status: approved

亲，非常抱歉。

[refund.agree]
title: 验货无误，同意退款
tags: 退款 验货
status: approved

您寄回的{product}已收到，退款{amount}元。

[refund.arrival]
title: 退款到账时间说明
tags: 到账 银行卡
status: approved

亲，退款原路退回。

[logistics.extend]
title: 已为您延长收货时间
tags: 延长收货 物流
status: approved

已延长收货时间，不用担心。

[logistics.lost]
title: 快递丢件，已补发
tags: 丢件 补发 物流
status: approved

非常抱歉，包裹丢失，已为您补发。

[refund.draft]
title: 退款草稿
tags: 退款
status: draft

草稿。
"""


@pytest.fixture
def small():
    replies, problems = parse_text(LIB, Path("x.txt"))
    assert problems == []
    return SearchIndex(replies)


def ids(results):
    return [r.reply.id for r in results]


def test_search_chinese_title_beats_text(small):
    results = small.search("抱歉")
    assert ids(results)[0] == "apology.sorry"
    assert "logistics.lost" in ids(results)  # found in the text, ranked lower
    assert results[0].score > results[-1].score


def test_search_full_pinyin_and_initials(small):
    assert ids(small.search("tuikuan"))[:2] == ["refund.arrival", "refund.agree"]  # title starts
    assert ids(small.search("bq"))[0] == "apology.sorry"
    assert ids(small.search("ycsh"))[0] == "logistics.extend"
    assert ids(small.search("yanchang shouhuo"))[0] == "logistics.extend"


def test_search_with_several_words_needs_all_of_them(small):
    assert ids(small.search("验货 退款")) == ["refund.agree"]
    assert ids(small.search("退款 tk")) == ["refund.arrival", "refund.agree"]
    assert small.search("验货 物流") == []


def test_search_pinyin_matches_only_from_a_syllable_start(small):
    hits = {r.reply.id: r for r in small.search("uikuan")}
    assert all(r.field == "typo" for r in hits.values())  # not an exact pinyin hit


def test_search_forgives_typos_and_homophones(small):
    typo = small.search("tuikaun")
    assert set(ids(typo)[:2]) == {"refund.agree", "refund.arrival"}
    assert typo[0].field == "typo"
    assert set(ids(small.search("退宽"))[:2]) == {"refund.agree", "refund.arrival"}
    assert "logistics.lost" in ids(small.search("快递丢见"))


def test_search_hides_drafts_unless_asked(small):
    assert "refund.draft" not in ids(small.search("退款"))
    assert "refund.draft" in ids(small.search("退款", include_drafts=True))


def test_boosted_replies_come_first_when_they_match(small):
    results = small.search("退款", boost_ids=["refund.arrival", "logistics.lost"])
    assert ids(results)[0] == "refund.arrival" and results[0].boosted
    assert "logistics.lost" not in ids(results)  # boost does not add non-matching replies


def test_empty_query_lists_boosted_then_most_used(small):
    usage = {"logistics.lost": 9, "refund.agree": 3}
    assert ids(small.search("", usage=usage))[:3] == ["logistics.lost", "refund.agree",
                                                     "apology.sorry"]
    assert ids(small.search("", usage=usage, boost_ids=["logistics.extend"]))[0] == \
        "logistics.extend"


def test_usage_breaks_ties(small):
    assert ids(small.search("物流")) == ["logistics.extend", "logistics.lost"]  # file order
    assert ids(small.search("物流", usage={"logistics.lost": 5})) == ["logistics.lost",
                                                                   "logistics.extend"]


def test_limit_and_placeholder_labels_are_searchable(small):
    assert len(small.search("", limit=2)) == 2
    assert ids(small.search("金额")) == ["refund.agree"]  # {amount} reads as 金额


def test_shipped_search_smoke(index):
    assert "退款" in index.search("tuikuan")[0].reply.title
    assert "抱歉" in index.search("bq")[0].reply.title
    assert "退款" in index.search("tuikaun")[0].reply.title
    assert index.search("guomin")[0].reply.id.split(".")[0] in {"exchange", "return"}


def test_synthetic_library_for_measuring(shipped):
    from console.phrases.synth import keystrokes, synthetic_replies

    replies = synthetic_replies(500, base=shipped.replies)
    assert len({r.id for r in replies}) == 500
    big = SearchIndex(replies)
    assert big.search("tuikuan") and big.search("退款申请") and big.search("tk")
    assert keystrokes("tk") == ["t", "tk"]
