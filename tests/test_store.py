"""The database on real SQLite files and a real PostgreSQL server: migrations, pragmas,
locking, faults, change notices. Tests marked for SQLite alone are about its files."""

import os
import sqlite3
import threading

import pytest
from sqlalchemy import text

from console.db import (
    SCHEMA_HEAD,
    Database,
    StoreError,
    current_revision,
    open_database,
    resolve_url,
)
from console.intake import CaseDraft
from console.notes import Notes

pytestmark = pytest.mark.backends("sqlite", "postgresql")
SQLITE_ONLY = pytest.mark.backends("sqlite")


@pytest.fixture
def empty_db_url(backend, request, db_path) -> str:
    """A database with nothing in it yet: a new file, or a new empty server database."""
    if backend == "sqlite":
        yield resolve_url(str(db_path))
        return
    server = request.getfixturevalue("pg_server")
    name = server.new_database(migrated=False)
    yield server.url(name)
    server.drop_database(name)


@SQLITE_ONLY
def test_migration_creates_the_schema_in_an_empty_file(db_path):
    db_path.touch()  # an empty file, as a user might hand us
    db = open_database(resolve_url(str(db_path)))
    assert current_revision(db) == SCHEMA_HEAD
    tables = {r[0] for r in sqlite3.connect(db_path).execute("select name from sqlite_master where type='table'")}
    assert {"case", "deadline", "case_event", "note", "agent", "alembic_version"} <= tables
    indexes = {r[0] for r in sqlite3.connect(db_path).execute("select name from sqlite_master where type='index'")}
    assert {"ix_case_queue", "ix_case_buyer", "ix_case_order", "ix_case_mine"} <= indexes
    # Opening again finds it current and changes nothing.
    again = open_database(resolve_url(str(db_path)))
    assert current_revision(again) == SCHEMA_HEAD


