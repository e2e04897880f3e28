"""A small hand-built history for the figures' tests: nine cases on two shop days
(2026-11-23 and 24, Asia/Shanghai), made through the real store with a frozen clock.
Every figure's value over it is worked out by hand in tests/test_metrics.py.

    C1 chat  other   小王 replies in 10 s; refund applied (platform clock met in time); outcome
                     refund; resolved 11:00:10 (3600 s after the reply), satisfied
    C2 chat  other   小王 replies in exactly 30 s; compensation 12.50; two reply copies (one
                     edited); resolved 12:05:30 (7200 s), neutral
    C3 chat  other   阿珍 replies in 45 s; exchange; resolved 10:40:45, reopened 11:00, resolved
                     again 11:30:45 (4800 s after the reply), satisfied
    C4 phone return  老陈 replies in 15 s; return; waits on the buyer 24 h (its 24 h clock
                     paused), resolved the next day at 12:00 (92385 s), satisfied: met
    C5 phone other   老陈 replies in 16 s; never resolved: its clock is missed
    C6 chat  other   nobody replies; its clock is missed
    C7 shop-started payment call by 老陈, resolved 14:00, satisfied (no first reply)
    C8 chat  complaint (day 2) 阿珍 replies in 20 s; complaint answered (24 h clock met);
                     escalated to the supervisor; 小二介入; compensation 30.00; a reply copied
                     after a forbidden-phrase warning (2 hits)
    C9 chat  refund  (day 2) 小王 replies in 5 s; a refund clock that lapses at 18:00;
                     unsatisfied (escalated to senior); handed over to 阿珍 at 18:00,
                     acknowledged 18:10
Now is 2026-11-25 12:00.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from console.handover import Handovers
from console.intake import CaseDraft
from console.replies import Replies

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY1, DAY2 = date(2026, 11, 23), date(2026, 11, 24)


def shop(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 11, 22 + day, hh, mm, ss, tzinfo=SHANGHAI)


def build(cases, clock) -> dict[str, int]:
    """Make the history; the case ids by name (C1 …)."""
    ids: dict[str, int] = {}
    copies, handovers = Replies(cases), Handovers(cases)

    def new(name: str, day: int, hh: int, mm: int, ss: int = 0, **kw) -> int:
        clock.set(shop(day, hh, mm, ss))
        agent = kw.pop("by", "小王")
        ids[name] = cases.create(CaseDraft(buyer_id=f"买家{name}", **kw), agent).id
        return ids[name]

    def reply(name: str, agent: str, day: int, hh: int, mm: int, ss: int) -> None:
        clock.set(shop(day, hh, mm, ss))
        cases.mark_first_reply(ids[name], agent, "测试")

    def outcome(name: str, agent: str, kind: str, amount: str | None = None) -> None:
        with cases.edit(ids[name], agent) as e:
            e.set_outcome(kind, "测试")
            if amount:
                e.record_money(amount, f"补偿 {amount} 元", "测试")

    def at(day: int, hh: int, mm: int, ss: int = 0) -> None:
        clock.set(shop(day, hh, mm, ss))

    # ---- day 1 --------------------------------------------------------------------------
    new("C1", 1, 10, 0, 0, kind="other")
    reply("C1", "小王", 1, 10, 0, 10)
    at(1, 10, 30)
    cases.set_refund_status(ids["C1"], "waiting_seller_agree", "小王", due_at=shop(1, 20, 0))
    outcome("C1", "小王", "refund")
    at(1, 10, 50)
    cases.set_refund_status(ids["C1"], "success", "小王")
    at(1, 11, 0, 10)
    cases.resolve(ids["C1"], "satisfied", "小王")

    new("C2", 1, 10, 5, 0, kind="other")
    reply("C2", "小王", 1, 10, 5, 30)
    at(1, 10, 6)
    outcome("C2", "小王", "compensation", "12.50")
    at(1, 11, 0)
    copies.record_copy(ids["C2"], ["greet.hello"], ["v1"], "您好", "小王")
    at(1, 11, 1)
    copies.record_copy(ids["C2"], ["greet.hello", "refund.done"], ["v1", "v2"], "您好,已退款", "小王", edited=True)
    at(1, 12, 5, 30)
    cases.resolve(ids["C2"], "neutral", "小王")

    new("C3", 1, 10, 10, 0, kind="other", by="阿珍")
    reply("C3", "阿珍", 1, 10, 10, 45)
    outcome("C3", "阿珍", "exchange")
    at(1, 10, 40, 45)
    cases.resolve(ids["C3"], "satisfied", "阿珍")
    at(1, 11, 0)
    cases.set_status(ids["C3"], "in_progress", "阿珍")  # reopened: not one-touch
    at(1, 11, 30, 45)
    cases.resolve(ids["C3"], "satisfied", "阿珍")

    new("C4", 1, 10, 20, 0, kind="return", channel="phone", by="老陈")
    reply("C4", "老陈", 1, 10, 20, 15)
    outcome("C4", "老陈", "return")
    at(1, 11, 20)
    cases.set_status(ids["C4"], "waiting_buyer", "老陈")  # the 24 h clock pauses with 23 h left
    at(2, 11, 20)
    cases.set_status(ids["C4"], "in_progress", "老陈")  # ... and runs on: due on day 3 at 10:20
    at(2, 12, 0, 0)
    cases.resolve(ids["C4"], "satisfied", "老陈")

    new("C5", 1, 10, 30, 0, kind="other", channel="phone", by="老陈")
    reply("C5", "老陈", 1, 10, 30, 16)

    new("C6", 1, 10, 40, 0, kind="other")

    new("C7", 1, 13, 0, 0, kind="payment", channel="phone", initiated_by="shop", assignee="老陈", by="老陈")
    at(1, 14, 0)
    cases.resolve(ids["C7"], "satisfied", "老陈")

    # ---- day 2 --------------------------------------------------------------------------
    at(2, 9, 0)
    handovers.start_shift("小王")
    handovers.start_shift("阿珍")
    new("C8", 2, 9, 0, 0, kind="complaint", by="阿珍")
    reply("C8", "阿珍", 2, 9, 0, 20)
    at(2, 9, 10)
    for status in ("registered", "investigating", "solution_proposed"):
        cases.set_complaint_status(ids["C8"], status, "阿珍")
    cases.escalate(ids["C8"], "supervisor", "买家要求赔偿", "阿珍")
    cases.set_intervened(ids["C8"], True, "阿珍")
    outcome("C8", "阿珍", "compensation", "30.00")
    at(2, 10, 0)
    copies.record_copy(ids["C8"], ["greet.hello"], ["v1"], "亲,这个没办法", "阿珍", edited=True, overridden=2)

    new("C9", 2, 9, 30, 0, kind="refund")
    reply("C9", "小王", 2, 9, 30, 5)
    at(2, 9, 31)
    cases.set_refund_status(ids["C9"], "waiting_seller_agree", "小王", due_at=shop(2, 18, 0))
    at(2, 10, 0, 5)
    cases.resolve(ids["C9"], "unsatisfied", "小王", reason="退款太慢")
    at(2, 18, 0)
    h = handovers.hand_over("小王", "阿珍", "C9 退款", {})
    at(2, 18, 10)
    handovers.acknowledge(h.id, "阿珍")

    at(3, 12, 0)
    return ids
