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
