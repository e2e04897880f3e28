"""The demo team and its shifts, for the demo history (console/demo_history.py).

Six people: four agents, the specialist 老陈 (urgent cases go to him) and the supervisor 阿珍.
The line (the four agents and 老陈) works 早班 09:00–17:00 or 晚班 14:00–22:00 shop time,
two on each, one resting each day in turn; the supervisor works weekdays 09:00–18:00. The
rota is fixed by the calendar, not by chance: the same dates give the same shifts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SUPERVISOR = "阿珍"
SPECIALIST = "老陈"
# Agents before the specialist: the order the rota turns in.
LINE = ("小王", "小李", "小美", "小周", SPECIALIST)
ROLES: dict[str, str] = {**{name: "agent" for name in LINE}, SPECIALIST: "specialist", SUPERVISOR: "supervisor"}

SHIFTS: dict[str, tuple[time, time]] = {"早班": (time(9), time(17)), "晚班": (time(14), time(22))}
SUPERVISOR_HOURS = (time(9), time(18))


@dataclass(frozen=True)
class Shift:
    agent: str
    name: str  # 早班 / 晚班 / 主管
    start: datetime  # aware UTC
    end: datetime


def day_shifts(day: date, tz: ZoneInfo) -> list[Shift]:
    """Who works on `day` (shop date), early shift first."""
    n = day.toordinal()
    rest = LINE[n % len(LINE)]
    working = [a for a in LINE if a != rest]
    # The pairs swap each week, so nobody is always on the late shift.
    turn = (n // 7) % len(working)
    working = working[turn:] + working[:turn]
    out = []
    for i, agent in enumerate(working):
        name = "早班" if i < 2 else "晚班"
        out.append(Shift(agent, name, *_span(day, SHIFTS[name], tz)))
    if day.weekday() < 5:
        out.append(Shift(SUPERVISOR, "主管", *_span(day, SUPERVISOR_HOURS, tz)))
    return out


def _span(day: date, hours: tuple[time, time], tz: ZoneInfo) -> tuple[datetime, datetime]:
    start, end = (datetime.combine(day, h, tz) for h in hours)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


class Rota:
    """The shifts of a range of days: who is on at a time, and when someone is next on."""

    def __init__(self, first: date, last: date, tz: ZoneInfo) -> None:
        self.shifts: list[Shift] = []
        day = first
        while day <= last:
            self.shifts += day_shifts(day, tz)
            day += timedelta(days=1)

    def on(self, at: datetime, line_only: bool = True) -> list[Shift]:
        return [s for s in self.shifts if s.start <= at < s.end and not (line_only and s.agent == SUPERVISOR)]

    def next_on(self, agent: str, at: datetime) -> datetime | None:
        """`at` when the agent is on shift then, else the start of their next shift."""
        for s in self.shifts:
            if s.agent == agent and s.end > at:
                return max(s.start, at)
        return None

    def works(self, agent: str, at: datetime, tz: ZoneInfo) -> bool:
        """Whether the agent has a shift on the shop day of `at`."""
        day = at.astimezone(tz).date()
        return any(s.agent == agent and s.start.astimezone(tz).date() == day for s in self.shifts)

    def next_line_start(self, at: datetime) -> Shift | None:
        """The first line shift starting after `at` (who takes what came in overnight)."""
        return next((s for s in self.shifts if s.start > at and s.agent != SUPERVISOR), None)

    def next_shift_of(self, agent: str, after: datetime) -> Shift | None:
        return next((s for s in self.shifts if s.agent == agent and s.start >= after), None)
