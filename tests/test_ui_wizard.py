"""The SOP wizard driven by keys: a full run applied to a case, rules, back, flow switch."""

from datetime import timedelta

from textual.widgets import Input

from console.intake import CaseDraft
from console.registers import Registers
from console.screens.case import CaseScreen
from console.screens.queue import QueueScreen
from console.screens.registers import RegisterForm
from console.screens.wizard import WizardScreen
from tests.conftest import T0
from tests.ui_helpers import make_app, settle, type_text

SIZE = (130, 36)


async def test_full_run_applies_the_outcome_and_the_queue_shows_its_timer(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", kind="return",
                                  channel="phone"), "小王")
    cases.claim(case.id, "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "w")  # open the case, then the wizard on the 退货 flow
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen) and app.screen.walk.flow.id == "return"
        await pilot.press("2", "3")  # received; buyer's cause: no reason
        await pilot.press("backspace")  # go back one step, the first answer stays
        assert [s.answer for s in app.screen.walk.path] == ["已经收到"]
        await pilot.press("3", "2")  # no reason; buyer insists
        await pilot.press("n")  # resale cannot be confirmed: no return, the decline outcome
        assert app.screen.walk.done and app.screen.walk.outcome.goods_return == "none"
        await pilot.press("backspace", "y")  # it can be resold after all
        await settle(pilot)
        assert app.screen.walk.done
        # The outcome screen puts the cursor in its first field: what is typed lands there.
        assert app.screen.focused is app.screen.query_one("#wiz-start", Input)
        await type_text(pilot, "07:00")  # the buyer applied at 07:00
        await pilot.press("tab")
        await type_text(pilot, "128")  # the refund: the whole item
        await pilot.press("tab")
        await type_text(pilot, "128")  # what the order paid
        await pilot.press("escape", "c")  # leave the fields; c copies the memo
        assert app.last_copied.startswith("2026-11-23 10:00 小王 | 退货SOP")
        await pilot.press("enter")
        await settle(pilot)
        # Register rows the outcome created open for the agent to complete.
        assert isinstance(app.screen, RegisterForm)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        detail = app.cases.get(case.id)
        assert detail.case.status == "waiting_buyer" and detail.case.refund_status == "waiting_seller_agree"
        auto = next(d for d in detail.deadlines if d.kind == "refund_auto_agree_shipped")
        assert auto.due_at == T0 - timedelta(hours=3) + timedelta(days=7)
        assert len(detail.tasks) == len(app.cases.get(case.id).tasks) > 0
        assert {r.case_id for r in Registers(db, policy, clock).rows("return")} == {case.id}
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        # Shop clocks pause while waiting for the buyer: the platform clock leads the queue.
        assert "退款自动" in app.screen.table.render_line(0).text


