"""The figures screen (主管数据), driven by keys over the hand-built history of
tests/metrics_history.py (nine cases on 2026-11-23 and 24; now is 11-25 12:00 shop time).
The values asserted are those worked out by hand in tests/test_metrics.py."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from textual.widgets import DataTable, Label

from console.figure_days import parse_days, preset_days
from console.metrics import Scope
from console.screens.case import CaseScreen
from console.screens.dialogs import PromptDialog
from console.screens.figure_drill import FigureDrillScreen
from console.screens.figure_pickers import AgentScopePicker, FormulaDialog
from console.screens.figures import FiguresScreen
from console.screens.help import HelpScreen
from console.widgets.keybar import KeyBar
from console.widgets.spark import spark
from tests.metrics_history import build
from tests.ui_helpers import UIThreadSQL, make_app, settle, type_text

SIZE = (80, 24)


@pytest.fixture
def history(cases, clock):
    return build(cases, clock)


def _cells(screen: FiguresScreen, figure_id: str) -> list[str]:
    return [str(c) for c in screen.query_one(DataTable).get_row(figure_id)]


def _status(app) -> str:
    return app.screen.query_one(KeyBar).status_text


async def _open(pilot) -> FiguresScreen:
    await settle(pilot)
    await pilot.press("F")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FiguresScreen)
    return screen


async def test_F_opens_the_figures_with_the_values_worked_out_by_hand(db, policy, clock, history):
    app = make_app(db, policy, clock)
    with UIThreadSQL(db) as sql:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            sql.armed = True  # from here on, every read is in a worker
            screen = await _open(pilot)
            title = str(screen.query_one("#fig-title").render())
            assert "近30天" in title and "2026-10-27 至 2026-11-25" in title and "全团队" in title
            # First response: 5 of 8 buyer-started cases within the limit (30 s exactly counts).
            name, value, trend, rank = _cells(screen, "first_response")
            assert (name, value, rank) == ("首次响应", "62.5%", "")
            # One character a day: nothing before 11-23, 3/6 then 2/2, nothing today.
            assert trend == "·" * 27 + "▅█·"
            assert _cells(screen, "shop_clocks")[1] == "70.0%"  # 7 met, 3 missed
            assert _cells(screen, "platform_lapsed")[1] == "1件"  # C9's refund clock
            assert _cells(screen, "satisfaction")[1] == "66.7%"  # 4 of 6 rated satisfied
            assert _cells(screen, "escalations")[1] == "2件"
            assert "14 项" in str(screen.query_one("#fig-progress").render())
            # The line under the table: the figure under the cursor, all its numbers.
            assert "中位" in str(screen.query_one("#fig-detail").render())
    assert not sql.seen, sql.report()


async def test_ranges_agent_and_kind_change_the_figures(db, policy, clock, history):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("1")  # today, 11-25: nothing happened yet
        await settle(pilot)
        assert "今天" in str(screen.query_one("#fig-title").render())
        assert _cells(screen, "first_response")[1] == "—"

        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one("Input").value = ""
        await type_text(pilot, "2026-11-24..2026-11-24")
        await pilot.press("enter")
        await settle(pilot)
        # Day 2 only: C8 20 s and C9 5 s, both within.
        assert _cells(screen, "first_response")[1] == "100.0%"
        assert _cells(screen, "first_response")[2] == "██"  # one day: two cells where there is room

        await pilot.press("4")  # back to 30 days
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, AgentScopePicker)
        for _ in range(picker.names.index("阿珍") + 1):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert "客服 阿珍" in str(screen.query_one("#fig-title").render())
        # 阿珍: C3 45 s (missed), C8 20 s: 1 of 2, tied second of three with 老陈.
        assert _cells(screen, "first_response")[1:] == ["50.0%", "·" * 27 + "▁█·", "第2/3"]

        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")  # 全团队 is first
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("8")  # 投诉纠纷
        await settle(pilot)
        assert "投诉纠纷" in str(screen.query_one("#fig-title").render())
        assert _cells(screen, "work_mix")[1] == "1件"  # only C8
        assert _cells(screen, "first_response")[1] == "100.0%"


async def test_this_shift_is_the_agents_open_shift_or_said_to_be_today(db, policy, clock, history):
    # 阿珍 started her shift on 11-24 at 09:00 and has not handed over.
    app = make_app(db, policy, clock, agent="阿珍")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("2")
        await settle(pilot)
        title = str(screen.query_one("#fig-title").render())
        assert "本班 (11-24 09:00 起,按整天算)" in title and "2026-11-24 至 2026-11-25" in title
        assert _cells(screen, "first_response")[1] == "100.0%"
    # 小王 handed over at 18:00 and starts a new shift as his console opens: today, from now.
    app = make_app(db, policy, clock, agent="小王")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("2")
        await settle(pilot)
        title = str(screen.query_one("#fig-title").render())
        assert "本班 (11-25 12:00 起,按整天算) 2026-11-25 ·" in title


async def test_a_bad_typed_range_is_explained_and_changes_nothing(db, policy, clock, history):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        before = screen.scope
        for text, said in (("2026-13-01..2026-11-24", "没有这一天: “2026-13-01”"),
                           ("2026-11-24..2026-11-01", "开始日期 2026-11-24 晚于结束日期 2026-11-01"),
                           ("上周", "“上周”不是日期")):
            await pilot.press("t")
            await settle(pilot)
            dialog = app.screen
            dialog.query_one("Input").value = ""
            await type_text(pilot, text)
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is dialog  # still open, the message under the field
            assert said in str(dialog.query_one(".dialog-error", Label).render())
            await pilot.press("escape")
            await settle(pilot)
        assert app.screen is screen and screen.scope == before
        assert _cells(screen, "first_response")[1] == "62.5%"


async def test_question_mark_explains_the_figure_and_F1_lists_the_keys(db, policy, clock, history):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("?")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FormulaDialog) and dialog.info.id == "first_response"
        from rich.console import Console

        console = Console(width=200, record=True)
        console.print(dialog.query_one("#formula-body").content)
        text = console.export_text()
        info = screen.selected_info()
        assert info.formula[:8] in text and info.agent_rule[:6] in text and "62.5%" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        keys = {desc: key for key, desc, _ in app.screen.rows}
        assert keys["公式"] == "?" and keys["明细"] and keys["导出"] == "x"


async def test_enter_drills_down_and_opens_a_case_and_esc_comes_back(db, policy, clock, history):
    app = make_app(db, policy, clock)
    names = {v: k for k, v in history.items()}
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        await pilot.press("down")  # 店铺时效达标
        await pilot.press("enter")
        await settle(pilot)
        drill = app.screen
        assert isinstance(drill, FigureDrillScreen) and drill.info.id == "shop_clocks"
        assert [names[r.case_id] for r in drill.rows] == ["C5", "C6", "C9"]
        await pilot.press("down", "enter")  # C6
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id == history["C6"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is drill
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.selected_info().id == "shop_clocks"


async def test_export_writes_xlsx_and_csv_and_a_failure_is_said(db, policy, clock, history):
    from openpyxl import load_workbook

    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot)
        await pilot.press("x")
        await settle(pilot)
        folder = app.home.exports_dir
        xlsx = sorted(folder.glob("主管数据-20261027-20261125-全团队-*.xlsx"))
        said = _status(app).replace("\n", "")
        assert len(xlsx) == 1 and xlsx[0].name in said and str(folder) in said
        wb = load_workbook(xlsx[0])
        assert wb.sheetnames[:2] == ["汇总", "每日"] and "公式" in wb.sheetnames
        rows = [r for r in wb["汇总"].iter_rows(values_only=True) if r[0] == "首次响应"]
        assert any(r[-1] == 0.625 for r in rows)
        with open(xlsx[0].with_suffix(".csv"), encoding="utf-8-sig") as f:
            assert any(row[:1] == ["【汇总】"] for row in csv.reader(f))

        # A file where the folder should be: said on the status line, nothing else changes.
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
        folder.write_text("not a folder")
        await pilot.press("x")
        await settle(pilot)
        said = _status(app).replace("\n", "")
        assert "导出失败" in said and str(folder) in said and "不是文件夹" in said


async def test_the_palette_and_the_queue_help_offer_the_figures(db, policy, clock, history):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "主管数据 (F)" in titles
        await pilot.press("?")
        await settle(pilot)
        assert ("F", "主管数据", "主管数据: 按客服/按天的服务数据") in app.screen.rows


async def test_a_newer_choice_wins_over_one_still_computing(db, policy, clock, history):
    import threading

    app = make_app(db, policy, clock)
    metrics = app.services.metrics
    real, gate, started = metrics.compute_all, threading.Event(), threading.Event()

    def slow(scope, progress=None, only=None, **kw):
        if scope.start == scope.end:  # "today" hangs after its first figure until let go
            progress(1, 14, "首次响应")
            started.set()
            gate.wait(10)
        return real(scope, progress, only, **kw)

    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        metrics.compute_all = slow
        await pilot.press("1")
        while not started.is_set():
            await pilot.pause(0.01)
        await pilot.pause()
        assert "计算中" in str(screen.query_one("#fig-progress").render())
        assert _cells(screen, "first_response")[1] == "…"
        # The keys answer while it computes: `?` opens and closes, then a newer choice.
        await pilot.press("?")
        assert isinstance(app.screen, FormulaDialog)
        await pilot.press("escape")
        await pilot.press("4")
        gate.set()  # the old one runs on, sees it was cancelled, and is never shown
        await settle(pilot)
        assert "近30天" in str(screen.query_one("#fig-title").render())
        assert screen.shown == screen.scope and _cells(screen, "first_response")[1] == "62.5%"


async def test_esc_while_it_computes_goes_back_and_nothing_breaks(db, policy, clock, history):
    import threading

    from console.screens.queue import QueueScreen

    app = make_app(db, policy, clock)
    metrics = app.services.metrics
    real, gate, started = metrics.compute_all, threading.Event(), threading.Event()

    def slow(scope, progress=None, only=None, **kw):
        progress(1, 14, "首次响应")
        started.set()
        gate.wait(10)
        return real(scope, progress, only, **kw)

    metrics.compute_all = slow
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("F")
        while not started.is_set():
            await pilot.pause(0.01)
        await pilot.press("escape")
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and app.is_running


async def test_r_reads_the_newest_records(db, policy, clock, cases, history):
    from console.intake import CaseDraft

    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        assert _cells(screen, "work_mix")[1] == "9件"
        cases.create(CaseDraft(buyer_id="又一位买家", kind="other"), "阿珍")  # another desk, just now
        await pilot.press("r")
        await settle(pilot)
        assert _cells(screen, "work_mix")[1] == "10件"


async def test_a_failed_computation_is_said_on_the_screen(db, policy, clock, history):
    from console.db import StoreError

    app = make_app(db, policy, clock)

    def broken(scope, progress=None, only=None, **kw):
        raise StoreError("数据库读取失败 (测试)")

    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot)
        app.services.metrics.compute_all = broken
        await pilot.press("3")
        await settle(pilot)
        assert "数据库读取失败 (测试)" in str(screen.query_one("#fig-progress").render())
        await pilot.press("x")
        await settle(pilot)
        assert "按 r 重算" in _status(app)
        assert not app.home.exports_dir.exists() or not any(app.home.exports_dir.iterdir())


def test_typed_ranges_and_presets():
    today = date(2026, 11, 25)
    assert parse_days("2026-11-01..2026-11-30", date(2026, 12, 1)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert parse_days(" 2026-11-01 ~ 2026-11-03 ", today) == (date(2026, 11, 1), date(2026, 11, 3))
    assert parse_days("2026-11-24", today) == (date(2026, 11, 24), date(2026, 11, 24))
    assert "还没到" in parse_days("2026-11-24..2026-11-26", today)
    assert "最多" in parse_days("2020-01-01..2026-11-24", today)
    assert "不是日期" in parse_days("2026/11/01", today)
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    assert preset_days("week", today, None, tz)[:2] == (date(2026, 11, 23), today)  # Monday
    assert preset_days("shift", today, None, tz) == (today, today, "本班 (没有找到您进行中的班次,按今天算)")


def test_text_sparkline():
    assert spark([0, 1, 2, None], 10) == "▁▅█·"
    assert spark([None, None], 5) == "··"
    assert spark([0, 0], 5) == "▁▁"
    assert spark([1, 1, 3, 3], 2) == "▃█"  # four days in two cells: the mean of each pair


async def test_a_hostile_agent_name_is_drawn_as_text(db, policy, clock, cases, history):
    bad = "[b]坏[/red]"  # control characters are refused as names; markup is not
    cases.ensure_agent(bad)  # no cases: 0 escalations, so first in that figure's ranking
    app = make_app(db, policy, clock)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open(pilot)
        for _ in range(6):  # 升级
            await pilot.press("down")
        await settle(pilot)
        detail = str(screen.query_one("#fig-detail").render())
        assert "[b]坏[/red]" in detail
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        i = picker.names.index(bad) + 1
        assert str(picker.query_one("OptionList").get_option_at_index(i).prompt) == "[b]坏[/red]"
        await pilot.press(*["down"] * i, "enter")
        await settle(pilot)
        assert "客服 [b]坏[/red]" in str(screen.query_one("#fig-title").render())


@pytest.mark.backends("sqlite", "postgresql")
def test_this_shift_is_read_from_the_open_shift_on_both_backends(cases, clock):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from console.figure_days import shift_started
    from console.handover import Handovers

    tz = ZoneInfo("Asia/Shanghai")
    handovers = Handovers(cases)
    assert shift_started(cases.db, "小王") is None
    handovers.start_shift("小王")
    began = clock.now()
    clock.advance(hours=20)  # past midnight in Shanghai: the shift spans two shop days
    assert shift_started(cases.db, "小王") == began
    today = clock.now().astimezone(tz).date()
    assert preset_days("shift", today, began, tz)[:2] == (today - timedelta(days=1), today)
    handovers.end_shift("小王")
    assert shift_started(cases.db, "小王") is None


def test_export_file_names_keep_to_safe_characters(tmp_path):
    from datetime import datetime

    from console.figure_files import export_base

    at = datetime(2026, 11, 25, 12, 0, 5)
    scope = Scope(date(2026, 11, 1), date(2026, 11, 30), agent="../小王 A", kind="refund")
    assert export_base(tmp_path, scope, at).name == "主管数据-20261101-20261130-___小王_A-退款-20261125-120005"
