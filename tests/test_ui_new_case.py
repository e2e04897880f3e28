"""The new-case form driven by keys, as an agent fills it beside the Qianniu window."""

import threading
from datetime import timedelta

from textual import events
from textual.widgets import Input, TextArea

from console.db import Database, resolve_url
from console.notes import Notes
from console.screens.case import CaseScreen
from console.screens.new_case import NewCaseScreen
from tests.ui_helpers import make_app, settle, type_text

SIZE = (140, 40)
CHAT = (
    "买家:快乐的小猪 2026-11-23 09:58:40\n"
    "我买的T恤小了,想换L码\n"
    "订单号:3712345678901234567\n"
    "旗舰店:小美 2026-11-23 09:59:10\n"
    "亲,可以的"
)


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def _open_form(pilot) -> NewCaseScreen:
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(pilot.app.screen, NewCaseScreen)
    return pilot.app.screen


async def _paste(pilot, text: str) -> None:
    # As a terminal paste arrives: at the app, which hands it to the focused widget.
    assert pilot.app.screen.focused is pilot.app.screen.query_one("#paste")
    pilot.app.post_message(events.Paste(text))
    await settle(pilot)


async def test_the_form_shows_what_the_paste_gave_each_field_and_from_where(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_form(pilot)
        await _paste(pilot, CHAT)
        assert screen.query_one("#buyer_id", Input).value == "快乐的小猪"
        assert screen.query_one("#order_no", Input).value == "3712345678901234567"
        assert screen.query_one("#message_time", Input).value == "2026-11-23 09:58:40"
        assert screen.query_one("#kind").value == "exchange"
        picked = _text(screen, "#picked")
        assert "买家=快乐的小猪 (第1行,说话人)" in picked
        assert "订单号=3712345678901234567 (第3行,订单号:)" in picked
        assert "时间=2026-11-23 09:58:40 (第1行,说话人)" in picked
        assert "类型=换货 (第2行,「换L码」)" in picked
        # The shop's line is not the buyer; its words stay in the description.
        assert "亲,可以的" in screen.query_one("#description", TextArea).text
        # A value the agent typed over is kept, and the line says so.
        await pilot.press("tab")  # to the buyer field
        await pilot.press("ctrl+u")
        await type_text(pilot, "阿狸")
        await settle(pilot)
        assert "买家=快乐的小猪 (第1行,说话人) 未填入" in _text(screen, "#picked")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        case = app.cases.get(app.screen.case_id).case
        assert (case.buyer_id, case.kind) == ("阿狸", "exchange")


async def test_pasted_markup_and_escapes_are_shown_as_text(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_form(pilot)
        await _paste(pilot, "买家:[red]坏[/x] 2026-11-23 09:58:40\n订单号:3712345678901234567 \x1b[2J")
        assert screen.query_one("#buyer_id", Input).value == "[red]坏[/x]"
        picked = _text(screen, "#picked")
        assert "[red]坏[/x]" in picked and "\x1b" not in picked


async def test_a_payment_reminder_is_shop_started_and_gets_no_first_response_clock(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_form(pilot)
        await pilot.press("tab")
        await type_text(pilot, "阿狸")
        await pilot.press("tab", "tab", "tab")  # order number, channel, kind
        assert screen.focused is screen.query_one("#kind")
        await pilot.press("5")  # 催款
        await settle(pilot)
        assert screen.query_one("#kind").value == "payment"
        assert screen.query_one("#initiated_by").value == "shop"
        hint = _text(screen, "#initiated_by-hint")
        assert "店铺发起: 不计首次响应" in hint and "自动" in hint
        # Back to a buyer's kind: back to 买家发起, as nobody chose by hand.
        await pilot.press("left")  # 退款
        await settle(pilot)
        assert screen.query_one("#initiated_by").value == "buyer"
        await pilot.press("right")  # 催款 again
        await pilot.press("ctrl+s")
        await settle(pilot)
        detail = app.cases.get(app.screen.case_id)
        assert detail.case.initiated_by == "shop"
        assert "first_response" not in {d.kind for d in detail.deadlines}


async def test_initiator_set_by_hand_is_not_changed_by_the_kind(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_form(pilot)
        screen.query_one("#initiated_by").focus()
        await pilot.press("2")  # 店铺发起, by hand: e.g. calling a buyer who cannot be reached
        await settle(pilot)
        assert "自动" not in _text(screen, "#initiated_by-hint")
        screen.query_one("#kind").focus()
        await pilot.press("1", "6", "1")  # 物流查询, 回访, 物流查询
        await settle(pilot)
        assert screen.query_one("#initiated_by").value == "shop"


async def test_product_from_an_order_line_is_saved_on_the_case(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_form(pilot)
        await _paste(pilot, "3712345678901234567\t快乐的小猪\t2026-11-20 10:11:12\t纯棉T恤 L码\t¥89.00")
        assert screen.query_one("#product", Input).value == "纯棉T恤 L码"
        assert "商品=纯棉T恤 L码 (第1行,订单行)" in _text(screen, "#picked")
        # The order's time is not the buyer's message time.
        assert screen.query_one("#message_time", Input).value == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        case = app.cases.get(app.screen.case_id).case
        assert (case.buyer_id, case.product) == ("快乐的小猪", "纯棉T恤 L码")
        first = next(d for d in app.cases.get(case.id).deadlines if d.kind == "first_response")
        assert first.due_at == clock.now() + timedelta(seconds=30)


async def test_new_fields_survive_the_console_closing(db, db_path, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_form(pilot)
        screen.query_one("#product").focus()
        await type_text(pilot, "保温杯")
        screen.query_one("#initiated_by").focus()
        await pilot.press("2")
        await pilot.pause(0.8)  # the autosave debounce
        await settle(pilot)
    again = make_app(Database(resolve_url(str(db_path))), policy, clock)
    async with again.run_test(size=SIZE) as pilot:
        screen = await _open_form(pilot)
        assert screen.query_one("#product", Input).value == "保温杯"
        assert screen.query_one("#initiated_by").value == "shop"
        # Still the agent's choice: a kind change does not undo it.
        screen.query_one("#kind").focus()
        await pilot.press("1")
        await settle(pilot)
        assert screen.query_one("#initiated_by").value == "shop"


async def test_the_form_reads_the_database_off_the_ui_thread(db, policy, clock, monkeypatch):
    threads = []
    real = Notes.draft

    def draft(self, agent, place):
        if place == "new_case":
            threads.append(threading.current_thread())
        return real(self, agent, place)

    monkeypatch.setattr(Notes, "draft", draft)
    Notes(make_app(db, policy, clock).cases).save_draft("小王", "new_case", '{"buyer_id": "阿狸"}')
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_form(pilot)
        assert screen.query_one("#buyer_id", Input).value == "阿狸"
    assert threads and threading.main_thread() not in threads


async def test_the_form_is_kept_between_uses_and_empty_after_a_save(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        first = await _open_form(pilot)
        await pilot.press("tab")
        await type_text(pilot, "阿狸")
        await pilot.press("escape")
        await settle(pilot)
        again = await _open_form(pilot)
        assert again is first
        assert again.query_one("#buyer_id", Input).value == "阿狸"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        await pilot.press("escape")
        form = await _open_form(pilot)
        assert form.query_one("#buyer_id", Input).value == ""
        assert form.focused is form.query_one("#paste")
        assert Notes(app.cases).draft("小王", "new_case") == ""


def _visible(screen, widget) -> bool:
    region = widget.region
    return region.height > 0 and screen.region.contains_region(region) and region.bottom <= screen.size.height - 1


async def test_every_field_is_reachable_and_visible_at_80x24(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_form(pilot)
        # With every error line showing, the form is at its tallest.
        await pilot.press("ctrl+s")
        screen.query_one("#order_no", Input).value = "12ab"
        screen.query_one("#message_time", Input).value = "昨天下午"
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen.query_one("#paste").focus()
        await settle(pilot)
        seen = []
        for _ in range(12):
            focused = screen.focused
            assert _visible(screen, focused), f"{focused.id} at {focused.region} is off screen"
            seen.append(focused.id)
            await pilot.press("tab")
            await settle(pilot)
        assert {"paste", "buyer_id", "order_no", "channel", "kind", "initiated_by", "urgent", "message_time",
                "product", "description"} <= set(seen)


async def test_the_description_shows_without_scrolling_at_100x30(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_form(pilot)
        await _paste(pilot, CHAT)
        description = screen.query_one("#description")
        assert screen.query_one("#form").scroll_y == 0
        assert _visible(screen, description)
        assert description.region.height >= 5


async def test_the_form_is_built_unseen_after_start_with_the_saved_draft(db, policy, clock):
    from console.screens.new_case import SCREEN_NAME
    from console.screens.queue import QueueScreen

    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The agent's half-filled form from before the console was closed.
        Notes(app.cases).save_draft("小王", "new_case", '{"buyer_id": "快乐的小猪", "paste": "想换L码"}')
        await app.warm_new_case()
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)  # nothing was shown
        form = app.get_screen(SCREEN_NAME)
        assert form.is_mounted
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#buyer_id", Input).value == "快乐的小猪"
        # Not while the agent is busy elsewhere: a key would reach the form instead.
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")  # typing a search
        await app.warm_new_case()
        assert not app.is_screen_installed(SCREEN_NAME)
