"""A month of after-sales work for `aftersales demo --days N`: the history a supervisor's
figures are computed from, so a newcomer sees a full screen at once.

Unlike the bulk cases of console/demo.py, nothing here writes a row itself: a small team
(console/demo_team.py) works its shifts through the real stores (Cases, the wizard's
apply_outcome, Replies, Notes, Handovers) while a FrozenClock is moved from one moment to the
next. So every event, clock met or missed, copy and handover is exactly what real use
records, including whatever the stores record in later versions.

Each buyer case is a script (a generator yielding how long until its next step); the steps
of all cases and shifts run in time order from one queue. Every case draws from its own
random generator, seeded from the seed and its number: the same seed and end time give the
same history.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from console.cases import Cases
from console.clock import FrozenClock
from console.db import Database, StoreError
from console.demo_case import CaseScripts, CaseSpec
from console.demo_team import LINE, ROLES, SPECIALIST, SUPERVISOR, Rota
from console.handover import Handovers
from console.models import Case, CaseEvent, Handover, ReplyCopy
from console.notes import Notes
from console.replies import Replies
from console.sla import Policy

KIND_WEIGHTS = {"logistics": 32, "return": 16, "refund": 17, "exchange": 10, "complaint": 6,
                "payment": 6, "followup": 5, "other": 8}
CHANNEL_WEIGHTS = {"chat": 78, "message": 12, "phone": 10}
# Buyers write all day, most in the late morning and the evening (shop time, by hour).
HOUR_WEIGHTS = [1, 0, 0, 0, 0, 0, 0, 1, 2, 7, 9, 9, 6, 7, 9, 9, 8, 7, 6, 7, 9, 9, 2, 1]
PROMOTIONS = ((6, 18), (11, 11), (12, 12))  # 618, 双11, 双12: the days after are busy
PRODUCTS = [("补水保湿面霜 50g", 129), ("氨基酸洗面奶", 59), ("防晒喷雾 SPF50", 89), ("针织开衫", 199),
            ("纯棉T恤", 79), ("蓝牙耳机", 259), ("保温杯 500ml", 99), ("床上四件套", 329), ("口红礼盒", 239)]
HANDOVER_NOTES = ["临近超时的请优先处理", "有几个等买家回复的,记得跟进", "没有特别的,正常跟进即可"]


@dataclass
class Produced:
    days: int
    first: date
    last: date
    agents: list[str]
    cases: int = 0
    events: int = 0
    copies: int = 0
    handovers: int = 0
    skipped: int = 0  # case scripts a store refused partway (kept as they stood)
    problems: list[str] = field(default_factory=list)  # why, for the log


def produce(db: Database, policy: Policy, *, days: int, end: datetime, seed: int = 7,
            sop=None, phrases=None, progress: Callable[[str], None] | None = None) -> Produced:
    """Work `days` shop days ending at `end` (aware; the last day is cut there, so its cases
    are partly still open). `sop` and `phrases` are the SOP trees and reply library
    (console.sop.Library, console.phrases.Library); the shipped ones by default."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if sop is None:
        from console.sop import DEFAULT_DIR, load_library
        sop = load_library(DEFAULT_DIR)
    if phrases is None:
        from console.phrases import load_library as load_phrases
        phrases = load_phrases()
    before = _counts(db)
    sim = _Sim(db, policy, end, days, seed, sop, phrases, progress)
    sim.run()
    p = sim.produced
    p.cases, p.events, p.copies, p.handovers = (b - a for a, b in zip(before, _counts(db), strict=True))
    return p


def _counts(db: Database) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(s.exec(select(func.count()).select_from(m)).one()[0] for m in (Case, CaseEvent, ReplyCopy, Handover))


