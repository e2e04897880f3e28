"""Two consoles on one PostgreSQL database, both on screen: a claim at one desk shows at the
other, pushed by the server (LISTEN/NOTIFY); the other console reads nothing until told."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event

from console.db import open_database
from console.intake import CaseDraft
from tests.ui_helpers import make_app, settle

SIZE = (130, 36)


@pytest.mark.backends("postgresql")
async def test_a_claim_at_one_desk_shows_at_the_other_without_polling(db, db_url, policy, clock, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567"), "小王")
    mine = make_app(db, policy, clock, agent="小王")
    theirs_db = open_database(db_url)
    theirs = make_app(theirs_db, policy, clock, agent="阿珍")
    statements: list[str] = []
    try:
        async with mine.run_test(size=SIZE) as me, theirs.run_test(size=SIZE) as them:
            await settle(me)
            await settle(them)
            assert mine.screen.table.current.assignee is None
            # Each console's start (its agent, its shift) was told to the other: let those
            # notices arrive and be read, until ticks stay quiet.
            # Presence (who has which case open) is read every 2 s on a path of its own
            # (tests/test_ui_presence.py); everything else waits to be told.
            event.listen(db.engine, "before_cursor_execute",
                         lambda *a: "presence" not in a[2] and statements.append(a[2]))
            quiet = 0
            for _ in range(100):
                statements.clear()
                mine.tick()
                await settle(me)
                quiet = quiet + 1 if not statements else 0
                if quiet == 5:
                    break
                await asyncio.sleep(0.05)
            # Nothing changed: the once-a-second tick asks the database nothing.
            assert quiet == 5 and statements == []
            # 阿珍 opens the case and claims it at her desk.
            await them.press("enter")
            await settle(them)
            await them.press("m")
            await settle(them)
            assert cases.get(case.id).case.assignee == "阿珍"
            # The server tells 小王's console, which reloads at its next tick.
            for _ in range(200):
                mine.tick()
                await settle(me)
                if mine.screen.table.current.assignee == "阿珍":
                    break
                await asyncio.sleep(0.05)
            assert mine.screen.table.current.assignee == "阿珍"
            assert statements  # it read the queue again, once told
    finally:
        theirs_db.dispose()
