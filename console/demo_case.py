"""One buyer case of the demo history (console/demo_history.py), from the first message to
closed: a script of steps, each a call to a real store (Cases, the wizard's apply_outcome,
Replies, Notes) made by whoever has the case once they are on shift. A mixin of the
simulation, which keeps the clock, the rota and who has which case.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import col, select

from console.cases import CaseDraft, PendingError, complaint_next
from console.demo import _DESCRIPTIONS, buyer_id, order_no
from console.demo_team import SPECIALIST
from console.demo_walk import Decision, walk
from console.models import Case, Deadline
from console.replies import version_of

SATISFACTION = {"satisfied": 82, "neutral": 13, "unsatisfied": 5}
UNSATISFIED = ["处理太慢,等了很久", "补偿太少", "客服回复像机器人", "要求全额退款不退货"]
ESCALATION_REASONS = {
    "senior": ["买家要求的补偿超出我的权限", "买家情绪激动,需要资深同事接手"],
    "supervisor": ["买家要求主管出面", "同一订单第三次来问,需要主管决定"],
    "risk_legal": ["买家称要向媒体曝光", "疑似职业索赔,需要风控确认"],
}
NOTES = ["买家说晚上8点后方便接电话", "已让仓库核对发货记录", "买家发了照片,已存档", "买家换了手机号,已更新"]
EDITS = ["有什么问题随时找我哦～", "给您带来不便,真的非常抱歉!", "麻烦亲再耐心等一下～"]
# What a copied reply is filled with (the picker fills these from the case at a desk).
FILLS = {"shop_name": "演示旗舰店", "courier": "中通快递", "delivery_estimate": "明天下午",
         "promise_time": "今天18:00前", "platform_deadline": "3天内", "arrival_date": "后天",
         "return_address": "浙江省杭州市余杭区仓前街道 演示仓 售后组 收", "gift": "小样一份",
         "solution": "按您的意思办理", "buyer_name": "亲"}


@dataclass
class CaseSpec:
    """A buyer's case before it exists: when they write, about what, on which channel."""

    n: int
    rng: random.Random
    arrival: datetime
    kind: str
    channel: str
    product: str
    price: Decimal
    id: int = 0
    order: str = ""
    buyer: str = ""
    urgent: bool = False
    money: str = ""  # the amount agreed, for the replies copied after it