async def test_compensation_above_the_cap_is_blocked(db, policy, clock, cases):
    from console.sop import Walk

    case = cases.create(CaseDraft(buyer_id="阿狸", kind="exchange", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(WizardScreen(case.id))
        await settle(pilot)
        screen = app.screen
        # Walk to any outcome that offers compensation, as the engine allows.
        flow = app.services.sop.get().flows["exchange"]
        target = next(n for n in flow.nodes.values() if n.outcome and n.outcome.compensation)
        screen.walk = _walk_to(Walk.start(flow), target.id)
        screen._paint()  # noqa: SLF001
        await settle(pilot)
        screen.query_one("#wiz-amount", Input).value = "40"
        screen.query_one("#wiz-base", Input).value = "100"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert "30" in str(screen.query_one("#wiz-error").render())
        assert app.cases.get(case.id).case.sop_step is None
        screen.query_one("#wiz-amount", Input).value = "30"
        await pilot.press("enter")
        await settle(pilot)
        assert app.cases.get(case.id).case.sop_step == f"exchange.{target.id}"


def _walk_to(walk, node_id):
    """Depth-first: answer questions and confirmations until `node_id` is reached."""
    from console.sop import Walk

    def search(w):
        if w.done:
            return w if w.outcome.node_id == node_id else None
        node = w.node
        tries = []
        if node.type == "question":
            tries = [("answer", i) for i in range(1, len(node.choices) + 1)]
        elif node.type == "confirm":
            tries = [("confirm", True), ("confirm", False)]
        elif node.type == "facts":
            tries = [("provide", {f.key: "测试" for f in node.fields})]
        for how, arg in tries:
            nxt = Walk.start(w.flow)
            for step in w.path:
                _replay(nxt, step)
            if getattr(nxt, how)(arg).ok:
                found = search(nxt)
                if found:
                    return found
        return None

    return search(walk)


def _replay(w, step):
    if step.choice is not None:
        w.answer(step.choice)
    elif step.confirmed is not None:
        w.confirm(step.confirmed)
    else:
        w.provide(dict(step.values))


async def test_switching_flow_mid_way_asks_first(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="refund", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(WizardScreen(case.id))
        await settle(pilot)
        assert app.screen.walk.flow.id == "refund"
        await pilot.press("1")
        await pilot.press("f", "n")  # asked to confirm; no
        await settle(pilot)
        assert app.screen.walk.flow.id == "refund" and len(app.screen.walk.path) == 1
        await pilot.press("f", "y", "1")  # yes; first flow in the list: 快递查询
        await settle(pilot)
        assert app.screen.walk.flow.id == "logistics" and app.screen.walk.path == ()


async def test_a_broken_tree_makes_only_its_flow_unavailable(db, policy, clock, cases, tmp_path):
    import shutil

    from console.home import Home
    from console.sop import DEFAULT_DIR

    sop_dir = tmp_path / "shop" / "sop"  # the shop's own trees, read by the wizard
    sop_dir.mkdir(parents=True)
    for f in DEFAULT_DIR.glob("*.toml"):
        shutil.copy(f, sop_dir / f.name)
    (sop_dir / "refund.toml").write_text("[flow]\nid = \"refund\"\nstart = ", encoding="utf-8")
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="refund", channel="phone"), "小王")
    app = make_app(db, policy, clock, home=Home(tmp_path / "shop"))
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(WizardScreen(case.id))
        await settle(pilot)
        # No refund flow to open on: the flow list comes up, the broken one marked unavailable.
        from console.screens.dialogs import ChoiceDialog

        assert isinstance(app.screen, ChoiceDialog)
        labels = [text for _, text in app.screen.options]
        assert any("不可用" in t for t in labels) and "退货" in labels
        await pilot.press(str(len(labels)))  # pick the unavailable one
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert "暂不可用" in str(app.screen.query_one("#wiz-error").render())
        await pilot.press("f", "2")  # another flow still works
        await settle(pilot)
        assert app.screen.walk is not None and app.screen.walk.flow.id == "return"


async def test_esc_keeps_the_walk_and_typed_fields_for_next_time(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="return", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CaseScreen(case.id))
        await settle(pilot)
        await pilot.press("w", "2", "3", "3", "2", "y")  # to the no-reason return outcome
        await settle(pilot)
        assert app.screen.walk.done
        await type_text(pilot, "07:00")
        await pilot.press("escape", "escape")  # leave the field, then the wizard
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        await pilot.press("w")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WizardScreen) and screen.walk.done
        assert [s.answer for s in screen.walk.path][:2] == ["已经收到", "买家原因:无理由退货"]
        assert screen.query_one("#wiz-start", Input).value == "07:00"
    # A new console (the terminal was closed) finds the same progress in the database.
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(WizardScreen(case.id))
        await settle(pilot)
        assert app.screen.walk.done and len(app.screen.walk.path) == 4


