"""Engine and sessions: SQLite pragmas, write transactions, migrations, change polling.

SQLite-only tricks live here so the rest of the code runs unchanged on PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

# The newest migration in console/migrations/versions; a test keeps the two in step.
SCHEMA_HEAD = "0007"
BUSY_TIMEOUT_MS = 3000


class StoreError(Exception):
    """A database fault, with a message for the agent (Chinese) and the original for the log."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause


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
    if "disk" in raw and ("full" in raw or "i/o" in raw):
        return "磁盘写入失败 (disk I/O error / disk full)。您输入的内容没有丢失。"
    return f"数据库出错: {getattr(exc, 'orig', exc)}"


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
            raise StoreError(explain(exc), exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def watcher(self) -> ChangeWatcher:
        return ChangeWatcher(self)

    def dispose(self) -> None:
        self.engine.dispose()


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
    """Open (and create or upgrade) the database at `url`; StoreError with a clear message if not."""
    path = _sqlite_path(url)
    if path is not None:
        if not path.parent.is_dir():
            raise StoreError(f"数据库所在的目录不存在: {path.parent} (directory does not exist)")
        if path.exists() and not os.access(path, os.R_OK):
            raise StoreError(f"没有读取数据库文件的权限: {path} (permission denied)")
    try:
        db = Database(url)
        if migrate:
            upgrade(db)
        return db
    except StoreError:
        raise
    except (SQLAlchemyError, DBAPIError, sqlite3.Error, OSError) as exc:
        raise StoreError(explain(exc), exc) from exc


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None


def upgrade(db: Database) -> None:
    """Apply Alembic migrations up to head. Skips importing Alembic when already current."""
    if current_revision(db) == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with db._write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
