"""Deadline rules (时效): the policy file and pure functions over it.

Nothing here reads the clock: every function takes `now`. Times are aware UTC; the
shop's zone is used only to show them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.vocab import CHANNEL_LABELS, KINDS, REFUND_STATUSES, STATUSES
from console.workdays import HolidaysError, WorkCalendar, load_calendar

# The shipped rules, read-only inside the package; a shop's own copy lives in its home folder.
DEFAULT_POLICY = Path(__file__).resolve().parent / "defaults" / "sla.toml"
# What can meet a clock: the first reply, the case reaching a specialist (an agent with that
# role, not any reassignment), an answer proposed to the buyer (a wizard outcome applied, or a
# complaint's solution proposed: the 24-hour golden time [003]), the case being resolved.
MET_EVENTS = frozenset({"first_reply", "specialist_assigned", "solution_proposed", "resolved"})

State = Literal["ok", "warning", "overdue", "paused"]


class PolicyError(ValueError):
    """The policy file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class ClockRule:
    kind: str
    label: str
    clock: Literal["shop", "platform"]
    duration: timedelta
    warn_before: timedelta
    met_on: frozenset[str]
    # Pauses while the case waits on the buyer (a solution time). A clock that waits on the
    # shop (first response, urgent, a promise) or the platform never pauses.
    pauses: bool = False
    # Counted in working days ("2wd"): weekends and the calendar's holidays do not count.
    working_days: int = 0


@dataclass(frozen=True)
class Policy:
    timezone: ZoneInfo
    clocks: dict[str, ClockRule]
    pause_statuses: frozenset[str]
    start_channel: dict[str, tuple[str, ...]]
    start_kind: dict[str, tuple[str, ...]]
    start_urgent: tuple[str, ...]
    refund_clocks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    calendar: WorkCalendar = field(default_factory=WorkCalendar, compare=False)
    order_min: int = 10
    order_max: int = 20
    source: str = field(default="", compare=False)

    def rule(self, kind: str) -> ClockRule:
        try:
            return self.clocks[kind]
        except KeyError:
            raise PolicyError(f"{self.source}: 未知的计时类型 {kind!r} (unknown clock kind)") from None

    def due(self, rule: ClockRule, start_at: datetime) -> tuple[datetime, datetime]:
        """(due_at, warn_at) of a clock of `rule` started at `start_at`, counting working days
        on the shop's calendar for a working-day clock."""
        if rule.working_days:
            due = self.calendar.add(start_at, rule.working_days, self.timezone)
            return due, due - rule.warn_before
        return schedule(rule, start_at)

    def label(self, kind: str | None) -> str:
        if kind is None:
            return ""
        rule = self.clocks.get(kind)
        return rule.label if rule else kind

    def clocks_on_create(self, channel: str, kind: str, urgent: bool, initiated_by: str = "buyer") -> list[str]:
        # The channel's clocks answer a buyer's message: a contact the shop starts has none.
        kinds = list(self.start_channel.get(channel, ())) if initiated_by == "buyer" else []
        kinds += list(self.start_kind.get(kind, ()))
        if urgent:
            kinds += list(self.start_urgent)
        return list(dict.fromkeys(kinds))


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|[smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "wd": "days"}


def parse_duration(value: object, where: str) -> timedelta:
    """'30s', '24h', '7d' -> timedelta ('2wd', working days, counts as 2 days here: see
    `working_days`); PolicyError naming `where` otherwise."""
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise PolicyError(f"{where}: 时长格式应为 数字+s/m/h/d/wd(工作日),例如 \"24h\" (got {value!r})")
    number, unit = match.groups()
    return timedelta(**{_UNITS[unit]: float(number)})


def working_days(value: object, where: str) -> int:
    """The number of working days of a "2wd" duration, 0 for any other; whole days only."""
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match or match.group(2) != "wd":
        return 0
    number = float(match.group(1))
    if number != int(number) or number < 1:
        raise PolicyError(f"{where}: 工作日必须是整数天,例如 \"2wd\" (got {value!r})")
    return int(number)


