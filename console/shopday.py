"""The shop day of a stored time, in SQL (stdlib only: the models' indexes and the figures'
queries both use it, so the two spell it the same way)."""

from __future__ import annotations

import sqlite3

# The shop's offset from UTC (Asia/Shanghai keeps one offset all year, no daylight saving).
# The SQLite indexes of migration 0013 are ordered by the shop day computed with it, so the
# figures group a month by day in index order instead of sorting a quarter of a million rows.
# With another time zone the figures stay right: their day no longer matches the index's,
# which then goes unused.
SHOP_OFFSET_S = 8 * 3600


def epoch_sql(column: str) -> str:
    """Whole seconds since 1970 of a naive-UTC text column on SQLite. unixepoch() (3.38+) is
    about twice as cheap as strftime('%s'); both read the value the same way (to the millisecond)."""
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch({column})"
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


def day_sql(dialect: str, column: str, offset_s: int = SHOP_OFFSET_S) -> str:
    """SQL for the shop day of a naive-UTC `column`, as days since 1970-01-01 (an integer).
    Integer arithmetic, not date(): over a month of a big shop the figures compute this for a
    quarter of a million rows."""
    if dialect == "postgresql":
        return f"CAST(floor((EXTRACT(EPOCH FROM {column}) + {offset_s}) / 86400) AS INTEGER)"
    return f"(({epoch_sql(column)} + {offset_s}) / 86400)"
