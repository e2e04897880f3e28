"""`aftersales db backup FILE`, `db check` and `db copy`: the shop's database looked after.

    report = backup(url, Path("备份/2026-11-23.db"))   # SQLite's online backup, safe while consoles run
    report = check(url)                                # integrity, schema revision, counts
    report = copy_to_server("console.db", "postgresql+psycopg://user@host/shop")  # move to a server

No Textual here. Both refuse a file that is not the console's (db.inspect_file) and neither
migrates: a backup taken before an upgrade is exactly the one a shop wants.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from console.db import (
    BUSY_TIMEOUT_MS,
    SCHEMA_HEAD,
    StoreError,
    _sqlite_path,
    current_revision,
    display_url,
    fault,
    inspect_file,
    open_database,
    reset_sequences,
    resolve_url,
    revision_problem,
    upgrade,
    with_driver,
)

log = logging.getLogger("console.dbtools")

# What `check` and `backup` count, in the order they are printed. Plain SQL that runs on
# SQLite (a raw connection to the backup) and PostgreSQL alike.
COUNTS: dict[str, tuple[str, str]] = {
    "cases_open": ("未结工单", "SELECT count(*) FROM \"case\" WHERE status NOT IN ('resolved', 'closed')"),
    "cases": ("工单总数", 'SELECT count(*) FROM "case"'),
    "notes": ("笔记 (含改过的旧版本)", "SELECT count(*) FROM note"),
    "events": ("工单事件", "SELECT count(*) FROM case_event"),
    "drafts": ("草稿", "SELECT count(*) FROM note_draft WHERE body <> ''"),
}


class NotSQLite(Exception):
    """The database is on a server: `pg_dump` backs it up, not this program."""

    def __init__(self, advice: str) -> None:
        super().__init__(advice)
        self.advice = advice


@dataclass(frozen=True)
class BackupReport:
    file: Path
    size: int
    counts: dict[str, int]


@dataclass
class CheckReport:
    database: str
    size: int | None = None          # bytes of the database file (SQLite)
    wal_size: int | None = None      # bytes of its -wal beside it (SQLite), 0 if none
    integrity: list[str] = field(default_factory=list)  # ["ok"] when sound; [] when not run
    revision: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    missing_tables: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def format_counts(counts: dict[str, int]) -> str:
    """未结工单 3 / 工单总数 5, 笔记 …: one line."""
    if not counts:
        return "(没有数据)"
    parts = [f"工单 未结 {counts['cases_open']} / 共 {counts['cases']}"]
    parts += [f"{COUNTS[key][0]} {counts[key]}" for key in ("notes", "events", "drafts")]
    return ", ".join(parts)


def pg_dump_advice(url: str, dest: str) -> str:
    """The pg_dump (and pg_restore) lines for a PostgreSQL database; no password in them."""
    u = make_url(url)
    options = []
    if u.host:
        options.append(f"--host {u.host}")
    if u.port:
        options.append(f"--port {u.port}")
    if u.username:
        options.append(f"--username {u.username}")
    where = " ".join(options)
    name = u.database or "数据库名"
    return (f"{display_url(url)} 是 PostgreSQL 数据库,请用 PostgreSQL 自带的 pg_dump 备份"
            f" (密码由 pg_dump 询问,或放在 PGPASSFILE):\n"
            f"  pg_dump --format=custom --file \"{dest}\" {where} {name}\n"
            f"恢复到一个新的空数据库:\n"
            f"  pg_restore --dbname {name} {where} \"{dest}\"")


def backup(url: str, dest: Path, force: bool = False) -> BackupReport:
    """Copy the SQLite database at `url` to `dest` with SQLite's online backup: one
    consistent snapshot, however many consoles write meanwhile (WAL lets them go on).

    The copy is a self-contained file (no -wal beside it) written under a temporary name
    and renamed into place only when complete, so a failed backup leaves nothing half
    written and an old backup untouched. An existing `dest` is refused unless `force`.
    NotSQLite (with the pg_dump advice) for a server database; StoreError otherwise.
    """
    path = _sqlite_path(url)
    if path is None:
        raise NotSQLite(pg_dump_advice(url, str(dest)))
    if not path.is_file():
        raise StoreError(f"数据库文件不存在: {path}")
    inspect_file(path)
    dest = Path(dest).expanduser().absolute()
    if dest.is_dir():
        raise StoreError(f"{dest} 是一个文件夹; 请给出备份文件的名字, 例如 {dest / 'console-backup.db'}")
    if not dest.parent.is_dir():
        raise StoreError(f"备份文件所在的目录不存在: {dest.parent}")
    if dest.exists():
        if _same_file(dest, path):
            raise StoreError("备份文件不能是数据库本身")
        if not force:
            raise StoreError(f"{dest} 已经存在, 没有覆盖它。换一个文件名, 或加 --force 覆盖。")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    log.info("备份 %s -> %s", path, dest)
    try:
        source = sqlite3.connect(path.absolute().as_uri() + "?mode=rw", uri=True,
                                 timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            target = sqlite3.connect(tmp, isolation_level=None)
            try:
                # All pages in one step: one read transaction, so one consistent snapshot.
                source.backup(target)
                # The copy stands alone: rollback journal, nothing kept in a -wal beside it.
                target.execute("PRAGMA journal_mode=DELETE")
                counts = _counts_sqlite(target)
            finally:
                target.close()
        finally:
            source.close()
        os.replace(tmp, dest)
    except sqlite3.Error as exc:
        _remove(tmp)
        raise fault(exc) from exc
    except OSError as exc:
        _remove(tmp)
        log.error("备份失败", exc_info=(type(exc), exc, exc.__traceback__))
        raise StoreError(f"无法写入备份文件 {dest}: {exc.strerror or exc}", exc) from exc
    except BaseException:
        _remove(tmp)
        raise
    report = BackupReport(dest, dest.stat().st_size, counts)
    log.info("备份完成 %s: %d 字节, %s", dest, report.size, format_counts(counts))
    return report


def check(url: str) -> CheckReport:
    """Integrity, schema revision against this program's, counts. Changes nothing but a
    checkpoint at the end (SQLite). A file that is not the console's is a problem found."""
    report = CheckReport(display_url(url))
    path = _sqlite_path(url)
    if path is not None:
        if not path.is_file():
            report.problems.append(f"数据库文件不存在: {path}")
            return report
        report.size = path.stat().st_size
        wal = path.with_name(path.name + "-wal")
        report.wal_size = wal.stat().st_size if wal.exists() else 0
    try:
        db = open_database(url, migrate=False)
    except StoreError as exc:
        report.problems.append(exc.message)
        return report
    try:
        _check_open(db, report)
    except SQLAlchemyError as exc:
        report.problems.append(fault(exc).message)
    finally:
        db.close()
    log.info("检查 %s: %s", report.database, "正常" if report.ok else "; ".join(report.problems))
    return report


