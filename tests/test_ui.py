"""The console driven by keys, as an agent uses it (Textual Pilot, real SQLite file)."""

import os
from datetime import timedelta

from textual import events
from textual.widgets import Input, Static

from console.cases import Cases
from console.db import Database, resolve_url
from console.intake import CaseDraft
from console.screens.case import CaseScreen
from console.screens.dialogs import ConfirmDialog
from console.screens.help import HelpScreen
from console.screens.new_case import NewCaseScreen
from console.screens.queue import QueueScreen
from tests.ui_helpers import make_app, settle, type_text

SIZE = (140, 40)


async def test_create_a_case_by_pasting_from_qianniu(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, NewCaseScreen)
        paste = "小鱼儿2018 2026-11-23 09:59:50\n快递三天没动了 订单号:3712345678901234567"
        app.screen.focused.post_message(events.Paste(paste))
        await settle(pilot)
        assert app.screen.query_one("#buyer_id", Input).value == "小鱼儿2018"
        assert app.screen.query_one("#order_no", Input).value == "3712345678901234567"
        assert app.screen.query_one("#message_time", Input).value == "2026-11-23 09:59:50"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        detail = app.cases.get(app.screen.case_id)
        assert detail.case.buyer_id == "小鱼儿2018"
        assert detail.case.kind == "logistics"
        # First-reply clock from the buyer's message (10 s ago), not from saving.
        first = next(d for d in detail.deadlines if d.kind == "first_response")
        assert first.due_at == clock.now() + timedelta(seconds=20)


async def test_bad_input_in_the_form_is_explained_and_saves_nothing(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.press("tab")  # to the buyer field
        screen = app.screen
        screen.query_one("#order_no", Input).value = "12345abc"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewCaseScreen)
        assert "买家" in str(screen.query_one("#buyer_id-error").render())
        assert "数字" in str(screen.query_one("#order_no-error").render())
        assert app.reader.counts(clock.now()).open == 0
        # Leaving keeps the draft; coming back restores it.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#order_no", Input).value == "12345abc"


