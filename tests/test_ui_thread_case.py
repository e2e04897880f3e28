"""The case screen and what it opens read in workers: no SQL on the event loop's thread.

A SQLAlchemy `before_cursor_execute` hook records every statement run on the UI thread while
the keys are pressed; the test's own setup and checks run outside those stretches. The queue
(converted on its own, with its own test) is taken away first, so that what is recorded here
is the case screen's own doing.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from textual.widgets import Input, Static, TextArea

from console.cases import CaseDraft, NotFoundError
from console.notes import Notes, place_of
from console.registers import Registers
from console.screens.agent_picker import AgentPicker
from console.screens.case import CaseScreen
from console.screens.clock_dialog import StartClockDialog
from console.screens.dialogs import ChoiceDialog
from console.screens.history import HistoryScreen
from console.screens.registers import RegisterForm, RegistersScreen
from tests.conftest import T0
from tests.ui_helpers import UIThreadSQL, make_app, settle, type_text

SIZE = (130, 36)


def _case(cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", kind="return",
                                  channel="phone"), "小王")
    cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=4), note="退运费")
    cases.add_tasks(case.id, ["等快递回复签收人"], "小王")
    Notes(cases).add(case.id, "已催快递", "小王")
    cases.ensure_agent("阿珍")
    Registers(cases.db, cases.policy, cases.clock).add("return", {"buyer_id": "阿狸"}, "小王", case_id=case.id)
    return case


async def _without_the_queue(pilot) -> None:
    await settle(pilot)
    pilot.app.pop_screen()
    await settle(pilot)


async def _press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def test_the_case_screen_and_its_dialogs_read_in_workers(db, policy, clock, cases):
    case = _case(cases)
    app = make_app(db, policy, clock)
    with UIThreadSQL(db) as sql:
        async with app.run_test(size=SIZE) as pilot:
            await _without_the_queue(pilot)
            sql.armed = True
            app.open_case(case.id)
            await settle(pilot)
            case_screen = app.screen
            assert isinstance(case_screen, CaseScreen) and case_screen.detail is not None
            await _press(pilot, "s")  # the status dialog: resolve, satisfied
            assert isinstance(app.screen, ChoiceDialog)
            labels = [text for _, text in app.screen.options]
            await _press(pilot, str(labels.index("已解决") + 1), "1")
            assert "答应买家" in app.screen.heading  # what still runs, read in a worker
            await _press(pilot, "escape")
            for key in ("k", "e", "f", "i", "d"):  # kind, escalate, refund, 小二介入, end clock
                await _press(pilot, key)
                assert app.screen is not case_screen
                await _press(pilot, "escape")
            await _press(pilot, "u", "m", "r")  # urgent, claim, first reply: writes
            assert case_screen.detail.case.assignee == "小王"  # reloaded after the writes
            await _press(pilot, "a")  # the colleague picker, filtered by typing
            assert isinstance(app.screen, AgentPicker)
            await type_text(pilot, "阿")
            await settle(pilot)
            await _press(pilot, "escape", "t")  # the clock dialog
            assert isinstance(app.screen, StartClockDialog)
            await _press(pilot, "escape", "n")  # a note, saved
            await type_text(pilot, "已联系仓库")
            await _press(pilot, "ctrl+s", "escape", "f2", "f2")
            await _press(pilot, "x")  # tasks
            assert isinstance(app.screen, ChoiceDialog)
            await _press(pilot, "1")  # one ticked: a write, then every screen hears of it
            await _press(pilot, "h")  # history
            assert isinstance(app.screen, HistoryScreen)
            await _press(pilot, "down", "escape", "g", "1")  # a register row for the case
            assert isinstance(app.screen, RegisterForm)
            await type_text(pilot, "阿狸")
            await _press(pilot, "ctrl+s")
            assert isinstance(app.screen, CaseScreen)
            app.push_screen(RegistersScreen(case_id=case.id))
            await settle(pilot)
            await _press(pilot, "2", "1", "enter")  # another register, back, edit a row
            assert isinstance(app.screen, RegisterForm)
            await _press(pilot, "escape", "escape")
            app.push_screen(RegisterForm.for_row(app, "return", 1))  # the wizard opens rows so
            await settle(pilot)
            assert app.screen.query_one("#f-buyer_id", Input).value == "阿狸"
            await _press(pilot, "escape")
            clock.advance(seconds=5)
            app.tick()
            await settle(pilot)
            await _press(pilot, "n")
            await type_text(pilot, "没写完")
            await _press(pilot, "escape", "escape")  # leave the case before the draft's autosave
            sql.armed = False
            assert not isinstance(app.screen, CaseScreen)
    assert not sql.seen, sql.report()
    assert Notes(cases).draft("小王", place_of(case.id)) == "没写完"
    notes = [n.body for n in Notes(cases).current(case.id)]
    assert notes == ["已催快递", "已联系仓库"]
    assert len(Registers(db, policy, clock).rows("return")) == 2


async def test_the_case_screen_draws_a_placeholder_until_the_case_arrives(db, policy, clock, cases, monkeypatch):
    case = _case(cases)
    app = make_app(db, policy, clock)
    release = threading.Event()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        real_get = app.cases.get

        def slow_get(case_id):
            release.wait(5)  # a lock held elsewhere, a slow network
            return real_get(case_id)

        monkeypatch.setattr(app.cases, "get", slow_get)
        app.open_case(case.id)
        for _ in range(3):
            await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CaseScreen) and screen.detail is None
        title = str(screen.query_one("#case-title", Static).render())
        assert f"工单 #{case.id}" in title and "载入中…" in title
        # The keys do not wait: the pane takes typing, a key that needs the case says so.
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is screen and "还在载入" in app.messages[-1].text
        await pilot.press("n")
        await type_text(pilot, "先记")
        assert screen.query_one("#notes-input", TextArea).text == "先记"
        release.set()
        await settle(pilot)
        assert screen.detail is not None and screen.detail.case.id == case.id
        title = str(screen.query_one("#case-title", Static).render())
        assert "载入中" not in title and "阿狸" in title
        shot = app.export_screenshot()
        assert "等快递回复签收人" in shot and "已催快递" in shot  # the checklist and the notes
        assert screen.query_one("#notes-input", TextArea).text == "先记"  # the typing kept


async def test_a_case_deleted_while_open_is_said_and_left(db, policy, clock, cases, monkeypatch):
    case = _case(cases)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_case(case.id)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CaseScreen)

        def gone(case_id):
            raise NotFoundError(f"找不到工单 #{case_id}")

        monkeypatch.setattr(app.cases, "get", gone)
        screen.load()
        await settle(pilot)
        assert app.screen is not screen
        assert any(f"找不到工单 #{case.id}" in m.text for m in app.messages)


async def test_an_enter_typed_before_the_roster_arrived_is_carried_out(db, policy, clock, cases, monkeypatch):
    case = _case(cases)
    app = make_app(db, policy, clock)
    release = threading.Event()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_case(case.id)
        await settle(pilot)
        real_roster = app.cases.roster

        def slow_roster():
            release.wait(5)
            return real_roster()

        monkeypatch.setattr(app.cases, "roster", slow_roster)
        await pilot.press("a")
        await type_text(pilot, "阿珍")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AgentPicker)
        assert "载入中…" in str(app.screen.query_one("#picker-list").get_option_at_index(0).prompt)
        release.set()
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert app.cases.get(case.id).case.assignee == "阿珍"
