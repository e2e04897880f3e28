"""Shared fixtures: a throwaway database per test, the shipped policy, a frozen clock.

The database is a SQLite file, or for tests marked `@pytest.mark.backends("sqlite",
"postgresql")` (module-wide with `pytestmark`) a fresh database on the session's own
PostgreSQL server as well (tests/pgserver.py): the same test runs once on each. Where the
PostgreSQL binaries are missing those runs fail, saying so, unless AFTERSALES_SKIP_PG=1.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime

import pytest

from console import log as console_log
from console.cases import Cases
from console.clock import FrozenClock
from console.db import Database, open_database, resolve_url
from console.sla import Policy, load_policy
from tests.pgserver import PgServer, PgUnavailable, find_bindir

# 10:00 in Shanghai on a Monday.
T0 = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _hermetic_user_folders(tmp_path, monkeypatch):
    """No test reads or writes the real per-user folders or follows the caller's settings:
    platformdirs honours XDG_* on Linux, and the console's own variables are cleared. The
    log's fallback folder (the system temp) is the test's own too, and the log is closed after."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in ("AFTERSALES_HOME", "AFTERSALES_DB", "AFTERSALES_AGENT", "AFTERSALES_SHOP"):
        monkeypatch.delenv(name, raising=False)
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    yield
    console_log.close()


@pytest.fixture
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "backends(*names): run the test once on each database backend named "
                   "(sqlite, postgresql); without it, SQLite only")


def pytest_generate_tests(metafunc):
    """`backend` is parametrized only where a test asks for more than SQLite, so the ids of
    every other test (and their snapshot file names) stay as they are."""
    if "backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is None:
        return
    unknown = set(marker.args) - set(BACKENDS)
    if unknown:
        raise ValueError(f"unknown backends {unknown}; known: {BACKENDS}")
    if tuple(marker.args) != ("sqlite",):
        metafunc.parametrize("backend", marker.args, indirect=True)


@pytest.fixture
def backend(request) -> str:
    return getattr(request, "param", "sqlite")


def started_pg_server(what: str):
    """Start a throwaway PostgreSQL server, yield it, stop it (a fixture's body); `what`
    names it in the failure message."""
    if os.environ.get("AFTERSALES_SKIP_PG") == "1":
        pytest.skip("AFTERSALES_SKIP_PG=1: PostgreSQL tests skipped")
    bindir = find_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL binaries not found (initdb, pg_ctl: pg_config --bindir, "
                    "/usr/lib/postgresql/*/bin, or AFTERSALES_PG_BINDIR). Install Debian's "
                    "`postgresql` (.ci/run does), or set AFTERSALES_SKIP_PG=1 to skip these tests.",
                    pytrace=False)
    server = PgServer(bindir)
    try:
        server.start()
    except PgUnavailable as exc:
        server.stop()
        pytest.fail(f"{what} did not start: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the whole session, started on first use, stopped at the end."""
    yield from started_pg_server("the test PostgreSQL server")


@pytest.fixture
def pg_database(pg_server):
    """A fresh database (a copy of the migrated template) on the session's server: its URL."""
    name = pg_server.new_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "console.db"


@pytest.fixture
def db_url(request, backend, db_path) -> str:
    """The URL of the test's database: a SQLite file, or a fresh PostgreSQL database."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_database")
    return resolve_url(str(db_path))


@pytest.fixture
def db(db_url) -> Database:
    database = open_database(db_url)
    yield database
    database.dispose()


# The team the tests work with: cases are assigned and handed over only to known agents.
TEAM = ("小王", "阿珍", "老陈")


@pytest.fixture
def cases(db, policy, clock) -> Cases:
    store = Cases(db, policy, clock)
    for name in TEAM:
        store.ensure_agent(name)
    return store
