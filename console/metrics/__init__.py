"""The supervisor's figures (主管数据): service figures per agent and per day from the case
history. No Textual here: a screen calls these from a worker thread and gets plain values.

    from console.metrics import Metrics, Scope
    m = Metrics(db, policy, clock)            # or app.services.metrics
    m.figures()                               # [FigureInfo]: id, name, formula, numerator, …
    results = m.compute_all(Scope(date(2026, 11, 1), date(2026, 11, 30), agent=None, kind=None),
                            progress=lambda done, total, name: ...)
    results[0].headline, results[0].values, results[0].series, results[0].rank
    m.drill("first_response", scope)          # [DrillRow]: case_id, reason, at, agent
    export_report(m, scope, Path("月报.xlsx"), "xlsx", by_agent=True)   # console.metrics.export

Every figure is defined once, in the module named for what it measures (response.py,
clocks.py, outcomes.py, mix.py, replies.py) with its formula in words beside it
(`FigureInfo.formula`, `.numerator`, `.denominator`, `.agent_rule`): what the `?` shows, the
report writes, and the tests check by hand. Shop days are the shop's time zone (Asia/Shanghai).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

from console.clock import Clock
from console.db import Database, NotFoundError
from console.metrics.calc import format_value, percentile
from console.metrics.clocks import FIGURES as CLOCKS
from console.metrics.engine import Context, Figure, evaluate
from console.metrics.mix import FIGURES as MIX
from console.metrics.model import DrillRow, FigureInfo, FigureResult, Scope, Value
from console.metrics.outcomes import FIGURES as OUTCOMES
from console.metrics.replies import FIGURES as REPLIES
from console.metrics.response import FIGURES as RESPONSE
from console.sla import Policy

__all__ = [
    "FIGURES", "DrillRow", "FigureInfo", "FigureResult", "Metrics", "Scope", "Value", "format_value",
    "percentile", "preset",
]

# In the order the screen and the report show them.
_ALL: list[Figure] = [*RESPONSE[:1], *CLOCKS, *RESPONSE[1:], *OUTCOMES, *MIX, *REPLIES]
FIGURES: dict[str, Figure] = {f.info.id: f for f in _ALL}

Progress = Callable[[int, int, str], None]  # (figures done, figures in all, name of the one just done)


# How long the rows read for a range are reused for another agent's figures over the same
# range (picking agent after agent on the screen); `fresh=True` reads again at once.
KEEP_SECONDS = 120.0


class Metrics:
    """The figures over one database. Each call opens its own read transaction, so it is safe
    from a worker thread; results are plain dataclasses."""

    def __init__(self, db: Database, policy: Policy, clock: Clock) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self._kept: dict[tuple, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def _rows_for(self, scope: Scope, fresh: bool) -> dict:
        """The fetched rows of (days, kind): kept for KEEP_SECONDS, for any agent of it."""
        key = (scope.start, scope.end, scope.kind)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and not fresh and time.monotonic() - kept[0] < KEEP_SECONDS:
                return kept[1]
            rows: dict = {}
            self._kept = {k: v for k, v in self._kept.items() if time.monotonic() - v[0] < KEEP_SECONDS}
            self._kept[key] = (time.monotonic(), rows)
            return rows

    def figures(self) -> list[FigureInfo]:
        """Every figure: id, Chinese name, formula in words, numerator/denominator words, unit."""
        return [f.info for f in _ALL]

    def info(self, figure_id: str) -> FigureInfo:
        return self._figure(figure_id).info

    def compute_all(self, scope: Scope, progress: Progress | None = None,
                    only: list[str] | None = None, fresh: bool = False) -> list[FigureResult]:
        """Every figure (or those in `only`) for the scope: value, daily series, rank among
        agents. `progress(done, total, name)` is called after each figure (from the calling
        thread: a screen posts it to the UI); it may raise to stop early (a cancelled worker),
        and the exception comes out of here. One read transaction for all, so they agree.
        What was read for the same days and kind in the last KEEP_SECONDS is reused (another
        agent, the team again); `fresh=True` reads the database again (a refresh key)."""
        chosen = [self._figure(i) for i in only] if only else _ALL
        out: list[FigureResult] = []
        with self.db.read() as s:
            ctx = Context(s.connection(), self.policy, scope, self.clock.now(), cache=self._rows_for(scope, fresh))
            for i, fig in enumerate(chosen, 1):
                out.append(evaluate(fig, ctx))
                if progress is not None:
                    progress(i, len(chosen), fig.info.name)
        return out

    def compute(self, figure_id: str, scope: Scope, fresh: bool = False) -> FigureResult:
        return self.compute_all(scope, only=[figure_id], fresh=fresh)[0]

    def drill(self, figure_id: str, scope: Scope, limit: int = 500) -> list[DrillRow]:
        """The cases behind one figure for the scope, each with a short reason in Chinese
        (e.g. the cases that missed the first-response limit), at most `limit`."""
        fig = self._figure(figure_id)
        with self.db.read() as s:
            ctx = Context(s.connection(), self.policy, scope, self.clock.now(), limit=limit)
            return fig.drill(ctx)[:limit]

    def agents(self) -> list[str]:
        """Agent names for the picker (everyone the database knows)."""
        from sqlmodel import select

        from console.models import Agent

        with self.db.read() as s:
            return list(s.exec(select(Agent.name).order_by(Agent.name)).all())

    def today(self) -> date:
        """Today in the shop's time zone."""
        return self.clock.now().astimezone(self.policy.timezone).date()

    def _figure(self, figure_id: str) -> Figure:
        try:
            return FIGURES[figure_id]
        except KeyError:
            raise NotFoundError(f"没有这项数据: {figure_id}") from None


def preset(name: str, today: date) -> tuple[date, date]:
    """The date ranges the screen offers: today, week (Monday to today), 7 and 30 days up to today."""
    if name == "today":
        return today, today
    if name == "week":
        return today - timedelta(days=today.weekday()), today
    if name == "7d":
        return today - timedelta(days=6), today
    if name == "30d":
        return today - timedelta(days=29), today
    raise ValueError(f"unknown range preset: {name}")
