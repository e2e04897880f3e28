"""What a reply promises, held against the SOP outcomes it is linked to (phrase_rules.toml):
`phrases check` fails on a reply that contradicts its node, names both places, and the
shipped rules catch the sentences the replies used to say."""

import argparse

import pytest

from console.phrases import cli as phrases_cli
from console.phrases import lint
from console.phrases.claims import DEFAULT_CLAIMS, ClaimRulesError, load_claims

SOP = """\
[flow]
id = "return"
title = "退货"

[nodes.talk]
type = "question"
text = "买家坚持退货吗?"
choices = [
  { label = "买家不退了", next = "kept" },
  { label = "坚持退货", next = "buyer_pays" },
]

[nodes.kept]
type = "outcome"
summary = "买家不退了"
buyer_gets = ["无"]
goods_return = "none"
postage_out = "none"
postage_back = "none"

[nodes.buyer_pays]
type = "outcome"
summary = "无理由退货,来回邮费买家承担"
buyer_gets = ["退款"]
goods_return = "buyer_ships"
postage_out = "buyer"
postage_back = "buyer"
replies = [
  "return.shop_pays",
]

[nodes.shop_pays]
type = "outcome"
summary = "质量问题退货,来回邮费我司承担"
buyer_gets = ["退款", "退还垫付运费"]
goods_return = "buyer_ships"
postage_out = "shop"
postage_back = "shop"
advance_by = "buyer"
"""

REPLIES = """\
[return.shop_pays]
title: 来回运费我们承担
tags: 退货
status: approved

亲，尊重您的决定，
来回运费都由我们承担，您先垫付，收到后一起退给您。

[return.true_one]
title: 质量问题退货
tags: 退货
status: approved
sop: return.shop_pays

亲，来回运费都由我们承担，麻烦您先垫付，我们收到后连同运费一起退给您。

[return.via_question]
title: 不用寄回
tags: 退货
status: approved
sop: return.talk

亲，这个您不用寄回了。

[return.unlinked_invented]
title: 主管同意
tags: 退货
status: draft

亲，我刚跟主管申请了一下，这已经是我们能给到的最大诚意了。
仓库今天内安排发出。
"""


@pytest.fixture
def tree(tmp_path):
    lib = tmp_path / "phrases"
    lib.mkdir()
    (lib / "return.txt").write_text(REPLIES, encoding="utf-8")
    sop = tmp_path / "sop"
    sop.mkdir()
    (sop / "return.toml").write_text(SOP, encoding="utf-8")
    forbidden = tmp_path / "forbidden.toml"
    forbidden.write_text("", encoding="utf-8")
    return lib, forbidden, sop


def errors(problems):
    return [str(p) for p in problems if p.level == "error"]


def run_check(lib, forbidden, sop, *extra):
    parser = argparse.ArgumentParser()
    phrases_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["phrases", "--dir", str(lib), "--forbidden", str(forbidden),
                              "--sop-dir", str(sop), *extra, "check"])
    return phrases_cli.run(args)


def test_check_fails_on_a_reply_that_contradicts_its_node(tree, capsys):
    lib, forbidden, sop = tree
    assert run_check(lib, forbidden, sop) == 1
    out = capsys.readouterr().out
    reply_file, sop_file = lib / "return.txt", sop / "return.toml"
    # The tree links return.shop_pays to buyer_pays, where the buyer pays both ways: the
    # error is at the reply's line of the claim and names the outcome's file and line.
    line = next(m for m in out.splitlines() if m.startswith(f"{reply_file}:7: return.shop_pays"))
    assert "来回运费由我们承担" in line and "return.buyer_pays" in line
    assert f"({sop_file}:21)" in line and "postage_back = buyer" in line
    assert f"{sop_file}:29 的 replies" in line  # where the link comes from
    # The same claim on an outcome that gives it is fine.
    assert "return.true_one" not in out


def test_a_link_to_a_question_counts_for_every_outcome_it_leads_to(tree):
    lib, forbidden, sop = tree
    found = [m for m in errors(lint(lib, forbidden, sop)) if "return.via_question" in m]
    # talk leads to kept (nothing comes back: true) and buyer_pays (goods come back: untrue).
    assert len(found) == 1
    assert "return.buyer_pays" in found[0] and "经由步骤 return.talk" in found[0]
    assert "goods_return = buyer_ships" in found[0]


def test_invented_approvals_maximums_and_same_day_shipping_are_flagged_anywhere(tree):
    lib, forbidden, sop = tree
    found = [m for m in errors(lint(lib, forbidden, sop)) if "return.unlinked_invented" in m]
    f = lib / "return.txt"
    assert any(m.startswith(f"{f}:30: ") and "跟主管申请" in m and "编造的审批" in m for m in found)
    assert any(m.startswith(f"{f}:30: ") and "最大诚意" in m for m in found)
    assert any(m.startswith(f"{f}:31: ") and "今天内安排发出" in m and "当天发货" in m for m in found)


def test_without_the_rule_table_nothing_is_said_about_promises(tree):
    lib, forbidden, sop = tree
    assert not [m for m in errors(lint(lib, forbidden, sop, None)) if "return.shop_pays" in m]


