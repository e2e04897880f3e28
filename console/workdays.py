"""Working days (工作日) for the platform's clocks that count them: 小二 steps in within 2
working days and decides within 7 [003].

Weekends do not count; public holidays and the weekend days made working days in their place
(调休上班) come from `holidays.toml`, which a supervisor keeps up to date from each year's
State Council notice (the shop folder's own copy, else the shipped one). Pure functions: no
clock is read here, every time is passed in.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo


class HolidaysError(ValueError):
    """holidays.toml is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)  # weekdays off
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days worked (调休)
    source: str = ""

    def is_working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: datetime, days: int, tz: ZoneInfo) -> datetime:
        """`days` working days after `start`, at the same time of day in the shop's zone.

        A start on a day off counts from the next working day's beginning: a request made
        on Saturday afternoon with 2 working days is due at the end of Tuesday (00:00
        Wednesday), the same as one made first thing on Monday.
        """
        local = start.astimezone(tz)
        day = local.date()
        if not self.is_working(day):
            while not self.is_working(day):
                day += timedelta(days=1)
            local = datetime.combine(day, time(0, 0), tzinfo=tz)
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working(day):
                counted += 1
        due = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
        return due.astimezone(start.tzinfo)


def load_calendar(path: Path | str | None) -> WorkCalendar:
    """The calendar in `path`; weekends only when there is no file."""
    if path is None:
        return WorkCalendar()
    path = Path(path)
    if not path.exists():
        return WorkCalendar(source=str(path))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise HolidaysError(f"{path}: 无法读取节假日文件: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise HolidaysError(f"{path}: TOML 格式错误: {exc}") from None

    def dates(key: str) -> frozenset[date]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(d, date) and not isinstance(d, datetime)
                                                  for d in value):
            raise HolidaysError(f"{path}: {key} 应为日期列表,例如 [2026-10-01, 2026-10-02] (got {value!r})")
        return frozenset(value)

    holidays, workdays = dates("holidays"), dates("workdays")
    both = sorted(holidays & workdays)
    if both:
        raise HolidaysError(f"{path}: 这些日期既在 holidays 又在 workdays 里: {', '.join(map(str, both))}")
    return WorkCalendar(holidays, workdays, str(path))
