"""Shared fixtures: a throwaway SQLite file per test, the shipped policy, a frozen clock."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

import pytest

from console import log as console_log
from console.cases import Cases
from console.clock import FrozenClock
from console.db import Database, open_database, resolve_url
from console.sla import Policy, load_policy

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


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "console.db"


@pytest.fixture
def db(db_path) -> Database:
    database = open_database(resolve_url(str(db_path)))
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
