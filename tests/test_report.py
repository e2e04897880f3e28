"""`aftersales report` and its exports: xlsx read back with openpyxl, CSV with its BOM, text
aligned for the terminal; hostile agent names stay text in the files."""

from __future__ import annotations

import argparse
import csv

import pytest
from openpyxl import load_workbook

from console.cli import main
from console.metrics import Metrics, Scope
from console.metrics.export import build_views, display_width, render_text
from console.report_cli import run
from tests.metrics_history import DAY1, DAY2, build, shop

pytestmark = pytest.mark.backends("sqlite", "postgresql")

HOSTILE = "=HYPERLINK(\"x\")"


@pytest.fixture
def history(cases, clock):
    ids = build(cases, clock)
    # A colleague whose name looks like a formula answers one more buyer (on day 2).
    cases.ensure_agent(HOSTILE)
    from console.intake import CaseDraft

    clock.set(shop(2, 12, 0))
    c = cases.create(CaseDraft(buyer_id="+cmd|' /C calc'!A0", kind="logistics"), "小王")
    clock.advance(10)
    cases.mark_first_reply(c.id, HOSTILE, "测试")
    clock.set(shop(3, 12, 0))
    return ids


def _args(tmp_path, fmt, by="agent", **kw):
    out = None if fmt == "text" else tmp_path / f"report.{fmt}"
    return argparse.Namespace(date_from=DAY1.isoformat(), date_to=DAY2.isoformat(), by=by, kind=kw.get("kind"),
                              only_agent=kw.get("only"), format=fmt, out=out)


def test_xlsx_read_back(history, db, policy, clock, tmp_path):
    args = _args(tmp_path, "xlsx")
    assert run(db, policy, args, clock) == 0
    wb = load_workbook(args.out)
    assert wb.sheetnames[:3] == ["汇总", "每日", "排名"]
    assert "公式" in wb.sheetnames and "店铺时效达标" in wb.sheetnames
    summary = wb["汇总"]
    rows = [tuple(c.value for c in r) for r in summary.iter_rows()]
    head = next(r for r in rows if r[0] == "数据")
    assert head[:4] == ("数据", "项目", "单位", "全团队")
    agents = head[4:]
    assert "'" + HOSTILE in agents  # the name stays text: no formula cell anywhere
    counted = next(r for r in rows if r[:2] == ("首次响应", "计入"))
    # The history's 8 buyer-started cases; the 11-23 02:00 UTC case made above is day 1 too.
    assert counted[3] == 9
    assert dict(zip(agents, counted[4:], strict=True))["阿珍"] == 2
    share = next(r for r in rows if r[:2] == ("首次响应", "限时内首次回复"))
    assert share[3] == 6 / 9
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    formulas = {r[0].value: r[1].value for r in wb["公式"].iter_rows(min_row=3)}
    assert "30 秒" in formulas["首次响应"] and "近似" in formulas["小二介入"]
    daily = [tuple(c.value for c in r) for r in wb["每日"].iter_rows()]
    assert [r[0] for r in daily[-2:]] == ["2026-11-23", "2026-11-24"]


def test_csv_has_a_bom_and_every_view(history, db, policy, clock, tmp_path):
    args = _args(tmp_path, "csv")
    assert run(db, policy, args, clock) == 0
    raw = args.out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(args.out.read_text(encoding="utf-8-sig").splitlines()))
    titles = [r[0] for r in rows if r and r[0].startswith("【")]
    assert titles[:3] == ["【汇总】", "【每日】", "【排名】"] and "【公式】" in titles
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    assert ["满意度", "满意", "件", "4"] == next(r for r in rows if r[:2] == ["满意度", "满意"])[:4]


def test_text_is_aligned_by_display_width(history, db, policy, clock, tmp_path):
    metrics = Metrics(db, policy, clock)
    text = render_text(build_views(metrics.compute_all(Scope(DAY1, DAY2))))
    lines = text.splitlines()
    block = lines[lines.index("== 汇总 ==") + 3:]
    block = block[:block.index("")]
    # The fourth column starts at the same cell on every row, Chinese counting two.
    starts = {display_width(line[:line.index(next(p for p in line.split("  ")[3:] if p))]) for line in block[1:6]}
    assert len(starts) == 1
    assert "66.7%" in text  # 6 of 9 within the limit
    assert display_width("首次响应") == 8


def test_bad_input_is_a_message(db, policy, clock, tmp_path, capsys):
    args = _args(tmp_path, "xlsx")
    args.date_from = "2026-13-01"
    assert run(db, policy, args, clock) == 2
    assert "--from" in capsys.readouterr().err
    args = _args(tmp_path, "xlsx")
    args.out = None
    assert run(db, policy, args, clock) == 2
    args = _args(tmp_path, "text")
    args.date_from, args.date_to = "2026-11-24", "2026-11-23"
    assert run(db, policy, args, clock) == 2


@pytest.mark.backends("sqlite")
def test_the_command_is_wired(history, db_path, tmp_path, capsys):
    out = tmp_path / "月报.xlsx"
    assert main(["--db", str(db_path), "report", "--from", "2026-11-23", "--to", "2026-11-24", "--by", "agent",
                 "--out", str(out)]) == 0
    assert "已写入" in capsys.readouterr().out
    assert "汇总" in load_workbook(out).sheetnames
    assert main(["--db", str(db_path), "report", "--from", "2026-11-23", "--to", "2026-11-24",
                 "--kind", "complaint"]) == 0
    text = capsys.readouterr().out
    assert "类型: 投诉纠纷" in text and "== 公式 ==" in text
