"""Presence in the database: each console's heartbeat, its expiry by age (a console killed
with -9 says nothing), its removal on a clean exit, and that heartbeats never make another
console reload. Every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from console.clock import FrozenClock
from console.db import Database
from console.intake import CaseDraft
from console.models import Presence as PresenceRow
from console.notes import Notes
from console.presence import STALE_SECONDS, PresenceStore, Seen, Team

pytestmark = pytest.mark.backends("sqlite", "postgresql")
POSTGRESQL_ONLY = pytest.mark.backends("postgresql")
SQLITE_ONLY = pytest.mark.backends("sqlite")


@pytest.fixture
def desk_b(db_url, clock):
    """A second console on the same database, with its own connections."""
    other = Database(db_url)
    yield PresenceStore(other, clock)
    other.dispose()


def _rows(db) -> list[PresenceRow]:
    with db.read() as s:
        return list(s.exec(select(PresenceRow)).all())


def test_a_heartbeat_is_seen_by_the_other_consoles_not_by_its_own(db, clock, desk_b):
    desk_a = PresenceStore(db, clock)
    desk_a.beat("a1", "小李", "CaseScreen", 12, typing=True)
    team = desk_b.others("b1")
    assert team.seen == (Seen("a1", "小李", "CaseScreen", 12, True),)
    assert team.on_case(12) == (("小李", True, "CaseScreen"),)
    assert team.online() == ["小李"]
    assert desk_a.others("a1").seen == ()  # its own row is not "another console"
    # Each beat updates the one row of its console: the screen, the case, typing or not.
    clock.advance(seconds=5)
    desk_a.beat("a1", "小李", "QueueScreen", None, typing=False)
    assert desk_b.others("b1").seen == (Seen("a1", "小李", "QueueScreen", None, False),)
    assert len(_rows(db)) == 1


def test_a_console_that_stops_beating_expires_by_age_alone(db, clock, desk_b):
    """kill -9 runs nothing: the row stays in the table, and its age alone takes it out."""
    desk_a = PresenceStore(db, clock)
    desk_a.beat("a1", "小李", "CaseScreen", 12, typing=True)
    clock.advance(seconds=STALE_SECONDS - 1)
    assert desk_b.others("b1").online() == ["小李"]
    clock.advance(seconds=2)
    assert desk_b.others("b1").seen == ()
    assert len(_rows(db)) == 1  # nobody deleted it: it is ignored
    assert STALE_SECONDS + 2 <= 30  # gone at every desk within 30 s, one 2 s read included
    # The next console to start clears it away; a live console's row stays.
    desk_b.beat("b1", "阿珍", "QueueScreen", None, typing=False)
    assert desk_b.sweep() == 1
    assert [r.console for r in _rows(db)] == ["b1"]
    # Back from the dead (a paused laptop): its next beat brings it back.
    desk_a.beat("a1", "小李", "CaseScreen", 12, typing=False)
    assert desk_b.others("b1").on_case(12) == (("小李", False, "CaseScreen"),)


def test_a_clean_exit_removes_the_row_at_once(db, clock, desk_b):
    desk_a = PresenceStore(db, clock)
    desk_a.beat("a1", "小李", "CaseScreen", 12, typing=False)
    desk_b.beat("b1", "阿珍", "CaseScreen", 12, typing=False)
    desk_a.leave("a1")
    assert desk_b.others("b1").seen == ()
    assert [r.console for r in _rows(db)] == ["b1"]
    desk_a.leave("a1")  # twice (a signal and the normal exit): nothing to do, no error


def test_heartbeats_and_drafts_make_no_other_console_reload(db, db_url, backend, clock, cases):
    """A heartbeat every few seconds from every desk must not look like a change: on
    PostgreSQL it sends no NOTIFY, on SQLite it moves data_version but not the change count."""
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567"), "小王")
    other = Database(db_url)
    watcher = other.watcher()
    try:
        assert watcher.changes() == set()
        store = PresenceStore(db, clock)
        for i in range(3):
            store.beat("a1", "小李", "CaseScreen", case.id, typing=bool(i % 2))
        Notes(cases).save_draft("小李", f"case:{case.id}", "正在打字")
        store.leave("a1")
        if backend == "sqlite":
            assert watcher.changes() == set()
        # A real change after them is told as such (on PostgreSQL with its case alone, so no
        # "reload everything" notice came from the heartbeats).
        cases.claim(case.id, "小王")
        assert watcher.wait(10) == ({case.id} if backend == "postgresql" else None)
        assert watcher.changes() == set()
    finally:
        watcher.close()
        other.dispose()


@SQLITE_ONLY
def test_every_counted_write_is_a_change_on_sqlite(db, db_url, clock, cases):
    """The change count moves with every write another console shows: a shift note (no
    case) and a case edit alike."""
    watcher = Database(db_url).watcher()
    try:
        Notes(cases).add(None, "交班前看一下 #12", "小王")
        assert watcher.changes() is None
        case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
        assert watcher.changes() is None
        PresenceStore(db, clock).beat("a1", "小李", "CaseScreen", case.id, typing=True)
        assert watcher.changes() == set()
    finally:
        watcher.close()


@POSTGRESQL_ONLY
def test_desks_with_skewed_clocks_agree_on_the_server_time(db, db_url):
    """A desk whose clock is ten minutes slow (or fast) is neither stale nor everlasting:
    on PostgreSQL a row's age is measured on the server's clock."""
    def desk(database, skew):
        # A desk whose computer clock is off: the app's clock and the wall clock alike.
        now = datetime.now(UTC) + skew
        return PresenceStore(database, FrozenClock(now), wall=lambda: datetime.now(UTC) + skew)

    slow = desk(Database(db_url), timedelta(minutes=-10))
    fast = desk(db, timedelta(minutes=10))
    try:
        slow.beat("slow", "小李", "CaseScreen", 7, typing=False)
        fast.beat("fast", "阿珍", "CaseScreen", 7, typing=False)
        assert fast.others("fast").online() == ["小李"]
        assert slow.others("slow").online() == ["阿珍"]
        assert fast.sweep() == 0 and slow.sweep() == 0
    finally:
        slow.db.dispose()


def test_team_aggregates_each_agent_once_per_case():
    team = Team.of([
        Seen("a1", "小李", "CaseScreen", 5, False),
        Seen("a2", "小李", "WizardScreen", 5, True),  # the same agent at a second console
        Seen("b1", "阿珍", "CaseScreen", 5, False),
        Seen("c1", "老陈", "WizardScreen", 5, True),
        Seen("d1", "小王", "QueueScreen", None, False),
    ])
    assert team.on_case(5) == (("小李", True, "WizardScreen"), ("老陈", True, "WizardScreen"),
                               ("阿珍", False, "CaseScreen"))
    assert team.on_case(5, besides="老陈") == (("小李", True, "WizardScreen"), ("阿珍", False, "CaseScreen"))
    assert team.on_case(6) == () and team.on_case(None) == ()
    assert team.online() == ["小李", "小王", "老陈", "阿珍"]
    assert Team.of(reversed(team.seen)) == team
