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
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from console.cases import CaseDraft, Cases, PendingError
from console.clock import FrozenClock
from console.db import Database, StoreError
from console.demo import _DESCRIPTIONS, buyer_id, order_no
from console.demo_team import LINE, ROLES, SPECIALIST, SUPERVISOR, Rota
from console.demo_walk import Decision, walk
from console.handover import Handovers
from console.models import Case, CaseEvent, Deadline, Handover, ReplyCopy
from console.notes import Notes
from console.replies import Replies, version_of
from console.sla import Policy
from console.vocab import ESCALATIONS

KIND_WEIGHTS = {"logistics": 32, "return": 16, "refund": 17, "exchange": 10, "complaint": 6,
                "payment": 6, "followup": 5, "other": 8}
CHANNEL_WEIGHTS = {"chat": 78, "message": 12, "phone": 10}
# Buyers write all day, most in the late morning and the evening (shop time, by hour).
HOUR_WEIGHTS = [1, 0, 0, 0, 0, 0, 0, 1, 2, 7, 9, 9, 6, 7, 9, 9, 8, 7, 6, 7, 9, 9, 2, 1]
PROMOTIONS = ((6, 18), (11, 11), (12, 12))  # 618, 双11, 双12: the days after are busy
PRODUCTS = [("补水保湿面霜 50g", 129), ("氨基酸洗面奶", 59), ("防晒喷雾 SPF50", 89), ("针织开衫", 199),
            ("纯棉T恤", 79), ("蓝牙耳机", 259), ("保温杯 500ml", 99), ("床上四件套", 329), ("口红礼盒", 239)]
SATISFACTION = {"satisfied": 82, "neutral": 13, "unsatisfied": 5}
UNSATISFIED = ["处理太慢,等了很久", "补偿太少", "客服回复像机器人", "要求全额退款不退货"]
ESCALATION_REASONS = {
    "senior": ["买家要求的补偿超出我的权限", "买家情绪激动,需要资深同事接手"],
    "supervisor": ["买家要求主管出面", "同一订单第三次来问,需要主管决定"],
    "risk_legal": ["买家称要向媒体曝光", "疑似职业索赔,需要风控确认"],
}
NOTES = ["买家说晚上8点后方便接电话", "已让仓库核对发货记录", "买家发了照片,已存档", "买家换了手机号,已更新"]
HANDOVER_NOTES = ["临近超时的请优先处理", "有几个等买家回复的,记得跟进", "没有特别的,正常跟进即可"]
EDITS = ["有什么问题随时找我哦～", "给您带来不便,真的非常抱歉!", "麻烦亲再耐心等一下～"]
# What a copied reply is filled with (the picker fills these from the case at a desk).
FILLS = {"shop_name": "演示旗舰店", "courier": "中通快递", "delivery_estimate": "明天下午",
         "promise_time": "今天18:00前", "platform_deadline": "3天内", "arrival_date": "后天",
         "return_address": "浙江省杭州市余杭区仓前街道 演示仓 售后组 收", "gift": "小样一份",
         "solution": "按您的意思办理", "buyer_name": "亲"}


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


@dataclass
class _Spec:
    n: int
    rng: random.Random
    arrival: datetime
    kind: str
    channel: str
    product: str
    price: Decimal
    lapse: bool = False
    id: int = 0
    order: str = ""
    buyer: str = ""
    money: str = ""


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


