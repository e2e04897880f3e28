"""`aftersales demo --days N`: a team's history, made by driving the real stores with a moved
clock, so every case has the events, clocks and copies real use leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from console.cli import main
from console.db import open_database, resolve_url
from console.demo_history import produce
from console.demo_team import LINE, SPECIALIST, SUPERVISOR, Rota, day_shifts
from console.models import Agent, Case, CaseEvent, Deadline, Handover, ReplyCopy, Shift

# 20:00 on Tuesday 24 November in Shanghai: two shop days, the second cut at 20:00.
END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _made(url: str, days: int = 2, seed: int = 7, end: datetime = END):
    db = open_database(url)
    try:
        return produce(db, _policy(), days=days, end=end, seed=seed), db
    except BaseException:
        db.dispose()
        raise


def _policy():
    from console.sla import load_policy

    return load_policy()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    url = resolve_url(str(tmp_path_factory.mktemp("history") / "h.db"))
    produced, db = _made(url)
    yield produced, db
    db.dispose()


def test_the_history_is_what_the_stores_record(history):
    produced, db = history
    assert produced.skipped == 0, produced.problems
    assert 120 <= produced.cases <= 300
    with db.read() as s:
        cases = s.exec(select(Case)).all()
        created = s.exec(select(func.count(func.distinct(CaseEvent.case_id))).where(CaseEvent.action == "created")).one()
        actions = dict(s.exec(select(CaseEvent.action, func.count()).group_by(CaseEvent.action)).all())
        ended = s.exec(select(Deadline).where(Deadline.state == "met", Deadline.due_at.is_not(None))).all()
        copies = s.exec(select(ReplyCopy)).all()
        handovers = s.exec(select(Handover)).all()
        roles = dict(s.exec(select(Agent.name, Agent.role)).all())
        open_shifts = s.exec(select(Shift.agent).where(Shift.ended_at.is_(None))).all()
    assert len(cases) == produced.cases and created == produced.cases  # every case was created through the store
    # Each case has a history beyond its creation, and the wizard, replies and closing left theirs.
    for action in ("first_reply", "sop_applied", "money", "reply_copied", "satisfaction", "handover", "clock_met",
                   "task_added", "refund_status"):
        assert actions.get(action, 0) > 0, action
    assert sum(actions.values()) == produced.events
    assert produced.events > 10 * produced.cases
    # Clocks met in time and clocks missed, both.
    missed = [d for d in ended if d.ended_at > d.due_at]
    assert missed and len(missed) < len(ended) / 2
    assert {d.kind for d in ended} >= {"first_response", "solution"}
    # First replies: mostly within the 30-second limit, not all.
    chats = [c for c in cases if c.channel != "phone" and c.first_replied_at is not None]
    within = sum((c.first_replied_at - c.first_message_at) <= timedelta(seconds=30) for c in chats) / len(chats)
    assert 0.7 <= within <= 0.98
    # Most buyers satisfied, a few not; some cases still open at the end, most closed.
    sats = [c.satisfaction for c in cases if c.satisfaction]
    assert sats.count("satisfied") > len(sats) / 2 and sats.count("neutral") > 0
    still_open = sum(c.is_open for c in cases)
    assert 0 < still_open < len(cases) / 2
    assert len(copies) == produced.copies and any(c.edited for c in copies) and not all(c.edited for c in copies)
    assert len(handovers) == produced.handovers >= 3
    assert all(h.acknowledged_at is None or h.acknowledged_at > h.created_at for h in handovers)
    assert any(h.acknowledged_at is not None for h in handovers)
    # The team, with its roles; whoever's shift runs at the end is still on it.
    assert roles[SUPERVISOR] == "supervisor" and roles[SPECIALIST] == "specialist"
    assert set(produced.agents) == {*LINE, SUPERVISOR}
    assert open_shifts and set(open_shifts) <= set(produced.agents)


def test_the_same_seed_gives_the_same_history_and_another_seed_another(history, tmp_path):
    produced, db = history
    again, db2 = _made(resolve_url(str(tmp_path / "again.db")))
    other, db3 = _made(resolve_url(str(tmp_path / "other.db")), days=1, seed=8)
    try:
        counts = lambda p: (p.cases, p.events, p.copies, p.handovers)  # noqa: E731
        assert counts(again) == counts(produced)

        def sample(database, ids):
            with database.read() as s:
                rows = [s.get(Case, i) for i in ids]
                events = [s.exec(select(CaseEvent.action, CaseEvent.at, CaseEvent.agent)
                                 .where(CaseEvent.case_id == i).order_by(CaseEvent.id)).all() for i in ids]
            return [(c.buyer_id, c.kind, c.channel, c.status, c.first_message_at, c.first_replied_at,
                     c.satisfaction, c.agreed_amount, c.assignee) for c in rows], events

        ids = [1, produced.cases // 2, produced.cases]
        assert sample(db2, ids) == sample(db, ids)
        assert sample(db3, [1])[0] != sample(db, [1])[0]
    finally:
        db2.dispose()
        db3.dispose()


def test_the_rota_covers_both_shifts_every_day_with_one_agent_resting():
    tz = _policy().timezone
    for offset in range(14):
        day = END.astimezone(tz).date() + timedelta(days=offset)
        shifts = day_shifts(day, tz)
        line = [s for s in shifts if s.agent != SUPERVISOR]
        assert [s.name for s in line] == ["早班", "早班", "晚班", "晚班"]
        assert len({s.agent for s in line}) == 4
        assert (any(s.agent == SUPERVISOR for s in shifts)) == (day.weekday() < 5)
    rota = Rota(END.date(), END.date(), tz)
    first = rota.shifts[0]
    assert rota.next_on(first.agent, first.start - timedelta(hours=3)) == first.start
    assert rota.next_on(first.agent, first.start + timedelta(hours=1)) == first.start + timedelta(hours=1)


def test_the_command_refuses_a_database_with_cases_and_changes_nothing(tmp_path, capsys):
    path = tmp_path / "shop.db"
    assert main(["--db", str(path), "--agent", "小王", "demo", "--cases", "5"]) == 0
    capsys.readouterr()
    assert main(["--db", str(path), "demo", "--days", "3"]) == 2
    err = capsys.readouterr().err
    assert "已经有 5 个工单" in err and "--add" in err and "什么都没有生成" in err
    db = open_database(resolve_url(str(path)))
    try:
        with db.read() as s:
            assert s.exec(select(func.count()).select_from(Case)).one() == 5
            assert s.exec(select(func.count()).select_from(Handover)).one() == 0
    finally:
        db.dispose()
    assert main(["--db", str(path), "demo", "--days", "3", "--cases", "10"]) == 2
    assert "不能和 --cases" in capsys.readouterr().err
    assert main(["--db", str(tmp_path / "e.db"), "demo", "--days", "0"]) == 2
    assert main(["--db", str(tmp_path / "e.db"), "demo", "--cases", "5", "--add"]) == 2


def test_the_command_makes_a_day_of_history_and_says_what(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "new.db"), "demo", "--days", "1"]) == 0
    out = capsys.readouterr().out
    assert "已生成 1 天的演示历史" in out and "交接班" in out and SUPERVISOR in out
    db = open_database(resolve_url(str(tmp_path / "new.db")))
    try:
        with db.read() as s:
            n = s.exec(select(func.count()).select_from(Case)).one()
    finally:
        db.dispose()
    assert f"工单 {n} 个" in out


@pytest.mark.backends("postgresql")
def test_the_history_runs_on_postgresql_as_on_sqlite(db_url, tmp_path, backend):
    end = END - timedelta(hours=8)  # 12:00 on the Tuesday: one short day keeps it quick
    on_pg, pg = _made(db_url, days=1, end=end)
    on_sqlite, lite = _made(resolve_url(str(tmp_path / "lite.db")), days=1, end=end)
    try:
        assert on_pg.skipped == 0, on_pg.problems
        assert (on_pg.cases, on_pg.events, on_pg.copies, on_pg.handovers) == \
            (on_sqlite.cases, on_sqlite.events, on_sqlite.copies, on_sqlite.handovers)
    finally:
        pg.dispose()
        lite.dispose()
