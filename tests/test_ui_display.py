"""What the agent sees: the cursor bar, the status line, layouts at 80 and 100 columns."""

from console.intake import CaseDraft
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
