"""The database server goes away and comes back while consoles run (issue 11, part 4).

Its tests stop and start a PostgreSQL server of this module's own (never the session's, which
other tests use at the same time): the console says so in a banner, keeps every write in order
and writes it once the server is back, exactly once, and shows it. A write whose COMMIT got
no answer is settled by asking the server (`txid_status`), never by writing it again.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text
from textual.widgets import Static, TextArea

from console import db as dbmod
from console.cases import Cases, StaleError
from console.db import CommitUnknown, StoreError, connection_lost, open_database
from console.intake import CaseDraft
from console.models import CaseEvent, Note
from console.notes import Notes
from console.outbox import DONE, LANDED, PARTLY, WAIT, Outbox, Waiting
from console.widgets.link_banner import BANNER, LinkBanner
from tests.conftest import TEAM, started_pg_server
from tests.pgserver import PgServer
from tests.ui_helpers import make_app, settle, type_text

SIZE = (140, 40)


@pytest.fixture(scope="module")
def own_server():
    """A PostgreSQL server for this module alone: its tests stop it and start it again."""
    yield from started_pg_server("this module's PostgreSQL server")


def _running(server: PgServer) -> None:
    if not (server.data / "postmaster.pid").exists():
        server.resume()  # a test that failed while it was stopped


@pytest.fixture
def own_url(own_server):
    _running(own_server)
    name = own_server.new_database()
    yield own_server.url(name)
    _running(own_server)
    own_server.drop_database(name)


@pytest.fixture
def own_db(own_url):
    database = open_database(own_url)
    yield database
    database.dispose()


@pytest.fixture
def own_cases(own_db, policy, clock) -> Cases:
    store = Cases(own_db, policy, clock)
    for name in TEAM:
        store.ensure_agent(name)
    return store


def _count(db, query) -> int:
    with db.read() as s:
        return s.execute(query).scalar_one()


def _notes_with(db, body: str) -> int:
    return _count(db, select(func.count()).select_from(Note).where(Note.body == body))


# ---- what counts as a lost connection ----------------------------------------------------------


def test_a_stopped_server_is_a_lost_connection_and_a_lock_timeout_is_not(own_server, own_db, own_cases):
    import psycopg

    case = own_cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    assert not connection_lost(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"))
    assert not connection_lost(StoreError("笔记是空的"))
    own_server.halt()
    try:
        with pytest.raises(StoreError) as refused:
            own_cases.claim(case.id, "小王")
        assert refused.value.lost and own_db.lost(refused.value)
        with pytest.raises(Exception) as read:  # noqa: PT011 - a read is not wrapped: SQLAlchemy's own
            own_cases.get(case.id)
        assert own_db.lost(read.value)
        assert not own_db.ping()
    finally:
        own_server.resume()
    assert own_db.ping()
    own_cases.claim(case.id, "小王")  # the pool hands out no dead connection afterwards
    assert own_cases.get(case.id).case.assignee == "小王"


def test_sqlite_never_counts_as_a_server_out_of_reach(db, cases):
    error = StoreError("x")
    error.lost = True
    assert not db.lost(error)  # a SQLite file is never "reconnected": its errors are said as before


# ---- a COMMIT without an answer ---------------------------------------------------------------


@contextmanager
def commit_without_answer(db, what: str, then=None):
    """The next COMMIT's answer never arrives: the server `committed` it, `rolled back` it,
    or never saw it (`left open`: the network dropped, the session still holds the
    transaction). `then` runs before the error is raised (stop the server, say)."""
    import psycopg

    dialect = db.engine.dialect
    kept: list = []
    original_close = dialect.do_close

    def do_commit(pooled):
        del dialect.do_commit  # once
        raw = pooled.dbapi_connection
        if what == "committed":
            raw.commit()
        elif what == "rolled back":
            raw.rollback()
        else:
            kept.append(raw)
        if then is not None:
            then()
        if what != "left open":
            raw.close()
        raise psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")

    def is_disconnect(e, connection, cursor):
        if getattr(connection, "dbapi_connection", connection) in kept:
            return True
        return type(dialect).is_disconnect(dialect, e, connection, cursor)

    def do_close(dbapi_conn):
        if dbapi_conn not in kept:  # left open on the server, as a silent network leaves it
            original_close(dbapi_conn)

    dialect.do_commit = do_commit
    dialect.is_disconnect = is_disconnect
    dialect.do_close = do_close
    try:
        yield
    finally:
        dialect.__dict__.pop("do_commit", None)
        del dialect.is_disconnect
        del dialect.do_close
        for conn in kept:
            conn.close()


def test_a_commit_the_server_made_is_a_success_never_written_again(own_db, own_cases):
    case = own_cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    notes = Notes(own_cases)
    runs = []

    def job():
        runs.append(1)
        return notes.add(case.id, "买家同意换货", "小王")

    outbox = Outbox(own_db)
    write = Waiting(job)
    with commit_without_answer(own_db, "committed"):
        tried = outbox.attempt(write)
    # The worker asked the server what became of its transaction: committed, so it is done,
    # with the job's own result, and nothing is tried again.
    assert tried.outcome == DONE and tried.result.body == "买家同意换货" and tried.result.id
    assert runs == [1] and _notes_with(own_db, "买家同意换货") == 1
    assert own_cases.get(case.id).case.version == 2


def test_a_commit_the_server_rolled_back_is_tried_again_and_lands_once(own_db, own_cases):
    case = own_cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    notes = Notes(own_cases)
    outbox = Outbox(own_db)
    write = Waiting(lambda: notes.add(case.id, "已催快递", "小王"))
    with commit_without_answer(own_db, "rolled back"):
        tried = outbox.attempt(write)
    assert tried.outcome == WAIT and write.xid is None and _notes_with(own_db, "已催快递") == 0
    assert outbox.attempt(write).outcome == DONE
    assert _notes_with(own_db, "已催快递") == 1


def test_a_commit_left_open_on_the_server_is_ended_there_then_tried_again(own_db, own_cases, monkeypatch):
    """The network went silent before the COMMIT arrived: the server still holds the
    transaction (and its row lock on the case). It is ended there, not waited out, and the
    write is tried again, once."""
    monkeypatch.setattr(dbmod, "RETRY_S", (0.2,))
    case = own_cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    outbox = Outbox(own_db)
    write = Waiting(lambda: own_cases.claim(case.id, "小王"))
    with commit_without_answer(own_db, "left open"):
        tried = outbox.attempt(write)
        assert tried.outcome == WAIT
    assert own_cases.get(case.id).case.assignee is None
    assert outbox.attempt(write).outcome == DONE  # not kept waiting by the orphan's row lock
    assert own_cases.get(case.id).case.assignee == "小王"
    claims = select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id,
                                                                CaseEvent.action == "assigned")
    assert _count(own_db, claims) == 1


@pytest.mark.parametrize("what", ["committed", "rolled back"])
def test_a_commit_unanswered_while_the_server_is_down_is_asked_about_when_it_is_back(
        own_server, own_db, own_cases, monkeypatch, what):
    """The server went away between the COMMIT and its answer and stays away: the write waits
    with its transaction id; once the server is back it is asked first, and a committed write
    is never run again (a rolled back one is, once)."""
    monkeypatch.setattr(dbmod, "SETTLE_S", 0.3)
    monkeypatch.setattr(dbmod, "RETRY_S", (0.1,))
    case = own_cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    notes = Notes(own_cases)
    runs = []

    def job():
        runs.append(1)
        return notes.add(case.id, "仓库已补发", "小王")

    outbox = Outbox(own_db)
    write = Waiting(job)
    try:
        with commit_without_answer(own_db, what, then=own_server.halt):
            tried = outbox.attempt(write)
        assert tried.outcome == WAIT and isinstance(tried.error, CommitUnknown)
        assert write.xid == tried.error.xid
        assert outbox.attempt(write).outcome == WAIT  # still down: nothing run, nothing decided
        assert runs == [1]
    finally:
        own_server.resume()
    again = outbox.attempt(write)
    if what == "committed":
        assert again.outcome == LANDED and runs == [1]
    else:
        assert again.outcome == DONE and runs == [1, 1]
    assert _notes_with(own_db, "仓库已补发") == 1


def test_a_job_that_committed_and_then_lost_the_server_is_not_run_again(own_server, own_db, own_cases):
    case = own_cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    runs = []

    def job():
        runs.append(1)
        own_cases.claim(case.id, "小王")
        own_server.halt()
        return own_cases.get(case.id)  # the read for the screen finds the server gone

    try:
        tried = Outbox(own_db).attempt(Waiting(job))
    finally:
        own_server.resume()
    assert tried.outcome == PARTLY and runs == [1]
    assert own_cases.get(case.id).case.assignee == "小王"


# ---- this console's own waiting writes are not "someone else's change" ------------------------


@pytest.mark.backends("sqlite", "postgresql")
def test_a_waiting_status_change_behind_my_own_waiting_note_is_not_stale(db, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    seen = cases.get(case.id).case.version  # what the screen showed when the server went
    db.count_own_bumps(True)
    try:
        Notes(cases).add(case.id, "买家同意换货", "小王")  # my note, waiting, lands first
        cases.set_status(case.id, "waiting_buyer", "小王", expected_version=seen)
        assert cases.get(case.id).case.status == "waiting_buyer"
        # A change from elsewhere (not through this console) is still refused.
        with db.write() as s:
            s.execute(text('UPDATE "case" SET version = version + 1 WHERE id = :id'), {"id": case.id})
        with pytest.raises(StaleError):
            cases.set_status(case.id, "waiting_courier", "小王", expected_version=seen)
    finally:
        db.count_own_bumps(False)
    with pytest.raises(StaleError):  # outside an outage the rule is the plain one
        cases.set_status(case.id, "waiting_courier", "小王", expected_version=seen + 1)


# ---- the console, as the agent sees it -----------------------------------------------------------


async def _until(pilot, condition, seconds: float = 20.0) -> bool:
    """Tick the app (the poll for the server's notices) and let it work until `condition`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pilot.app.tick()
        await pilot.pause()
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


def _banner(app) -> str:
    banners = app.screen.query(LinkBanner)
    return banners.first().text if banners else ""


async def test_the_server_stops_and_starts_while_an_agent_writes_and_nothing_is_lost_or_doubled(
        own_server, own_db, own_cases, policy, clock):
    case = own_cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567"), "小王")
    app = make_app(own_db, policy, clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")  # the case
            await settle(pilot)
            assert _banner(app) == ""
            await asyncio.to_thread(own_server.halt)
            # Nobody typed anything: the lost LISTEN connection is enough to know.
            assert await _until(pilot, lambda: BANNER in _banner(app))
            assert any(BANNER in m.text and m.severity == "warning" for m in app.messages)

            # A note while the server is down: kept (box, journal), waiting, said so.
            await pilot.press("n")
            await type_text(pilot, "买家同意换货")
            await asyncio.sleep(0.8)  # the draft's autosave comes and waits too
            await pilot.press("ctrl+s")
            await pilot.pause()
            area = app.screen.query_one("#notes-input", TextArea)
            assert area.text == "买家同意换货"
            assert "已记下,连接恢复后自动保存" in app.messages[-1].text
            await pilot.press("ctrl+s")  # again: not a second note
            await pilot.pause()
            assert "正在保存" in app.messages[-1].text
            await type_text(pilot, "再联系")
            # A status change while the server is down, behind the waiting note.
            await pilot.press("escape")
            await pilot.press("s")
            await pilot.pause()
            await pilot.press("2")  # 等买家
            await pilot.pause()
            assert app.outbox.waiting(quiet=False) == 2
            assert await _until(pilot, lambda: "未保存: " in _banner(app), 5)
            assert "连接恢复后自动保存" in _banner(app)
            journal = app.journal.path.read_text(encoding="utf-8")
            assert "买家同意换货再联系" in journal  # the typing is on disk meanwhile
            assert not [m for m in app.messages if m.severity == "error"]
            # Quitting now would lose what waits: asked first.
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert "还有 2 项改动没保存" in str(app.screen.query_one(".dialog-title").render())
            await pilot.press("n")
            await pilot.pause()
            assert app.is_running

            await asyncio.to_thread(own_server.resume)
            assert await _until(pilot, lambda: _banner(app) == "", 30)
            await settle(pilot)
            assert any(m.text == "数据库已重新连接,已保存连接中断时的 2 项" for m in app.messages)
            # Exactly once each, in the order made, and on screen.
            assert _notes_with(own_db, "买家同意换货") == 1
            detail = own_cases.get(case.id)
            assert detail.case.status == "waiting_buyer" and detail.case.version == 3
            assert [e.action for e in detail.events].count("status") == 1
            assert app.screen.detail.case.status == "waiting_buyer"
            shown = str(app.screen.query_one("#notes-body", Static).render())
            assert "买家同意换货" in shown
            assert area.text == "再联系"  # typed after the save: still there, and a draft again
            await asyncio.sleep(0.8)
            await settle(pilot)
            assert Notes(own_cases).draft("小王", f"case:{case.id}") == "再联系"
            assert not [m for m in app.messages if m.severity == "error"]
    finally:
        _running(own_server)


async def test_reads_while_the_server_is_down_wait_quietly_and_fill_in_when_it_is_back(
        own_server, own_db, own_cases, policy, clock):
    for buyer in ("阿狸", "小熊"):
        own_cases.create(CaseDraft(buyer_id=buyer), "小王")
    app = make_app(own_db, policy, clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            said = len(app.messages)
            await asyncio.to_thread(own_server.halt)
            app.data_changed(None)  # a read that finds the server gone
            assert await _until(pilot, lambda: BANNER in _banner(app))
            # Everything an agent does that reads: each waits, none says an error.
            for _ in range(3):
                app.data_changed(None)
                await pilot.press("enter")  # a case, read while the server is down
                await pilot.pause()
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("enter")
            await _until(pilot, lambda: False, 1.0)
            spell = list(app.messages)[said:]
            assert [m.text for m in spell if m.severity == "error"] == []
            assert sum(BANNER in m.text for m in spell) == 1  # one message for the outage
            assert app.screen.detail is None  # still waiting for its read
            log = app.log_file.read_text(encoding="utf-8")
            assert " ERROR " not in log and log.count("正在重连") == 1

            await asyncio.to_thread(own_server.resume)
            assert await _until(pilot, lambda: _banner(app) == "", 30)
            await settle(pilot)
            assert app.screen.detail is not None  # the read that waited ran
            assert any(m.text == "数据库已重新连接" for m in app.messages)
    finally:
        _running(own_server)


async def test_a_write_that_finds_the_server_gone_waits_and_lands_once(own_server, own_db, own_cases, policy,
                                                                        clock):
    """Nothing has noticed the server go yet (no poll since): the claim's own worker finds it
    gone. It is not refused: it waits, the banner comes, and it lands once when it is back."""
    case = own_cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    app = make_app(own_db, policy, clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await asyncio.to_thread(own_server.halt)
            assert app.link_up  # not known yet
            await pilot.press("m")  # 接手
            assert await _until(pilot, lambda: "未保存: 1 项" in _banner(app), 10)
            assert "已记下,连接恢复后自动保存" in app.messages[-1].text
            assert not [m for m in app.messages if m.severity == "error"]
            await asyncio.to_thread(own_server.resume)
            assert await _until(pilot, lambda: _banner(app) == "", 30)
            await settle(pilot)
            detail = own_cases.get(case.id)
            assert detail.case.assignee == "小王"
            assert [e.action for e in detail.events].count("assigned") == 1
            assert app.screen.detail.case.assignee == "小王"
            assert any(m.text == "数据库已重新连接,已保存连接中断时的 1 项" for m in app.messages)
    finally:
        _running(own_server)


async def test_presence_waits_out_an_outage_quietly_and_beats_again(own_server, own_db, own_cases, policy,
                                                                    clock):
    """Heartbeats that find the server gone say nothing to the agent, try again every few
    seconds rather than every tick, and the console's row is back once the server is."""
    from console.presence import PresenceStore

    case = own_cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    app = make_app(own_db, policy, clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert await _until(pilot, lambda: app.presence.reads > 0)
            said, reads = len(app.messages), app.presence.reads
            beat, tries = app.presence.store.beat, []
            app.presence.store.beat = lambda *a: (tries.append(a), beat(*a))
            await asyncio.to_thread(own_server.halt)
            await pilot.press("enter")  # a screen change: a beat that finds the server gone
            await _until(pilot, lambda: False, 4.0)
            assert app.presence.reads == reads
            assert 1 <= len(tries) <= 2, tries  # not one a tick (80 ticks here)
            assert [m.text for m in list(app.messages)[said:] if m.severity == "error"] == []
            await asyncio.to_thread(own_server.resume)
            assert await _until(pilot, lambda: app.presence.reads > reads, 30)
            seen = PresenceStore(own_db, clock).others("another desk").seen
            assert [(s.agent, s.screen, s.case_id) for s in seen] == [("小王", "CaseScreen", case.id)]
    finally:
        _running(own_server)