class _Sim:
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
                spec = _Spec(n, random.Random(self.seed * 1_000_003 + n), when,
                             rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0],
                             rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0],
                             product, Decimal(price * rng.choice((1, 1, 1, 2))))
                self.at(when, lambda s=spec: self.drive(self.case_script(s)))
            day += timedelta(days=1)
        # One or two platform clocks lapse a month: the agent records the platform's step late.
        self.lapse_left = max(1, round(days / 15))

    # ---- reads (what the agent sees on the case) ----------------------------------------------

    def case(self, case_id: int) -> Case:
        with self.cases.db.read() as s:
            return s.get(Case, case_id)

    def live(self, case_id: int) -> list[Deadline]:
        with self.cases.db.read() as s:
            q = select(Deadline).where(Deadline.case_id == case_id, Deadline.state.in_(("running", "paused")))
            return list(s.scalars(q).all())

    # ---- people ---------------------------------------------------------------------------

    def give(self, case_id: int, agent: str | None) -> None:
        old = self.owner.pop(case_id, None)
        if old:
            self.load[old] -= 1
        if agent:
            self.owner[case_id] = agent
            self.load[agent] += 1

    def least_busy(self, rng: random.Random) -> str | None:
        on = [s.agent for s in self.rota.on(self.now)]
        if not on:
            return None
        low = min(self.load[a] for a in on)
        return rng.choice([a for a in on if self.load[a] == low])

    def duty(self, spec: _Spec) -> Iterator[timedelta]:
        """Wait until whoever has the case is on shift; returns them (`yield from`)."""
        while True:
            agent = self.owner.get(spec.id)
            if agent is None:
                agent = self.least_busy(spec.rng)
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

    # ---- one buyer case -------------------------------------------------------------------

    def case_script(self, spec: _Spec) -> Iterator[timedelta]:
        rng, cases = spec.rng, self.cases
        shop_started = spec.kind in ("payment", "followup") and (spec.kind == "followup" or rng.random() < 0.9)
        # Typing the case takes a few seconds; a message written overnight is typed in the morning.
        yield timedelta(seconds=0 if spec.channel == "phone" else rng.randint(3, 12))
        agent = yield from self.duty(spec)
        urgent = rng.random() < 0.03
        spec.order, spec.buyer = order_no(rng), buyer_id(rng)
        stamp = spec.arrival.astimezone(self.policy.timezone).strftime("%Y-%m-%d %H:%M:%S")
        draft = CaseDraft(buyer_id=spec.buyer, order_no=spec.order, channel=spec.channel, kind=spec.kind,
                          description=rng.choice(_DESCRIPTIONS[spec.kind]), urgent=urgent,
                          message_time="" if spec.channel == "phone" else stamp, assignee=agent,
                          initiated_by="shop" if shop_started else "buyer", product=spec.product)
        spec.id = cases.create(draft, agent).id
        self.give(spec.id, agent)
        if not shop_started:
            yield from self.first_reply(spec)
        if urgent:
            yield from self.to_specialist(spec)
        if rng.random() < 0.02:
            yield timedelta(minutes=rng.uniform(5, 90))
            agent = yield from self.duty(spec)
            target = rng.choices(list(ESCALATION_REASONS), weights=(50, 35, 15))[0]
            cases.escalate(spec.id, target, rng.choice(ESCALATION_REASONS[target]), agent)
        if spec.kind == "complaint":
            for status in ("registered", "investigating"):
                yield timedelta(minutes=rng.uniform(1, 30))
                cases.set_complaint_status(spec.id, status, (yield from self.duty(spec)))
        if rng.random() < 0.10:
            yield from self.note(spec)
        # Working it: most hours after the buyer wrote, a few past the 24 h solution clock.
        r = rng.random()
        hours = min(10.0, math.exp(rng.gauss(math.log(2.0), 0.9))) if r < 0.85 else \
            rng.uniform(10, 20) if r < 0.96 else rng.uniform(25, 40)
        target = spec.arrival + timedelta(hours=hours)
        yield timedelta(minutes=rng.uniform(3, 40))
        agent = yield from self.duty(spec)
        decision = self.decide(spec) if rng.random() < 0.88 else None
        if decision is not None:
            yield from self.apply(spec, decision, agent)
        elif shop_started:
            cases.set_status(spec.id, "in_progress", agent)
        yield from self.platform(spec, decision)
        yield target - self.now
        yield from self.resolve(spec)

    def first_reply(self, spec: _Spec) -> Iterator[timedelta]:
        rng = spec.rng
        if spec.channel == "phone":
            yield timedelta(seconds=rng.randint(5, 20))
        else:
            r = rng.random()
            within = rng.randint(4, 30) if r < 0.82 else rng.randint(31, 120) if r < 0.96 else rng.randint(121, 900)
            late = self.now - spec.arrival > timedelta(minutes=5)  # typed in the morning: answer now
            yield timedelta(seconds=rng.randint(20, 240)) if late else spec.arrival + timedelta(seconds=within) - self.now
        agent = yield from self.duty(spec)
        if spec.channel != "phone" and rng.random() < 0.7:
            ids = ["greeting.first_contact"] + (["greeting.checking_wait"] if rng.random() < 0.3 else [])
            self.copy(spec, ids, agent, edit=0.1)
        else:
            self.cases.mark_first_reply(spec.id, agent, "电话接通" if spec.channel == "phone" else "")

    def to_specialist(self, spec: _Spec) -> Iterator[timedelta]:
        rng = spec.rng
        yield timedelta(minutes=rng.uniform(10, 100))
        # 老陈 takes urgent cases by phone on a day he works; on his day off they wait for him.
        on_at = self.rota.next_on(SPECIALIST, self.now)
        if on_at is None:
            return
        if on_at - self.now > timedelta(hours=10):
            yield on_at - self.now + timedelta(minutes=rng.uniform(5, 40))
        agent = yield from self.duty(spec)
        if self.case(spec.id).is_open:
            self.cases.assign(spec.id, SPECIALIST, agent)
            self.give(spec.id, SPECIALIST)

    def note(self, spec: _Spec) -> Iterator[timedelta]:
        rng = spec.rng
        yield timedelta(minutes=rng.uniform(1, 20))
        agent = yield from self.duty(spec)
        if rng.random() < 0.4:
            promise = self.now + timedelta(hours=rng.uniform(1, 5))
            self.notes.add(spec.id, "答应买家今天内回电话说明进度", agent, promise_at=promise)
            kept = promise - timedelta(minutes=rng.uniform(10, 90)) if rng.random() < 0.85 else \
                promise + timedelta(minutes=rng.uniform(10, 120))
            yield kept - self.now
            agent = yield from self.duty(spec)
            live = [d for d in self.live(spec.id) if d.kind == "buyer_promise"]
            if live:
                self.cases.end_clock(spec.id, live[0].id, agent, "已回电")
        else:
            self.notes.add(spec.id, rng.choice(NOTES), agent)

    # ---- the wizard -----------------------------------------------------------------------

    def decide(self, spec: _Spec) -> Decision | None:
        flow = self.flows.get(self.case(spec.id).kind)
        if flow is None:
            return None
        for _ in range(6):
            decision = walk(flow, spec.rng, spec.product, self.sop.rules, spec.price)
            # The SOP names escalation targets the case store does not know (legal,
            # special_team vs risk_legal): the store refuses those outcomes, so walk again.
            if decision is not None and decision.outcome.escalate in (None, *ESCALATIONS):
                return decision
        return None

    def apply(self, spec: _Spec, d: Decision, agent: str) -> Iterator[timedelta]:
        from console.sop import memo_line
        from console.wizard import apply_outcome

        rng = spec.rng
        memo = memo_line(d.outcome, d.path, agent, self.now.astimezone(self.policy.timezone)) + d.memo_suffix
        apply_outcome(self.cases, spec.id, d.outcome, d.path, agent, memo, spec.arrival, money=d.money,
                      rules=self.sop.rules, facts=d.facts, platform_done=rng.random() < 0.75)
        spec.money = d.money.amount
        if d.outcome.replies and rng.random() < 0.85:
            yield timedelta(seconds=rng.randint(20, 120))
            self.copy(spec, list(d.outcome.replies[:1]), (yield from self.duty(spec)), edit=0.2)
        if spec.kind == "complaint" or self.case(spec.id).kind == "complaint":
            yield from self.complaint(spec)
        if self.case(spec.id).urgent and self.owner.get(spec.id) != SPECIALIST:
            yield from self.to_specialist(spec)
        if d.outcome.next_status in ("waiting_buyer", "waiting_courier", "waiting_warehouse"):
            yield timedelta(hours=rng.uniform(1, 30) if d.outcome.next_status == "waiting_buyer" else rng.uniform(1, 8))
        if rng.random() < 0.015 and not self.case(spec.id).platform_intervened:
            agent = yield from self.duty(spec)
            self.cases.set_intervened(spec.id, True, agent, start_at=self.now - timedelta(minutes=rng.uniform(5, 180)))

    def complaint(self, spec: _Spec) -> Iterator[timedelta]:
        rng = spec.rng
        steps = ["solution_proposed"] + (["appealed", "solution_proposed"] if rng.random() < 0.1 else [])
        for status in [*steps, "buyer_confirmed", "carried_out", "closed"]:
            current = self.case(spec.id).complaint_status
            from console.cases import complaint_next
            if status not in complaint_next(current):
                continue
            yield timedelta(minutes=rng.uniform(2, 300))
            self.cases.set_complaint_status(spec.id, status, (yield from self.duty(spec)))

    # ---- the platform's clocks ------------------------------------------------------------

    def platform(self, spec: _Spec, decision: Decision | None) -> Iterator[timedelta]:
        """Follow the platform until none of its clocks runs: the refund through its statuses,
        小二's steps, receipt. Each step is recorded by whoever has the case, when they see it."""
        rng = spec.rng
        returns = decision is not None and decision.outcome.goods_return != "none"
        for _ in range(8):
            clocks = [d for d in self.live(spec.id) if d.clock == "platform"]
            if not clocks:
                return
            d = min(clocks, key=lambda d: d.due_at or self.end)
            status = self.case(spec.id).refund_status
            nxt = {"waiting_seller_agree": "waiting_buyer_return" if returns else "success",
                   "waiting_buyer_return": "waiting_seller_confirm", "waiting_seller_confirm": "success",
                   "seller_refused": "closed"}.get(status or "") if d.kind in self._refund_kinds else None
            wait = {"waiting_seller_agree": (0.3, 5), "waiting_buyer_return": (12, 60),
                    "waiting_seller_confirm": (4, 20), "seller_refused": (12, 96)}.get(status or "", (2, 30))
            if d.kind == "platform_decision":
                wait = (24, 96)
            hours = rng.uniform(*wait)
            lapse = d.due_at is not None and self.lapse_left > 0 and d.kind.startswith("refund_auto") and \
                rng.random() < 0.05
            if lapse:
                self.lapse_left -= 1
                hours = (d.due_at - self.now).total_seconds() / 3600 + rng.uniform(1, 6)
            elif d.due_at is not None:
                hours = min(hours, max(0.1, (d.due_at - self.now).total_seconds() / 3600 * 0.8))
            yield timedelta(hours=hours)
            agent = yield from self.duty(spec)
            if nxt is not None:
                self.set_refund(spec, nxt, agent)
            else:
                why = {"receipt_timeout": "买家已签收", "unpaid_close": "买家已付款",
                       "platform_intervene": "小二已介入", "platform_decision": "小二已判定"}.get(d.kind, "平台已处理")
                self.cases.end_clock(spec.id, d.id, agent, why)

    @property
    def _refund_kinds(self) -> set[str]:
        return {k for kinds in self.policy.refund_clocks.values() for k in kinds}

    def set_refund(self, spec: _Spec, status: str, agent: str) -> None:
        # The buyer is sending the goods back: the case waits on them (the solution clock pauses).
        with self.cases.edit(spec.id, agent) as e:
            e.set_refund(status)
            if status == "waiting_buyer_return" and e.case.status != "waiting_buyer":
                e.set_status("waiting_buyer")
            elif status == "waiting_seller_confirm":
                e.set_status("waiting_warehouse")
            e.settle()

    # ---- the end of a case ----------------------------------------------------------------

    def resolve(self, spec: _Spec) -> Iterator[timedelta]:
        rng = spec.rng
        weights = dict(SATISFACTION, unsatisfied=15) if spec.kind == "complaint" else SATISFACTION
        unhappy = False
        for _ in range(4):
            agent = yield from self.duty(spec)
            if not self.case(spec.id).is_open:
                break
            if unhappy and rng.random() < 0.5:
                # The senior colleague closes it as it stands: the buyer stays 不满意.
                self.cases.set_status(spec.id, "closed", agent, leftovers="drop")
                break
            sat = rng.choice(("satisfied", "satisfied", "neutral")) if unhappy else \
                rng.choices(list(weights), weights=list(weights.values()))[0]
            try:
                self.cases.resolve(spec.id, sat, agent, rng.choice(UNSATISFIED) if sat == "unsatisfied" else "",
                                   leftovers="done")
            except PendingError:
                yield from self.platform(spec, None)  # a platform clock the agent had not recorded yet
                continue
            if sat != "unsatisfied":
                break
            unhappy = True
            yield timedelta(hours=rng.uniform(1, 8))
        if self.case(spec.id).is_open:
            return
        self.give(spec.id, None)
        if rng.random() < 0.006:
            yield from self.reopen(spec)

    def reopen(self, spec: _Spec) -> Iterator[timedelta]:
        """The buyer writes again days later: whoever is on reopens it, takes it, sorts it out."""
        rng = spec.rng
        yield timedelta(days=rng.uniform(1, 5))
        agent = yield from self.duty(spec)
        with self.cases.edit(spec.id, agent) as e:
            e.set_status("in_progress")
            e.assign(agent)
        self.give(spec.id, agent)
        yield timedelta(hours=rng.uniform(0.5, 6))
        agent = yield from self.duty(spec)
        self.cases.resolve(spec.id, rng.choice(("satisfied", "neutral")), agent, leftovers="done")
        if not self.case(spec.id).is_open:
            self.give(spec.id, None)

    # ---- replies --------------------------------------------------------------------------

    def copy(self, spec: _Spec, ids: list[str], agent: str, edit: float) -> None:
        from console.phrases import fill

        replies = [r for r in (self.phrases.get(i) for i in ids) if r is not None]
        if not replies:
            return
        values = dict(FILLS, order_no=spec.order, buyer_id=spec.buyer, product=spec.product, agent_name=agent,
                      amount=spec.money or str(spec.price), tracking_no=f"7531{spec.n:08d}")
        text = "\n".join(fill(r.text, values) for r in replies)
        edited = spec.rng.random() < edit
        if edited:
            text += spec.rng.choice(EDITS)
        self.copies.record_copy(spec.id, [r.id for r in replies], [version_of(r.text) for r in replies], text,
                                agent, edited=edited)

