"""The benchmark database: a million demo cases, built once and reused.

The build writes the marker file only after the last row is in and the WAL is folded
into the database file, so an interrupted build is detected and redone next time.

`python -m benchmarks.dataset` builds it if needed and prints the marker as JSON; the
bench runs it as a child so the build's memory stays out of the bench process (a child
spawned from a big process inherits its peak in `ru_maxrss`).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / ".data"
DB_PATH = DATA_DIR / "bench.db"
MARKER = DATA_DIR / "bench.json"

CASES = 1_000_000
OPEN_RATIO = 0.25
SEED = 7
# Part of the marker: change it and old databases are rebuilt.
# "history": the milestones, ended clocks, reply copies and handovers the figures read
# (benchmarks/history.py); its number moves when what it writes changes.
RECIPE = {"cases": CASES, "open_ratio": OPEN_RATIO, "seed": SEED, "with_events": False, "history": 1}

# One of the demo agents, so the "mine" filter selects about a quarter of the queue.
AGENT = "小王"
# Terminal size for every run: a laptop terminal, about 36 rows of queue.
SIZE = (140, 40)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_marker() -> dict | None:
    """The marker of a complete database built with today's recipe, else None."""
    try:
        marker = json.loads(MARKER.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if marker.get("recipe") != RECIPE or marker.get("schema") != _schema() or not DB_PATH.exists():
        return None
    return marker


def _schema() -> str:
    """The schema revision the database was built at: a database built by another branch's
    migrations (the same number, other columns) is rebuilt, never half-upgraded."""
    from console.db import SCHEMA_HEAD

    return SCHEMA_HEAD


def build_now(marker: dict) -> datetime:
    """The fixed `now` the deadlines were computed against."""
    return datetime.fromisoformat(marker["now"])


def ensure_database() -> tuple[dict, float | None]:
    """Return (marker, build seconds or None when the cached database was reused)."""
    marker = load_marker()
    if marker is not None:
        return marker, None
    return _build()


def _build() -> tuple[dict, float]:
    from console.db import open_database, resolve_url
    from console.demo import populate
    from console.sla import load_policy

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # Start from nothing: a half-built file would otherwise be appended to.
    for path in (MARKER, DB_PATH, DB_PATH.with_name(DB_PATH.name + "-wal"),
                 DB_PATH.with_name(DB_PATH.name + "-shm")):
        path.unlink(missing_ok=True)

    now = datetime.now(UTC).replace(microsecond=0)
    _log(f"bench: building {CASES:,} cases in {DB_PATH} (once; reused afterwards)")
    started = time.perf_counter()
    db = open_database(resolve_url(str(DB_PATH)))
    step = CASES // 10

    def progress(written: int) -> None:
        if written % step == 0:
            _log(f"bench:   {written:>9,} cases  {time.perf_counter() - started:5.0f} s")

    populate(db, load_policy(), now, CASES, open_ratio=OPEN_RATIO, seed=SEED,
             with_events=False, progress=progress)
    from benchmarks.history import add_history

    add_history(db, now, seed=SEED)
    with db.engine.connect() as conn:
        # Fold the WAL into the file. No ANALYZE: the console never runs it, so the
        # planner sees what it sees on a shop's own database.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    seconds = time.perf_counter() - started

    marker = {"recipe": RECIPE, "schema": _schema(), "now": now.isoformat(), "build_seconds": round(seconds, 1)}
    MARKER.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return marker, seconds


def main() -> None:
    marker, built = ensure_database()
    json.dump({"marker": marker, "built_seconds": built}, sys.stdout)


if __name__ == "__main__":
    main()
