"""What the figures hand out: plain values, safe to pass from a worker thread to a screen.

Nothing here reads the database or imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class FigureInfo:
    """One figure as the screen's list and its `?` show it."""

    id: str  # "first_response", …
    name: str  # Chinese name: 首次响应
    formula: str  # the formula in words, exactly as computed
    numerator: str  # what counts above the line
    denominator: str  # what counts below it ("" for a count or a time)
    unit: str  # of the headline: "%" share (0..1), "s" seconds, "件" a count
    agent_rule: str  # which agent a case counts for
    better: str  # "higher" | "lower": which way ranks go
    drill: str  # what Enter lists


@dataclass(frozen=True)
class Scope:
    """Shop days `start`..`end` (inclusive, Asia/Shanghai), one agent or the team (None),
    one case kind or all (None)."""

    start: date
    end: date
    agent: str | None = None
    kind: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"range ends ({self.end}) before it starts ({self.start})")

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Value:
    """One number of a figure: `key` stable for code, `label` Chinese for people."""

    key: str
    label: str
    value: float | int | None  # None: nothing counted
    unit: str  # "%" (a share 0..1), "s", "件", "元", "次"


@dataclass
class FigureResult:
    info: FigureInfo
    scope: Scope
    headline: float | None  # the figure's main value (also what the series and ranks use)
    values: list[Value] = field(default_factory=list)
    # Breakdown rows (by clock kind, by target, the most copied replies …): label, then cells.
    table: list[tuple[str, ...]] = field(default_factory=list)
    table_head: tuple[str, ...] = ()
    series: list[tuple[date, float | None]] = field(default_factory=list)  # headline per shop day
    rank: int | None = None  # the scope's agent among agents, 1 = best; None for the team
    ranked: int = 0  # how many agents were ranked
    ranking: list[tuple[str, float]] = field(default_factory=list)  # every agent's headline, best first

    def value(self, key: str) -> float | int | None:
        for v in self.values:
            if v.key == key:
                return v.value
        raise KeyError(key)


@dataclass(frozen=True)
class DrillRow:
    """One case behind a figure, with why it is there."""

    case_id: int
    reason: str
    at: datetime | None = None  # when it happened (aware UTC), for ordering and display
    agent: str | None = None
