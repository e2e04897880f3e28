"""Pure helpers: percentiles over value histograms, shares, and the SQL pieces that differ
between SQLite and PostgreSQL (shop day of a time, seconds between two times)."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def percentile(hist: Counter[int] | dict[int, int], q: float) -> float | None:
    """The q-th percentile (0 < q ≤ 100) by the nearest-rank method: the smallest value with
    at least q % of the values at or below it. Exact, from a histogram {value: count}; None
    when empty. Median = percentile(h, 50)."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q / 100 * total))
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    return None  # unreachable


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def day_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the shop's time zone, as aware UTC."""
    lo = datetime.combine(start, time(), tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), tz).astimezone(UTC)
    return lo, hi


def day_sql(dialect: str, column: str, offset_s: int) -> str:
    """SQL for the shop day (text YYYY-MM-DD) of a naive-UTC `column`. China keeps one offset
    all year (no daylight saving), so a fixed shift is exact for Asia/Shanghai."""
    if dialect == "postgresql":
        return f"to_char({column} + interval '{offset_s} seconds', 'YYYY-MM-DD')"
    return f"date({column}, '{offset_s:+d} seconds')"


def seconds_sql(dialect: str, a: str, b: str) -> str:
    """SQL for whole seconds from `a` to `b` (NULL if either is)."""
    if dialect == "postgresql":
        return f"CAST(floor(EXTRACT(EPOCH FROM ({b} - {a}))) AS INTEGER)"
    return f"(CAST(strftime('%s', {b}) AS INTEGER) - CAST(strftime('%s', {a}) AS INTEGER))"


def as_day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def format_seconds(s: float | None) -> str:
    """12 s, 4分30秒, 3小时05分, 2天4小时."""
    if s is None:
        return "—"
    s = int(s)
    if s < 60:
        return f"{s}秒"
    if s < 3600:
        return f"{s // 60}分{s % 60:02d}秒"
    if s < 86400:
        return f"{s // 3600}小时{s % 3600 // 60:02d}分"
    return f"{s // 86400}天{s % 86400 // 3600}小时"


def format_value(value: float | int | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "s":
        return format_seconds(value)
    if unit == "元":
        return f"{value:.2f}元"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}{unit}"
    return f"{int(value)}{unit}"


def aware(value: object) -> datetime | None:
    """A time from a text query (naive UTC text on SQLite, naive datetime on PostgreSQL) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def naive(value: object) -> datetime:
    """A stored time as naive UTC: text on SQLite (read without the column's type), a naive
    datetime on PostgreSQL."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
