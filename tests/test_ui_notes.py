"""The notes pane on the case screen: edit my last note by key; a paste stored exactly."""

from textual.widgets import Static, TextArea

from console.intake import CaseDraft
from console.notes import Notes
from console.terminal import PasteSafeParser
from tests.ui_helpers import make_app, settle, type_text

SIZE = (140, 40)


async def _case_with_pane(pilot, app):
    await settle(pilot)
    await pilot.press("enter")  # open the case
    await settle(pilot)
    await pilot.press("n")  # into the notes pane
    await settle(pilot)
    area = app.screen.query_one("#notes-input", TextArea)
    assert area.has_focus
    return area


async def test_ctrl_g_in_the_text_area_edits_my_last_note(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    cases.add_note(case.id, "已催快递", "小王")
    cases.add_note(case.id, "阿珍的笔记", "阿珍")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        area = await _case_with_pane(pilot, app)
        await pilot.press("ctrl+g")  # focus is in the text area, which owns Ctrl+E
        await settle(pilot)
        assert area.text == "已催快递"
        assert "修改模式" in app.messages[-1].text
        await pilot.press("end")
        await type_text(pilot, ",明天到")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert area.text == ""
        current = Notes(cases).current(case.id)
        assert sorted(n.body for n in current) == ["已催快递,明天到", "阿珍的笔记"]
        assert next(n for n in current if n.author == "小王").supersedes is not None
        hint = str(app.screen.query_one("#notes-hint", Static).render())
        assert "Ctrl+G改我上一条" in hint


async def test_a_bracketed_paste_with_escapes_is_stored_exactly_in_order(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    pasted = "买家原话:AAA\x1b[31mBBB\x07\n订单 3712345678901234567"
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        area = await _case_with_pane(pilot, app)
        await type_text(pilot, "前")
        # The bytes a terminal sends for Ctrl+Shift+V, through the console's input parser,
        # to the app as the driver hands them on.
        for event in PasteSafeParser().feed("\x1b[200~" + pasted + "\x1b[201~"):
            app.post_message(event)
        await settle(pilot)
        await type_text(pilot, "后")
        assert area.text == "前" + pasted + "后"
        # Drawn without the escape: nothing of it reaches the terminal.
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "[31mBBB" in svg
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [n.body for n in Notes(cases).current(case.id)] == ["前" + pasted + "后"]
        body = str(app.screen.query_one("#notes-body", Static).render())
        assert "AAA^[[31mBBB^G" in body
