"""Checking the library (file:line in every message), forbidden phrasing, approving, the CLI."""

import argparse

import pytest

from console.phrases import (
    ApproveError,
    ForbiddenListError,
    approve,
    describe,
    find_forbidden,
    lint,
    load_forbidden,
    load_library,
)
from console.phrases import cli as phrases_cli

FORBIDDEN = """\
[[forbidden]]
phrase = "不清楚"
reason = "推诿"
instead = "我马上为您核实"
allow = ["看不清楚"]

[[forbidden]]
phrase = "没办法"

[[forbidden]]
phrase = "我们也没办法"
"""

SOP = """\
[flow]
id = "refund"
title = "退款"

[nodes.paid_talk]
type = "question"

[nodes.paid_refund]
type = "outcome"
replies = [
  "refund.good",
  "refund.ghost",
]
buyer_gets = ["退款"]
"""

GOOD = """\
[refund.good]
title: 同意退款
tags: 退款
status: approved
sop: refund.paid_refund

亲，退款{amount}元已经为您操作。
"""

BROKEN = """\
[refund.bad]
title: 有问题的话术
tags: 退款
status: aproved
sop: refund.paid_refnd refund.paid_talk

亲，{amout}元，
这个我们也没办法，也不清楚。

[exchange.wrong_prefix]
title: 前缀不对
tags: x
status: draft

正文

[refund.good]
tags: 重复
status: draft

[Refund Bad Id]
title: t
tags: t
status: draft

{order_no 少了括号
"""


@pytest.fixture
def tree(tmp_path):
    lib = tmp_path / "phrases"
    lib.mkdir()
    (lib / "refund.txt").write_text(GOOD + "\n" + BROKEN, encoding="utf-8")
    sop = tmp_path / "sop"
    sop.mkdir()
    (sop / "refund.toml").write_text(SOP, encoding="utf-8")
    forbidden = tmp_path / "forbidden.toml"
    forbidden.write_text(FORBIDDEN, encoding="utf-8")
    return lib, forbidden, sop


def messages(problems):
    return [str(p) for p in problems if p.level == "error"]


def test_lint_names_file_and_line_for_every_problem(tree):
    lib, forbidden, sop = tree
    found = messages(lint(lib, forbidden, sop))
    f = str(lib / "refund.txt")

    def has(line, *words):
        return any(m.startswith(f"{f}:{line}: ") and all(w in m for w in words) for m in found)

    assert has(12, "aproved")  # bad status
    assert has(13, "refund.paid_refnd", "refund.paid_refund")  # unknown step, with a suggestion
    assert not has(13, "refund.paid_talk")
    assert has(15, "{amout}", "{amount}")  # unknown placeholder, did-you-mean
    assert has(16, "不清楚", "我马上为您核实")  # forbidden, with the alternative
    assert has(16, "我们也没办法") and not has(16, "「没办法」")  # the longer phrase wins
    assert has(18, "exchange", "refund.txt")  # id prefix vs file name
    assert has(25, "重复", "refund.txt:1")  # duplicate id, pointing at the first
    assert has(25, "title") and has(25, "text")  # missing title, missing text
    assert has(29, "编号格式")  # malformed id
    assert has(34, "花括号")  # unbalanced brace
    sop_file = str(sop / "refund.toml")
    assert any(m.startswith(f"{sop_file}:12: ") and "refund.ghost" in m for m in found)
    assert not any("refund.good" in m and sop_file in m for m in found)


def test_lint_of_a_clean_library_is_empty(tmp_path, tree):
    _, forbidden, sop = tree
    lib = tmp_path / "clean"
    lib.mkdir()
    (lib / "refund.txt").write_text(GOOD, encoding="utf-8")
    (sop / "refund.toml").write_text(SOP.replace('  "refund.ghost",\n', ""), encoding="utf-8")
    assert lint(lib, forbidden, sop) == []


def test_lint_without_sop_directory_warns_but_passes(tmp_path, tree):
    lib, forbidden, _ = tree
    (lib / "refund.txt").write_text(GOOD, encoding="utf-8")
    problems = lint(lib, forbidden, tmp_path / "no-sop")
    assert [p.level for p in problems] == ["warning"]


def test_lint_reports_a_bad_forbidden_file_and_a_missing_library(tmp_path, tree):
    lib, forbidden, sop = tree
    forbidden.write_text('[[forbidden]]\nphrase = "x"\n\n[[forbidden]]\nreason = "no phrase"\n',
                         encoding="utf-8")
    assert any(m.startswith(f"{forbidden}:4: ") for m in messages(lint(lib, forbidden, sop)))
    forbidden.write_text('[[forbidden]]\nphrase = "x\n', encoding="utf-8")
    with pytest.raises(ForbiddenListError) as err:
        load_forbidden(forbidden)
    assert err.value.problems[0].line == 2
    assert messages(lint(tmp_path / "nothing", forbidden, sop))[0].endswith("话术目录不存在: "
                                                                          f"{tmp_path / 'nothing'}")


def test_broken_utf8_is_a_message_not_a_crash(tmp_path, tree):
    _, forbidden, sop = tree
    lib = tmp_path / "gbk"
    lib.mkdir()
    (lib / "refund.txt").write_bytes("[refund.a]\ntitle: 退款\n".encode("gbk"))
    assert any("UTF-8" in m and ":2:" in m for m in messages(lint(lib, forbidden, sop)))


