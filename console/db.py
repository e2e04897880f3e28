"""Engine and sessions: write transactions, migrations, change notices; SQLite and PostgreSQL.

Backend tricks live here so the rest of the code runs unchanged on both:

- SQLite: pragmas on connect, `BEGIN IMMEDIATE` for writes (one writer at a time, so a unit
  of work may read and then write what it read), `PRAGMA data_version` polling for changes
  made by other consoles (which cases is not known). `data_version` moves at every commit,
  a heartbeat's too, so every write transaction that changed something other consoles show
  also counts up `change_count`; the watcher reports a change only when that count moved.
- PostgreSQL (psycopg 3): writers run side by side at READ COMMITTED. A unit of work that
  writes on the strength of what it read locks first: `Cases.edit` reads its case `FOR
  UPDATE`; other read-then-write steps take `Database.serialize(session, name)`, a
  transaction-scoped advisory lock (a no-op on SQLite, where BEGIN IMMEDIATE already did
  it). Every write transaction that changed something other consoles show sends
  `NOTIFY aftersales` with the changed case ids, just before its commit; `ChangeWatcher`
  LISTENs for them.
- Losing the server (PostgreSQL): `connection_lost(exc)` tells a dropped or refused connection
  from every other failure; such a StoreError carries `lost`. A write whose COMMIT was sent
  but whose answer never came is settled by asking the server, once it is back, what became
  of its transaction id (`txid_status`), never by writing it again (see `Database.write`).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import sqlite3
import sys
import threading
import time
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
SCHEMA_HEAD = "0012"
BUSY_TIMEOUT_MS = 3000
# PostgreSQL: how long a writer waits for a row or advisory lock before giving up with the
# same "busy" message SQLite's busy timeout gives; and how long connecting may take.
LOCK_TIMEOUT_MS = 10000
CONNECT_TIMEOUT_S = 5
# A write whose COMMIT got no answer (the connection dropped while committing): how long its
# worker keeps asking the server what became of it, between tries `RETRY_S`, before leaving
# the question to the console's reconnect (CommitUnknown).
SETTLE_S = 30.0
RETRY_S = (0.5, 1, 2, 5)
# The LISTEN/NOTIFY channel, and the largest payload PostgreSQL takes (8000 bytes).
CHANNEL = "aftersales"
MAX_PAYLOAD = 8000
# Tables whose rows belong to one case: a write that touched only these (and drafts) is
# told to other consoles as the ids of its cases. Anything else (a shift note, a handover,
# an agent, a reply draft) is told as "something changed" (an empty payload).
CASE_TABLES = frozenset({"case", "case_event", "deadline", "note", "case_task", "reply_copy",
                         "handover_case", "register_return", "register_reship", "register_problem"})
# Written as an agent types, or every few seconds by each running console (presence, which
# the consoles read on their own light path): no notice, no reload anywhere, for these.
QUIET_TABLES = frozenset({"note_draft", "presence"})
# session.info / connection.info keys for what a write transaction changed.
CHANGED_CASES = "changed_cases"
# session.info key: how many times each case's version moved in the transaction.
BUMPED_CASES = "bumped_cases"
_TOUCHED = "aftersales_touched_tables"
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
        # The connection to the database server was lost (or refused): nothing of this unit
        # of work was committed, and trying again once the server is back is safe.
        self.lost = False


class NotFoundError(StoreError):
    """The case (or row) asked for does not exist."""


class CommitUnknown(StoreError):
    """The connection dropped while a write was committing and the server could not be asked
    afterwards whether it committed: `Database.commit_status(xid)` answers once it is back.
    Never try the write again before that: it may be in the database already."""

    def __init__(self, xid: int, cause: BaseException | None = None) -> None:
        super().__init__("和数据库服务器的连接在保存时断了,还不知道是否已经存上 (connection lost while "
                         "committing)。连接恢复后会查明, 不会重复保存。", cause)
        self.xid = xid
        self.lost = True


# SQLSTATEs that mean the server ended or refused the session (class 08: connection
# exceptions; 57P01-03: admin shutdown, crash shutdown, cannot connect now (starting up)).
_LOST_STATES = ("57P01", "57P02", "57P03")


def connection_lost(exc: BaseException | None) -> bool:
    """Whether `exc` (a StoreError, SQLAlchemy's or psycopg's exception) means the connection
    to the database server is gone or cannot be made: server stopped or restarting, network
    down. Not a lock timeout, a deadlock or a refused statement, which a retry would not cure
    by waiting for the server. psycopg's client-side failures (refused, timed out, closed)
    carry no SQLSTATE; SQLAlchemy marks a connection it found dead `connection_invalidated`."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StoreError):
            if exc.lost:
                return True
            exc = exc.cause
        elif isinstance(exc, DBAPIError):
            if exc.connection_invalidated:
                return True
            exc = exc.orig
        else:
            psycopg = sys.modules.get("psycopg")
            if psycopg is None or not isinstance(exc, psycopg.OperationalError):
                return False
            state = exc.sqlstate
            return state is None or state.startswith("08") or state in _LOST_STATES
    return False


