"""Keys for refund state, 小二介入, the checklist and the registers, driven as an agent would."""

from datetime import timedelta

from textual.widgets import DataTable, Input

from console.intake import CaseDraft
from console.registers import Registers
from console.screens.case import CaseScreen
from console.screens.registers import RegisterForm, RegistersScreen, parse_range
from tests.conftest import T0
from tests.ui_helpers import make_app, settle, type_text

SIZE = (130, 36)


async def _open_case(pilot, app, case_id):
    app.push_screen(CaseScreen(case_id))
    await settle(pilot)


async def test_refund_status_with_the_application_time(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="refund", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_case(pilot, app, case.id)
        await pilot.press("f", "1")  # 等待卖家同意
        await pilot.press("1")  # 买家已付款 (未发货): 2 days
        await type_text(pilot, "09:00")
        await pilot.press("enter")
        await settle(pilot)
        detail = app.cases.get(case.id)
        assert detail.case.refund_status == "waiting_seller_agree"
        clock_ = next(d for d in detail.deadlines if d.kind == "refund_auto_agree_paid")
        assert clock_.due_at == T0 - timedelta(hours=1) + timedelta(days=2)
        # 小二介入 from the time Qianniu shows: 2 and 7 working days (Monday 08:00 here).
        await pilot.press("i")
        await type_text(pilot, "08:00")
        await pilot.press("enter")
        await settle(pilot)
        detail = app.cases.get(case.id)
        assert detail.case.platform_intervened is True
        due = {d.kind: d.due_at for d in detail.running}
        assert due["platform_intervene"] == T0 - timedelta(hours=2) + timedelta(days=2)
        assert due["platform_decision"] == T0 - timedelta(hours=2) + timedelta(days=9)  # over a weekend


async def test_tick_off_a_task(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    cases.add_tasks(case.id, ["核实快递签收人", "回复买家结果"], "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_case(pilot, app, case.id)
        await pilot.press("x", "2")
        await settle(pilot)
        assert [t.done_at is not None for t in app.cases.get(case.id).tasks] == [False, True]


async def test_register_row_from_a_case_then_edit_and_export(db, policy, clock, cases, tmp_path):
    from console.home import Home

    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", kind="return"), "小王")
    app = make_app(db, policy, clock, home=Home(tmp_path / "shop"))  # exports go to <home>/exports
    async with app.run_test(size=SIZE) as pilot:
        await _open_case(pilot, app, case.id)
        await pilot.press("g", "1")  # 退件表
        await settle(pilot)
        assert isinstance(app.screen, RegisterForm)
        app.screen.query_one("#f-total", Input).value = "12.345"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RegisterForm)  # refused, form kept
        assert "两位小数" in str(app.screen.query_one("#e-total").render())
        app.screen.query_one("#f-total", Input).value = "89.9"
        app.screen.query_one("#f-product", Input).value = "玻尿酸精华 30ml"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        rows = Registers(db, policy, clock).rows("return")
        assert [(r.buyer_id, r.order_code, r.total, r.case_id) for r in rows] == [
            ("阿狸", "3712345678901234567", "89.90", case.id)
        ]

        await pilot.press("escape", "R")
        await settle(pilot)
        assert isinstance(app.screen, RegistersScreen)
        assert app.screen.query_one(DataTable).row_count == 1
        await pilot.press("enter")  # edit the row
        await settle(pilot)
        app.screen.query_one("#f-condition", Input).value = "外包装破损,内瓶完好"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Registers(db, policy, clock).rows("return")[0].condition == "外包装破损,内瓶完好"
        await pilot.press("x", "X")
        await settle(pilot)
        names = sorted(p.suffix for p in (tmp_path / "shop" / "exports").iterdir())
        assert names == [".csv", ".xlsx"]
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one(DataTable).row_count == 0


def test_parse_range():
    today = (T0 + timedelta(hours=8)).date()
    assert parse_range("", today) == (None, None)
    assert parse_range("今天", today) == (today, today)
    assert parse_range("7", today) == (today - timedelta(days=6), today)
    assert parse_range("2026-11-01~2026-11-23", today)[0].day == 1
    assert parse_range("2026-11-23~2026-11-01", today) is None
    assert parse_range("上周", today) is None


async def test_resolve_asks_satisfaction_and_unsatisfied_escalates(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    happy = cases.create(CaseDraft(buyer_id="糖糖", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_case(pilot, app, case.id)
        # From 新建 the choices are 处理中, 等买家, 等仓库, 等快递, 已解决 (5), 已关闭.
        await pilot.press("s", "5", "3")  # resolved → 不满意
        await type_text(pilot, "补偿太少")
        await pilot.press("enter")
        await settle(pilot)
        c = app.cases.get(case.id).case
        assert (c.status, c.satisfaction, c.escalated_to) == ("in_progress", "unsatisfied", "senior")
        await pilot.press("escape")
        await _open_case(pilot, app, happy.id)
        await pilot.press("s", "5", "1")  # resolved → 满意
        await settle(pilot)
        c = app.cases.get(happy.id).case
        assert (c.status, c.satisfaction) == ("closed", "satisfied")


async def test_escalate_with_a_reason(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_case(pilot, app, case.id)
        await pilot.press("e", "3")  # 风控/法务
        await pilot.press("enter")  # empty reason is refused
        await settle(pilot)
        assert app.cases.get(case.id).case.escalated_to is None
        await type_text(pilot, "买家提到律师函")
        await pilot.press("enter")
        await settle(pilot)
        c = app.cases.get(case.id).case
        assert (c.escalated_to, c.escalation_reason) == ("risk_legal", "买家提到律师函")
        await pilot.press("escape")
        await settle(pilot)
        assert "法" in app.screen.table.render_line(0).text