def _check_open(db, report: CheckReport) -> None:
    from sqlmodel import SQLModel

    import console.models  # noqa: F401 - registers the tables

    if db.is_sqlite:
        with db.engine.connect() as conn:
            report.integrity = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        if report.integrity != ["ok"]:
            shown = "; ".join(report.integrity[:5])
            # Said as damage whether or not the counts below still read: which pages a
            # failing disk hit decides that, not how bad it is.
            report.problems.append(f"数据库文件已损坏, 完整性检查发现问题 (integrity_check): {shown}。"
                                   "请用最近的备份恢复 (见 README: Backups)。")
    report.revision = current_revision(db)
    tables = set(inspect(db.engine).get_table_names())
    if report.revision is None and not tables - {"alembic_version"}:
        return  # an empty database: the console builds its tables at the first start
    problem = revision_problem(report.revision)
    if problem is not None:
        report.problems.append(problem)
        return
    report.missing_tables = sorted(set(SQLModel.metadata.tables) - tables)
    if report.revision != SCHEMA_HEAD:
        return  # an older schema: the next start upgrades it; the counts may not fit it yet
    if report.missing_tables:
        report.problems.append(f"缺少表: {', '.join(report.missing_tables)}")
        return
    with db.engine.connect() as conn:
        report.counts = {key: int(conn.execute(text(sql)).scalar() or 0)
                         for key, (_label, sql) in COUNTS.items()}


