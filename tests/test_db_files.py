"""Files that are not the console's, schema revisions it does not know, the write-ahead log
on a clean end. Real files, real SQLite."""

import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from console.cases import Cases
from console.db import (
    SCHEMA_HEAD,
    StoreError,
    current_revision,
    open_database,
    resolve_url,
)
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
    # Nor does loading demo cases touch it.
    out = _run_cli("--db", str(places), "demo", "--cases", "3")
    assert out.returncode == 2 and "moz_places" in out.stderr
    assert _snapshot(folder) == before


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


# ---- aftersales db backup ---------------------------------------------------------------


# ---- aftersales db check ----------------------------------------------------------------