def explain(exc: BaseException) -> str:
    """Turn a database exception into a short message an agent can act on."""
    raw = str(getattr(exc, "orig", exc)).lower()
    server = _server_problem(raw)
    if server is not None:
        return server
    if "locked" in raw or "busy" in raw or "lock timeout" in raw or "deadlock detected" in raw:
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


def _server_problem(raw: str, url: str | None = None, at_start: bool = False) -> str | None:
    """A PostgreSQL connection or login failure (psycopg's message, lower-cased) in words an
    agent can act on; None if it is not one. Never includes the password."""
    server, name = "", ""
    if url:
        parsed = make_url(url)
        server = f" {parsed.host or 'localhost'}:{parsed.port or 5432}"
        name = f" “{parsed.database}”" if parsed.database else ""
    kept = "" if at_start else "您输入的内容没有丢失。"
    if "password authentication failed" in raw or "no password supplied" in raw:
        return (f"数据库服务器{server} 拒绝了登录: 用户名或密码不对 (password authentication failed)。"
                "请向管理员确认 --db 里的用户名和密码。")
    if "does not exist" in raw and "database" in raw:
        return (f"数据库服务器{server} 上没有数据库{name} (database does not exist)。"
                "请检查 --db 里的数据库名, 或请管理员先建好这个空数据库。")
    if "role" in raw and "does not exist" in raw:
        return f"数据库服务器{server} 上没有这个用户 (role does not exist)。请检查 --db 里的用户名。"
    if ("could not translate host name" in raw or "failed to resolve host" in raw
            or "name or service not known" in raw or "nodename nor servname" in raw):
        return f"找不到数据库服务器{server} (unknown host)。请检查 --db 里的服务器地址。"
    if "connection refused" in raw or "timeout expired" in raw or "could not connect" in raw \
            or "no route to host" in raw or "network is unreachable" in raw:
        return (f"连不上数据库服务器{server} (server unreachable)。请检查服务器地址和端口、"
                f"服务器是否开着、网络是否通。{kept}")
    if "server closed the connection" in raw or "terminating connection" in raw \
            or "connection is closed" in raw or "consuming input failed" in raw:
        return f"和数据库服务器的连接断了 (connection lost),请稍后再试。{kept}"
    if "permission denied" in raw and ("database" in raw or "schema" in raw or "table" in raw):
        return (f"数据库用户没有权限在数据库{name} 里建表或读写 (permission denied)。"
                "请管理员把这个数据库的所有者设为这个用户 (见 README: A team on one server)。")
    return None


def fault(exc: BaseException) -> StoreError:
    """A database exception as a StoreError for the agent, the original logged with its
    traceback here, where it happened: the message alone is no use to whoever fixes it."""
    error = StoreError(explain(exc), exc)
    error.lost = connection_lost(exc)
    if error.lost:
        # Said once per outage by the console; a traceback per failed try would fill the log.
        log.warning("数据库连接断了: %s", one_line(str(getattr(exc, "orig", exc)), 300))
    else:
        log.error("数据库出错: %s", error.message, exc_info=exc_info(exc))
    error.logged = True
    return error