# ---- forbidden phrasing in free text ----


def test_find_forbidden_returns_positions_for_highlighting():
    text = "亲，这个我也不清楚，你自己看吧"
    hits = find_forbidden(text)
    assert [(h.phrase, text[h.start:h.end]) for h in hits] == [("不清楚", "不清楚"),
                                                               ("你自己看", "你自己看")]
    assert hits[0].start == 6 and hits[0].instead
    assert "可改为" in describe(hits[0])


def test_find_forbidden_respects_allowed_contexts_and_nesting():
    assert find_forbidden("照片有点看不清楚，麻烦您再拍一张") == []
    assert find_forbidden("不知道您现在方便接听吗？") == []
    hits = find_forbidden("不知道。照片看不清楚，其实我也不清楚")
    assert [(h.phrase, h.start) for h in hits] == [("不知道", 0), ("不清楚", 15)]


def test_the_edited_reply_is_checked_not_just_the_library():
    reply = load_library().get("refund.nr_paid_agree")
    assert find_forbidden(reply.text) == []
    edited = reply.text + "\n这不是我们的责任，肯定是你操作错了。"
    assert {h.phrase for h in find_forbidden(edited)} == {"这不是我们的责任", "肯定是你"}


def test_shipped_forbidden_list_has_reasons_for_misleading_phrases():
    rules = load_forbidden()
    phrases = {r.phrase for r in rules}
    assert {"不清楚", "这不是我们的责任", "不知道", "不归我们管", "你自己看", "不可能", "肯定是你",
            "没办法"} <= phrases
    assert all(r.reason for r in rules if r.kind == "误导")


# ---- approve ----

DRAFTS = "# 注释\r\n[refund.new]\r\ntitle: 新话术\r\ntags: 退款\r\nstatus:  draft  \r\n\r\n亲，好的。\r\n"


def test_approve_rewrites_only_the_status_line(tmp_path):
    path = tmp_path / "refund.txt"
    path.write_bytes(DRAFTS.encode("utf-8") + GOOD.encode("utf-8"))
    before = path.read_bytes()
    assert approve("refund.new", tmp_path, rules=()) is True
    after = path.read_bytes()
    assert after == before.replace(b"status:  draft  \r\n", b"status:  approved\r\n")
    assert load_library(tmp_path).get("refund.new").approved
    assert approve("refund.new", tmp_path, rules=()) is False  # already approved: untouched
    assert path.read_bytes() == after


def test_approve_inserts_a_missing_status_line(tmp_path):
    path = tmp_path / "refund.txt"
    path.write_text("[refund.x]\ntitle: 标题\ntags: 退款\n\n正文\n", encoding="utf-8")
    approve("refund.x", tmp_path, rules=())
    assert path.read_text(encoding="utf-8") == (
        "[refund.x]\ntitle: 标题\ntags: 退款\nstatus: approved\n\n正文\n")


def test_approve_refuses_replies_with_problems_unless_forced(tmp_path):
    path = tmp_path / "refund.txt"
    path.write_text("[refund.x]\ntitle: t\ntags: 退款\nstatus: draft\n\n这个不清楚\n", encoding="utf-8")
    with pytest.raises(ApproveError) as err:
        approve("refund.x", tmp_path)
    assert any(":6:" in str(p) for p in err.value.problems)
    assert approve("refund.x", tmp_path, force=True)
    with pytest.raises(ApproveError):
        approve("refund.nope", tmp_path)


# ---- CLI ----


def run_cli(*argv):
    parser = argparse.ArgumentParser(prog="aftersales")
    phrases_cli.add_parser(parser.add_subparsers(dest="command"))
    return phrases_cli.run(parser.parse_args(["phrases", *argv]))


def test_cli_check_prints_one_error_per_line_and_exits_1(tree, capsys):
    lib, forbidden, sop = tree
    code = run_cli("--dir", str(lib), "--forbidden", str(forbidden), "--sop-dir", str(sop), "check")
    out = capsys.readouterr()
    assert code == 1
    lines = out.out.strip().splitlines()
    assert len(lines) >= 12 and all(line.split(":")[1].isdigit() for line in lines)
    assert "个错误" in out.err


def test_cli_check_search_and_approve_on_the_shipped_library(capsys, tmp_path):
    assert run_cli("check") == 0
    assert "已审核" in capsys.readouterr().out
    assert run_cli("search", "tuikuan", "--limit", "3") == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 3 and "refund." in out[0]
    assert run_cli("search", "zzzzqqqq") == 1

    (tmp_path / "refund.txt").write_text(DRAFTS, encoding="utf-8")
    assert run_cli("--dir", str(tmp_path), "approve", "refund.new") == 0
    assert "已审核通过" in capsys.readouterr().out
    assert run_cli("--dir", str(tmp_path), "approve", "refund.other") == 1


def test_a_missing_forbidden_list_is_a_clear_error(tmp_path):
    from console.phrases import default_rules

    with pytest.raises(ForbiddenListError) as err:
        default_rules(tmp_path / "none.toml")
    assert "禁用语" in str(err.value)
