"""The notes pane on the case screen: edit my last note by key."""

from textual.widgets import Static, TextArea

from console.intake import CaseDraft
from console.notes import Notes
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
        assert "Ctrl+G 改我上一条" in hint