def _counts_sqlite(conn: sqlite3.Connection) -> dict[str, int]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"case", "note", "case_event", "note_draft"} <= tables:
        return {}
    return {key: int(conn.execute(sql).fetchone()[0]) for key, (_label, sql) in COUNTS.items()}


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-journal")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass


# ---- moving a shop's SQLite file to a PostgreSQL server ----------------------------------

# Checked after the copy besides every table's row count: the same SQL on both sides.
SUMS: dict[str, tuple[str, str]] = {
    "case_ids": ("工单编号之和", 'SELECT coalesce(sum(id), 0) FROM "case"'),
    "case_versions": ("工单版本之和", 'SELECT coalesce(sum(version), 0) FROM "case"'),
    "open_cases": ("未结工单", 'SELECT count(*) FROM "case" WHERE is_open'),
    "event_ids": ("事件编号之和", "SELECT coalesce(sum(id), 0) FROM case_event"),
    "event_text": ("事件内容字数之和", "SELECT coalesce(sum(length(detail)), 0) FROM case_event"),
    "note_text": ("笔记字数之和", "SELECT coalesce(sum(length(body)), 0) FROM note"),
    "running_clocks": ("进行中的计时", "SELECT count(*) FROM deadline WHERE state = 'running'"),
}
COPY_CHUNK = 5000


@dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)   # table -> (source, target)
    sums: dict[str, tuple[object, object]] = field(default_factory=dict)  # key -> (source, target)
    latest: tuple[object, object] | None = None  # newest case change on each side

    @property
    def mismatches(self) -> list[str]:
        bad = [f"表 {t}: 源 {a} 行, 目标 {b} 行" for t, (a, b) in self.rows.items() if a != b]
        bad += [f"{SUMS[k][0]}: 源 {a}, 目标 {b}" for k, (a, b) in self.sums.items() if a != b]
        if self.latest is not None and self.latest[0] != self.latest[1]:
            bad.append(f"最近一次工单改动的时间: 源 {self.latest[0]}, 目标 {self.latest[1]}")
        return bad

    @property
    def ok(self) -> bool:
        return not self.mismatches


class CopyRefused(StoreError):
    """The copy did not start (or was rolled back): nothing was written to the target."""


class CopyMismatch(CopyRefused):
    """The copy did not match its source when checked, so it was rolled back; `report` says
    where it differed."""

    def __init__(self, message: str, report: CopyReport) -> None:
        super().__init__(message)
        self.report = report