def load_policy(path: Path | str = DEFAULT_POLICY, holidays: Path | str | None = None) -> Policy:
    """The policy in `path`, with the working-day calendar of `holidays` (default: a
    holidays.toml beside the policy file, if there is one)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"{path}: 找不到时效规则文件 (file not found)") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: TOML 格式错误: {exc}") from None
    policy = policy_from_dict(raw, str(path))
    try:
        calendar = load_calendar(holidays if holidays is not None else path.with_name("holidays.toml"))
    except HolidaysError as exc:
        raise PolicyError(str(exc)) from None
    return replace(policy, calendar=calendar)


def policy_from_dict(raw: dict, source: str = "<policy>") -> Policy:
    try:
        tz = ZoneInfo(raw.get("timezone", "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"{source}: timezone 无效: {raw.get('timezone')!r}") from None

    clocks: dict[str, ClockRule] = {}
    for kind, spec in (raw.get("clocks") or {}).items():
        where = f"{source}: [clocks.{kind}]"
        if not isinstance(spec, dict):
            raise PolicyError(f"{where}: 应为一个表 (must be a table)")
        clock = spec.get("clock")
        if clock not in ("shop", "platform"):
            raise PolicyError(f"{where}: clock 必须是 \"shop\" 或 \"platform\" (got {clock!r})")
        duration = parse_duration(spec.get("duration"), f"{where} duration")
        workdays = working_days(spec.get("duration"), f"{where} duration")
        warn = parse_duration(spec.get("warn_before", "0s"), f"{where} warn_before")
        if duration <= timedelta(0):
            raise PolicyError(f"{where} duration: 必须大于 0")
        if warn >= duration:
            raise PolicyError(f"{where} warn_before: 预警时间必须短于时限 (must be shorter than duration)")
        met_on = frozenset(spec.get("met_on", []))
        unknown = met_on - MET_EVENTS
        if unknown:
            hint = ";指派给任何人都不算,改用 specialist_assigned (转到专员)" if "assigned" in unknown else ""
            raise PolicyError(f"{where} met_on: 未知事件 {sorted(unknown)} (known: {sorted(MET_EVENTS)}){hint}")
        pauses = spec.get("pauses", False)
        if not isinstance(pauses, bool):
            raise PolicyError(f"{where} pauses: 应为 true 或 false (got {pauses!r})")
        if clock == "platform" and (pauses or met_on):
            raise PolicyError(
                f"{where}: 平台计时不会因为店铺暂停或结案而停止,不能设 pauses 或 met_on "
                "(platform clocks end only when the platform status moves on)"
            )
        clocks[kind] = ClockRule(
            kind=kind,
            label=str(spec.get("label", kind)),
            clock=clock,
            duration=duration,
            warn_before=warn,
            met_on=met_on,
            pauses=pauses,
            working_days=workdays,
        )

    start = raw.get("start") or {}

    def kinds_list(value: object, where: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise PolicyError(f"{where}: 应为计时类型列表 (must be a list)")
        for item in value:
            if item not in clocks:
                raise PolicyError(f"{where}: 未知的计时类型 {item!r} (not in [clocks])")
        return tuple(value)

    start_channel = {}
    for channel, value in (start.get("channel") or {}).items():
        if channel not in CHANNEL_LABELS:
            raise PolicyError(f"{source}: [start.channel] 未知渠道 {channel!r}")
        start_channel[channel] = kinds_list(value, f"{source}: [start.channel] {channel}")
    start_kind = {}
    for kind, value in (start.get("kind") or {}).items():
        if kind not in KINDS:
            raise PolicyError(f"{source}: [start.kind] 未知工单类型 {kind!r}")
        start_kind[kind] = kinds_list(value, f"{source}: [start.kind] {kind}")
    start_urgent = kinds_list(start.get("urgent", []), f"{source}: [start] urgent")

    refund_clocks = {}
    for status, value in (raw.get("refund_clocks") or {}).items():
        if status not in REFUND_STATUSES:
            raise PolicyError(f"{source}: [refund_clocks] 未知退款状态 {status!r}")
        refund_clocks[status] = kinds_list(value, f"{source}: [refund_clocks] {status}")

    pause = frozenset(raw.get("pause_statuses", ["waiting_buyer"]))
    if pause - set(STATUSES):
        raise PolicyError(f"{source}: pause_statuses 有未知状态 {sorted(pause - set(STATUSES))}")

    order = raw.get("order_number") or {}
    order_min, order_max = int(order.get("min_length", 10)), int(order.get("max_length", 20))
    if not 1 <= order_min <= order_max <= 32:
        raise PolicyError(f"{source}: [order_number] 长度范围无效 ({order_min}–{order_max})")

    return Policy(
        timezone=tz,
        clocks=clocks,
        pause_statuses=pause,
        start_channel=start_channel,
        start_kind=start_kind,
        start_urgent=start_urgent,
        refund_clocks=refund_clocks,
        order_min=order_min,
        order_max=order_max,
        source=source,
    )


# ---- Pure clock arithmetic ---------------------------------------------------


def schedule(rule: ClockRule, start_at: datetime) -> tuple[datetime, datetime]:
    """(due_at, warn_at) for a clock of `rule` started at `start_at`."""
    due = start_at + rule.duration
    return due, due - rule.warn_before


def state_at(due_at: datetime, warn_at: datetime, now: datetime) -> State:
    """ok before the warning edge; warning from the edge up to and including the due second;
    overdue once `now` is past `due_at`."""
    if now > due_at:
        return "overdue"
    if now >= warn_at:
        return "warning"
    return "ok"


def pause(due_at: datetime, now: datetime) -> int:
    """Seconds left on a clock being paused at `now` (negative if it was already over)."""
    return int((due_at - now).total_seconds())


def resume(remaining_s: int, warn_s: int, now: datetime) -> tuple[datetime, datetime]:
    """Resume a paused clock with the time it had left: no instant escalation."""
    due = now + timedelta(seconds=remaining_s)
    return due, due - timedelta(seconds=warn_s)


def format_countdown(remaining: timedelta) -> str:
    """Compact countdown text: '00:29', '3h05m', '2d04h'; over time gets a leading '-'."""
    seconds = int(remaining.total_seconds())
    sign = "-" if seconds < 0 else ""
    # Over time counts up from the second it was due: -00:01 one second over.
    s = -seconds if seconds < 0 else seconds
    if s < 3600:
        return f"{sign}{s // 60:02d}:{s % 60:02d}"
    if s < 86400:
        return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m"
    if s < 100 * 86400:
        return f"{sign}{s // 86400}d{s % 86400 // 3600:02d}h"
    return f"{sign}99d+"


def format_age(age: timedelta) -> str:
    s = max(0, int(age.total_seconds()))
    if s < 3600:
        return f"{s // 60}分"
    if s < 86400:
        return f"{s // 3600}时"
    return f"{s // 86400}天"


def shop_time(dt: datetime, policy: Policy, fmt: str = "%m-%d %H:%M") -> str:
    return dt.astimezone(policy.timezone).strftime(fmt)
