"""Engine and sessions: SQLite pragmas, write transactions, migrations, change polling.

SQLite-only tricks live here so the rest of the code runs unchanged on PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from console.log import exc_info

# The newest migration in console/migrations/versions; a test keeps the two in step.
SCHEMA_HEAD = "0007"
BUSY_TIMEOUT_MS = 3000
MIGRATIONS = Path(__file__).parent / "migrations"
# Tables every console database has had since the first migration: a file with an
# alembic_version but none of these belongs to some other program.
CORE_TABLES = frozenset({"agent", "case", "case_event", "deadline", "note"})
SQLITE_MAGIC = b"SQLite format 3\x00"

log = logging.getLogger("console.db")


class StoreError(Exception):
    """A database fault, with a message for the agent (Chinese) and the original for the log.

    `logged`: the original was already written to the log with its traceback where it
    happened (`fault`), so whoever shows the message need not write it again.
    """

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        self.logged = False


class NotFoundError(StoreError):
    """The case (or row) asked for does not exist."""


def explain(exc: BaseException) -> str:
    """Turn a database exception into a short message an agent can act on."""
    raw = str(getattr(exc, "orig", exc)).lower()
    if "locked" in raw or "busy" in raw:
        return "数据库正被另一个程序占用,请稍后再试 (database is locked)。您输入的内容没有丢失。"
    if "readonly" in raw or "read-only" in raw:
        return "数据库是只读的,无法保存 (read-only database)。请检查文件权限。您输入的内容没有丢失。"
    if "unable to open" in raw:
        return "无法打开数据库文件,请检查路径和权限 (unable to open database file)。"
    if "malformed" in raw or "not a database" in raw:
        return ("数据库文件已损坏 (database disk image is malformed)。请用最近的备份恢复,"
                "并把日志发给负责工作台的同事 (aftersales db check 显示日志在哪里)。")
    if "disk" in raw and ("full" in raw or "i/o" in raw):
        return "磁盘写入失败 (disk I/O error / disk full)。您输入的内容没有丢失。"
    return f"数据库出错: {getattr(exc, 'orig', exc)}"


def fault(exc: BaseException) -> StoreError:
    """A database exception as a StoreError for the agent, the original logged with its
    traceback here, where it happened: the message alone is no use to whoever fixes it."""
    error = StoreError(explain(exc), exc)
    log.error("数据库出错: %s", error.message, exc_info=exc_info(exc))
    error.logged = True
    return error


def display_url(url: str) -> str:
    """The database for a log line or a message: a file path, or a URL without its password."""
    path = _sqlite_path(url)
    if path is not None:
        return str(path)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown without what might be a password
        return url.split("@")[-1]


def resolve_url(db: str | None, default: Path | None = None) -> str:
    """`--db` value, else AFTERSALES_DB, else `default` (the shop folder's console.db).

    Plain paths become sqlite URLs. Without `default`: console.db in the folder named by
    AFTERSALES_HOME, else in the per-user shop folder (console/home.py).
    """
    value = db or os.environ.get("AFTERSALES_DB")
    if not value:
        if default is None:
            from console.home import DB_FILE, chosen_root

            default = chosen_root(None)[0] / DB_FILE
        value = str(default)
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().absolute()}"


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


class Database:
    """One database: a read engine and a write view of it that starts with BEGIN IMMEDIATE."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine: Engine = create_engine(url, future=True)
        if self.is_sqlite:
            _install_sqlite_hooks(self.engine)
        # Same pool; the option tells the "begin" hook to take the write lock up front,
        # because a WAL read-then-write transaction fails at once if another writer got in between.
        self._write_engine = self.engine.execution_options(sqlite_immediate=True)

    def read(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that commits on success and rolls back on any error."""
        session = Session(self._write_engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            raise fault(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def connect_write(self) -> AbstractContextManager[Connection]:
        """A raw connection holding the write lock (migrations, schema checks)."""
        return self._write_engine.begin()

    def watcher(self) -> ChangeWatcher:
        return ChangeWatcher(self)

    def dispose(self) -> None:
        self.engine.dispose()

    def checkpoint(self) -> tuple[int, int, int] | None:
        """Copy the write-ahead log into the database file and empty it (SQLite), so the
        `.db` alone holds everything. Never waits: with other consoles reading or writing it
        may copy only part (the first number is then 1) and the rest follows at a later
        checkpoint. (busy, frames in the log, frames copied); None if not SQLite or failed."""
        path = _sqlite_path(self.url)
        if path is None or not path.exists():
            return None
        try:
            conn = sqlite3.connect(path.absolute().as_uri() + "?mode=rw", uri=True, timeout=0,
                                   isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("checkpoint: cannot open %s: %r", path, exc)
            return None
        try:
            row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("checkpoint of %s did not run: %r", path, exc)
            return None
        finally:
            conn.close()
        result = (int(row[0]), int(row[1]), int(row[2]))
        level = logging.INFO if result[0] or result[1] > 0 else logging.DEBUG
        log.log(level, "checkpoint %s: busy=%d, wal frames=%d, copied=%d", path.name, *result)
        return result

    def close(self) -> None:
        """A clean end: close every pooled connection, then checkpoint (SQLite)."""
        self.dispose()
        self.checkpoint()


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class ChangeWatcher:
    """Tells whether anyone has committed to the database since the last call.

    On SQLite `PRAGMA data_version` on one dedicated connection changes only when another
    connection commits: a microsecond-cheap poll. Other backends report a change on every
    call, so the queue simply reloads its visible page each poll.
    """

    def __init__(self, db: Database) -> None:
        self._conn: sqlite3.Connection | None = None
        self._last: int | None = None
        path = _sqlite_path(db.url)
        if path is not None:
            # as_uri() percent-encodes `#`, `?`, `%` and spaces and writes a Windows drive as
            # file:///C:/...; a raw "file:{path}" breaks on those.
            uri = path.absolute().as_uri() + "?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._last = self._version()

    def _version(self) -> int:
        assert self._conn is not None
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def changes(self) -> set[int] | None:
        """What changed since the last call: an empty set for nothing, None for "something,
        the case ids are not known" (SQLite cannot say which)."""
        return None if self.changed() else set()

    def changed(self) -> bool:
        if self._conn is None:
            return True
        try:
            now = self._version()
        except sqlite3.Error:
            return False
        changed = now != self._last
        self._last = now
        return changed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def open_database(url: str, migrate: bool = True) -> Database:
    """Open (and create or upgrade) the database at `url`; StoreError with a clear message if not.

    A SQLite file is looked at read-only first: one that is not SQLite, or holds another
    program's tables, is refused before anything (WAL mode, the console's tables) touches it.
    With `migrate`, a schema revision this program does not know is refused too.
    """
    try:
        path = _sqlite_path(url)
        if path is not None:
            if not path.parent.is_dir():
                raise StoreError(f"数据库所在的目录不存在: {path.parent} (directory does not exist)")
            if path.exists() and not os.access(path, os.R_OK):
                raise StoreError(f"没有读取数据库文件的权限: {path} (permission denied)")
            found = inspect_file(path)
            if migrate and found.revision is not None:
                _check_revision(found.revision)
        db = Database(url)
        if migrate:
            upgrade(db)
        return db
    except StoreError as exc:
        log.warning("数据库 %s 没有打开: %s", display_url(url), exc.message)
        raise
    except (SQLAlchemyError, DBAPIError, sqlite3.Error, OSError) as exc:
        raise fault(exc) from exc


@dataclass(frozen=True)
class FileSchema:
    """What a SQLite file holds, read without changing it."""

    tables: frozenset[str]
    revision: str | None  # alembic_version's value; None without one


def inspect_file(path: Path) -> FileSchema:
    """Look into an existing SQLite file without changing a byte of it, and refuse
    (StoreError) one that is not the console's: not SQLite at all, unreadable, or holding
    tables but no alembic_version (or an alembic_version beside none of the console's
    tables). A missing or empty (0-byte) file is a new database: fine.

    A plain read-only connection to a WAL-mode file creates -wal and -shm beside it and
    leaves them there, so the main file is read as immutable; only when that shows no
    tables and a -wal is there (a new console database not yet checkpointed) is the log read too.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return FileSchema(frozenset(), None)
    except OSError as exc:
        raise StoreError(f"无法读取数据库文件 {path}: {exc.strerror or exc}") from exc
    if path.is_dir():
        raise StoreError(f"{path} 是一个文件夹,不是数据库文件。请检查 --db 的路径。")
    if size == 0:
        return FileSchema(frozenset(), None)
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"无法读取数据库文件 {path}: {exc.strerror or exc}") from exc
    if head != SQLITE_MAGIC:
        raise StoreError(f"{path} 不是 SQLite 数据库文件,没有打开也没有改动它。"
                         "请检查 --db 的路径 (not a SQLite database)。")
    found = _read_schema(path, immutable=True)
    wal = path.with_name(path.name + "-wal")
    if not found.tables and wal.exists() and wal.stat().st_size > 0:
        found = _read_schema(path, immutable=False)
    others = found.tables - {"alembic_version"}
    if "alembic_version" not in found.tables:
        if others:
            raise StoreError(f"{path} 不是售后工作台的数据库 (里面是别的程序的表: {_names(others)}),"
                             "没有打开也没有改动它。请检查 --db 的路径; 新数据库请用一个新文件名。")
    elif not others & CORE_TABLES and (others or found.revision is not None):
        raise StoreError(f"{path} 不是售后工作台的数据库 (有版本记录 alembic_version,"
                         f"却没有售后工作台的表{': ' + _names(others) if others else ''}),"
                         "没有打开也没有改动它。请检查 --db 的路径。")
    return found


def _read_schema(path: Path, immutable: bool) -> FileSchema:
    uri = path.absolute().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreError(f"无法读取数据库文件 {path}: {exc}") from exc
    try:
        tables = frozenset(r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = None if row is None else row[0]
        return FileSchema(tables, revision)
    except sqlite3.Error as exc:
        raise StoreError(f"无法读取数据库文件 {path}: {exc} (文件损坏或加密?),没有改动它。") from exc
    finally:
        conn.close()


def _names(tables: frozenset[str], most: int = 5) -> str:
    shown = [one_line(t, 40) for t in sorted(tables)[:most]]
    return ", ".join(shown) + (f" 等 {len(tables)} 张" if len(tables) > most else "")


def one_line(value: object, limit: int = 40) -> str:
    """A value read from a file, fit for one line of a message: controls made visible, cut short."""
    text = value if isinstance(value, str) else repr(value)
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def known_revisions() -> list[str]:
    """The migrations this program has, oldest first (their files are named NNNN_*.py)."""
    return sorted(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def revision_problem(revision: str | None) -> str | None:
    """Why a database at `revision` cannot be opened by this program (None: it can)."""
    if revision is None or revision in known_revisions():
        return None
    if isinstance(revision, str) and re.fullmatch(r"\d{4}", revision) and revision > SCHEMA_HEAD:
        return (f"数据库是更新版本的程序建的 (revision {revision}),请升级程序。"
                f"本程序最高认识 {SCHEMA_HEAD}; 数据库没有改动。")
    return (f"数据库的版本记录无法识别 (revision {one_line(revision)}),"
            f"本程序认识 0001 到 {SCHEMA_HEAD}; 数据库没有改动。请检查 --db 的路径。")


def _check_revision(revision: str | None) -> None:
    problem = revision_problem(revision)
    if problem is not None:
        raise StoreError(problem)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None


def upgrade(db: Database) -> None:
    """Apply Alembic migrations up to head. Skips importing Alembic when already current.

    A revision this program does not know (a newer program's, or garbage) is a StoreError
    saying so, never Alembic's "Can't locate revision".
    """
    before = current_revision(db)
    if before == SCHEMA_HEAD:
        return
    _check_revision(before)
    if not db.is_sqlite:
        _refuse_foreign_server_database(db, before)
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    log.info("数据库 %s: 升级 %s -> %s", display_url(db.url), before or "(新建)", SCHEMA_HEAD)
    try:
        with db.connect_write() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except CommandError as exc:
        # Another console upgraded (or something wrote alembic_version) between the check and here.
        log.error("migration refused by Alembic", exc_info=exc_info(exc))
        raise StoreError(revision_problem(current_revision(db))
                         or f"数据库升级失败: {one_line(exc, 200)}", exc) from exc
    log.info("数据库 %s: 已升级到 %s", display_url(db.url), SCHEMA_HEAD)


def _refuse_foreign_server_database(db: Database, revision: str | None) -> None:
    """PostgreSQL: a database holding other tables but no alembic_version is not ours."""
    if revision is not None:
        return
    from sqlalchemy import inspect

    tables = set(inspect(db.engine).get_table_names())
    if tables - {"alembic_version"}:
        raise StoreError(f"数据库 {display_url(db.url)} 里已有别的程序的表 ({_names(frozenset(tables))}),"
                         "不是售后工作台的数据库; 没有改动它。请用一个新的空数据库。")
