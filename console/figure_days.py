"""Which shop days the figures screen shows: the presets (今天, 本班, 本周, 近30天) and a typed
range. No Textual here; the screen calls these and shows their Chinese messages.

"This shift" (本班) is the console agent's open shift (models.Shift, started when they log on
for the handover, ended by the handover). The figures count whole shop days (metrics.Scope has
no time of day), so 本班 is the days from the shift's start to today: usually just today, and
yesterday too for a shift that crossed midnight.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from console.db import Database
from console.metrics import preset
from console.models import Shift

PRESETS = {"today": "今天", "shift": "本班", "week": "本周", "30d": "近30天"}
MAX_DAYS = 400  # a typed range longer than this is a typo (and a long wait)
RANGE_HINT = "格式: 2026-11-01..2026-11-30 (一天: 2026-11-01)"
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def parse_days(text: str, today: date) -> tuple[date, date] | str:
    """'2026-11-01..2026-11-30' (also ~, 至, or one date) -> (start, end); else a Chinese
    message saying what is wrong with it."""
    raw = text.strip()
    if not raw:
        return "请输入日期范围。" + RANGE_HINT
    for sep in ("～", "~", "至", "—", " - ", "到"):
        raw = raw.replace(sep, "..")
    parts = [p.strip() for p in raw.split("..")]
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(parts):
        return f"看不懂“{text.strip()}”。{RANGE_HINT}"
    days: list[date] = []
    for p in parts:
        if not _DATE.match(p):
            return f"“{p}”不是日期。{RANGE_HINT}"
        y, m, d = (int(x) for x in p.split("-"))
        try:
            days.append(date(y, m, d))
        except ValueError:
            return f"没有这一天: “{p}”。{RANGE_HINT}"
    start, end = days
    if start > end:
        return f"开始日期 {start.isoformat()} 晚于结束日期 {end.isoformat()}。"
    if end > today:
        return f"结束日期 {end.isoformat()} 还没到 (今天是 {today.isoformat()})。"
    if (end - start).days + 1 > MAX_DAYS:
        return f"范围太长: 最多 {MAX_DAYS} 天。"
    return start, end


def shift_started(db: Database, agent: str) -> datetime | None:
    """When `agent`'s open shift started (aware UTC), or None when they have none open."""
    if not agent:
        return None
    with db.read() as s:
        return s.exec(select(Shift.started_at).where(Shift.agent == agent, col(Shift.ended_at).is_(None))
                      .order_by(col(Shift.started_at).desc())).first()


def preset_days(name: str, today: date, shift_start: datetime | None, tz: ZoneInfo) -> tuple[date, date, str]:
    """(start, end, words for the title) of a preset. 本班 without an open shift is today, and
    the words say so."""
    if name == "shift":
        if shift_start is None:
            return today, today, "本班 (没有找到您进行中的班次,按今天算)"
        first = min(shift_start.astimezone(tz).date(), today)
        if (today - first).days > 2:  # a shift nobody ended days ago is not "this shift"
            return today, today, "本班 (您的班次已开始超过两天,按今天算)"
        since = shift_start.astimezone(tz).strftime("%m-%d %H:%M")
        return first, today, f"本班 ({since} 起,按整天算)"
    start, end = preset(name, today)
    return start, end, PRESETS[name]


def days_words(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} 至 {end.isoformat()}"
