"""Several consoles on one database at once: claims, notes, live notices, a lost connection.

Each console is its own Database (its own connections), as two desks are; the races run in
threads released together by a barrier. Every test here runs on SQLite and on the session's
PostgreSQL server unless marked for one.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text
from sqlmodel import select

import console.db as dbmod
from console.cases import Cases, ClaimedError, StaleError
from console.db import Database
from console.handover import Handovers
from console.intake import CaseDraft
from console.models import CaseEvent, Note
from console.notes import Notes

pytestmark = pytest.mark.backends("sqlite", "postgresql")
POSTGRESQL_ONLY = pytest.mark.backends("postgresql")
DESKS = 6


def _new_case(cases, buyer="阿狸"):
    return cases.create(CaseDraft(buyer_id=buyer, order_no="3712345678901234567"), "小王")


def _race(consoles, job):
    """Run job(console, i) on every console at once; (results, errors) by index."""
    barrier = threading.Barrier(len(consoles))
    results: dict[int, object] = {}
    errors: dict[int, BaseException] = {}

    def run(i, console):
        barrier.wait()
        try:
            results[i] = job(console, i)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(consoles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.fixture
def desks(db_url, cases):
    """DESKS consoles on the test's database, each with its own connections."""
    names = [f"客服{i}" for i in range(DESKS)]
    for name in names:
        cases.ensure_agent(name)
    consoles = [Cases(Database(db_url), cases.policy, cases.clock) for _ in names]
    yield list(zip(consoles, names, strict=True))
    for c in consoles:
        c.db.dispose()


def test_simultaneous_claims_have_exactly_one_winner(cases, db, desks):
    case = _new_case(cases)
    results, errors = _race(desks, lambda desk, i: desk[0].claim(case.id, desk[1]))
    assert len(results) == 1, f"winners: {results}, errors: {errors}"
    (winner_index,) = results
    winner = desks[winner_index][1]
    assert len(errors) == DESKS - 1
    for exc in errors.values():
        assert isinstance(exc, ClaimedError)
        assert exc.message == f"这个工单已经由 {winner} 接手了。"
    after = cases.get(case.id).case
    assert after.assignee == winner and after.version == 2
    with db.read() as s:
        assigned = s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "assigned")).all()
    assert [(e.before, e.after) for e in assigned] == [("待分配", winner)]


def test_many_cases_claimed_at_once_each_get_one_owner(cases, desks):
    """Every desk claims every case, in a different order: each case ends with one owner,
    and each desk was told about exactly the cases it lost."""
    ids = [_new_case(cases, f"买家{n}").id for n in range(8)]

    def claim_all(desk, i):
        won = []
        for case_id in ids[i % len(ids):] + ids[:i % len(ids)]:
            try:
                desk[0].claim(case_id, desk[1])
                won.append(case_id)
            except ClaimedError:
                pass
        return won

    results, errors = _race(desks, claim_all)
    assert errors == {}
    won = sorted(cid for w in results.values() for cid in w)
    assert won == sorted(ids)  # each case won once, none twice
    for i, w in results.items():
        for case_id in w:
            assert cases.get(case_id).case.assignee == desks[i][1]


def test_notes_written_at_once_all_land_and_a_stale_note_edit_is_refused(cases, desks):
    case = _new_case(cases)
    results, errors = _race(desks, lambda desk, i: Notes(desk[0]).add(case.id, f"{desk[1]} 的笔记", desk[1]))
    assert errors == {}
    detail = cases.get(case.id)
    assert sorted(n.body for n in detail.notes) == sorted(f"{name} 的笔记" for _, name in desks)
    assert detail.case.version == 1 + DESKS
    # Everyone edits the same note from the same version at once: one new version, the rest refused.
    target = detail.notes[0].id
    results, errors = _race(desks, lambda desk, i: Notes(desk[0]).edit(target, f"改: {desk[1]}", desk[1]))
    assert len(results) == 1 and len(errors) == DESKS - 1
    assert all(isinstance(e, StaleError) and "刚被" in e.message for e in errors.values())
    chain = Notes(cases).versions(results[next(iter(results))].id)
    assert [n.id for n in chain][0] == target and len(chain) == 2


def test_a_handover_and_a_claim_at_once_never_lose_a_case(cases, desks):
    """The outgoing agent hands over while a colleague assigns one of their cases to
    themselves: either the handover moves it or it refuses naming the change; never half."""
    mine = [_new_case(cases, f"买家{n}").id for n in range(5)]
    for case_id in mine:
        cases.claim(case_id, "小王")
    seen = Handovers(cases).summary("小王").case_ids
    (desk_a, name_a), (desk_b, name_b) = desks[0], desks[1]

    def job(desk, i):
        if i == 0:
            return Handovers(desk_a).hand_over("小王", name_a, "交班", {}, expected=seen)
        return desk_b.assign(mine[2], name_b, name_b)

    results, errors = _race([desks[0], desks[1]], job)
    owners = {case_id: cases.get(case_id).case.assignee for case_id in mine}
    if 0 in results:  # the handover went first: all five moved, then one was reassigned
        assert owners == {**dict.fromkeys(mine, name_a), mine[2]: name_b}
    else:  # the reassignment went first: the handover refused and moved nothing
        assert "有变化" in errors[0].message
        assert owners == {**dict.fromkeys(mine, "小王"), mine[2]: name_b}


