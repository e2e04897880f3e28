"""Two consoles on one database, both on screen: desk A (小李) opens a case and types in its
notes; desk B (小王) sees her mark in its queue row and on the case screen, is told before it
starts, and sees the mark go when she leaves the case, and 30 s after her console vanished
without a word (kill -9: expiry by age, on a frozen clock moved on)."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Static

from console.db import open_database
from console.intake import CaseDraft
from tests.ui_helpers import make_app, settle, type_text

pytestmark = pytest.mark.backends("sqlite", "postgresql")
SIZE = (130, 36)


async def _until(condition, *pilots, tries: int = 150) -> bool:
    """Tick every console (its poll and its heartbeat) until `condition()` holds."""
    for _ in range(tries):
        for pilot in pilots:
            pilot.app.tick()
            await settle(pilot)
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def _next_read(*pilots) -> None:
    """Until each console has read presence again (at least one fresh picture)."""
    marks = [p.app.presence.reads for p in pilots]
    assert await _until(lambda: all(p.app.presence.reads > m for p, m in zip(pilots, marks, strict=True)),
                        *pilots)


def _row(app, case_id: int) -> str:
    """The queue row of `case_id` as drawn (the case is on the first screen of the queue)."""
    table = app.screen.table
    for y in range(table.size.height):
        row = table.row_at(y)
        if row is not None and row.id == case_id:
            return table.render_line(y).text
    raise AssertionError(f"case #{case_id} not on screen")


async def _open(pilot, case_id: int) -> None:
    """Open the case from the queue with the keys an agent presses (each console's screens
    run in its own context: pushing one from the test's would borrow the other app's)."""
    table = pilot.app.screen.table
    await pilot.press("home")
    index = next(y for y in range(table.total) if (row := table.row_at(y)) is not None and row.id == case_id)
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


def _presence_line(app) -> str:
    line = app.screen.query_one("#case-presence", Static)
    return str(line.render()) if line.display and line.has_class("-shown") else ""


async def test_a_colleague_typing_in_a_case_shows_at_the_other_desk_and_goes(
        db, db_url, policy, clock, cases, monkeypatch):
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567"), "小王")
    other = cases.create(CaseDraft(buyer_id="白熊", order_no="3712345678901234568"), "小王")
    desk_b_db = open_database(db_url)
    b = make_app(desk_b_db, policy, clock, agent="小王")
    a = make_app(db, policy, clock, agent="小李")
    try:
        async with b.run_test(size=SIZE) as pb:
            async with a.run_test(size=SIZE) as pa:
                await settle(pa)
                await settle(pb)
                assert await _until(lambda: "在班 小李、小王" in str(b.screen.query_one("#topbar").render()),
                                    pa, pb)
                # A opens the case: B's row says who has it open.
                await _open(pa, case.id)
                assert await _until(lambda: "小李" in _row(b, case.id), pa, pb), _row(b, case.id)
                assert "✎" not in _row(b, case.id)
                assert "小李" not in _row(b, other.id)
                # A types in the notes pane: B's row shows her typing.
                await pa.press("n")
                await type_text(pa, "已联系买家")
                assert await _until(lambda: "小李✎" in _row(b, case.id), pa, pb), _row(b, case.id)
                # B opens the same case while A types on: told before it starts, on the screen
                # and on the status line.
                await type_text(pa, ",等回复")
                await _open(pb, case.id)
                assert await _until(lambda: "小李 正在处理 (写笔记)" in _presence_line(b), pa, pb), _presence_line(b)
                said = [m.text for m in b.messages if m.severity == "warning"]
                assert any("工单 #" in t and "小李 正在处理" in t for t in said), said
                # …and A sees B, who is only looking.
                assert await _until(lambda: "小王 也打开了此单" in _presence_line(a), pa, pb)
                # A leaves the case (her note unsaved, kept as a draft): the marks go at B.
                await pa.press("escape")  # out of the notes pane
                await pa.press("escape")  # back to the queue
                await settle(pa)
                assert await _until(lambda: _presence_line(b) == "", pa, pb), _presence_line(b)
                await pb.press("escape")
                await settle(pb)
                assert await _until(lambda: "小李" not in _row(b, case.id), pa, pb), _row(b, case.id)
                # A opens it again: her draft comes back into the notes box, which is not typing.
                await _open(pa, case.id)
                assert await _until(lambda: "小李" in _row(b, case.id), pa, pb)
                assert "已联系买家" in a.screen.query_one("#notes-input").text
                await _next_read(pa, pb)
                assert "小李✎" not in _row(b, case.id), _row(b, case.id)
                # Then her console vanishes: killed, nothing runs, her row stays.
                monkeypatch.setattr(a.presence.store, "leave", lambda console: None)
            # A is gone. Her row is still fresh: B keeps showing her until it is stale.
            await _next_read(pb)
            assert "小李" in _row(b, case.id)
            clock.advance(seconds=30)
            await _next_read(pb)
            assert "小李" not in _row(b, case.id), _row(b, case.id)
            assert "小李" not in str(b.screen.query_one("#topbar").render())
    finally:
        desk_b_db.dispose()
