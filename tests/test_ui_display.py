"""What the agent sees: the cursor bar, the status line, layouts at 80 and 100 columns."""

from datetime import timedelta

from console.intake import CaseDraft
from console.notes import Notes
from tests.ui_helpers import make_app, settle

THEMES = ("textual-dark", "textual-light", "nord", "solarized-light", "ansi-dark")


async def test_the_cursor_row_is_a_bar_in_every_theme(db, policy, clock, cases):
    # The nearest deadline (first row) is urgent and overdue: its cells set their own
    # colours, which used to hide the cursor background.
    urgent = cases.create(CaseDraft(buyer_id="阿狸", urgent=True), "小王")
    cases.create(CaseDraft(buyer_id="阿猫"), "小王")
    clock.advance(40)
    app = make_app(db, policy, clock)
    async with app.run_test(size=(120, 20)) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert table.current.id == urgent.id
        for theme in THEMES:
            app.theme = theme
            await pilot.pause()
            bar = table.get_component_rich_style("case-table--cursor").bgcolor
            assert bar is not None and bar != table.rich_style.bgcolor, theme
            cursor_line, other_line = table.render_line(0), table.render_line(1)
            assert "-00:10" in cursor_line.text and "阿狸" in cursor_line.text
            assert [s.text for s in cursor_line if s.style.bgcolor != bar] == [], theme
            assert not any(s.style.reverse for s in cursor_line), theme
            assert not any(s.style.bgcolor == bar for s in other_line), theme
        await pilot.press("down")
        await pilot.pause()
        assert not any(s.style.bgcolor == bar for s in table.render_line(0))
        assert all(s.style.bgcolor == bar for s in table.render_line(1))


async def test_messages_go_to_the_status_line_of_every_screen_and_dialog(db, policy, clock, cases):
    from textual.widgets import Static

    from console.screens.dialogs import ChoiceDialog
    from console.widgets.keybar import KeyBar, StatusLine

    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        line = bar.query_one(StatusLine)
        assert line.size.height == 1  # kept while empty: a message does not move the screen
        table_height = app.screen.table.size.height
        await pilot.press("enter")  # open the case
        await settle(pilot)
        await pilot.press("r", "r")  # first reply, then again: "already marked"
        await settle(pilot)
        assert [m.text for m in app.messages] == ["已标记首次回复", "已经标记过首次回复"]
        case_bar = app.screen.query_one(KeyBar)
        assert "已经标记过首次回复" in case_bar.status_text
        assert not app.screen.query("Toast") and not app._notifications  # noqa: SLF001
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.table.size.height == table_height

        # A dialog has its own key bar, and the message shows there, in Chinese, whole.
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        app.notify("数据库被占用 [b]稍后再试[/b]", severity="error")
        await settle(pilot)
        dialog_line = app.screen.query_one(StatusLine)
        assert "数据库被占用 [b]稍后再试[/b]" in app.screen.query_one(KeyBar).status_text
        assert dialog_line.has_class("-error")
        assert app.messages[-1].severity == "error"
        await pilot.press("escape")
        await settle(pilot)
        # The queue's bar shows the same current message (it is the app's one status).
        assert "数据库被占用" in app.screen.query_one(KeyBar).status_text
        assert str(app.screen.query_one("#keys", Static).render()).count("新建") == 1
    assert app.cases.get(case.id).case.first_replied_at is not None