def copy_to_server(source: str, target_url: str, progress=None) -> CopyReport:
    """Copy a console's SQLite database, every table with its history and its ids, into an
    empty PostgreSQL database: one transaction on the target, checked before it commits
    (row counts of every table and the sums in SUMS) and again afterwards.

    The source file is never changed: a snapshot is taken with SQLite's online backup and,
    if its schema is older than this program's, upgraded in a temporary folder. An empty
    target is migrated first; one that already holds data is refused (CopyRefused), as is a
    source that is not the console's. `progress(table, rows)` is told as each table is done.
    """
    import tempfile

    from sqlalchemy import select

    path = _sqlite_path(source)
    if path is None:
        raise CopyRefused(f"源必须是工作台的 SQLite 数据库文件, 不是 {display_url(source)}")
    if not path.is_file():
        raise CopyRefused(f"源数据库文件不存在: {path}")
    inspect_file(path)
    target_url = with_driver(target_url)
    try:
        backend = make_url(target_url).get_backend_name()
    except Exception:  # noqa: BLE001 - a file path or a typo: said below
        backend = None
    if backend != "postgresql":
        raise CopyRefused("目标必须是 PostgreSQL 数据库 (postgresql+psycopg://用户@服务器/数据库名);"
                          " 复制到另一个文件请用 aftersales db backup")
    report = CopyReport(str(path), display_url(target_url))
    with tempfile.TemporaryDirectory(prefix="aftersales-copy-") as folder:
        snapshot = Path(folder) / "snapshot.db"
        _snapshot(path, snapshot)
        src = open_database(resolve_url(str(snapshot)))  # upgraded here if older, never the original
        try:
            target = open_database(target_url, migrate=False)
            try:
                _refuse_non_empty(target)
                upgrade(target)  # an empty database gets the tables first
                tables = console_tables()
                log.info("复制 %s -> %s 开始", path, report.target)
                with target.connect_write() as out:
                    _refuse_non_empty(target, out)
                    with src.engine.connect() as inp:
                        for table in tables:
                            n = 0
                            result = inp.execution_options(stream_results=True).execute(
                                select(table).order_by(table.c.id))
                            for chunk in result.mappings().partitions(COPY_CHUNK):
                                out.execute(table.insert(), [dict(row) for row in chunk])
                                n += len(chunk)
                            if progress is not None:
                                progress(table.name, n)
                        reset_sequences(out, [t.name for t in tables])
                        _compare(report, inp, out, tables)
                    if not report.ok:
                        # Leaving the block by an exception rolls the whole copy back.
                        raise CopyMismatch("复制后核对不一致, 已全部撤回, 目标数据库没有写入任何东西: "
                                           + "; ".join(report.mismatches), report)
                # Read again, on a fresh connection: what the server kept.
                with src.engine.connect() as inp, target.engine.connect() as out:
                    _compare(report, inp, out, tables)
            finally:
                target.dispose()
        finally:
            src.dispose()
    log.info("复制 %s -> %s 完成: %s", path, report.target, "一致" if report.ok else "; ".join(report.mismatches))
    return report


def _snapshot(path: Path, dest: Path) -> None:
    """One consistent copy of the SQLite file (online backup; consoles may be open)."""
    try:
        source = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            target = sqlite3.connect(dest, isolation_level=None)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise fault(exc) from exc


def console_tables():
    """The console's tables, each after the tables it refers to."""
    from sqlmodel import SQLModel

    import console.models  # noqa: F401 - registers the tables

    return list(SQLModel.metadata.sorted_tables)


def _refuse_non_empty(db, conn=None) -> None:
    """A target that holds anything of ours is refused before a row is written: the copy
    keeps the source's ids, which would collide, and two shops' data must not mix."""
    tables = set(inspect(conn if conn is not None else db.engine).get_table_names())
    held: dict[str, int] = {}
    for table in console_tables():
        if table.name in tables:
            quoted = db.engine.dialect.identifier_preparer.quote(table.name)
            sql = text(f"SELECT count(*) FROM {quoted}")
            if conn is not None:
                n = conn.execute(sql).scalar()
            else:
                with db.engine.connect() as c:
                    n = c.execute(sql).scalar()
            if n:
                held[table.name] = int(n)
    if not held:
        return
    if "case" in held:
        raise CopyRefused(f"目标数据库 {display_url(db.url)} 里已经有 {held['case']} 个工单,"
                          "没有写入任何东西。请复制到一个新建的空数据库。")
    listed = ", ".join(f"{name} {n} 行" for name, n in sorted(held.items()))
    raise CopyRefused(f"目标数据库 {display_url(db.url)} 不是空的 ({listed}),没有写入任何东西。"
                      "请复制到一个新建的空数据库 (还没有工作台连过的)。")


def _compare(report: CopyReport, inp, out, tables) -> None:
    from sqlalchemy import func, select

    from console.models import Case

    for table in tables:
        quoted_in = inp.dialect.identifier_preparer.quote(table.name)
        quoted_out = out.dialect.identifier_preparer.quote(table.name)
        report.rows[table.name] = (int(inp.execute(text(f"SELECT count(*) FROM {quoted_in}")).scalar()),
                                   int(out.execute(text(f"SELECT count(*) FROM {quoted_out}")).scalar()))
    for key, (_label, sql) in SUMS.items():
        report.sums[key] = (int(inp.execute(text(sql)).scalar()), int(out.execute(text(sql)).scalar()))
    newest = select(func.max(Case.updated_at))
    report.latest = (inp.execute(newest).scalar(), out.execute(newest).scalar())
