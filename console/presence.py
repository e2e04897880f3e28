"""Presence: which consoles are running, on which screen and case, and whether their agent
is typing, so the team sees who is on a case before two people answer the same buyer.

Each console writes one small row (`beat`, an UPSERT) every few seconds and whenever its
screen, case or typing changes, and deletes it when it closes (`leave`). Nothing is needed
for a console that vanishes (kill -9, a crash, its network gone): a row older than
`STALE_SECONDS` is ignored by every reader (`others`), and deleted by the next console that
starts (`sweep`). Presence writes are quiet (db.QUIET_TABLES): they send no NOTIFY and do
not count as a change on SQLite, so heartbeats never make other consoles reload their
screens; consoles read presence on its own, every couple of seconds.

Time. A row's age must mean the same at every desk. On SQLite all consoles share one
computer and its clock, so the app's clock is used as it is. On PostgreSQL the desks' clocks
may disagree by minutes, so "presence time" is the server's: the app's clock corrected by
this desk's offset from the server clock, measured inside every statement
(`clock_now + (server now() - this desk's wall clock now)`). With the real clock that is the
server's time exactly; with a test's frozen clock it moves only when the test moves it, so
the same tests run on both backends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement

from console.clock import Clock
from console.db import Database
from console.models import Presence as PresenceRow
from console.models import UTCDateTime

# A console beats every BEAT_SECONDS; one not heard from for STALE_SECONDS is gone. Three
# beats may be lost (a busy database, a paused laptop) before a desk drops off, and a
# console that vanished drops off everywhere within STALE_SECONDS plus one read (2 s): 22 s.
BEAT_SECONDS = 5.0
STALE_SECONDS = 20.0
# "Typing": a key in a notes pane or a wizard field within this many seconds.
TYPING_SECONDS = 5.0


@dataclass(frozen=True)
class Seen:
    """Another console, as its last heartbeat described it."""

    console: str
    agent: str
    screen: str  # the screen's name (CaseScreen, WizardScreen, QueueScreen …)
    case_id: int | None
    typing: bool


@dataclass(frozen=True)
class Team:
    """What this console knows of the other running consoles at one moment."""

    seen: tuple[Seen, ...] = ()
    by_case: dict[int, tuple[tuple[str, bool, str], ...]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, seen: Iterable[Seen]) -> Team:
        rows = tuple(sorted(seen, key=lambda s: (s.agent, s.console)))
        cases: dict[int, dict[str, tuple[bool, str]]] = {}
        for s in rows:
            if s.case_id is None:
                continue
            agents = cases.setdefault(s.case_id, {})
            known = agents.get(s.agent)
            # One agent with the case open at two consoles is one name, typing if either is.
            if known is None or (s.typing and not known[0]):
                agents[s.agent] = (s.typing, s.screen)
        by_case = {
            case_id: tuple(sorted(((a, t, sc) for a, (t, sc) in agents.items()), key=lambda x: (not x[1], x[0])))
            for case_id, agents in cases.items()
        }
        return cls(rows, by_case)

    def online(self) -> list[str]:
        """The agents with a console running, each once, sorted."""
        return sorted({s.agent for s in self.seen})

    def on_case(self, case_id: int | None, besides: str = "") -> tuple[tuple[str, bool, str], ...]:
        """Who has `case_id` open, typing agents first: (agent, typing, screen) each; an
        agent named `besides` (this console's own) left out."""
        if case_id is None:
            return ()
        return tuple(x for x in self.by_case.get(case_id, ()) if x[0] != besides)


class PresenceStore:
    """The `presence` table: heartbeats in, the other consoles out."""

    def __init__(self, db: Database, clock: Clock, wall: Callable[[], datetime] | None = None) -> None:
        """`wall`: this computer's own clock (default: the system's), against which the
        offset from the server is measured; `clock`: the app's (frozen in tests)."""
        self.db = db
        self.clock = clock
        self.wall = wall or (lambda: datetime.now(UTC))

    def _now(self) -> ColumnElement:
        """"Presence time" as a SQL expression: see the module's docstring."""
        clock_now = bindparam("clock_now", self.clock.now(), type_=UTCDateTime)
        if not self.db.is_postgresql:
            return clock_now
        wall = bindparam("wall_now", self.wall(), type_=UTCDateTime)
        return clock_now + (func.timezone("UTC", func.now()) - wall)

    def _cutoff(self) -> ColumnElement:
        """Presence time STALE_SECONDS ago: rows older than this are gone."""
        stale = timedelta(seconds=STALE_SECONDS)
        if not self.db.is_postgresql:
            return bindparam("cutoff", self.clock.now() - stale, type_=UTCDateTime)
        return self._now() - bindparam("stale", stale)

    def beat(self, console: str, agent: str, screen: str, case_id: int | None, typing: bool) -> None:
        """This console is running: one UPSERT of its row."""
        insert = pg_insert if self.db.is_postgresql else sqlite_insert
        values = {"console": console, "agent": agent, "screen": screen[:32], "case_id": case_id,
                  "typing": typing}
        stmt = insert(PresenceRow).values(**values, seen_at=self._now())
        stmt = stmt.on_conflict_do_update(
            index_elements=["console"],
            set_={**{k: stmt.excluded[k] for k in values if k != "console"}, "seen_at": stmt.excluded.seen_at},
        )
        with self.db.write() as s:
            s.execute(stmt)

    def leave(self, console: str) -> None:
        """This console closes: its row goes at once."""
        with self.db.write() as s:
            s.execute(delete(PresenceRow).where(PresenceRow.console == console))

    def sweep(self) -> int:
        """Delete the rows of consoles not heard from for STALE_SECONDS (they vanished
        without closing): how many. Run when a console starts; readers ignore them anyway."""
        with self.db.write() as s:
            result = s.execute(delete(PresenceRow).where(PresenceRow.seen_at < self._cutoff()))
            return result.rowcount or 0

    def others(self, console: str) -> Team:
        """Every console heard from within STALE_SECONDS, except `console` (this one)."""
        q = (select(PresenceRow.console, PresenceRow.agent, PresenceRow.screen, PresenceRow.case_id,
                    PresenceRow.typing)
             .where(PresenceRow.seen_at > self._cutoff(), PresenceRow.console != console))
        with self.db.engine.connect() as conn:
            rows = conn.execute(q).all()
        return Team.of(Seen(c, a, sc, case_id, bool(t)) for c, a, sc, case_id, t in rows)
