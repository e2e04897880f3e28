"""Resolving, closing, ending clocks, changing the kind and picking colleagues, with keys."""

from datetime import timedelta

from console.intake import CaseDraft
from console.screens.agent_picker import AgentPicker
from console.screens.case import CaseScreen
from console.screens.dialogs import ChoiceDialog, ConfirmDialog, InfoDialog
from tests.conftest import T0
from tests.ui_helpers import make_app, settle, type_text

SIZE = (130, 36)


async def _open(pilot, app, case_id):
    app.push_screen(CaseScreen(case_id))
    await settle(pilot)


async def test_a_platform_clock_refuses_resolve_where_the_agent_looks(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="refund", channel="phone"), "小王")
    cases.start_clock(case.id, "refund_auto_agree_shipped", "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, case.id)
        await pilot.press("s")
        labels = [text for _, text in app.screen.options]
        await pilot.press(str(labels.index("已解决") + 1), "1")  # 已解决, buyer satisfied
        await settle(pilot)
        assert isinstance(app.screen, InfoDialog)
        assert "退款自动同意(已发货)" in app.screen.body and "按 d" in app.screen.body
        await pilot.press("enter")
        await settle(pilot)
        assert app.cases.get(case.id).case.is_open
        # The agent records that the platform has dealt with it, then resolves.
        await pilot.press("d")
        options = [text for _, text in app.screen.options]
        n = next(i for i, text in enumerate(options, 1) if "退款自动同意" in text and "平台" in text)
        await pilot.press(str(n), "enter")  # the default note: 平台已处理
        await settle(pilot)
        assert any(e.detail == "平台已处理" for e in app.cases.get(case.id).events)
        await pilot.press("s", str(labels.index("已解决") + 1), "1")
        await settle(pilot)
        c = app.cases.get(case.id).case
        assert c.status == "closed" and not c.is_open


async def test_a_kept_promise_keeps_the_resolved_case_in_the_queue(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="return", channel="phone"), "小王")
    cases.start_clock(case.id, "buyer_promise", "小王", due_at=T0 + timedelta(hours=4), note="退运费")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, case.id)
        await pilot.press("s")
        labels = [text for _, text in app.screen.options]
        await pilot.press(str(labels.index("已解决") + 1), "1")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog) and "答应买家" in dialog.heading
        assert "退运费" in dialog.heading
        await pilot.press("2")  # keep it
        await settle(pilot)
        c = app.cases.get(case.id).case
        assert (c.status, c.is_open, c.next_due_kind) == ("resolved", True, "buyer_promise")


async def test_a_typo_never_becomes_an_agent(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, case.id)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AgentPicker)
        await type_text(pilot, "阿真")  # meant 阿珍
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)  # a new name must be confirmed
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AgentPicker)
        await pilot.press("ctrl+u")
        await type_text(pilot, "阿")
        await pilot.press("enter")  # the filtered list offers 阿珍 first
        await settle(pilot)
        assert app.cases.get(case.id).case.assignee == "阿珍"
        assert "阿真" not in app.cases.agents()


async def test_only_a_specialist_meets_the_urgent_clock_and_the_screen_says_so(db, policy, clock, cases):
    cases.set_role("老陈", "specialist")
    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone", urgent=True), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, case.id)
        await pilot.press("a")
        await type_text(pilot, "阿珍")
        await pilot.press("enter")
        await settle(pilot)
        running = {d.kind for d in app.cases.get(case.id).running}
        assert "urgent_specialist" in running
        assert any("不是专员" in m.text for m in app.messages)
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert "专员" in str(picker.query_one("#picker-list").get_option_at_index(1).prompt)
        await type_text(pilot, "老陈")
        await pilot.press("enter")
        await settle(pilot)
        assert "urgent_specialist" not in {d.kind for d in app.cases.get(case.id).running}


async def test_changing_the_kind_changes_the_clock(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="logistics", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, case.id)
        await pilot.press("k")
        await settle(pilot)
        keys = [k for k, _ in app.screen.options]
        await pilot.press(str(keys.index("complaint") + 1))
        await settle(pilot)
        detail = app.cases.get(case.id)
        assert detail.case.kind == "complaint"
        assert {d.kind for d in detail.running} == {"dispute_solution", "complaint_response"}
        assert any("纠纷方案" in m.text for m in app.messages)


async def test_a_hostile_new_colleague_name_is_inert_everywhere(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    name = "[@click=app.quit]x[/]"
    async with app.run_test(size=SIZE) as pilot:
        await _open(pilot, app, case.id)
        await pilot.press("a")
        await type_text(pilot, name)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")  # a new colleague, confirmed
        await settle(pilot)
        assert app.cases.get(case.id).case.assignee == name
        assert isinstance(app.screen, CaseScreen)  # drawn as text: no markup error, no action
        assert name in app.export_screenshot()
        await pilot.press("a")
        await settle(pilot)
        prompts = [str(app.screen.query_one("#picker-list").get_option_at_index(i).prompt)
                   for i in range(app.screen.query_one("#picker-list").option_count)]
        assert name in prompts
        await pilot.press("escape")
        await pilot.press("a")
        await settle(pilot)
        from textual import events

        app.post_message(events.Paste("坏\x1b]0;X\x07人"))  # pasted: control characters in a name
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "控制字符" in str(app.screen.query_one("#picker-error").render())
