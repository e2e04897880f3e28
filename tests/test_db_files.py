"""Files that are not the console's, schema revisions it does not know, the write-ahead log
on a clean end, `aftersales db backup` and `aftersales db check`. Real files, real SQLite."""

import os
import sqlite3
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from console.cases import Cases
from console.cli import main
from console.db import (
    SCHEMA_HEAD,
    Database,
    StoreError,
    current_revision,
    open_database,
    resolve_url,
)
from console.dbtools import backup, check
from console.intake import CaseDraft
from console.notes import Notes


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in `folder` with its bytes: a new -wal or -shm shows as a new key."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _browser_history(path: Path, journal: str) -> None:
    """A SQLite file of another program, like a browser's history (Firefox's is WAL)."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT, title TEXT, visit_count INTEGER)")
    conn.execute("CREATE INDEX moz_places_url ON moz_places (url)")
    conn.executemany("INSERT INTO moz_places (url, title, visit_count) VALUES (?, ?, ?)",
                     [("https://www.taobao.com/", "淘宝", 12), ("https://example.org/", "Example", 1)])
    conn.commit()
    conn.close()


def _run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, stdin=subprocess.DEVNULL)


# ---- files that are not the console's ----------------------------------------------------


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_an_unrelated_sqlite_file_is_refused_and_left_byte_for_byte(tmp_path, journal):
    folder = tmp_path / "profile"
    folder.mkdir()
    places = folder / "places.sqlite"
    _browser_history(places, journal)
    before = _snapshot(folder)
    assert list(before) == ["places.sqlite"]

    with pytest.raises(StoreError) as err:
        open_database(resolve_url(str(places)))
    assert "不是售后工作台的数据库" in err.value.message and "moz_places" in err.value.message
    assert _snapshot(folder) == before

    # The console itself, started on it: refused before anything opens it, exit 2.
    out = _run_cli("--db", str(places), "--agent", "小王", "--no-demo-offer")
    assert out.returncode == 2
    assert "不是售后工作台的数据库" in out.stderr and "Traceback" not in out.stderr
    assert _snapshot(folder) == before
    # Neither do the other commands that open a database touch it.
    for command in (["demo", "--cases", "3"], ["db", "check"], ["db", "backup", str(tmp_path / "b.db")]):
        out = _run_cli("--db", str(places), *command)
        assert out.returncode in (1, 2) and "moz_places" in out.stderr, command
    assert _snapshot(folder) == before
    assert not (tmp_path / "b.db").exists()


def test_an_unrelated_file_with_an_alembic_version_but_none_of_the_console_tables_is_refused(tmp_path):
    path = tmp_path / "other-app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="没有售后工作台的表.*invoices"):
        open_database(resolve_url(str(path)))
    assert path.read_bytes() == before


@pytest.mark.parametrize("name, content", [
    ("notes.txt", "买家说周五到\n".encode()),
    ("export.zip", None),
    ("short.db", b"SQLite"),
    ("random.db", bytes(range(256)) * 8),
])
def test_a_file_that_is_not_sqlite_at_all_is_refused_unchanged(tmp_path, name, content):
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("订单.csv", "订单号,买家\n1,阿狸\n")
    else:
        path.write_bytes(content)
    before = _snapshot(tmp_path)
    with pytest.raises(StoreError, match="不是 SQLite 数据库文件"):
        open_database(resolve_url(str(path)))
    out = _run_cli("--db", str(path), "demo", "--cases", "3")
    assert out.returncode == 2 and "不是 SQLite 数据库文件" in out.stderr and "Traceback" not in out.stderr
    assert _snapshot(tmp_path) == before


def test_an_empty_or_new_file_becomes_a_console_database(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (empty, tmp_path / "new.db"):
        db = open_database(resolve_url(str(path)))
        assert current_revision(db) == SCHEMA_HEAD
        db.close()


# ---- schema revisions this program does not know ----------------------------------------


def _set_revision(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("revision, expected", [
    ("0099", ["数据库是更新版本的程序建的 (revision 0099)", "请升级程序", SCHEMA_HEAD]),
    ("not-a-revision\x1b[31m", ["数据库的版本记录无法识别", "not-a-revision?[31m"]),
])
def test_an_unknown_schema_revision_is_a_clear_message_not_an_alembic_traceback(db_path, revision, expected):
    db = open_database(resolve_url(str(db_path)))
    db.close()
    _set_revision(db_path, revision)
    before = _snapshot(db_path.parent)
    with pytest.raises(StoreError) as err:
        open_database(resolve_url(str(db_path)))
    for part in expected:
        assert part in err.value.message
    assert "\x1b" not in err.value.message
    assert _snapshot(db_path.parent) == before

    out = _run_cli("--db", str(db_path), "demo", "--cases", "3")
    assert out.returncode == 2
    assert expected[0] in out.stderr
    assert "Traceback" not in out.stderr and "CommandError" not in out.stderr
    assert _snapshot(db_path.parent) == before


def test_a_newer_revision_written_by_another_console_still_open_is_refused(db, db_path):
    """The newer revision only in the write-ahead log (another console upgraded a moment ago
    and still has the file open): the read-only look at the file cannot see it, the
    migration step does, and says so instead of Alembic's "Can't locate revision"."""
    other = sqlite3.connect(db_path)
    other.execute("UPDATE alembic_version SET version_num = '0099'")
    other.commit()
    try:
        with pytest.raises(StoreError, match=r"更新版本的程序建的 \(revision 0099\)"):
            open_database(resolve_url(str(db_path)))
    finally:
        other.close()


