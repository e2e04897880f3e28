"""The reply picker driven by keys: search by initials, copy with a number key, records."""

import re

from sqlmodel import select
from textual.widgets import TextArea

from console.intake import CaseDraft
from console.replies import Replies, version_of
from console.screens.case import CaseScreen
from console.screens.dialogs import ConfirmDialog
from console.screens.phrases import EditReplyDialog, PhrasePicker
from tests.ui_helpers import make_app, settle, type_text

SIZE = (130, 36)


async def _open_picker(pilot, app, case_id):
    app.push_screen(CaseScreen(case_id))
    await settle(pilot)
    await pilot.press("ctrl+r")
    await settle(pilot)
    assert isinstance(app.screen, PhrasePicker)


async def test_search_by_initials_copy_with_a_number_key_and_find_it_on_the_case(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_picker(pilot, app, case.id)
        await type_text(pilot, "bq")
        await settle(pilot)
        picker = app.screen
        first = picker.results[0].reply
        assert "抱歉" in first.title + first.text
        clock.advance(9)
        await pilot.press("1")
        await settle(pilot)
        # Copied for a case with no first reply yet: the copy is the first reply, and it says so.
        assert isinstance(app.screen, CaseScreen)
        assert app.last_copied and "抱歉" in app.last_copied
        copies = Replies(app.cases).copies(case.id)
        assert [(c.reply_ids, c.version, c.agent) for c in copies] == [(first.id, version_of(first.text), "小王")]
        detail = app.cases.get(case.id)
        assert "reply_copied" in [e.action for e in detail.events]
        assert detail.case.first_replied_at == clock.now()
        first = [e for e in detail.events if e.action == "first_reply"]
        assert [e.detail for e in first] == ["复制话术发给买家,记为首次回复"]
        assert {d.kind: d.state for d in detail.deadlines}["first_response"] == "met"
        assert any("已记为首次回复" in m.text for m in app.messages)


async def test_append_fill_and_edit_with_a_forbidden_phrase(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567"), "小王")
    cases.mark_first_reply(case.id, "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_picker(pilot, app, case.id)
        await type_text(pilot, "问候")
        await settle(pilot)
        await pilot.press("plus")
        greeting = app.screen.parts[0]
        await pilot.press("end", "ctrl+u")  # clear the query
        await type_text(pilot, "wuliu")
        await settle(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, EditReplyDialog)
        area = app.screen.query_one(TextArea)
        assert area.text.startswith(greeting.text.split("{")[0][:4])
        area.load_text(re.sub(r"【待填[^】]*】", "小美旗舰店", area.text) + "\n这个我也不清楚。")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # forbidden phrase: confirm first
        assert "不清楚" in str(app.screen_stack[-2].query_one("#edit-hits").render())
        await pilot.press("n")
        await settle(pilot)
        assert Replies(app.cases).copies(case.id) == []
        await pilot.press("ctrl+s", "y")
        await settle(pilot)
        copies = Replies(app.cases).copies(case.id)
        assert len(copies) == 1 and copies[0].edited and "不清楚" in copies[0].text
        assert copies[0].reply_ids.startswith(greeting.id + " ")
        # Copied past the warning: recorded for the supervisor's figures, with an event.
        assert copies[0].forbidden_overridden == 1
        events = [e for e in app.cases.get(case.id).events if e.action == "forbidden_overridden"]
        assert [e.after for e in events] == ["1 处禁用语"]


async def test_missing_values_show_markers_never_a_crash(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_picker(pilot, app, case.id)
        await type_text(pilot, "tuikuan")
        await settle(pilot)
        picker = app.screen
        with_amount = next((i for i, r in enumerate(picker.results) if "{amount}" in r.reply.text), None)
        assert with_amount is not None
        picker.highlight = with_amount
        picker._paint()  # noqa: SLF001
        assert "【待填:" in str(picker.query_one("#pp-preview").render())
        # Copying it does not send the marker: the edit opens first, and nothing is copied.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EditReplyDialog)
        assert app.last_copied is None
        await pilot.press("ctrl+s")  # still unfilled: warned, not copied
        await settle(pilot)
        assert isinstance(app.screen, EditReplyDialog) and app.last_copied is None
        assert "待填" in str(app.screen.query_one("#edit-hits").render())


def _files(folder):
    """Every file under `folder` with its bytes, to prove nothing was written there."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


async def test_a_draft_goes_to_the_database_and_its_approval_reaches_every_console(db, policy, clock, cases):
    from console.home import SHIPPED
    from console.models import ReplyDraft
    from console.reply_drafts import ReplyDrafts

    shipped_before = _files(SHIPPED)
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    cases.mark_first_reply(case.id, "小王")
    app = make_app(db, policy, clock)  # no shop folder of its own: the shipped files, read only
    async with app.run_test(size=SIZE) as pilot:
        await _open_picker(pilot, app, case.id)
        await type_text(pilot, "周末发货")
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.query_one("#draft-category").value = "logistics"
        app.screen.query_one("#draft-text", TextArea).load_text("亲，周末仓库照常发货，今天下单明天就能发出哦～")
        await pilot.press("ctrl+s")
        await settle(pilot)
        draft = ReplyDrafts(db, clock).get("logistics.draft_1")
        assert draft is not None and draft.status == "draft" and draft.title == "周末发货"
        picker = app.screen
        assert picker.current().id == "logistics.draft_1"
        assert picker.check_action("approve", ()) is False  # 小王 is not a supervisor
        await pilot.press("enter")  # a draft is copied only after a confirmation
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert app.last_copied is None

    app.cases.set_role("老陈", "supervisor")
    boss = make_app(db, policy, clock, agent="老陈")
    async with boss.run_test(size=SIZE) as pilot:
        await _open_picker(pilot, boss, case.id)
        await type_text(pilot, "周末发货")
        await settle(pilot)
        assert boss.screen.current().id == "logistics.draft_1"
        await pilot.press("ctrl+o")
        await settle(pilot)
    with db.read() as s:
        row = s.exec(select(ReplyDraft).where(ReplyDraft.reply_id == "logistics.draft_1")).one()
    assert (row.status, row.approved_by, row.approved_at) == ("approved", "老陈", clock.now())

    # Another console on the same database: an approved reply, copied without a confirmation.
    other = make_app(db, policy, clock, agent="小美")
    async with other.run_test(size=SIZE) as pilot:
        await _open_picker(pilot, other, case.id)
        await type_text(pilot, "周末发货")
        await settle(pilot)
        assert other.screen.current().id == "logistics.draft_1" and other.screen.current().approved
        await pilot.press("enter")
        await settle(pilot)
        assert other.last_copied == "亲，周末仓库照常发货，今天下单明天就能发出哦～"
    assert _files(SHIPPED) == shipped_before  # the program's files were never written


async def test_a_draft_in_the_shops_own_reply_files_is_approved_in_that_file(db, policy, clock, cases, tmp_path):
    from console.home import SHIPPED, resolve

    shipped_before = _files(SHIPPED)
    home = tmp_path / "shop"
    (home / "phrases").mkdir(parents=True)
    mine = home / "phrases" / "greeting.txt"
    mine.write_text("[greeting.weekend]\ntitle: 周末问候\ntags: 周末 问候\nstatus: draft\n\n"
                    "亲，周末愉快！有什么可以帮您？\n", encoding="utf-8")
    (home / "config.toml").write_text('[shop]\nname = "小美旗舰店"\nreturn_address = "杭州市余杭区 1 号"\n',
                                      encoding="utf-8")
    cases.set_role("老陈", "supervisor")
    case = cases.create(CaseDraft(buyer_id="阿狸"), "老陈")
    boss = make_app(db, policy, clock, agent="老陈", home=resolve(str(home)))
    assert (boss.shop_name, boss.return_address) == ("小美旗舰店", "杭州市余杭区 1 号")
    async with boss.run_test(size=SIZE) as pilot:
        await _open_picker(pilot, boss, case.id)
        assert [r.id for r in boss.screen.lib.replies] == ["greeting.weekend"]  # the shop's own files
        await type_text(pilot, "周末问候")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert boss.screen.current().approved
    assert "status: approved" in mine.read_text(encoding="utf-8")
    assert _files(SHIPPED) == shipped_before


async def test_the_picker_opens_afresh_for_each_case(db, policy, clock, cases):
    first = cases.create(CaseDraft(buyer_id="阿狸", order_no="1111111111"), "小王")
    second = cases.create(CaseDraft(buyer_id="糖糖", order_no="2222222222"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_picker(pilot, app, first.id)
        await type_text(pilot, "bq")
        await pilot.press("plus")
        await pilot.press("escape")
        await pilot.press("escape")  # back to the queue
        await settle(pilot)
        await _open_picker(pilot, app, second.id)
        picker = app.screen
        assert picker.values["buyer_id"] == "糖糖" and picker.values["order_no"] == "2222222222"
        assert picker.query_one("#pp-query").value == "" and picker.parts == []
        assert "糖糖" in str(picker.query_one("#pp-title").render())