class CaseScripts:
    """The steps of one buyer case (mixed into the simulation in console/demo_history.py)."""

    # ---- reads (what the agent sees on the case) ----------------------------------------------

    def case(self, case_id: int):
        """The few fields the scripts decide by (columns, not the whole row: it is asked often)."""
        with self.cases.db.read() as s:
            q = select(Case.kind, Case.is_open, Case.urgent, Case.complaint_status, Case.refund_status,
                       Case.platform_intervened).where(Case.id == case_id)
            return s.exec(q).one()

    def live(self, case_id: int) -> list[Deadline]:
        with self.cases.db.read() as s:
            q = select(Deadline).where(Deadline.case_id == case_id, col(Deadline.state).in_(("running", "paused")))
            return list(s.scalars(q).all())

    # ---- one buyer case -------------------------------------------------------------------

    def case_script(self, spec: CaseSpec) -> Iterator[timedelta]:
        rng, cases = spec.rng, self.cases
        shop_started = spec.kind in ("payment", "followup") and (spec.kind == "followup" or rng.random() < 0.9)
        # Typing the case takes a few seconds; a message written overnight is typed in the morning.
        yield timedelta(seconds=0 if spec.channel == "phone" else rng.randint(3, 12))
        urgent = spec.urgent = rng.random() < 0.03
        agent = yield from self.duty(spec)
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

    def first_reply(self, spec: CaseSpec) -> Iterator[timedelta]:
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

    def to_specialist(self, spec: CaseSpec) -> Iterator[timedelta]:
        rng = spec.rng
        yield timedelta(minutes=rng.uniform(10, 80))
        # 老陈 takes urgent cases by phone on a day he works; on his day off they wait for him.
        if not self.rota.works(SPECIALIST, self.now, self.policy.timezone):
            on_at = self.rota.next_on(SPECIALIST, self.now)
            if on_at is None:
                return
            yield on_at - self.now + timedelta(minutes=rng.uniform(5, 40))
        agent = yield from self.duty(spec)
        if self.case(spec.id).is_open:
            self.cases.assign(spec.id, SPECIALIST, agent)
            self.give(spec.id, SPECIALIST)

    def note(self, spec: CaseSpec) -> Iterator[timedelta]:
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

    def decide(self, spec: CaseSpec) -> Decision | None:
        flow = self.flows.get(self.case(spec.id).kind)
        if flow is None:
            return None
        # Every outcome's escalation is one the store knows (the SOP checker sees to it).
        return walk(flow, spec.rng, spec.product, self.sop.rules, spec.price)

    def apply(self, spec: CaseSpec, d: Decision, agent: str) -> Iterator[timedelta]:
        from console.sop import memo_line
        from console.wizard import apply_outcome

        rng = spec.rng
        memo = memo_line(d.outcome, d.path, agent, self.now.astimezone(self.policy.timezone)) + d.memo_suffix
        apply_outcome(self.cases, spec.id, d.outcome, d.path, agent, memo, spec.arrival, money=d.money,
                      rules=self.sop.rules, facts=d.facts, platform_done=rng.random() < 0.75)
        spec.money = d.money.amount
        if self.case(spec.id).urgent and self.owner.get(spec.id) != SPECIALIST:
            yield from self.to_specialist(spec)
        if d.outcome.replies and rng.random() < 0.85:
            yield timedelta(seconds=rng.randint(20, 120))
            self.copy(spec, list(d.outcome.replies[:1]), (yield from self.duty(spec)), edit=0.2)
        if spec.kind == "complaint" or self.case(spec.id).kind == "complaint":
            yield from self.complaint(spec)
        if d.outcome.next_status in ("waiting_buyer", "waiting_courier", "waiting_warehouse"):
            yield timedelta(hours=rng.uniform(1, 30) if d.outcome.next_status == "waiting_buyer" else rng.uniform(1, 8))
        if rng.random() < 0.006 and not self.case(spec.id).platform_intervened:
            agent = yield from self.duty(spec)
            self.cases.set_intervened(spec.id, True, agent, start_at=self.now - timedelta(minutes=rng.uniform(5, 180)))

    def complaint(self, spec: CaseSpec) -> Iterator[timedelta]:
        rng = spec.rng
        steps = ["solution_proposed"] + (["appealed", "solution_proposed"] if rng.random() < 0.1 else [])
        for status in [*steps, "buyer_confirmed", "carried_out", "closed"]:
            current = self.case(spec.id).complaint_status
            if status not in complaint_next(current):
                continue
            yield timedelta(minutes=rng.uniform(2, 300))
            self.cases.set_complaint_status(spec.id, status, (yield from self.duty(spec)))

    # ---- the platform's clocks ------------------------------------------------------------

    def platform(self, spec: CaseSpec, decision: Decision | None) -> Iterator[timedelta]:
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

    def set_refund(self, spec: CaseSpec, status: str, agent: str) -> None:
        # The buyer is sending the goods back: the case waits on them (the solution clock pauses).
        with self.cases.edit(spec.id, agent) as e:
            e.set_refund(status)
            if status == "waiting_buyer_return" and e.case.status != "waiting_buyer":
                e.set_status("waiting_buyer")
            elif status == "waiting_seller_confirm":
                e.set_status("waiting_warehouse")
            e.settle()

    # ---- the end of a case ----------------------------------------------------------------

    def resolve(self, spec: CaseSpec) -> Iterator[timedelta]:
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

    def reopen(self, spec: CaseSpec) -> Iterator[timedelta]:
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

    def copy(self, spec: CaseSpec, ids: list[str], agent: str, edit: float) -> None:
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
