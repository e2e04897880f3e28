"""How every figure is computed, once for all agents: one grouped SQL query per figure (by
shop day and agent), folded in Python into the value for the scope, the daily series and the
ranks. Percentiles come from value histograms counted by SQL (exact, and small to fetch).

A figure is a `Figure`: its `FigureInfo`, a `fetch` returning rows (day, agent, bag), a
`summarize` turning a merged bag into the headline, the values and a breakdown table, and a
`drill` listing the cases behind it. A bag is a dict of ints and Counters; bags add up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, text

from console.metrics.calc import as_day, day_bounds, day_sql, seconds_sql
from console.metrics.model import DrillRow, FigureInfo, FigureResult, Scope, Value
from console.models import UTCDateTime
from console.sla import Policy

Bag = dict[str, object]
MMAP_BYTES = 1 << 30
Row = tuple[date, str | None, Bag]


@dataclass
class Summary:
    headline: float | None
    values: list[Value]
    table: list[tuple[str, ...]] = field(default_factory=list)
    table_head: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    info: FigureInfo
    fetch: Callable[[Context], list[Row]]
    summarize: Callable[[Bag, Context], Summary]
    drill: Callable[[Context], list[DrillRow]]


class Context:
    """One computation: a connection, the scope's UTC bounds, the time now, the rules."""

    def __init__(self, conn, policy: Policy, scope: Scope, now: datetime, limit: int | None = None,
                 cache: dict | None = None) -> None:
        self.conn = conn
        self.limit = limit  # drill-downs: at most this many cases
        self.policy = policy
        self.scope = scope
        self.now = now
        self.dialect = conn.dialect.name
        self.lo, self.hi = day_bounds(scope.start, scope.end, policy.timezone)
        self.offset_s = int(policy.timezone.utcoffset(self.lo.replace(tzinfo=None)).total_seconds())
        # Fetched rows by name: they hold every agent, so one agent's figures right after the
        # team's (same days and kind) reuse them (Metrics keeps them a little while).
        self.cache: dict[str, list[Row]] = {} if cache is None else cache
        if self.dialect == "sqlite":
            # A month of figures reads index pages all over a big file: mapped, they are read
            # without a system call each (twice as fast on the million-case bench). The setting
            # stays with this pooled connection, which is harmless for its other readers.
            conn.exec_driver_sql(f"PRAGMA mmap_size={MMAP_BYTES}")

    def day(self, column: str) -> str:
        return day_sql(self.dialect, column, self.offset_s)

    def secs(self, a: str, b: str) -> str:
        return seconds_sql(self.dialect, a, b)

    def limit_sql(self) -> str:
        return f" LIMIT {int(self.limit)}" if self.limit else ""

    def kind_filter(self, alias: str = "c") -> str:
        return f" AND {alias}.kind = :kind" if self.scope.kind else ""

    def agent_filter(self, column: str) -> str:
        return f" AND {column} = :agent" if self.scope.agent else ""

    def run(self, sql: str, **params) -> list[tuple]:
        """Run `sql` with :lo, :hi, :now, :kind, :agent and `params` (times typed like the columns)."""
        params = {"lo": self.lo, "hi": self.hi, "now": self.now, "kind": self.scope.kind,
                  "agent": self.scope.agent, "yes": True, **params}
        names = [n for n in params if f":{n}" in sql]
        stmt = text(sql).bindparams(*[bindparam(n, type_=UTCDateTime()) for n in names
                                      if isinstance(params[n], datetime)])
        return [tuple(r) for r in self.conn.execute(stmt, {n: params[n] for n in names}).all()]

    def agents(self) -> list[str]:
        if "agents" not in self.cache:
            self.cache["agents"] = [r[0] for r in self.run("SELECT name FROM agent")]  # type: ignore[misc]
        return self.cache["agents"]  # type: ignore[return-value]

    def cached(self, key: str, fetch: Callable[[], list[Row]]) -> list[Row]:
        if key not in self.cache:
            self.cache[key] = fetch()
        return self.cache[key]


def merge(bags) -> Bag:
    out: Bag = {}
    for bag in bags:
        for k, v in bag.items():
            if isinstance(v, Counter):
                out.setdefault(k, Counter()).update(v)  # type: ignore[union-attr]
            else:
                out[k] = out.get(k, 0) + v  # type: ignore[operator]
    return out


def evaluate(fig: Figure, ctx: Context) -> FigureResult:
    """The figure for the scope: value, daily series, and every agent's rank."""
    rows = ctx.cached(f"figure:{fig.info.id}", lambda: fig.fetch(ctx))
    agent = ctx.scope.agent
    mine = [r for r in rows if agent is None or r[1] == agent]
    s = fig.summarize(merge(r[2] for r in mine), ctx)
    by_day: dict[date, list[Bag]] = {}
    for day, _, bag in mine:
        by_day.setdefault(as_day(day), []).append(bag)
    # A day with nothing counted is what the figure says of nothing (0 escalations, no median).
    series = [(d, fig.summarize(merge(by_day.get(d, [])), ctx).headline) for d in ctx.scope.days()]
    # Every known agent is ranked where nothing is a value too (no escalations: 0, ranked first).
    by_agent: dict[str, list[Bag]] = {name: [] for name in ctx.agents()}
    for _, who, bag in rows:
        if who:
            by_agent.setdefault(who, []).append(bag)
    ranking = [(who, h) for who, bags in by_agent.items()
               if (h := fig.summarize(merge(bags), ctx).headline) is not None]
    lower = fig.info.better == "lower"
    ranking.sort(key=lambda p: (p[1] if lower else -p[1], p[0]))
    # Ties share a rank (1, 2, 2, 4): one more than the agents strictly better.
    mine_h = next((h for who, h in ranking if who == agent), None)
    rank = None if mine_h is None else 1 + sum(1 for _, h in ranking if (h < mine_h if lower else h > mine_h))
    return FigureResult(info=fig.info, scope=ctx.scope, headline=s.headline, values=s.values, table=s.table,
                        table_head=s.table_head, series=series, rank=rank, ranked=len(ranking), ranking=ranking)
