"""`sop check` on deliberately broken trees, the loader's refusal to crash, and show / walk output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from console.sop import load_library
from console.sop.cli import main

ROOT = Path(__file__).resolve().parent.parent


def outcome(node_id: str, **override: str) -> str:
    fields = {
        "type": '"outcome"', "summary": '"结果"', "buyer_gets": '["退款"]',
        "goods_return": '"none"', "postage_out": '"none"', "postage_back": '"none"',
        "check_on_arrival": '""', "checklist": '["做事"]', "registers": '["售后问题表"]',
        "timers": '["solution"]', "replies": '["refund.agree_after_check"]',
        "next_status": '"resolved"', "case_kind": '"refund"',
    }
    fields.update(override)
    body = "\n".join(f"{k} = {v}" for k, v in fields.items() if v is not None)
    return f"[nodes.{node_id}]\n{body}\n"


HEAD = '[flow]\nid = "{id}"\ntitle = "测试"\ncase_kind = "return"\nstart = "q"\n\n'
QUESTION = ('[nodes.q]\ntype = "question"\ntext = "问?"\n'
            'choices = [{{ label = "甲", next = "{a}" }}, {{ label = "乙", next = "{b}" }}]\n')


def flow_text(flow_id: str = "mini", a: str = "a", b: str = "b", extra: str = "",
              **a_override: str) -> str:
    return (HEAD.format(id=flow_id) + QUESTION.format(a=a, b=b) + outcome("a", **a_override)
            + outcome("b") + extra)


@pytest.fixture
def sop_dir(tmp_path) -> Path:
    directory = tmp_path / "sop"
    directory.mkdir()
    (directory / "good.toml").write_text(flow_text("good"), encoding="utf-8")
    return directory


def write(directory: Path, text: str, name: str = "broken.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def check(directory: Path, capsys) -> tuple[int, str]:
    code = main(["sop", "check", "--dir", str(directory)])
    return code, capsys.readouterr().out


def test_a_good_directory_passes(sop_dir, capsys):
    code, out = check(sop_dir, capsys)
    assert code == 0 and out.startswith("OK: 1 个流程, 3 个节点, 2 个结果")


BROKEN = {
    "dangling": (flow_text(b="nowhere"), "q", "dangling"),
    "unreachable": (flow_text(extra=outcome("orphan")), "orphan", "unreachable"),
    "cycle": (flow_text(b="loop", extra=(
        '[nodes.loop]\ntype = "question"\ntext = "再问?"\n'
        'choices = [{ label = "回去", next = "q" }, { label = "结束", next = "b" }]\n')),
        "loop", "cycle"),
    "missing field": (flow_text(postage_back=None, timers=None), "a",
                      "postage_back, timers"),
    "unknown timer": (flow_text(timers='["soon"]'), "a", "未知计时类型 'soon'"),
    "unknown status": (flow_text(next_status='"done"'), "a", "next_status"),
    "unknown kind": (flow_text(case_kind='"refunds"'), "a", "case_kind"),
    "unknown register": (flow_text(registers='["退款表"]'), "a", "未知登记表"),
    "unknown payer": (flow_text(postage_out='"warehouse"'), "a", "postage_out"),
    "goods back without check": (flow_text(goods_return='"buyer_ships"', postage_back='"buyer"'),
                                 "a", "check_on_arrival"),
    "postage back without goods": (flow_text(postage_back='"shop"'), "a", "postage_back"),
    "bad reply id": (flow_text(replies='["Refund-agree"]'), "a", "回复 id"),
    "unknown key": (flow_text(postage_bak='"shop"'), "a", "postage_bak"),
    "unknown buyer_gets": (flow_text(buyer_gets='["现金"]'), "a", "buyer_gets"),
    # One rule for registers in every flow: a problem goes in 售后问题表, a reship in 重发单.
    "registers off the rule": (flow_text(registers='[]'), "a", "registers 与统一规则不符"),
    "reship without 重发单": (flow_text(buyer_gets='["重发"]'), "a", "应为 ['重发单', '售后问题表']"),
    "unknown refund status": (flow_text(refund_status='"refused"'), "a", "refund_status"),
    # Until the refusal is clicked in Qianniu the auto-agree clock runs: a refusal names it.
    "refusal without its auto-agree clock": (flow_text(refund_status='"seller_refused"'), "a",
                                             "需要在 timers 里写自动同意计时"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_trees_fail_with_file_node_and_reason(sop_dir, capsys, case):
    text, node, reason = BROKEN[case]
    path = write(sop_dir, text)
    code, out = check(sop_dir, capsys)
    assert code == 1
    lines = [line for line in out.splitlines() if str(path) in line]
    assert lines, out
    assert any(f"[{node}]" in line and reason in line for line in lines), out
    assert "good" not in "".join(lines)


def test_a_flow_that_is_not_a_problem_opens_no_problem_register(sop_dir, capsys):
    text = flow_text("calls", registers='[]').replace('start = "q"', 'start = "q"\nproblem = false')
    text = text.replace('registers = ["售后问题表"]', 'registers = []')
    write(sop_dir, text, "calls.toml")
    code, out = check(sop_dir, capsys)
    assert code == 0, out


def test_a_cycle_is_named_in_order(sop_dir, capsys):
    write(sop_dir, BROKEN["cycle"][0])
    _, out = check(sop_dir, capsys)
    assert "q → loop → q" in out or "loop → q → loop" in out


def test_errors_point_at_the_line_of_the_node(sop_dir):
    path = write(sop_dir, flow_text(timers='["soon"]'))
    library = load_library(sop_dir)
    error = next(e for e in library.errors if e.node == "a")
    assert path.read_text(encoding="utf-8").splitlines()[error.line - 1] == "[nodes.a]"
    assert str(error).startswith(f"{path}:{error.line}: [a] ")


def test_a_broken_file_never_raises_and_other_flows_still_load(sop_dir):
    write(sop_dir, "[flow\nid = 'x'", "syntax.toml")
    write(sop_dir, flow_text("mini", b="nowhere"), "dangling.toml")
    (sop_dir / "bytes.toml").write_bytes(b"\xff\xfe\x00bad")
    write(sop_dir, "[nodes.q]\ntype = 3\n", "noflow.toml")
    write(sop_dir, '[flow]\nid = "n"\ncase_kind = "return"\nstart = "q"\n[nodes]\nq = 5\n',
          "weird.toml")
    library = load_library(sop_dir)
    assert list(library.flows) == ["good"]
    assert set(library.unavailable) >= {"syntax", "mini", "bytes", "noflow", "n"}
    assert "TOML" in library.unavailable["syntax"] and "line" in library.unavailable["syntax"]
    assert "dangling" in library.unavailable["mini"]


def test_duplicate_flow_ids(sop_dir, capsys):
    write(sop_dir, flow_text("good"), "again.toml")
    code, out = check(sop_dir, capsys)
    assert code == 1 and "重复" in out and "again.toml" in out
    assert "good" in load_library(sop_dir).flows


def test_too_many_choices(sop_dir, capsys):
    choices = ", ".join(f'{{ label = "选{i}", next = "a" }}' for i in range(10))
    text = flow_text().replace(QUESTION.format(a="a", b="b"),
                               f'[nodes.q]\ntype = "question"\ntext = "问?"\nchoices = [{choices}]\n')
    write(sop_dir, text + '[nodes.c]\ntype = "confirm"\ntext = "确认"\nnext = "b"\n')
    code, out = check(sop_dir, capsys)
    assert code == 1 and "最多 9个" in out and "[c]" in out  # c and b are unreachable


def test_an_outcome_reachable_without_its_confirmation(sop_dir, capsys):
    extra = ('[nodes.ok]\ntype = "confirm"\nrule = "resale"\ntext = "可二次销售"\n'
             'next = "a"\notherwise = "b"\n')
    write(sop_dir, flow_text(a="ok", extra=extra, requires='["resale"]'))
    assert check(sop_dir, capsys)[0] == 0
    write(sop_dir, flow_text(extra=extra.replace('next = "a"', 'next = "b"'),
                             requires='["resale"]'))
    code, out = check(sop_dir, capsys)
    assert code == 1 and "[a]" in out and "resale" in out


def test_facts_nodes_must_carry_the_fields_their_rule_requires(sop_dir, capsys):
    write(sop_dir, '[facts.allergy]\nrequired = ["skin", "age"]\n', "rules.toml")
    facts = ('[nodes.f]\ntype = "facts"\nrule = "allergy"\ntext = "过敏信息"\n'
             'fields = [{ key = "skin", label = "肤质" }]\nnext = "a"\n')
    write(sop_dir, flow_text(a="f", extra=facts))
    code, out = check(sop_dir, capsys)
    assert code == 1 and "[f]" in out and "age" in out


def test_unknown_tone_set(sop_dir, capsys):
    text = flow_text().replace('text = "问?"', 'text = "问?"\ntone = ["alergy", "先致歉"]')
    write(sop_dir, text)
    code, out = check(sop_dir, capsys)
    assert code == 1 and "alergy" in out and "先致歉" not in out


def test_unknown_reply_ids_are_warnings_that_fail_check_but_keep_the_flow(sop_dir, tmp_path,
                                                                          capsys):
    ids = tmp_path / "ids.txt"
    ids.write_text("# known\nrefund.other\n", encoding="utf-8")
    code = main(["sop", "check", "--dir", str(sop_dir), "--reply-ids", str(ids)])
    out = capsys.readouterr().out
    assert code == 1 and "refund.agree_after_check" in out and "warning" in out
    library = load_library(sop_dir, reply_ids={"refund.other"})
    assert "good" in library.flows and library.errors[0].severity == "warning"
    assert load_library(sop_dir, reply_ids={"refund.agree_after_check"}).ok


def test_unknown_timer_uses_the_given_clocks(sop_dir):
    assert load_library(sop_dir, clocks={"solution"}).ok
    library = load_library(sop_dir, clocks={"refund_auto_agree_paid"})
    assert not library.ok and "solution" in str(library.errors[0])


def test_missing_directory(tmp_path, capsys):
    code, out = check(tmp_path / "nope", capsys)
    assert code == 1 and "找不到" in out


def test_check_of_the_shipped_trees_in_a_subprocess(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-c", "from console.sop.cli import main; raise SystemExit(main(['sop','check']))"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 7 个流程"), ok.stdout + ok.stderr
    bad = tmp_path / "sop"
    bad.mkdir()
    (bad / "x.toml").write_text(flow_text("x", timers='["nope"]'), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "console.sop.cli", "sop", "check", "--dir", str(bad)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1
    assert "x.toml" in out.stdout and "[a]" in out.stdout and "nope" in out.stdout
    assert "Traceback" not in out.stderr


def test_the_sop_package_does_not_import_textual():
    code = ("import sys, console.sop, console.sop.cli\n"
            "print(','.join(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == ""


# ---- show and walk ------------------------------------------------------------------------


def test_show_prints_an_indented_outline(capsys):
    assert main(["sop", "show", "return"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("退货 (return) · 起点 received")
    assert lines[1] == "[received] ? 买家收到货了吗?"
    assert lines[2] == "  1) 还没收到"
    assert lines[3].startswith("    [nr_cause] ? ")
    confirm = next(line for line in lines if "[r_noreason_resale]" in line)
    assert confirm.strip().startswith("[r_noreason_resale] ✔? 商品不影响二次销售")
    assert any("[r_allergy_facts] ✎" in line and "肤质" in line for line in lines)
    assert any("→ [r_quality_return] (见上)" in line for line in lines)


def test_show_by_title_and_unknown_flow(capsys):
    assert main(["sop", "show", "快递查询"]) == 0
    assert "[lost_confirm]" in capsys.readouterr().out
    assert main(["sop", "show", "nope"]) == 2
    assert "没有流程 'nope'" in capsys.readouterr().err


def test_show_of_an_unavailable_flow(sop_dir, capsys):
    write(sop_dir, flow_text("mini", b="nowhere"))
    assert main(["sop", "show", "mini", "--dir", str(sop_dir)]) == 2
    assert "不可用" in capsys.readouterr().err


WALK = ["sop", "walk", "return", "-a", "received=2", "-a", "r_cause=买家原因:过敏",
        "-a", "r_allergy_facts=skin:干性;age:28;region:广东;product:精华;usage:两周 每天一次;"
              "symptoms:脸颊发红;photos:3张",
        "-a", "r_allergy_talk=2", "--agent", "小王", "--date", "2026-11-23"]


def test_walk_prints_the_outcome(capsys):
    assert main(WALK) == 0
    out = capsys.readouterr().out
    assert "退货 · 结果 [r_allergy_return]" in out
    assert "[r_allergy_facts]" in out and "肤质:干性" in out
    assert "运费: 去程买家,回程买家" in out and "登记: 退件表、售后问题表" in out
    assert "计时: refund_auto_agree_shipped" in out
    assert "备注: 2026-11-23 小王 | 退货SOP: 已经收到 › 买家原因:过敏" in out


def test_walk_json(capsys):
    assert main(WALK + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["flow"] == "return" and data["outcome"]["node_id"] == "r_allergy_return"
    assert data["outcome"]["postage_back"] == "buyer"
    assert [step["node"] for step in data["path"]] == [
        "received", "r_cause", "r_allergy_facts", "r_allergy_talk"]
    assert data["memo"].startswith("2026-11-23 小王")


def test_walk_with_confirm_answers(capsys):
    args = ["sop", "walk", "exchange", "-a", "resale=2", "-a", "u_cause=3", "-a",
            "u_noreason_talk=2", "-a", "u_noreason_seal=no", "--json", "--date", "2026-11-23"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["outcome"]["node_id"] == "u_noreason_decline"


def test_walk_stops_where_an_answer_is_missing_or_refused(capsys):
    assert main(["sop", "walk", "return", "-a", "received=2"]) == 1
    err = capsys.readouterr().err
    assert "停在 [r_cause]" in err and "1) 产品质量问题" in err and "--answer r_cause=" in err
    assert main(["sop", "walk", "return", "-a", "received=2", "-a", "r_cause=2",
                 "-a", "r_allergy_facts=skin:干性"]) == 1
    err = capsys.readouterr().err
    assert "[r_allergy_facts]" in err and "还需要填写" in err and "年龄" in err
    assert main(["sop", "walk", "return", "-a", "received=7"]) == 1
    assert "1–2" in capsys.readouterr().err


def test_walk_usage_errors(capsys):
    assert main(["sop", "walk", "return", "-a", "received"]) == 2
    assert "NODE=ANSWER" in capsys.readouterr().err
    assert main(["sop", "walk", "return", "-a", "nosuch=1"]) == 2
    assert "nosuch" in capsys.readouterr().err
    assert main(["sop", "walk", "return", "-a", "received=1", "-a", "r_cause=1", "-a",
                 "nr_cause=2", "-a", "nr_shop_talk=1", "--date", "2026-11-23"]) == 0
    assert "未使用: r_cause" in capsys.readouterr().err


def test_sop_without_a_subcommand(capsys):
    assert main(["sop"]) == 2
    assert "check" in capsys.readouterr().err


def test_a_misspelt_rule_tag_is_caught(sop_dir, capsys):
    extra = ('[nodes.ok]\ntype = "confirm"\nrule = "resael"\ntext = "可二次销售"\n'
             'next = "a"\notherwise = "b"\n')
    write(sop_dir, flow_text(a="ok", extra=extra))
    code, out = check(sop_dir, capsys)
    assert code == 1 and "[ok]" in out and "resael" in out


def test_an_escalation_the_case_store_does_not_know_is_refused(sop_dir, capsys):
    write(sop_dir, flow_text("lawyer", escalate='"lawyer"'))
    code, out = check(sop_dir, capsys)
    assert code != 0
    assert "broken.toml" in out and "a" in out
    assert "未知的升级对象 'lawyer'" in out and "risk_legal (风控/法务)" in out
    assert "lawyer" not in load_library(sop_dir).flows
    # The old name a shop's copy of complaint.toml may still say: kept working, and said.
    write(sop_dir, flow_text("legal", escalate='"legal"'))
    library = load_library(sop_dir)
    assert library.flows["legal"].nodes["a"].outcome.escalate == "risk_legal"
    assert "请改为 escalate = 'risk_legal'" in str(library.errors)
    write(sop_dir, flow_text("legal", escalate='["supervisor"]'))  # not even a name: refused, no crash
    assert not load_library(sop_dir).ok
    write(sop_dir, flow_text("legal", escalate='"special_team"'))
    assert load_library(sop_dir).ok
