"""After start-up no SQL runs on the event loop's thread: screens read in workers.

A SQLAlchemy `before_cursor_execute` hook records every statement run on the UI thread while
the keys are pressed; the test's own setup and checks run outside those stretches.
"""

from __future__ import annotations

from console.cases import CaseDraft
from tests.ui_helpers import UIThreadSQL, make_app, settle

SIZE = (120, 36)


async def test_the_queue_reads_in_workers(db, policy, clock, cases):
    for i in range(150):
        cases.create(CaseDraft(buyer_id=f"买家{i}", kind="refund"), "小王")
    app = make_app(db, policy, clock)
    with UIThreadSQL(db) as sql:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            sql.armed = True
            for key in ("down", "down", "pagedown", "pagedown", "end", "home", "m", "m", "u", "u", "o", "o"):
                await pilot.press(key)
                await settle(pilot)
            await pilot.press("slash")
            for key in "买家1":
                await pilot.press(key)
                await settle(pilot)
            await pilot.press("escape")
            clock.advance(seconds=5)
            app.tick()
            await settle(pilot)
            sql.armed = False
    assert not sql.seen, sql.report()


async def test_reads_asked_again_while_one_runs_run_once_more_and_all_deliver(db, policy, clock):
    """A burst of other desks' changes asks the queue to reload many times: the read under
    way delivers, the asks in between collapse into one more read, which delivers too."""
    import threading

    app = make_app(db, policy, clock)
    release = threading.Event()
    ran: list[int] = []
    delivered: list[int] = []

    def job(n: int):
        def run() -> int:
            if n == 0:
                release.wait(5)  # the first read is slow: the others are asked meanwhile
            ran.append(n)
            return n

        return run

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for n in range(5):
            app.read(job(n), delivered.append, key="burst")
        release.set()
        await settle(pilot)
        assert ran == [0, 4]  # the slow one, then the newest ask; 1, 2 and 3 never ran
        assert delivered == [0, 4]
        app.read(job(5), delivered.append, key="burst")  # nothing under way: runs at once
        await settle(pilot)
        assert delivered == [0, 4, 5]


async def test_presence_beats_and_reads_in_workers(db, policy, clock, cases):
    """The heartbeat (on start, on every screen change, on typing, every few seconds), the
    read of the other consoles, the marks they paint and the row's removal on exit: none of
    it runs SQL on the UI thread."""
    import asyncio

    from console.presence import PresenceStore

    case = cases.create(CaseDraft(buyer_id="阿狸", kind="refund"), "小王")
    PresenceStore(db, clock).beat("desk-2", "小李", "CaseScreen", case.id, typing=True)
    app = make_app(db, policy, clock)
    with UIThreadSQL(db) as sql:
        async with app.run_test(size=SIZE) as pilot:
            sql.armed = True
            await settle(pilot)
            for key in ("enter", "n", "a", "b", "escape", "escape", "enter", "escape"):
                await pilot.press(key)
                await settle(pilot)
                await asyncio.sleep(0.35)  # past the beats' minimum gap now and then
                app.tick()
                await settle(pilot)
            for _ in range(3):  # a periodic read or two
                await asyncio.sleep(1.0)
                app.tick()
                await settle(pilot)
            sql.armed = False
            assert app.presence.reads >= 3 and app.presence.team.online() == ["小李"]
            assert "小李✎" in app.screen.table.render_line(0).text
            sql.armed = True
    sql.armed = False
    assert not sql.seen, sql.report()
    assert PresenceStore(db, clock).others("desk-2").seen == ()  # its row went on exit