# ---- live notices (PostgreSQL LISTEN/NOTIFY) ---------------------------------------------


@POSTGRESQL_ONLY
def test_a_claim_at_one_desk_is_pushed_to_another_with_its_case_id(cases, db_url):
    case = _new_case(cases)
    other = Database(db_url)
    statements: list[str] = []
    event.listen(other.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    watcher = other.watcher()
    try:
        assert watcher.connected
        assert watcher.changes() == set()
        cases.claim(case.id, "小王")
        assert watcher.wait(10) == {case.id}
        assert watcher.changes() == set()  # reported once
        assert statements == []  # told by the server, not found by reading the tables
    finally:
        watcher.close()
        other.dispose()


@POSTGRESQL_ONLY
def test_what_each_kind_of_write_tells_the_other_consoles(cases, db, db_url, clock, monkeypatch):
    a, b = _new_case(cases, "甲").id, _new_case(cases, "乙").id
    watcher = Database(db_url).watcher()
    notes = Notes(cases)
    try:
        # Several cases in one transaction: all their ids, once.
        with db.write() as s:
            for case_id in (a, b):
                with cases.edit(case_id, "小王", session=s) as e:
                    e.set_urgent(True)
        assert watcher.wait(10) == {a, b}
        # A draft saved as someone types: nobody is told; the next real change is what comes.
        notes.save_draft("小王", f"case:{a}", "正在打字")
        notes.add(a, "已联系", "小王")
        assert watcher.wait(10) == {a}
        # A shift note belongs to no case: "something changed", reload everything.
        notes.add(None, "交班前看一下 #12", "小王")
        assert watcher.wait(10) is None
        # Too many ids for a notice: "something changed" too.
        monkeypatch.setattr(dbmod, "MAX_PAYLOAD", 2)  # "1,2" does not fit
        with db.write() as s:
            for case_id in (a, b):
                with cases.edit(case_id, "小王", session=s) as e:
                    e.set_urgent(False)
        assert watcher.wait(10) is None
        monkeypatch.setattr(dbmod, "MAX_PAYLOAD", 8000)
        # A failed write tells nobody anything.
        with pytest.raises(StaleError), cases.edit(a, "小王", expect_version=1) as e:
            e.set_urgent(True)  # pragma: no cover - refused before
        cases.claim(b, "小王")
        assert watcher.wait(10) == {b}
    finally:
        watcher.close()


@POSTGRESQL_ONLY
def test_a_lost_listen_connection_reconnects_and_asks_for_a_resync(cases, db_url, pg_server):
    case = _new_case(cases)
    watcher = Database(db_url).watcher()
    try:
        assert watcher.connected
        name = db_url.rsplit("/", 1)[1]
        pg_server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          f" WHERE datname = '{name}' AND query ILIKE 'LISTEN%'")
        # Lost (and back): which cases changed meanwhile is unknown, so "reload everything".
        assert watcher.wait(10) is None
        for _ in range(100):
            if watcher.connected:
                break
            watcher.wait(0.1)
        assert watcher.connected
        watcher.changes()  # the reconnect's own "resync" notice, if it came after the loss's
        cases.claim(case.id, "小王")
        assert watcher.wait(10) == {case.id}  # listening again
    finally:
        watcher.close()


@POSTGRESQL_ONLY
def test_a_writer_kept_waiting_by_a_lock_gets_the_busy_message_and_changes_nothing(cases, db, pg_server, monkeypatch):
    case = _new_case(cases)
    monkeypatch.setattr(dbmod, "LOCK_TIMEOUT_MS", 100)
    blocker = db.engine.connect()
    blocker.execute(text('SELECT id FROM "case" WHERE id = :id FOR UPDATE'), {"id": case.id})
    try:
        with pytest.raises(dbmod.StoreError) as err:
            cases.claim(case.id, "阿珍")
        assert "占用" in err.value.message and "没有丢失" in err.value.message
    finally:
        blocker.rollback()
        blocker.close()
    after = cases.get(case.id).case
    assert after.assignee is None and after.version == 1


def test_two_consoles_see_each_others_notes_in_order(cases, desks):
    """Appends from two desks interleave by time; nothing is overwritten."""
    case = _new_case(cases)
    (one, a), (two, b) = desks[0], desks[1]
    for n in range(5):
        Notes(one).add(case.id, f"{a} {n}", a)
        Notes(two).add(case.id, f"{b} {n}", b)
    bodies = [n.body for n in Notes(cases).current(case.id)]
    assert bodies == [f"{who} {n}" for n in range(5) for who in (a, b)]
    with cases.db.read() as s:
        assert len(s.exec(select(Note).where(Note.case_id == case.id)).all()) == 10
