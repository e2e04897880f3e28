"""Migration 0012: a database from before it gets the figures' milestones filled in from
its case history (downgrade to 0010 drops them; the upgrade finds the same values again)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

import console
from console.db import SCHEMA_HEAD, current_revision, open_database
from tests.metrics_history import build

pytestmark = pytest.mark.backends("sqlite", "postgresql")

MILESTONES = "id, first_replied_by, resolved_at, resolved_by, reopen_count, escalated_at, rated_at"


def _migrate(db, revision: str, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(console.__file__).parent / "migrations"))
    with db.connect_write() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_the_upgrade_fills_the_milestones_from_the_history(cases, clock, db, db_url):
    build(cases, clock)
    with db.engine.connect() as conn:
        recorded = conn.execute(text(f'SELECT {MILESTONES} FROM "case" ORDER BY id')).all()
    assert any(r.reopen_count for r in recorded) and any(r.escalated_at for r in recorded)
    _migrate(db, "0010", down=True)
    assert current_revision(db) == "0010"
    db.dispose()
    again = open_database(db_url)  # upgrades to head
    assert current_revision(again) == SCHEMA_HEAD
    with again.engine.connect() as conn:
        filled = conn.execute(text(f'SELECT {MILESTONES} FROM "case" ORDER BY id')).all()
    again.dispose()
    assert [tuple(r) for r in filled] == [tuple(r) for r in recorded]