def display_url(url: str) -> str:
    """The database for a log line or a message: a file path, or a URL without its password."""
    try:
        path = _sqlite_path(url)
        if path is not None:
            return str(path)
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
        return with_driver(value)
    return f"sqlite:///{Path(value).expanduser().absolute()}"


def with_driver(url: str) -> str:
    """`postgresql://…` (or `postgres://…`) means psycopg 3, the driver this program ships
    with; SQLAlchemy's default for the bare name is psycopg2, which is not installed."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported when it is opened
        return url
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


class Database:
    """One database: a read engine and a write view of it. SQLite writes start with BEGIN
    IMMEDIATE; PostgreSQL writes send a NOTIFY of what they changed before they commit."""

    def __init__(self, url: str) -> None:
        url = with_driver(url)
        self.url = url
        backend = make_url(url).get_backend_name()
        self.is_sqlite = backend == "sqlite"
        self.is_postgresql = backend == "postgresql"
        if self.is_postgresql:
            self.engine: Engine = create_engine(url, pool_pre_ping=True, connect_args=pg_connect_args())
            _install_postgresql_hooks(self.engine)
        else:
            self.engine = create_engine(url)
        if self.is_sqlite:
            _install_sqlite_hooks(self.engine)
        _install_touch_tracking(self.engine)
        # Same pool; the option tells the "begin" hook that this transaction writes: SQLite
        # takes the write lock up front (a WAL read-then-write transaction fails at once if
        # another writer got in between); PostgreSQL starts counting what it changes.
        self._write_engine = self.engine.execution_options(write_lock=True)
        # Write transactions committed by each thread (`commits_here`), and the signal that
        # ends every wait for the server (`stop_waiting`).
        self._local = threading.local()
        self._stop = threading.Event()
        # While the server is out of reach, the version bumps this console's own writes
        # commit, per case (`count_own_bumps`); None the rest of the time.
        self._own_bumps: dict[int, int] | None = None
        self._own_lock = threading.Lock()

    def read(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that commits on success and rolls back on any error.

        PostgreSQL, when the connection drops during the COMMIT itself: the server may have
        committed or not, and writing it again could write it twice. So the transaction's id
        is read just before committing (`txid_current()`), and afterwards the server is asked
        what became of it (`txid_status`, made for exactly this, PostgreSQL 10+): committed,
        and this returns as if nothing happened; rolled back, and it is a `lost` StoreError,
        safe to try again; no answer within SETTLE_S, CommitUnknown with the id, for the
        console to ask once the server is back. No table of our own is needed for it. A
        connection lost before the COMMIT was sent is plainly not committed (`lost`)."""
        session = Session(self._write_engine, expire_on_commit=False)
        xid: int | None = None
        try:
            yield session
            session.flush()
            if self.is_postgresql:
                _notify(session)
            else:
                _count_change(session)
            if self.is_postgresql and session.in_transaction():
                xid = session.execute(text("SELECT txid_current()")).scalar_one()
            try:
                session.commit()
            except SQLAlchemyError as exc:
                if xid is None or not connection_lost(exc):
                    raise
                self._settle(xid, exc)  # returns only if the server says it committed
            self._local.commits = self.commits_here() + 1
            self._count_bumps(session.info.get(BUMPED_CASES))
        except SQLAlchemyError as exc:
            session.rollback()
            raise fault(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def commits_here(self) -> int:
        """How many write transactions this thread has committed so far: a caller compares
        before and after a job to know whether any of it is in the database."""
        return getattr(self._local, "commits", 0)

    def count_own_bumps(self, on: bool) -> None:
        """From an outage until every write that waited is written, count the case versions
        this console's commits move (`own_bumps`). A write that waited was made against the
        version its screen showed before the outage; only these bumps can have come between."""
        with self._own_lock:
            self._own_bumps = {} if on else None

    def own_bumps(self, case_id: int) -> int:
        """How many times this console's writes moved the case's version since the outage
        began (0 when no outage is being counted)."""
        with self._own_lock:
            return (self._own_bumps or {}).get(case_id, 0)

    def _count_bumps(self, bumped: dict[int, int] | None) -> None:
        if not bumped:
            return
        with self._own_lock:
            if self._own_bumps is not None:
                for case_id, n in bumped.items():
                    self._own_bumps[case_id] = self._own_bumps.get(case_id, 0) + n

    def lost(self, exc: BaseException | None) -> bool:
        """Whether `exc` means this database's server is out of reach (PostgreSQL only: a
        SQLite file that cannot be opened is a problem to report, not to wait out)."""
        return self.is_postgresql and connection_lost(exc)

    def ping(self) -> bool:
        """Whether the server answers now, on a fresh connection (pooled ones may be dead)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, DBAPIError):
            return False
        return True

    def commit_status(self, xid: int) -> str | None:
        """What became of transaction `xid` (from `txid_current()`): "committed", "aborted",
        "in progress", "unknown" (an id too old for the server to remember: it ended long
        ago, either way), or None when the server cannot be asked now."""
        try:
            with self.engine.connect() as conn:
                status = conn.execute(text("SELECT txid_status(:xid)"), {"xid": xid}).scalar()
        except (SQLAlchemyError, DBAPIError) as exc:
            if connection_lost(exc):
                return None
            raise
        return status or "unknown"

    def end_orphan(self, xid: int) -> None:
        """Transaction `xid` is still open on the server although its connection is gone from
        here (the network dropped, the server has not noticed): end that session, which rolls
        the transaction back and frees its locks. Only ever the session running `xid`."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                  " WHERE backend_xid::text = :xid"), {"xid": str(xid % 2**32)})
                conn.commit()
        except (SQLAlchemyError, DBAPIError) as exc:
            log.warning("没能结束断线留下的事务 %s: %s", xid, one_line(exc, 300))

    def _settle(self, xid: int, exc: BaseException) -> None:
        """The COMMIT of transaction `xid` got no answer: wait for the server and ask. Returns
        if it committed; raises a `lost` StoreError if it did not (safe to write again), and
        CommitUnknown if the server cannot be asked within SETTLE_S."""
        log.warning("保存时和数据库的连接断了 (事务 %s), 去问服务器是否已经存上: %s", xid,
                    one_line(str(getattr(exc, "orig", exc)), 300))
        deadline = time.monotonic() + SETTLE_S
        for attempt in itertools.count():
            self.engine.dispose()  # the pool's connections died with this one
            status = self.commit_status(xid)
            if status == "committed":
                log.info("事务 %s 在连接断开前已经提交, 不再重写", xid)
                return
            if status == "aborted":
                log.info("事务 %s 没有提交, 可以重新保存", xid)
                error = fault(exc)
                error.lost = True
                raise error from exc
            if status == "unknown":
                raise CommitUnknown(xid, exc) from exc
            if status == "in progress":
                self.end_orphan(xid)
            if time.monotonic() >= deadline or self._stop.is_set():
                raise CommitUnknown(xid, exc) from exc
            self._stop.wait(RETRY_S[min(attempt, len(RETRY_S) - 1)])

    def stop_waiting(self) -> None:
        """The console is closing: no more waiting for the server (`_settle` gives up)."""
        self._stop.set()

    def serialize(self, session: Session, name: str) -> None:
        """Inside a write: wait until no other write transaction holds `name`, and hold it
        until this one ends. For a step that reads and then writes on the strength of what it
        read (the next free draft number, say). PostgreSQL: a transaction-scoped advisory
        lock. SQLite: nothing to do, BEGIN IMMEDIATE already let only this writer in."""
        if self.is_postgresql:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

    def connect_write(self) -> AbstractContextManager[Connection]:
        """A raw connection holding the write lock (migrations, schema checks)."""
        return self._write_engine.begin()

    def watcher(self) -> ChangeWatcher:
        """What other consoles change: LISTEN on PostgreSQL, data_version on SQLite."""
        if self.is_postgresql:
            return NotifyWatcher(self)
        return ChangeWatcher(self)

    def connect_kwargs(self) -> dict:
        """psycopg.connect() arguments for this database (the LISTEN connection)."""
        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        if cargs:
            cparams = {"conninfo": cargs[0], **cparams}
        return {**cparams, **pg_connect_args()}

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
        immediate = conn.get_execution_options().get("write_lock")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def pg_connect_args() -> dict:
    """libpq options for every connection. The keepalives and `tcp_user_timeout` find a
    network that went silent (a cable pulled, Wi-Fi gone: no "connection refused", nothing at
    all) within seconds rather than the operating system's minutes, so the console can say so
    and reconnect instead of hanging a worker and the LISTEN thread on a dead socket."""
    return {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "aftersales",
            "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3,
            "tcp_user_timeout": 15000}


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_xact_lock."""
    return int.from_bytes(hashlib.blake2b(f"aftersales:{name}".encode(), digest_size=8).digest(),
                          "big", signed=True)


def _install_postgresql_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        if conn.get_execution_options().get("write_lock"):
            # A writer waiting on another's lock gives up with the "busy" message, as on SQLite.
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")


def _install_touch_tracking(engine: Engine) -> None:
    """Both backends: which tables a write transaction inserted into, updated or deleted
    from (`connection.info[_TOUCHED]`), for `_notify` and `_count_change` to judge whether
    other consoles need to hear of it."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        if conn.get_execution_options().get("write_lock"):
            conn.info[_TOUCHED] = set()

    @event.listens_for(engine, "after_cursor_execute")
    def _on_execute(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        touched = conn.info.get(_TOUCHED)
        if touched is None or context is None:
            return
        if context.isinsert or context.isupdate or context.isdelete:
            table = getattr(getattr(getattr(context.compiled, "statement", None), "table", None), "name", None)
            touched.add(table or "?")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn):  # noqa: ANN001
        conn.info.pop(_TOUCHED, None)


def reset_sequences(connection: Connection, tables: list[str]) -> None:
    """PostgreSQL: after rows were inserted with their ids given (demo data, `db copy`), move
    each table's id sequence past the largest id, or the next new row would collide. SQLite
    needs nothing: it takes max(id) + 1 by itself."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        quoted = connection.dialect.identifier_preparer.quote(table)
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:name, 'id'), coalesce(max(id), 0) + 1, false) FROM {quoted}"
        ), {"name": quoted})


def _tells_others(session: Session) -> tuple[set[str], set[int]] | None:
    """What a write transaction about to commit changed that other consoles show: (tables,
    case ids); None when nothing (drafts and heartbeats alone, or nothing at all)."""
    if not session.in_transaction():
        return None
    touched = set(session.connection().info.get(_TOUCHED) or ()) - QUIET_TABLES
    ids = session.info.get(CHANGED_CASES) or set()
    if not touched and not ids:
        return None
    return touched, ids


def _count_change(session: Session) -> None:
    """SQLite, just before a write commits: count up `change_count` when the transaction
    changed something other consoles show, so their watchers can tell it from a heartbeat or
    a draft (both move `data_version` too). One small UPSERT, inside the write lock."""
    if _tells_others(session) is None:
        return
    session.execute(text("INSERT INTO change_count (id, n) VALUES (1, 1) "
                         "ON CONFLICT (id) DO UPDATE SET n = change_count.n + 1"))


def _notify(session: Session) -> None:
    """PostgreSQL, just before a write commits: tell the other consoles what changed. The
    case ids when only cases' rows changed (and they fit in a payload); an empty payload,
    "reload everything", when something else changed; nothing for drafts alone. A NOTIFY is
    delivered only if the transaction commits."""
    told = _tells_others(session)
    if told is None:
        return
    touched, ids = told
    connection = session.connection()
    payload = ""
    if ids and touched <= CASE_TABLES:
        payload = ",".join(str(i) for i in sorted(ids))
        if len(payload) > MAX_PAYLOAD:
            payload = ""
    session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})
    connection.info[_TOUCHED] = set()


class ChangeWatcher:
    """Tells what other consoles committed since the last call; the same API on every backend.

    `changes()`: an empty set when nothing changed, the ids of the changed cases when they
    are known, None when something changed but not which cases (reload everything).
    `changed()`: whether anything changed. Each change is reported once.

    This one is SQLite's: `PRAGMA data_version` on one dedicated connection changes only
    when another connection commits, a microsecond-cheap poll; which cases is not known.
    Any commit moves it, a console's heartbeat (presence) or an autosaved draft too, so
    when it moves the `change_count` row is read as well (one more microsecond), and only a
    new count is a change: every write that other consoles show counts it up (db.py
    `_count_change`). Heartbeats from every desk therefore never make a console reload.
    Other backends without notices report "something changed" on every call.
    """

    def __init__(self, db: Database) -> None:
        self._conn: sqlite3.Connection | None = None
        self._last: int | None = None
        self._count: int | None = None
        path = _sqlite_path(db.url)
        if path is not None:
            # as_uri() percent-encodes `#`, `?`, `%` and spaces and writes a Windows drive as
            # file:///C:/...; a raw "file:{path}" breaks on those.
            uri = path.absolute().as_uri() + "?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._last = self._version()
            self._count = self._change_count()

    def _version(self) -> int:
        assert self._conn is not None
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _change_count(self) -> int | None:
        """The `change_count` row's count (0 before the first counted write); None when it
        cannot be read (a database from before the table: every commit is then a change)."""
        assert self._conn is not None
        try:
            row = self._conn.execute("SELECT n FROM change_count WHERE id = 1").fetchone()
        except sqlite3.Error:
            return None
        return 0 if row is None else int(row[0])

    @property
    def connected(self) -> bool:
        """Whether notices can arrive now (PostgreSQL: the LISTEN connection is up)."""
        return True

    # Whether `wait` returns the moment a change arrives (a server's push) rather than by
    # polling: SQLite's data_version is polled, so the console asks it on an interval.
    pushes = False

    def kick(self) -> None:
        """The server is back: reconnect now rather than after the current wait (PostgreSQL)."""

    def changes(self) -> set[int] | None:
        if self._conn is None:
            return None
        try:
            now = self._version()
            if now == self._last:
                return set()
            count = self._change_count()
        except sqlite3.Error:
            return set()
        self._last = now
        if count is not None and count == self._count:
            return set()  # only heartbeats and drafts were committed
        self._count = count
        return None

    def changed(self) -> bool:
        return self.changes() != set()

    def wait(self, timeout: float) -> set[int] | None:
        """Block until a change is seen (or `timeout` seconds pass), then as `changes()`."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.changes()
            if found != set() or time.monotonic() >= deadline:
                return found
            time.sleep(0.01)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class NotifyWatcher(ChangeWatcher):
    """PostgreSQL: LISTEN on a dedicated autocommit psycopg connection, read in a thread, so
    `changes()` never waits on the network. Every write transaction sends the ids of the
    cases it changed (an empty payload: something else changed, reload everything).

    When the connection drops (server restart, network), the thread reconnects with backoff
    and LISTENs again; notices sent meanwhile are gone, so the loss and the reconnect are
    each reported as an unknown change (None): the caller resyncs what it shows.
    """

    POLL_S = 0.5  # how often the thread looks up from waiting, to notice close()
    pushes = True
    BACKOFF_S = (0.5, 1, 2, 5)

    def __init__(self, db: Database) -> None:  # noqa: D107 - no SQLite connection here
        self._conn = None
        self._params = db.connect_kwargs()
        self._label = display_url(db.url)
        self._cond = threading.Condition()
        self._ids: set[int] = set()
        self._unknown = False
        self._up = False
        self._stop = threading.Event()
        self._wake = threading.Event()  # ends a wait between tries early (kick, close)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aftersales-listen", daemon=True)
        self._thread.start()
        # Listening before the first write can happen, or that write's notice is missed.
        self._ready.wait(CONNECT_TIMEOUT_S + 1)

    @property
    def connected(self) -> bool:
        return self._up

    def changes(self) -> set[int] | None:
        with self._cond:
            result: set[int] | None = None if self._unknown else self._ids
            self._ids, self._unknown = set(), False
        return result

    def wait(self, timeout: float) -> set[int] | None:
        """Block until a change arrives (or `timeout` seconds pass), then as `changes()`."""
        with self._cond:
            self._cond.wait_for(lambda: self._unknown or self._ids, timeout)
        return self.changes()

    def kick(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(self.POLL_S * 4 + CONNECT_TIMEOUT_S)

    # ---- the listening thread ------------------------------------------------------------

    def _push(self, ids: set[int] | None) -> None:
        with self._cond:
            if ids is None:
                self._unknown = True
            else:
                self._ids |= ids
            self._cond.notify_all()

    def _run(self) -> None:
        import psycopg

        failures = 0
        while not self._stop.is_set():
            try:
                conn = psycopg.connect(autocommit=True, **self._params)
            except psycopg.Error as exc:
                if failures == 0:
                    log.warning("通知连接 %s 没有连上: %s", self._label, one_line(exc, 300))
                self._ready.set()
                self._wake.wait(self.BACKOFF_S[min(failures, len(self.BACKOFF_S) - 1)])
                self._wake.clear()
                failures += 1
                continue
            try:
                conn.execute(f"LISTEN {CHANNEL}")
                if failures:
                    log.info("通知连接 %s 已重新连上", self._label)
                    self._push(None)  # what was sent while we were away is lost: resync
                failures = 0
                self._up = True
                self._ready.set()
                while not self._stop.is_set():
                    for notice in conn.notifies(timeout=self.POLL_S):
                        self._push(parse_payload(notice.payload))
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("通知连接 %s 断了, 重连中: %s", self._label, one_line(exc, 300))
                    self._push(None)
                    failures += 1
            finally:
                self._up = False
                conn.close()


def parse_payload(payload: str) -> set[int] | None:
    """"12,15" -> {12, 15}; "" (or anything else) -> None: something changed, reload all."""
    if not payload:
        return None
    try:
        return {int(part) for part in payload.split(",")}
    except ValueError:
        return None


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
        if not db.is_sqlite:
            _probe(db)
        if migrate:
            upgrade(db)
        return db
    except StoreError as exc:
        log.warning("数据库 %s 没有打开: %s", display_url(url), exc.message)
        raise
    except (SQLAlchemyError, DBAPIError, sqlite3.Error, OSError) as exc:
        raise fault(exc) from exc


def _probe(db: Database) -> None:
    """Connect once, so a wrong host, port, password or database name is said plainly at
    start (StoreError), not as a driver's traceback later. The password is never in it."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, DBAPIError) as exc:
        db.dispose()
        raw = str(getattr(exc, "orig", exc))
        message = _server_problem(raw.lower(), db.url, at_start=True) or (
            f"连不上数据库 {display_url(db.url)}: {one_line(raw, 300)}")
        log.warning("数据库 %s 连不上: %s", display_url(db.url), one_line(raw, 500))
        raise StoreError(message, exc) from exc


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
    wal = path.with_name(path.name + "-wal")
    pending = wal.exists() and wal.stat().st_size > 0
    try:
        found = _read_schema(path, immutable=True)
    except StoreError:
        # Read while ignoring the write-ahead log, a file a killed console left mid-way
        # can look damaged; read with the log before saying so.
        if not pending:
            raise
        found = _read_schema(path, immutable=False)
    if not found.tables and pending:
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