def test_a_shops_own_rule_table_is_used(tree, tmp_path):
    lib, forbidden, sop = tree
    rules = tmp_path / "phrase_rules.toml"
    rules.write_text('[[claim]]\nname = "包邮"\nsays = ["包邮"]\nnever = "本店不包邮"\n', encoding="utf-8")
    (lib / "return.txt").write_text(REPLIES.replace("仓库今天内安排发出。", "全场包邮。"), encoding="utf-8")
    found = errors(lint(lib, forbidden, sop, rules))
    assert any("包邮" in m and "本店不包邮" in m for m in found)
    assert not any("来回运费由我们承担" in m for m in found)  # only the shop's own claims


@pytest.mark.parametrize(("text", "line", "words"), [
    ('[[claim]]\nname = "x"\nsays = ["("]\nnever = "y"\n', 3, ["正则"]),
    ('[[claim]]\nname = "x"\nsays = ["a"]\nrequires = ["postage_bak = shop"]\n', 4, ["postage_bak", "未知的结果字段"]),
    ('[[claim]]\nname = "x"\nsays = ["a"]\nrequires = ["postage_back shop"]\n', 4, ["写法"]),
    ('[[claim]]\nname = "x"\nsays = ["a"]\n', 1, ["requires", "never"]),
    ('[[claim]]\nname = "x"\nsays = ["a"]\nnever = "y"\nmeaning = "z"\n', 5, ["meaning"]),
    ('[[claim]\nname = "x"\n', 1, ["TOML"]),
])
def test_a_broken_rule_table_names_file_and_line(tmp_path, tree, text, line, words):
    rules = tmp_path / "phrase_rules.toml"
    rules.write_text(text, encoding="utf-8")
    with pytest.raises(ClaimRulesError) as err:
        load_claims(rules)
    assert any(p.line == line and all(w in p.message for w in words) for p in err.value.problems)
    lib, forbidden, sop = tree
    assert any(m.startswith(f"{rules}:{line}: ") for m in errors(lint(lib, forbidden, sop, rules)))


# ---- the shipped rules and replies ----


@pytest.fixture(scope="module")
def claims():
    return {c.name: c for c in load_claims(DEFAULT_CLAIMS)}


@pytest.mark.parametrize(("untrue", "claim"), [
    # The sentences the issue quotes, as they stood: each is caught by a rule.
    ("亲，理解您的想法，我刚跟主管申请了一下，补偿可以提高到{amount}元", "主管批准 (编造的审批)"),
    ("这已经是我们能给到的最大诚意了。", "最高 / 最大诚意 (编造的上限)"),
    ("{amount}元已经是我们这次能给到的最高补偿了", "最高 / 最大诚意 (编造的上限)"),
    ("您的感受我已经如实转达给主管了。刚刚帮您争取到，补偿可以提高到{amount}元", "主管批准 (编造的审批)"),
    ("这一批是厂家更换了外包装，里面是同一款产品", "厂家的决定 (未核实)"),
    ("我已经联系仓库优先为您打包，今天内安排发出", "当天发货"),
    ("在这之前付款都有效，付款后我们当天安排发货。", "当天发货"),
    ("我们这边会在退款申请里注明“买家已协商不退款”后关闭它", "卖家关闭退款申请"),
])
def test_each_untrue_sentence_of_the_issue_is_caught(claims, untrue, claim):
    assert claims[claim].search(untrue) is not None


@pytest.mark.parametrize(("said", "claim", "fields", "true"), [
    ("来回运费都由我们承担", "来回运费由我们承担", {"postage_out": "shop", "postage_back": "shop"}, True),
    ("来回运费都由我们承担", "来回运费由我们承担", {"postage_out": "none", "postage_back": "none"}, False),
    ("补发的运费由我们承担", "运费由我们承担", {"postage_out": "shop", "postage_back": "none"}, True),
    ("运费不用您承担", "运费/费用不用买家承担", {"postage_out": "courier", "postage_back": "courier"}, True),
    ("运费不用您承担", "运费/费用不用买家承担", {"postage_out": "shop", "postage_back": "buyer"}, False),
    ("来回运费需要您承担", "来回运费由买家承担", {"postage_out": "buyer", "postage_back": "buyer"}, True),
    ("您不用寄回", "不用寄回 / 不用再跑一趟", {"goods_return": "buyer_ships"}, False),
    ("不会让您多跑一趟路", "不用寄回 / 不用再跑一趟", {"goods_return": "none"}, True),
    ("麻烦您先垫付运费", "买家先垫付运费, 之后退还", {}, False),  # advance_by left out = none
    ("是出厂时密封没有做好", "出厂原因", {"summary": "快递运输漏液不严重,补中样,损失记快递"}, False),
    ("是出厂时密封没有做好", "出厂原因", {"summary": "密封不好漏液,协商补相应产品的中小样"}, True),
    ("补偿您{amount}元", "退给买家一笔钱", {"buyer_gets": ["小样"]}, False),
    ("补偿您{amount}元", "退给买家一笔钱", {"buyer_gets": ["补偿"]}, True),
])
def test_shipped_claims_hold_only_where_the_outcome_says_so(claims, said, claim, fields, true):
    rule = claims[claim]
    assert rule.search(said) is not None
    assert (rule.unmet(fields) == []) is true


def test_shop_pays_is_not_read_into_a_denial(claims):
    # "运费不用您出" says who does not pay; it is not the shop-pays or the buyer-pays claim.
    for name in ("运费由我们承担", "运费由买家承担", "来回运费由买家承担"):
        assert claims[name].search("空瓶和运费都不用您出") is None


def test_the_shipped_library_keeps_every_promise_its_outcomes_make():
    found = errors(lint())  # the shipped rule table, replies and SOP trees
    assert found == []