# ---- the write-ahead log on a clean end --------------------------------------------------


def test_close_folds_the_log_into_the_file_even_with_another_connection_open(db_path, policy, clock):
    db = open_database(resolve_url(str(db_path)))
    reader = sqlite3.connect(db_path)  # another console, open and idle: the file is not let go
    assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    case = Cases(db, policy, clock).create(CaseDraft(buyer_id="阿狸"), "小王")
    Notes(Cases(db, policy, clock)).add(case.id, "已催快递", "小王")
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.stat().st_size > 0
    db.close()
    assert wal.stat().st_size == 0
    reader.close()
    only_db = sqlite3.connect(f"file:{db_path}?mode=ro&immutable=1", uri=True)
    assert only_db.execute("SELECT body FROM note").fetchall() == [("已催快递",)]
    only_db.close()


def test_a_checkpoint_never_waits_for_another_console_writing(db, db_path, cases):
    cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE \"case\" SET description = 'x'")
    try:
        busy, _frames, _copied = db.checkpoint()
        assert busy == 1  # could not finish: said, not waited for
    finally:
        writer.execute("COMMIT")
        writer.close()
    busy, _frames, _copied = db.checkpoint()
    assert busy == 0


def test_cli_commands_leave_no_write_ahead_log(tmp_path):
    path = tmp_path / "shop.db"
    assert main(["--db", str(path), "--agent", "小王", "demo", "--cases", "20"]) == 0
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


# ---- aftersales db backup ---------------------------------------------------------------


def test_a_backup_taken_while_another_connection_writes_is_a_consistent_console_database(
        db_path, tmp_path, policy, clock):
    url = resolve_url(str(db_path))
    Cases(open_database(url), policy, clock).ensure_agent("小王")
    writer_cases = Cases(Database(url), policy, clock)  # a second console, its own connections
    written = 0
    enough = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        nonlocal written
        try:
            while not stop.is_set():
                case = writer_cases.create(CaseDraft(buyer_id=f"买家{written}"), "小王")
                Notes(writer_cases).add(case.id, f"第 {written} 条", "小王")
                written += 1
                if written >= 30:
                    enough.set()
        except BaseException as exc:  # pragma: no cover - fails the test below
            errors.append(exc)
            enough.set()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert enough.wait(60)
        dest = tmp_path / "backups" / "shop-backup.db"
        dest.parent.mkdir()
        report = backup(url, dest)
        at_backup = written
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert report.file == dest and report.size == dest.stat().st_size
    # A self-contained file: nothing beside it.
    assert sorted(p.name for p in dest.parent.iterdir()) == ["shop-backup.db"]
    conn = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        cases_n = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
        # One snapshot: every case has its creation event and its deadlines; notes only for
        # cases that are there.
        assert 30 <= cases_n <= at_backup + 1
        assert conn.execute("SELECT count(*) FROM case_event WHERE action = 'created'").fetchone()[0] == cases_n
        assert conn.execute('SELECT count(*) FROM "case" c WHERE NOT EXISTS '
                            '(SELECT 1 FROM deadline d WHERE d.case_id = c.id)').fetchone()[0] == 0
        notes_n = conn.execute("SELECT count(*) FROM note").fetchone()[0]
        assert notes_n in (cases_n - 1, cases_n)  # the last case's note may follow in the next transaction
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    assert report.counts["cases"] == cases_n and report.counts["notes"] == notes_n
    # And the console opens it as it is.
    restored = open_database(resolve_url(str(dest)))
    assert current_revision(restored) == SCHEMA_HEAD
    restored.close()