class _Sim(CaseScripts):
    def __init__(self, db, policy, end, days, seed, sop, phrases, progress) -> None:
        tz = policy.timezone
        self.policy, self.end, self.seed, self.progress = policy, end, seed, progress
        self.last = end.astimezone(tz).date()
        self.first = self.last - timedelta(days=days - 1)
        start = datetime.combine(self.first, datetime.min.time(), tz)
        self.clock = FrozenClock(start)
        self.cases = Cases(db, policy, self.clock)
        self.copies = Replies(self.cases)
        self.notes = Notes(self.cases)
        self.handovers = Handovers(self.cases)
        self.rota = Rota(self.first, self.last + timedelta(days=1), tz)
        self.sop, self.phrases = sop, phrases
        self.flows = {}
        for f in sop.flows.values():
            self.flows.setdefault(f.case_kind, f)
        self.rng = random.Random(seed)
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.seq = itertools.count()
        self.owner: dict[int, str] = {}  # open case -> who has it
        self.load: Counter[str] = Counter()
        self.produced = Produced(days, self.first, self.last, [*LINE, SUPERVISOR])

    @property
    def now(self) -> datetime:
        return self.clock.now()

    # ---- the queue of moments -------------------------------------------------------------

    def at(self, when: datetime, fn: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.seq), fn))

    def drive(self, script: Iterator[timedelta]) -> None:
        """Run a script up to its next wait, then queue the rest."""
        try:
            wait = next(script)
        except StopIteration:
            return
        except StoreError as exc:
            self.produced.skipped += 1
            self.produced.problems.append(f"{type(exc).__name__}: {exc}")
            return
        self.at(self.now + max(wait, timedelta(0)), lambda: self.drive(script))

    def run(self) -> None:
        for name, role in ROLES.items():
            self.cases.ensure_agent(name)
            self.cases.set_role(name, role)
        for shift in self.rota.shifts:
            self.at(shift.start, lambda a=shift.agent: self.handovers.start_shift(a))
            end = (lambda a=shift.agent: self.handovers.end_shift(a)) if shift.agent == SUPERVISOR else \
                (lambda s=shift: self.hand_over(s))
            self.at(shift.end, end)
        self.plan_arrivals(self.produced.days)
        day = None
        while self.queue and self.queue[0][0] <= self.end:
            when, _, fn = heapq.heappop(self.queue)
            self.clock.set(when)
            if self.progress and (today := when.astimezone(self.policy.timezone).date()) != day:
                day = today
                self.progress(today.isoformat())
            fn()
        self.clock.set(self.end)

    def plan_arrivals(self, days: int) -> None:
        rng, tz, n = self.rng, self.policy.timezone, 0
        day = self.first
        while day <= self.last:
            after_promo = any((day - timedelta(days=k)).timetuple()[1:3] == p for k in (1, 2) for p in PROMOTIONS)
            base = 75 * (1.25 if day.weekday() == 0 else 1.0) * (1.45 if after_promo else 1.0)
            count = max(60, min(150, round(base * rng.uniform(0.85, 1.15))))
            start = datetime.combine(day, datetime.min.time(), tz)
            for _ in range(count):
                hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
                when = start + timedelta(hours=hour, seconds=rng.randint(0, 3599))
                n += 1
                product, price = rng.choice(PRODUCTS)
                spec = CaseSpec(n, random.Random(self.seed * 1_000_003 + n), when,
                             rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0],
                             rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0],
                             product, Decimal(price * rng.choice((1, 1, 1, 2))))
                self.at(when, lambda s=spec: self.drive(self.case_script(s)))
            day += timedelta(days=1)
        # One or two platform clocks lapse a month: the agent records the platform's step late.
        self.lapse_left = max(1, round(days / 15))

    # ---- people ---------------------------------------------------------------------------

    def give(self, case_id: int, agent: str | None) -> None:
        old = self.owner.pop(case_id, None)
        if old:
            self.load[old] -= 1
        if agent:
            self.owner[case_id] = agent
            self.load[agent] += 1

    def least_busy(self, rng: random.Random, avoid: str | None = None) -> str | None:
        on = [s.agent for s in self.rota.on(self.now)]
        on = [a for a in on if a != avoid] or on
        if not on:
            return None
        low = min(self.load[a] for a in on)
        return rng.choice([a for a in on if self.load[a] == low])

    def duty(self, spec: CaseSpec) -> Iterator[timedelta]:
        """Wait until whoever has the case is on shift; returns them (`yield from`)."""
        while True:
            agent = self.owner.get(spec.id)
            if agent is None:
                # An urgent case is typed by a colleague and handed to the specialist: the
                # store meets its 2-hour clock by that hand-over, not by creating it.
                agent = self.least_busy(spec.rng, avoid=SPECIALIST if spec.urgent else None)
                if agent is not None:
                    return agent
                nxt = self.rota.next_line_start(self.now)
                when = nxt.start if nxt else self.end
            else:
                when = self.rota.next_on(agent, self.now)
                if when is None or when <= self.now:
                    return agent
            yield when - self.now + timedelta(minutes=spec.rng.uniform(2, 40))

    def hand_over(self, shift) -> None:
        agent = shift.agent
        others = [s.agent for s in self.rota.on(self.now) if s.agent != agent]
        if not others:
            nxt = self.rota.next_line_start(self.now)
            others = [s.agent for s in self.rota.shifts
                      if nxt and s.start == nxt.start and s.agent not in (SUPERVISOR, agent)]
        if not others:
            return
        mine = sorted(cid for cid, who in self.owner.items() if who == agent)
        # Split between the colleagues taking over; whatever else is open moves to the first.
        assignments = {cid: others[i % len(others)] for i, cid in enumerate(mine)}
        note = self.rng.choice(HANDOVER_NOTES) if mine else "没有未结工单"
        h = self.handovers.hand_over(agent, others[0], note, assignments)
        for row in self.handovers.cases_of(h.id):
            self.give(row.case_id, row.assigned_to)
        on_at = self.rota.next_on(others[0], self.now) or self.now
        self.at(on_at + timedelta(minutes=self.rng.uniform(2, 25)),
                lambda: self.handovers.acknowledge(h.id, others[0]))