async def test_a_refusal_is_shown_above_the_keys_with_its_field_focused_at_80x24(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="complaint", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        from console.sop import Walk

        app.push_screen(WizardScreen(case.id, "complaint"))
        await settle(pilot)
        screen = app.screen
        flow = app.services.sop.get().flows["complaint"]
        screen.walk = _walk_to(Walk.start(flow), "done_compensation")
        screen._paint()  # noqa: SLF001
        await settle(pilot)
        amount = screen.query_one("#wiz-amount", Input)
        assert screen.focused is amount  # the first empty field takes what is typed
        await type_text(pilot, "40")
        await pilot.press("enter")  # 宝贝价值 not given: refused, and the cursor goes there
        await settle(pilot)
        error = screen.query_one("#wiz-error")
        assert "宝贝价值" in str(error.render())
        assert screen.focused is screen.query_one("#wiz-base", Input)
        await type_text(pilot, "100")
        await pilot.press("enter")  # above the 30 % cap: refused
        await settle(pilot)
        assert "上限 30元" in str(error.render())
        # Wherever the form scrolled, the refusal is on screen, right above the key bar.
        assert 0 <= error.region.y < 24 and error.region.height >= 1
        assert app.cases.get(case.id).case.sop_step is None


async def test_the_agreed_amount_fills_the_replies(db, policy, clock, cases):
    from console.sop import Money
    from console.wizard import apply_outcome

    case = cases.create(CaseDraft(buyer_id="阿狸", kind="complaint", channel="phone", product="保湿面霜"), "小王")
    from console.sop import Walk

    app = make_app(db, policy, clock)
    walk = _walk_to(Walk.start(app.services.sop.get().flows["complaint"]), "done_compensation")
    apply_outcome(cases, case.id, walk.outcome, walk.path, "小王", "m", money=Money("20", "100"))
    app.return_address = "浙江省杭州市余杭区某某路1号 售后部 0571-00000000"
    async with app.run_test(size=SIZE):
        values = app.reply_values(app.cases.get(case.id))
    assert values["amount"] == "20" and values["product"] == "保湿面霜"
    assert values["solution"] == walk.outcome.summary
    assert values["return_address"].startswith("浙江省杭州市")


async def test_tab_goes_round_the_fields_so_typing_never_hits_a_key(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="refund", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(WizardScreen(case.id))
        await settle(pilot)
        await pilot.press("3", "1", "1")  # received, no return, a small flaw: the photo facts
        await settle(pilot)
        screen = app.screen
        photos, flaw = screen.query_one("#fact-photos", Input), screen.query_one("#fact-flaw", Input)
        assert screen.focused is photos
        await type_text(pilot, "3张")
        await pilot.press("tab")
        await type_text(pilot, "袖口线头")
        await pilot.press("tab")  # past the last field: back to the first, not onto the keys
        await type_text(pilot, "fr")  # f would switch the flow, r restart
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen) and app.screen.walk.flow.id == "refund"
        # Focusing a filled field selects its text, as in any form: the typing replaced it.
        assert (photos.value, flaw.value) == ("fr", "袖口线头")


async def test_a_refusal_asks_whether_it_is_done_in_qianniu(db, policy, clock, cases):
    from console.screens.dialogs import ConfirmDialog
    from console.sop import Walk

    case = cases.create(CaseDraft(buyer_id="阿狸", kind="refund", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(WizardScreen(case.id, "refund"))
        await settle(pilot)
        screen = app.screen
        screen.walk = _walk_to(Walk.start(app.services.sop.get().flows["refund"]), "shipped_keep")
        screen._paint()  # noqa: SLF001
        await settle(pilot)
        assert "应用时会问你是否已在千牛操作" in app.export_screenshot().replace("&#160;", " ")
        await pilot.press("enter")  # the refund's application time left empty: now
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and "拒绝退款申请" in app.screen.question
        await pilot.press("n")  # not yet
        await settle(pilot)
        detail = app.cases.get(case.id)
        assert detail.case.refund_status == "waiting_seller_agree"
        assert "refund_auto_agree_shipped" in {d.kind for d in detail.running}
        assert any("按 f 记录" in t.text for t in detail.tasks)


async def test_the_promise_and_the_automatic_receipt_are_typed_on_the_outcome(db, policy, clock, cases):
    from console.sop import Walk

    case = cases.create(CaseDraft(buyer_id="阿狸", kind="logistics", channel="phone"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(WizardScreen(case.id, "logistics"))
        await settle(pilot)
        screen = app.screen
        screen.walk = _walk_to(Walk.start(app.services.sop.get().flows["logistics"]), "hard_courier_chase")
        screen._paint()  # noqa: SLF001
        await settle(pilot)
        promise, receipt = screen.query_one("#wiz-promise", Input), screen.query_one("#wiz-receipt", Input)
        assert not screen.query_one("#wiz-start", Input).display  # nothing here runs from a start
        assert screen.focused is promise
        await type_text(pilot, "明天10点")
        await pilot.press("enter")  # the automatic receipt is required: refused, cursor there
        await settle(pilot)
        assert "自动确认收货时间" in str(screen.query_one("#wiz-error").render())
        assert screen.focused is receipt
        await type_text(pilot, "5天3时")
        await pilot.press("enter")
        await settle(pilot)
        due = {d.kind: d.due_at for d in app.cases.get(case.id).running}
        assert due["buyer_promise"] == T0 + timedelta(days=1)  # tomorrow 10:00 in Shanghai
        assert due["receipt_timeout"] == T0 + timedelta(days=5, hours=3)


async def test_opening_the_wizard_never_overwrites_the_saved_progress(db, policy, clock, cases):
    from console.notes import Notes
    from console.screens.wizard import draft_place

    case = cases.create(CaseDraft(buyer_id="阿狸", kind="return", channel="phone"), "小王")
    saved = '{"flow": "return", "steps": [{"node": "received", "choice": 2}], "form": {}, "facts": {}}'
    Notes(cases).save_draft("小王", draft_place(case.id), saved)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(WizardScreen(case.id))
        await settle(pilot)
        assert [s.answer for s in app.screen.walk.path] == ["已经收到"]
        await pilot.pause(0.8)  # longer than the draft's quiet time
        await settle(pilot)
        assert Notes(app.cases).draft("小王", draft_place(case.id)) == saved
    # A draft of a flow that is unavailable now is kept and said, not wiped.
    Notes(cases).save_draft("小王", draft_place(case.id), saved.replace('"return"', '"nosuch"', 1))
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        library = app.services.sop.get()
        library.unavailable["nosuch"] = "测试: 文件有误"
        try:
            app.push_screen(WizardScreen(case.id))
            await settle(pilot)
            assert "上次的进度在“nosuch”流程,它现在不可用" in str(app.screen.query_one("#wiz-error").render())
            await pilot.pause(0.8)
            await settle(pilot)
            assert '"nosuch"' in Notes(app.cases).draft("小王", draft_place(case.id))
        finally:
            del library.unavailable["nosuch"]