def test_backup_never_overwrites_without_force_and_prints_what_it_wrote(db, db_path, cases, tmp_path, capsys):
    cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    dest = tmp_path / "备份 #1.db"
    dest.write_bytes(b"an older backup")
    assert main(["--db", str(db_path), "db", "backup", str(dest)]) == 2
    err = capsys.readouterr().err
    assert "已经存在" in err and "--force" in err
    assert dest.read_bytes() == b"an older backup"
    assert main(["--db", str(db_path), "db", "backup", "--force", str(dest)]) == 0
    out = capsys.readouterr().out
    assert f"已备份到 {dest}" in out and "KB" in out and "未结 1 / 共 1" in out
    conn = sqlite3.connect(dest)
    assert conn.execute('SELECT buyer_id FROM "case"').fetchall() == [("阿狸",)]
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_backup_of_a_postgresql_database_gives_the_pg_dump_line(capsys):
    assert main(["--db", "postgresql+psycopg://shop:s3cret@db.local:5433/aftersales",
                 "db", "backup", "shop.dump"]) == 2
    err = capsys.readouterr().err
    assert "pg_dump --format=custom --file \"shop.dump\" --host db.local --port 5433 --username shop aftersales" in err
    assert "s3cret" not in err


def test_backup_of_a_missing_database_creates_nothing(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "nope.db"), "db", "backup", str(tmp_path / "b.db")]) == 2
    assert "不存在" in capsys.readouterr().err
    assert not (tmp_path / "b.db").exists() and not (tmp_path / "nope.db").exists()


# ---- aftersales db check ----------------------------------------------------------------


def test_check_reports_integrity_revision_counts_and_where_the_log_is(tmp_path, policy, clock, capsys):
    home = tmp_path / "shop"
    home.mkdir()
    url = resolve_url(str(home / "console.db"))
    cases = Cases(open_database(url), policy, clock)
    cases.ensure_agent("小王")
    a = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    cases.create(CaseDraft(buyer_id="阿珍"), "小王")
    Notes(cases).add(a.id, "已催快递", "小王")
    Notes(cases).save_draft("小王", "shift", "交班前要说的")
    cases.set_status(a.id, "closed", "小王", leftovers="drop")
    assert main(["--home", str(home), "db", "check"]) == 0
    out = capsys.readouterr().out
    assert f"数据库: {home / 'console.db'}" in out
    assert "完整性检查: 正常" in out
    assert f"结构版本: {SCHEMA_HEAD} (本程序: {SCHEMA_HEAD}, 最新)" in out
    assert "工单 未结 1 / 共 2" in out and "笔记 (含改过的旧版本) 1" in out and "草稿 1" in out
    log_file = home / "logs" / "console.log"
    assert f"日志: {log_file}" in out and log_file.is_file()
    assert "结论: 正常" in out


def test_check_finds_a_damaged_file_and_exits_1(db, db_path, cases, capsys):
    for i in range(200):
        cases.create(CaseDraft(buyer_id=f"买家{i}", description="很长的描述" * 40), "小王")
    db.close()
    size = db_path.stat().st_size
    with open(db_path, "r+b") as f:  # scribble over pages in the middle, as a failing disk would
        f.seek(size // 2)
        f.write(b"\xff" * 8192)
    assert main(["--db", str(db_path), "db", "check"]) == 1
    captured = capsys.readouterr()
    assert "发现问题" in captured.err and "损坏" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_check_of_an_unknown_revision_or_a_missing_file_exits_1_and_creates_nothing(db_path, tmp_path, capsys):
    open_database(resolve_url(str(db_path))).close()
    _set_revision(db_path, "0099")
    assert main(["--db", str(db_path), "db", "check"]) == 1
    captured = capsys.readouterr()
    assert "本程序不认识" in captured.out and "revision 0099" in captured.err
    missing = tmp_path / "missing.db"
    assert main(["--db", str(missing), "db", "check"]) == 1
    assert "不存在" in capsys.readouterr().err
    assert not missing.exists()


def test_check_report_of_an_older_schema_says_it_will_be_upgraded(db_path):
    from alembic import command
    from alembic.config import Config

    import console

    old = Database(resolve_url(str(db_path)))
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(console.__file__).parent / "migrations"))
    with old.connect_write() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    old.close()
    report = check(resolve_url(str(db_path)))
    assert report.ok and report.revision == "0005" and report.integrity == ["ok"]
    with Database(resolve_url(str(db_path))).engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"


def test_no_write_ahead_log_file_is_left_by_check(db, db_path, cases):
    cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    db.close()
    assert main(["--db", str(db_path), "db", "check"]) == 0
    assert not os.path.exists(f"{db_path}-wal") or os.path.getsize(f"{db_path}-wal") == 0
