"""`aftersales db copy SQLITE_FILE POSTGRES_URL`: a shop moves from one computer to a server.

A real SQLite file with a bit of everything (cases in every state, note versions, promises,
a handover, register rows, copied replies, drafts, demo cases) is copied to a database on
the session's own PostgreSQL server and compared with it row by row.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from console.cases import Cases
from console.cli import main
from console.db import open_database, resolve_url
from console.dbtools import console_tables
from console.demo import populate
from console.handover import Handovers
from console.intake import CaseDraft
from console.notes import Notes
from console.registers import Registers
from console.replies import Replies
from console.reply_drafts import ReplyDrafts
from tests.pgserver import PASSWORD


@pytest.fixture
def shop_file(tmp_path, policy, clock):
    """A console database on one computer, used for a while."""
    path = tmp_path / "shop" / "console.db"
    path.parent.mkdir()
    db = open_database(resolve_url(str(path)))
    cases = Cases(db, policy, clock)
    for name in ("小王", "阿珍", "老陈"):
        cases.ensure_agent(name)
    cases.set_role("老陈", "supervisor")
    populate(db, policy, clock.now(), 40, seed=3)  # ids 1..40, with events and clocks
    a = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", kind="refund"), "小王")
    b = cases.create(CaseDraft(buyer_id="tb_糖糖", description="[red]不是标记[/]\n第二行"), "阿珍")
    notes = Notes(cases)
    cases.claim(a.id, "小王")
    first = notes.add(a.id, "买家说明天在家", "小王", promise_at=clock.now() + timedelta(hours=20))
    notes.edit(first.id, "买家说后天在家 😀", "小王")
    notes.add(None, "交班前看一下退款", "阿珍")
    notes.save_draft("小王", f"case:{b.id}", "还没写完的")
    cases.claim(b.id, "阿珍")
    cases.set_status(b.id, "closed", "阿珍", leftovers="drop")
    Registers(db, policy, clock).add("return", {"return_type": "质量", "product": "保温杯", "total": "59.9"},
                                     "小王", case_id=a.id)
    Registers(db, policy, clock).add("problem", {"buyer_id": "路人", "courier_loss": "12"}, "阿珍")
    Replies(cases).record_copy(a.id, ["greeting"], ["1"], "亲,您好", "小王")
    ReplyDrafts(db, clock).add("logistics", "周末发货", "亲，周末照常发货哦～", "小王")
    Handovers(cases).start_shift("小王")
    Handovers(cases).hand_over("小王", "阿珍", "仓库今天缺货", {})
    db.close()
    return path


def _rows(db) -> dict[str, list[dict]]:
    """Every row of every table, by id, as the program reads them (aware datetimes, bools)."""
    with db.engine.connect() as conn:
        return {t.name: [dict(r) for r in conn.execute(select(t).order_by(t.c.id)).mappings()] for t in console_tables()}


def test_copy_round_trip_keeps_every_row_and_id(shop_file, pg_server, policy, clock, capsys):
    before = hashlib.sha256(shop_file.read_bytes()).hexdigest()
    name = pg_server.new_database(migrated=False)  # what the admin creates: empty, no tables
    url = pg_server.url(name)
    assert main(["db", "copy", str(shop_file), url]) == 0
    out = capsys.readouterr().out
    assert PASSWORD not in out
    assert "✓ case: 42 → 42 行" in out and "✖" not in out and "结论: 已复制" in out

    source = open_database(resolve_url(str(shop_file)))
    target = open_database(url)
    want, got = _rows(source), _rows(target)
    assert {t: len(r) for t, r in got.items()} == {t: len(r) for t, r in want.items()}
    assert got == want  # every value of every row, ids included
    assert len(got["note"]) == 3 and got["note"][1]["supersedes"] == got["note"][0]["id"]
    assert hashlib.sha256(shop_file.read_bytes()).hexdigest() == before  # the source is untouched

    # The team goes on where the shop left off: new rows get the next ids.
    cases = Cases(target, policy, clock)
    new = cases.create(CaseDraft(buyer_id="新买家"), "小王")
    assert new.id == 43
    Notes(cases).add(new.id, "第一条", "小王")
    assert cases.get(new.id).notes[0].id == 4
    target.dispose()
    source.dispose()


def test_a_target_that_already_holds_cases_is_refused_and_left_as_it_was(shop_file, pg_server, capsys):
    url = pg_server.url(pg_server.new_database(migrated=False))
    assert main(["db", "copy", str(shop_file), url]) == 0
    capsys.readouterr()
    assert main(["db", "copy", str(shop_file), url]) == 2
    err = capsys.readouterr().err
    assert "已经有 42 个工单" in err and "没有写入任何东西" in err
    db = open_database(url)
    with db.engine.connect() as conn:
        assert conn.execute(text('SELECT count(*) FROM "case"')).scalar() == 42
        assert conn.execute(text("SELECT count(*) FROM note")).scalar() == 3
    db.dispose()


def test_a_target_a_console_already_opened_is_refused_too(shop_file, pg_database, capsys):
    """Someone tried the one line before the copy: an agent row is there, whose id the copy's
    would collide with. Refused, nothing written."""
    db = open_database(pg_database)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO agent (name, role, created_at) VALUES ('先到的', 'agent', now())"))
    db.dispose()
    assert main(["db", "copy", str(shop_file), pg_database]) == 2
    err = capsys.readouterr().err
    assert "不是空的 (agent 1 行)" in err
    db = open_database(pg_database)
    with db.engine.connect() as conn:
        assert conn.execute(text('SELECT count(*) FROM "case"')).scalar() == 0
    db.dispose()


def test_a_copy_that_does_not_match_is_rolled_back_and_exits_1(shop_file, pg_database, capsys):
    """A server that changes what it is given (here a trigger someone left on the note
    table): the check finds it before commit, nothing is kept, the exit code says so."""
    db = open_database(pg_database)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE FUNCTION shorten() RETURNS trigger AS $$"
                          " BEGIN NEW.body := left(NEW.body, 2); RETURN NEW; END $$ LANGUAGE plpgsql"))
        conn.execute(text("CREATE TRIGGER shorten BEFORE INSERT ON note FOR EACH ROW EXECUTE FUNCTION shorten()"))
    db.dispose()
    assert main(["db", "copy", str(shop_file), pg_database]) == 1
    captured = capsys.readouterr()
    assert "✖ 笔记字数之和" in captured.out and "✓ case: 42 → 42 行" in captured.out
    assert "已全部撤回" in captured.err
    db = open_database(pg_database)
    with db.engine.connect() as conn:
        assert conn.execute(text('SELECT count(*) FROM "case"')).scalar() == 0
    db.dispose()


def test_an_older_shop_file_is_copied_at_the_current_schema_without_changing_it(tmp_path, pg_server):
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    import console

    path = tmp_path / "old.db"
    old = open_database(resolve_url(str(path)), migrate=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(console.__file__).parent / "migrations"))
    with old.connect_write() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    with old.connect_write() as conn:
        conn.execute(text(
            "INSERT INTO \"case\" (buyer_id, order_no, channel, kind, status, description, urgent, assignee,"
            " created_by, created_at, updated_at, first_message_at, is_open, next_due_at, next_warn_at, version)"
            " VALUES ('阿狸', NULL, 'chat', 'return', 'new', '', 0, NULL, '小王',"
            " '2026-11-01 02:00:00', '2026-11-01 02:00:00', '2026-11-01 02:00:00', 1,"
            " '2026-11-02 02:00:00', '2026-11-01 22:00:00', 1)"))
    old.close()
    before = path.read_bytes()
    url = pg_server.url(pg_server.new_database(migrated=False))
    assert main(["db", "copy", str(path), url]) == 0
    assert path.read_bytes() == before
    db = open_database(url)
    with db.engine.connect() as conn:
        row = conn.execute(text('SELECT buyer_id, initiated_by, product FROM "case"')).one()
    assert tuple(row) == ("阿狸", "buyer", "")
    db.dispose()


def test_what_is_not_a_copy_is_refused(tmp_path, shop_file, capsys):
    assert main(["db", "copy", str(tmp_path / "nope.db"), "postgresql://u@127.0.0.1:1/x"]) == 2
    assert "源数据库文件不存在" in capsys.readouterr().err
    assert main(["db", "copy", str(shop_file), str(tmp_path / "other.db")]) == 2
    assert "目标必须是 PostgreSQL" in capsys.readouterr().err
    assert not (tmp_path / "other.db").exists()