async def test_a_message_goes_away_after_its_time_or_when_replaced(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.notify("第一条", timeout=0.05)
        app.notify("第二条")
        await settle(pilot)
        assert "第二条" in app.screen.query_one("KeyBar").status_text
        app.notify("很快消失", timeout=0.01)
        await settle(pilot)
        app._expire_status(app.status)  # noqa: SLF001 - what the timer does, without waiting
        await settle(pilot)
        assert app.status is None and app.screen.query_one("KeyBar").status_text == ""
        assert [m.text for m in app.messages] == ["第一条", "第二条", "很快消失"]


async def test_a_plain_message_never_hides_a_warning_still_showing(db, policy, clock):
    app = make_app(db, policy, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.notify("已通过终端复制,请确认粘贴正常", severity="warning")
        app.notify("已记为首次回复")
        await settle(pilot)
        shown = app.screen.query_one("KeyBar").status_text
        assert "已通过终端复制" in shown and "已记为首次回复" in shown
        assert app.status.severity == "warning"
        app.notify("出错了", severity="error")  # a worse one replaces it
        await settle(pilot)
        assert app.screen.query_one("KeyBar").status_text.endswith("出错了")


async def test_the_clipboard_fallback_warning_is_said_once_per_session(db, policy, clock, cases, monkeypatch):
    import console.clipboard as clipboard

    monkeypatch.setattr(clipboard, "_system_copy", lambda text: "PyperclipException: no DISPLAY")
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    cases.claim(case.id, "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("H")  # handover: c copies the summary
        await settle(pilot)
        for _ in range(3):
            await pilot.press("c")
            await settle(pilot)
        said = [m.text for m in app.messages]
        assert said.count(clipboard.MSG_OSC52) == 1
        assert said[0] == clipboard.MSG_OSC52 and app.messages[0].severity == "warning"
        assert said[1:] == ["已通过终端复制 (OSC 52)"] * 2
        assert app.clipboard == app.last_copied and "阿狸" in app.clipboard


def _lines(widget) -> list[str]:
    from textual.geometry import Region

    return [s.text.rstrip() for s in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))]


async def test_the_clock_table_keeps_time_left_at_80_columns_with_the_notes_pane(db, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", kind="refund"), "小王")
    cases.start_clock(case.id, "refund_auto_agree_shipped", "小王")  # the longest clock name
    app = make_app(db, policy, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        notes, clocks = screen.query_one("#notes"), screen.query_one("#case-clocks")
        # Below 100 columns the notes pane gives the main column its room...
        assert not notes.display
        full = "\n".join(_lines(clocks))
        assert "到期 (店铺时间)" in full and "11-30 10:00:00" in full
        # ...and F2 brings it back: 时限 and 剩余 stay whole, the rest gives way.
        await pilot.press("f2")
        await settle(pilot)
        assert notes.display and screen.query_one("#notes-input").has_focus
        lines = _lines(clocks)
        assert lines[1].split() == ["时限", "剩余"]
        assert "退款自动同意(已发货)  7d00h" in lines
        assert not any("…" in line for line in lines)
        await pilot.press("f2")  # from inside the pane: put it away
        await settle(pilot)
        assert not notes.display
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert not notes.display  # the agent put it away: it stays away
        await pilot.press("f2")
        await settle(pilot)
        assert notes.display
        assert "到期" in _lines(clocks)[1]


async def test_at_100_columns_the_notes_pane_is_open_beside_the_whole_clock_table(db, policy, clock, cases):
    cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#notes").display
        assert _lines(app.screen.query_one("#case-clocks"))[1].split() == ["时限", "剩余", "到期", "(店铺时间)", "类别"]


async def test_the_wizard_side_panel_collapses_below_110_columns_and_f3_toggles_it(db, policy, clock, cases):
    from console.screens.wizard import WizardScreen

    case = cases.create(CaseDraft(buyer_id="阿狸", kind="payment"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen(case.id, "payment"))
        await settle(pilot)
        side, main = app.screen.query_one("#wiz-side"), app.screen.query_one("#wiz-main")
        assert not side.display and main.outer_size.width == 100
        assert "f3提示栏" in app.screen.query_one("KeyBar").query_one("#keys").render().plain
        await pilot.press("f3")
        await settle(pilot)
        assert side.display and "怎么做" in "\n".join(_lines(app.screen.query_one("#wiz-hint")))
        assert main.outer_size.width >= 55
        await pilot.press("f3")
        await settle(pilot)
        assert not side.display
        await pilot.resize_terminal(130, 34)
        await settle(pilot)
        assert not side.display  # put away by the agent: stays away when the window grows
        await pilot.press("f3")
        await settle(pilot)
        assert side.display and side.outer_size.width == 44


async def test_the_wizard_side_panel_is_open_on_a_wide_screen(db, policy, clock, cases):
    from console.screens.wizard import WizardScreen

    case = cases.create(CaseDraft(buyer_id="阿狸", kind="return"), "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(130, 34)) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen(case.id, "return"))
        await settle(pilot)
        assert app.screen.query_one("#wiz-side").display


async def test_the_handover_table_gives_its_width_to_the_columns_that_need_it(db, policy, clock, cases):
    from textual.widgets import DataTable

    long_kind = cases.create(CaseDraft(buyer_id="xiaomei_99971", kind="logistics"), "小王")
    refund = cases.create(CaseDraft(buyer_id="阿狸", kind="refund"), "小王")
    # Due before the case's own clocks, so it is the one the handover shows.
    cases.start_clock(refund.id, "refund_auto_agree_shipped", "小王", due_at=clock.now() + timedelta(seconds=20))
    for c in (long_kind, refund):
        cases.claim(c.id, "小王")
    cases.set_status(long_kind.id, "waiting_buyer", "小王")
    Notes(cases).add(refund.id, "买家说快递放在驿站了,明天去取,取到后拍照片发给我们确认有没有破损", "小王")
    app = make_app(db, policy, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        titles = [str(c.label) for c in table.columns.values()]
        widths = dict(zip(titles, (c.width for c in table.columns.values()), strict=True))
        cells = {t: [table.get_row_at(r)[i] for r in range(table.row_count)] for i, t in enumerate(titles)}
        for title in ("类型/状态", "计时"):  # never cut at 100 columns
            assert widths[title] >= max(c.cell_len for c in cells[title]), title
        assert "物流查询/等买家" in [c.plain for c in cells["类型/状态"]]
        assert any(c.plain.endswith("退款自动同意(已发货)") for c in cells["计时"])
        # The buyer whole; the note, the longest text, gets what is left: the line is full
        # (100 columns less cell padding and the scrollbar) and nothing runs off it.
        assert widths["买家"] >= len("xiaomei_99971")
        assert widths["最后笔记"] > widths["下一步"]
        assert sum(widths.values()) + 2 * len(widths) == 100 - 2
        assert table.virtual_size.width <= table.size.width
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert table.virtual_size.width <= table.size.width
        assert "00:20 退" in [c.plain[:7] for c in (table.get_row_at(r)[4] for r in range(table.row_count))]
