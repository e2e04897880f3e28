"""The notes pane on the case screen: edit my last note by key; a paste stored exactly."""

from textual.widgets import Static, TextArea

from console.intake import CaseDraft
from console.notes import Notes
from console.terminal import PasteSafeParser
from tests.ui_helpers import make_app, open_case_notes, settle, type_text

SIZE = (140, 40)


async def test_ctrl_g_in_the_text_area_edits_my_last_note(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    Notes(cases).add(case.id, "已催快递", "小王")
    Notes(cases).add(case.id, "阿珍的笔记", "阿珍")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        area = await open_case_notes(pilot)
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
    # An ESC sequence, a bell, an emoji joined by U+200D and a right-to-left override.
    pasted = "买家原话:AAA\x1b[31mBBB\x07 👨\u200d👩 rlo\u202eexe\n订单 3712345678901234567"
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        area = await open_case_notes(pilot)
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
        assert "👨\u200d👩" in body and "rlo<U+202E>exe" in body  # joined as pasted; the override shown


async def test_a_refused_edit_keeps_my_text_and_merges_with_the_newest_version(db, db_path, policy, clock, cases):
    from console.cases import Cases
    from console.db import Database, resolve_url
    from console.screens.note_merge import MergeNoteDialog

    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    mine = Notes(cases).add(case.id, "已催快递", "小王")
    # 阿珍 at her own console: her own engine on the same file.
    colleague = Notes(Cases(Database(resolve_url(str(db_path))), policy, clock))
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        area = await open_case_notes(pilot)
        await pilot.press("ctrl+g")
        await pilot.press("end")
        await type_text(pilot, ",明天到")
        second = colleague.edit(mine.id, "已催快递,顺丰单号SF123", "阿珍")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused: both versions side by side, my text untouched (in the box and the dialog).
        dialog = app.screen
        assert isinstance(dialog, MergeNoteDialog)
        assert dialog.query_one("#merge-theirs", TextArea).text == "已催快递,顺丰单号SF123"
        assert dialog.query_one("#merge-mine", TextArea).text == "已催快递,明天到"
        assert area.text == "已催快递,明天到"
        assert any("阿珍 改过" in m.text for m in app.messages)

        await pilot.press("escape")  # not now: the text stays in the pane, still a draft
        await settle(pilot)
        assert not isinstance(app.screen, MergeNoteDialog)
        assert area.text == "已催快递,明天到"
        await pilot.pause(0.8)  # the autosave
        await settle(pilot)
        assert Notes(cases).draft("小王", f"case:{case.id}") == "已催快递,明天到"

        # She changes it once more; Ctrl+S merges with that newest version, not the stale one.
        third = colleague.edit(second.id, "已催快递,顺丰单号SF456", "阿珍")
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, MergeNoteDialog)
        assert dialog.query_one("#merge-theirs", TextArea).text == "已催快递,顺丰单号SF456"
        await pilot.press("ctrl+o")  # her version at my cursor
        await type_text(pilot, "好")
        assert dialog.query_one("#merge-mine", TextArea).text == "已催快递,明天到已催快递,顺丰单号SF456好"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, MergeNoteDialog)
        assert area.text == ""

    current = Notes(cases).current(case.id)
    assert [n.body for n in current] == ["已催快递,明天到已催快递,顺丰单号SF456好"]
    assert current[0].supersedes == third.id and current[0].author == "小王"
    assert [v.body for v in Notes(cases).versions(current[0].id)] == [
        "已催快递", "已催快递,顺丰单号SF123", "已催快递,顺丰单号SF456", "已催快递,明天到已催快递,顺丰单号SF456好"]
    assert Notes(cases).draft("小王", f"case:{case.id}") == ""


async def test_a_merge_refused_again_shows_the_even_newer_version(db, db_path, policy, clock, cases):
    from console.cases import Cases
    from console.db import Database, resolve_url
    from console.screens.note_merge import MergeNoteDialog

    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    mine = Notes(cases).add(case.id, "已催快递", "小王")
    colleague = Notes(Cases(Database(resolve_url(str(db_path))), policy, clock))
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_case_notes(pilot)
        await pilot.press("ctrl+g", "end")
        await type_text(pilot, "!")
        second = colleague.edit(mine.id, "版本二", "阿珍")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MergeNoteDialog)
        colleague.edit(second.id, "版本三", "阿珍")  # while I merge
        await type_text(pilot, "合并")
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, MergeNoteDialog)
        assert dialog.query_one("#merge-theirs", TextArea).text == "版本三"
        assert dialog.query_one("#merge-mine", TextArea).text == "已催快递!合并"
    assert [n.body for n in Notes(cases).current(case.id)] == ["版本三"]


async def test_ctrl_g_never_loads_over_unsaved_text(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    Notes(cases).add(case.id, "已催快递", "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        area = await open_case_notes(pilot)
        await type_text(pilot, "新的一条")
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert area.text == "新的一条"
        assert "先 Ctrl+S 保存或清空" in app.messages[-1].text