async def test_the_new_case_form_survives_the_console_closing(db, db_path, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await type_text(pilot, "阿狸说快递没到")
        await pilot.pause(0.8)  # the autosave debounce
        await settle(pilot)
    # The console ended without saving; a new one restores the form.
    again = make_app(Database(resolve_url(str(db_path))), policy, clock)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        from textual.widgets import TextArea

        assert again.screen.query_one("#paste", TextArea).text == "阿狸说快递没到"
        assert again.screen.query_one("#kind").value == "logistics"
        # Clearing the form and saving a case leaves no draft behind.
        again.screen.query_one("#buyer_id", Input).value = "阿狸"
        await pilot.press("ctrl+s")
        await settle(pilot)
        from console.notes import Notes

        assert Notes(again.cases).draft("小王", "new_case") == ""


async def test_find_open_and_work_a_case_with_keys(db, policy, clock, cases):
    cases.create(CaseDraft(buyer_id="糖糖", order_no="2222222222", channel="phone"), "阿珍")
    target = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", kind="return"), "阿珍")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "37123")
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.table
        assert table.total == 1 and table.current.id == target.id
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id == target.id

        await pilot.press("r")  # first reply sent
        await settle(pilot)
        await pilot.press("s", "2")  # status: 2nd choice from in_progress is 等仓库
        await settle(pilot)
        await pilot.press("u")  # urgent
        await settle(pilot)
        await pilot.press("a")
        await type_text(pilot, "老陈")
        await pilot.press("enter")
        await settle(pilot)
        c = app.cases.get(target.id).case
        assert c.first_replied_at == clock.now()
        assert c.status == "waiting_warehouse"
        assert c.urgent is True
        assert c.assignee == "老陈"
        # 老陈 has it now: claiming is refused with who has it.
        await pilot.press("m")
        await settle(pilot)
        assert app.cases.get(target.id).case.assignee == "老陈"
        assert any("老陈 接手" in m.text for m in app.messages)
        await pilot.press("h")
        await settle(pilot)
        from console.screens.history import HistoryScreen

        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_filters_by_key(db, policy, clock, cases):
    mine = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    cases.assign(mine.id, "小王", "小王")
    cases.create(CaseDraft(buyer_id="糖糖", channel="phone", urgent=True), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert table.total == 2
        await pilot.press("m")
        await settle(pilot)
        assert table.total == 1 and table.current.id == mine.id
        await pilot.press("m", "u")
        await settle(pilot)
        assert table.total == 1 and table.current.buyer_id == "糖糖"
        await pilot.press("c", "k", "3")  # kind filter, third option: 退货? (1 全部, 2 物流, 3 退货)
        await settle(pilot)
        assert table.total == 0
        await pilot.press("c")
        await settle(pilot)
        assert table.total == 2


async def test_a_change_in_another_console_shows_without_a_key(db, db_path, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.table.total == 1
        # Another process: its own engine and connection on the same file.
        other = Cases(Database(resolve_url(str(db_path))), policy, clock)
        other.create(CaseDraft(buyer_id="糖糖", order_no="2222222222"), "阿珍")
        other.set_status(case.id, "closed", "阿珍")
        app.tick()  # the once-a-second poll
        await settle(pilot)
        table = app.screen.table
        assert table.total == 1
        assert table.current.buyer_id == "糖糖"


async def test_countdown_ticks_and_turns_red(db, policy, clock, cases):
    cases.create(CaseDraft(buyer_id="阿狸"), "小王")  # 30 s first reply
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert "00:30" in table.render_line(0).text
        clock.advance(25)
        app.tick()
        await pilot.pause()
        line = table.render_line(0)
        assert "00:05" in line.text
        clock.advance(10)
        app.tick()
        await pilot.pause()
        line = table.render_line(0)
        assert "-00:05" in line.text
        # Off the cursor row (the cursor bar draws its own colours): the overdue red itself.
        cases.create(CaseDraft(buyer_id="阿猫"), "小王")
        app.screen.reload()
        await settle(pilot)  # the reload reads in a worker
        await pilot.press("down")
        await pilot.pause()
        assert table.cursor_row == 1
        line = table.render_line(0)
        overdue_style = table.get_component_rich_style("case-table--overdue")
        countdown = next(seg for seg in line if "-00:05" in seg.text)
        assert countdown.style.color == overdue_style.color


async def test_markup_and_escapes_in_buyer_text_are_shown_inert(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="[red]坏[/x]\x1b[2J", description="型号[b]加粗\x1b]52;c;eA==\x07"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "[red]坏[/x]^[[2J" in app.screen.table.render_line(0).text
        await pilot.press("enter")
        await settle(pilot)
        fields = _text_of(app.screen.query_one("#case-fields", Static))
        assert "[red]坏[/x]^[[2J" in fields and "\x1b" not in fields
        assert app.cases.get(case.id).case.buyer_id == "[red]坏[/x]\x1b[2J"  # stored as typed


async def test_help_lists_the_keys_of_the_screen(db, policy, clock, cases):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = {desc for _, desc, _ in app.screen.rows}
        assert {"新建", "搜索", "我的", "加急", "超时", "30分内", "类型", "状态", "清除筛选"} <= keys
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


async def test_palette_finds_every_action(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for word in ("新建", "搜索", "我的", "加急", "超时", "类型", "状态", "清除筛选", "帮助"):
            assert any(t.startswith(word) for t in titles), word


async def test_empty_database_offers_demo_cases(db, policy, clock):
    app = make_app(db, policy, clock, offer_demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.table.total > 100


async def test_a_locked_database_is_a_message_not_a_crash(db, db_path, policy, clock, cases):
    import sqlite3

    import console.db as dbmod

    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        db.engine.dispose()  # new connections pick up the short timeout
        old, dbmod.BUSY_TIMEOUT_MS = dbmod.BUSY_TIMEOUT_MS, 50
        blocker = sqlite3.connect(db_path)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            await pilot.press("u")
            await settle(pilot)
            await pilot.press("n")
            await type_text(pilot, "已催仓库")
            await pilot.press("ctrl+s")
            await settle(pilot)
        finally:
            blocker.rollback()
            blocker.close()
            dbmod.BUSY_TIMEOUT_MS = old
        assert isinstance(app.screen, CaseScreen)
        messages = [m.text for m in app.messages]
        assert any("占用" in m for m in messages)
        assert app.cases.get(case.id).case.urgent is False
        assert app.cases.get(case.id).notes == []
        # The note that could not be saved is still in the notes pane; saving again works.
        from textual.widgets import TextArea

        assert app.screen.query_one("#notes-input", TextArea).text == "已催仓库"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [n.body for n in app.cases.get(case.id).notes] == ["已催仓库"]


async def test_a_failing_read_is_a_message_not_a_crash(db, policy, clock, cases, monkeypatch):
    from sqlalchemy.exc import OperationalError

    cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def broken(*args, **kwargs):
            raise OperationalError("SELECT", {}, Exception("disk I/O error"))

        monkeypatch.setattr(app.reader.db.engine, "connect", broken)
        app.screen.reload()
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert any("磁盘" in m.text for m in app.messages)


async def test_the_case_shows_what_is_known_of_order_and_refund_and_nothing_empty(db, policy, clock, cases):
    typed = cases.create(CaseDraft(buyer_id="阿猫"), "小王")
    known = cases.create(CaseDraft(buyer_id="阿狸", order_no="301234567890000001"), "小王")
    with cases.edit(known.id, "小王") as e:
        e.set_facts({"refund_no": "2026112200000001", "order_amount": "59.00", "refund_amount": "30.00",
                     "return_tracking_no": "SF1234\x1b[2J", "return_carrier": "顺丰", "province": "浙江省",
                     "items": "保温杯 ×1"}, "导入 退款.csv")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_case(known.id)
        await settle(pilot)
        fields = _text_of(app.screen.query_one("#case-fields", Static))
        assert "2026112200000001" in fields and "订单实付 59.00元" in fields and "退款金额 30.00元" in fields
        assert "SF1234^[[2J 顺丰" in fields and "浙江省" in fields and "保温杯 ×1" in fields
        await pilot.press("escape")
        await settle(pilot)
        app.open_case(typed.id)
        await settle(pilot)
        fields = _text_of(app.screen.query_one("#case-fields", Static))
        assert "阿猫" in fields and "退款编号" not in fields and "退货物流" not in fields and "金额" not in fields


def _text_of(static) -> str:
    """What a Static shows, as plain text (its Rich table drawn wide enough for one line each)."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(static.content)
    return console.export_text()