def test_schema_head_matches_the_newest_migration():
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import console

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(console.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD


# SQLite's day-ordered figure indexes (migration 0013) are expressions: SQLAlchemy cannot
# reflect them, and the models leave them out on purpose (console/models.py says why).
EXPRESSION_INDEXES = pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")


@EXPRESSION_INDEXES
def test_models_match_the_migrations(db):
    """Autogenerate finds nothing to do: the migrations describe the models exactly."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


@SQLITE_ONLY
def test_pragmas(db):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0


@EXPRESSION_INDEXES
def test_migration_creates_the_schema_in_an_empty_database(empty_db_url):
    from sqlalchemy import inspect

    db = open_database(empty_db_url)
    assert current_revision(db) == SCHEMA_HEAD
    inspector = inspect(db.engine)
    assert {"case", "deadline", "case_event", "note", "agent", "alembic_version"} <= set(inspector.get_table_names())
    indexes = {i["name"] for i in inspector.get_indexes("case")}
    assert {"ix_case_queue", "ix_case_buyer", "ix_case_order", "ix_case_mine"} <= indexes
    if db.is_postgresql:  # the prefix search's indexes serve LIKE 'abc%' under any collation
        with db.engine.connect() as conn:
            defs = dict(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes"
                                          " WHERE indexname IN ('ix_case_buyer', 'ix_case_order')")).all())
        assert all("varchar_pattern_ops" in d for d in defs.values()) and len(defs) == 2
    db.dispose()
    again = open_database(empty_db_url)  # current: nothing to do
    assert current_revision(again) == SCHEMA_HEAD
    again.dispose()


def test_a_second_connection_sees_a_commit(db, db_url, backend, cases):
    other = Database(db_url)
    watcher = other.watcher()
    assert watcher.changes() == set()
    assert watcher.changed() is False
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567"), "小王")
    # SQLite knows that something changed; PostgreSQL's notice names the case.
    assert watcher.wait(10) == ({case.id} if backend == "postgresql" else None)
    assert watcher.changed() is False  # one change, reported once
    from console.cases import Cases

    seen = Cases(other, cases.policy, cases.clock).get(case.id)
    assert seen.case.buyer_id == "阿狸"
    watcher.close()
    other.dispose()


@SQLITE_ONLY
def test_change_polling_in_a_folder_whose_name_has_spaces_hash_and_percent(tmp_path, policy, clock):
    """The watcher opens the file by URI: `#`, `%` and spaces (common in Windows folder names
    such as "店铺 #2") must not cut the path short, or no change is ever seen."""
    from console.cases import Cases

    folder = tmp_path / "店铺 #2 50%"
    folder.mkdir()
    url = resolve_url(str(folder / "console.db"))
    db = open_database(url)
    watcher = Database(url).watcher()
    assert watcher.changed() is False
    Cases(db, policy, clock).create(CaseDraft(buyer_id="阿狸"), "小王")
    assert watcher.changed() is True
    assert not (tmp_path / "店铺 ").exists()  # nothing created at a truncated path
    watcher.close()
    db.dispose()


def test_writes_do_not_interleave(db, db_url, cases):
    """Two threads, each on its own connection, adding notes at once: every note lands."""
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    from console.cases import Cases

    other = Cases(Database(db_url), cases.policy, cases.clock)
    errors = []

    def add(svc, who):
        try:
            for i in range(20):
                Notes(svc).add(case.id, f"{who} {i}", who)
        except StoreError as exc:  # pragma: no cover - would fail the assert below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(s, w)) for s, w in ((cases, "甲"), (other, "乙"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    detail = cases.get(case.id)
    assert len(detail.notes) == 40
    assert detail.case.version == 1 + 40
    other.db.dispose()


@SQLITE_ONLY
def test_locked_database_is_a_clear_message_and_nothing_is_half_saved(db, db_path, cases):
    import console.db as dbmod

    blocker = sqlite3.connect(db_path, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    old = dbmod.BUSY_TIMEOUT_MS
    dbmod.BUSY_TIMEOUT_MS = 50
    try:
        fresh = Database(resolve_url(str(db_path)))
        from console.cases import Cases

        with pytest.raises(StoreError) as err:
            Cases(fresh, cases.policy, cases.clock).create(CaseDraft(buyer_id="阿狸"), "小王")
        assert "占用" in err.value.message
        assert "没有丢失" in err.value.message
    finally:
        dbmod.BUSY_TIMEOUT_MS = old
        blocker.rollback()
        blocker.close()
    with db.engine.connect() as conn:
        assert conn.execute(text('select count(*) from "case"')).scalar() == 0


@SQLITE_ONLY
@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only file")
def test_read_only_database(db, db_path, cases):  # pragma: no cover - CI runs as root
    os.chmod(db_path, 0o444)
    with pytest.raises(StoreError, match="只读"):
        cases.create(CaseDraft(buyer_id="阿狸"), "小王")


@SQLITE_ONLY
def test_read_only_connection_refuses_writes_with_a_message(db, db_path, cases):
    """Root ignores file modes, so open the file read-only through SQLite itself."""
    from console.cases import Cases

    ro = Database(f"sqlite:///file:{db_path}?mode=ro&uri=true")
    with pytest.raises(StoreError, match="只读"):
        Cases(ro, cases.policy, cases.clock).create(CaseDraft(buyer_id="阿狸"), "小王")


def test_missing_directory_is_a_clear_message(tmp_path):
    with pytest.raises(StoreError, match="目录不存在"):
        open_database(resolve_url(str(tmp_path / "nope" / "console.db")))


def test_resolve_url(monkeypatch, tmp_path):
    monkeypatch.delenv("AFTERSALES_DB", raising=False)
    # No --db, no AFTERSALES_DB: console.db in the shop folder (here the per-user default,
    # which the autouse fixture points at a temp XDG_DATA_HOME).
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'xdg-data' / 'aftersales' / 'console.db'}"
    assert resolve_url(None, default=tmp_path / "shop" / "console.db").endswith("/shop/console.db")
    monkeypatch.setenv("AFTERSALES_HOME", str(tmp_path / "elsewhere"))
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'elsewhere' / 'console.db'}"
    monkeypatch.setenv("AFTERSALES_DB", str(tmp_path / "x.db"))
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'x.db'}"
    # A server URL is kept; the bare postgresql:// means the psycopg 3 driver this program has.
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgresql://u:p%40ss@h:5433/db") == "postgresql+psycopg://u:p%40ss@h:5433/db"


def test_a_database_from_the_first_release_upgrades_with_its_cases(empty_db_url):
    """A user's database at revision 0001, with a case in it, survives the upgrade to head
    (columns added since then get their defaults on the rows already there)."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    import console

    old = Database(empty_db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(console.__file__).parent / "migrations"))
    with old.connect_write() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with old.connect_write() as conn:
        conn.execute(text(
            "INSERT INTO \"case\" (buyer_id, order_no, channel, kind, status, description, urgent, assignee,"
            " created_by, created_at, updated_at, first_message_at, is_open, next_due_at, next_warn_at, version)"
            " VALUES ('阿狸', '3712345678901234567', 'chat', 'return', 'new', '', FALSE, NULL, '小王',"
            " '2026-11-01 02:00:00', '2026-11-01 02:00:00', '2026-11-01 02:00:00', TRUE,"
            " '2026-11-02 02:00:00', '2026-11-01 22:00:00', 1)"
        ))
        conn.execute(text(
            "INSERT INTO note (case_id, author, created_at, body) VALUES (1, '小王', '2026-11-01 02:05:00', '已联系买家')"
        ))
    old.dispose()
    assert current_revision(Database(empty_db_url)) == "0001"

    db = open_database(empty_db_url)
    assert current_revision(db) == SCHEMA_HEAD
    with db.engine.connect() as conn:
        row = conn.execute(text('select buyer_id, platform_intervened, refund_status, initiated_by, product'
                                ' from "case"')).one()
        note = conn.execute(text("select body, supersedes from note")).one()
    assert tuple(row) == ("阿狸", False, None, "buyer", "")
    assert tuple(note) == ("已联系买家", None)
    db.dispose()
