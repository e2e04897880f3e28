"""Applying an SOP outcome to a case, in one transaction.

The decided path and outcome become case events; the case kind (with its clocks) and status
change; the money rules are checked here, whoever applies the outcome; the outcome's timers
start (a refund's clock from the application time the agent gives) and the platform refund
status follows them; what an earlier outcome started and this one does not need ends, with
an event saying why; the register rows are created for the agent to complete; the checklist
becomes tasks. Either all of it is saved or none of it. What changed that the agent did not
type is returned in words, so the screen can say it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from console.cases import Cases
from console.db import StoreError
from console.models import Case, Note, ProblemEntry, ReshipEntry, ReturnEntry
from console.sla import shop_time
from console.sop import Money, Outcome, Rules, Step, check_money, money_needs, parse_amount, yuan
from console.vocab import REFUND_STATUSES

# The registers kept in the console, by the names the SOP uses.
REGISTER_MODELS = {"退件表": ("return", ReturnEntry), "重发单": ("reship", ReshipEntry), "售后问题表": ("problem", ProblemEntry)}

FIRST_REPLY_BY_OUTCOME = "按SOP答复了买家并应用结果,记为首次回复"

# What the agent does in Qianniu to put a refund into a status an outcome leads to.
PLATFORM_ACTIONS = {"seller_refused": "点“拒绝退款申请”", "success": "同意退款",
                    "waiting_buyer_return": "同意退货", "closed": "关闭退款"}


@dataclass
class Applied:
    case: Case
    rows: list[tuple[str, int]] = field(default_factory=list)  # (register key, row id) to complete
    memo: str = ""
    changes: list[str] = field(default_factory=list)  # what the console did, in words


def path_text(path: tuple[Step, ...] | list[Step]) -> str:
    return " › ".join(step.answer for step in path)


def apply_outcome(
    cases: Cases,
    case_id: int,
    outcome: Outcome,
    path: tuple[Step, ...] | list[Step],
    agent: str,
    memo: str,
    start_at: datetime | None = None,
    *,
    money: Money | None = None,
    rules: Rules | None = None,
    facts: Mapping[str, str] | None = None,
    expected_version: int | None = None,
    platform_done: bool = False,
    due: Mapping[str, datetime] | None = None,
) -> Applied:
    """Record the decision on the case. `start_at` is when the platform timers started
    (the buyer's refund application, the order time for an unpaid order); default now.
    `money` carries the amounts of an outcome that pays the buyer; `facts` the facts the
    walk collected by key (a `product` fills the case's product when it has none).
    `platform_done`: the agent has already put the refund into the outcome's
    `refund_status` in Qianniu (until then its clocks run, and a step says to record it).
    `due`: due times the agent typed by clock kind (a promise's time, the time Qianniu
    shows for automatic receipt), over the rule's durations."""
    now = cases.clock.now()
    if start_at is not None and start_at > now:
        raise StoreError("开始时间不能晚于现在")
    money = money or Money()
    c = cases
    origin = f"sop:{outcome.flow_id}.{outcome.node_id}"
    changes: list[str] = []
    applied_rows: list[tuple[str, object]] = []
    with cases.db.write() as s:
        case = c._load(s, case_id, expected_version)  # noqa: SLF001 - one unit of work with the case's own helpers
        if not case.is_open:
            raise StoreError("工单已解决或关闭,请先重新打开再按 SOP 处理")
        # The money rules hold whoever applies the outcome (the screen only warns earlier).
        verdict = check_money(outcome, money, rules)
        if not verdict:
            raise StoreError(verdict.reason)
        c._event(s, case, agent, now, "sop_applied", outcome.flow_title, outcome.summary[:200],  # noqa: SLF001
                 f"{outcome.flow_title}: {path_text(path)}"[:2000])
        case.sop_step = f"{outcome.flow_id}.{outcome.node_id}"
        if outcome.case_kind:
            changes += c._change_kind_in(s, case, outcome.case_kind, agent, now, why="SOP")  # noqa: SLF001
        # "Resolved" is left to the satisfaction question the screen asks next.
        status = "in_progress" if outcome.next_status == "resolved" else outcome.next_status
        if status and status != case.status:
            c._set_status(s, case, status, agent, now)  # noqa: SLF001
        if case.assignee is None:
            c._assign_in(s, case, agent, agent, now)  # noqa: SLF001
        if case.initiated_by == "buyer" and c._first_reply_in(s, case, agent, now, FIRST_REPLY_BY_OUTCOME):  # noqa: SLF001
            changes.append("已记为首次回复 (按SOP答复买家)")
        # The buyer has an answer: a complaint's golden time is met by it, not by a greeting.
        for d in c._meet(s, case, "solution_proposed", agent, now, why="按SOP给出方案"):  # noqa: SLF001
            changes.append(f"{c.policy.label(d.kind)} 已完成 (给出了方案)")
        if outcome.intervened and not case.platform_intervened:
            c._intervened_in(s, case, True, agent, now, start_at=start_at, why="SOP")  # noqa: SLF001
            changes.append("已标记小二介入,平台的介入和处理计时开始 (按工作日)")
        started, steps = _start_timers(c, s, case, outcome, agent, now, start_at, origin, changes,
                                       platform_done=platform_done, due=due or {})
        changes += _supersede(c, s, case, outcome, started, agent, now)
        if outcome.escalate and case.escalated_to is None:
            c._escalate_in(s, case, outcome.escalate, f"SOP: {outcome.summary}"[:200], agent, now)  # noqa: SLF001
        if outcome.urgent and c._urgent_in(s, case, True, agent, now, why="SOP"):  # noqa: SLF001
            changes.append("已标记加急,2小时内转给专员")
        changes += _record_money(c, s, case, outcome, money, agent, now)
        product = (facts or {}).get("product", "").strip()
        if product and not case.product:
            case.product = product[:200]
        c._add_tasks_in(s, case, [*steps, *outcome.checklist], agent, now, origin=origin)  # noqa: SLF001
        for title in outcome.registers:
            entry = REGISTER_MODELS.get(title)
            if entry is None:
                # Registers kept outside the console (催款明细表 …) become a task instead.
                c._add_tasks_in(s, case, [f"登记{title}"], agent, now, origin=origin)  # noqa: SLF001
                continue
            key, model = entry
            row = model(case_id=case_id, created_at=now, created_by=agent, buyer_id=case.buyer_id,
                        order_code=case.order_no or "", **_register_defaults(key, outcome, case))
            s.add(row)
            applied_rows.append((key, row))
            c._event(s, case, agent, now, "register", None, title, "由 SOP 生成,待补全")  # noqa: SLF001
        # The memo is a note too, so the next colleague reads the decision in 沟通记录.
        s.add(Note(case_id=case_id, author=agent, created_at=now, body=f"[SOP] {memo}"))
        c._event(s, case, agent, now, "note", None, None, f"[SOP] {memo}"[:2000])  # noqa: SLF001
        c._touch(s, case, now)  # noqa: SLF001
        s.flush()
        rows = [(key, row.id) for key, row in applied_rows]
    return Applied(case=case, rows=rows, memo=memo, changes=changes)


def _start_timers(c: Cases, s: Session, case: Case, outcome: Outcome, agent: str, now: datetime,
                  start_at: datetime | None, origin: str, changes: list[str], *,
                  platform_done: bool, due: Mapping[str, datetime]) -> tuple[set[str], list[str]]:
    """Start the outcome's clocks; a refund clock moves the platform refund status with it.
    An outcome that leads the refund into a status the agent sets in Qianniu (a refusal)
    sets it once the agent says it is done; until then the clocks it would stop run on, and
    the first step returned says to record it."""
    policy = c.policy
    status_of = {kind: status for status, kinds in policy.refund_clocks.items() for kind in kinds}
    running = {d.kind for d in c._live(s, case)}  # noqa: SLF001
    started: set[str] = set()
    steps: list[str] = []
    before = case.refund_status
    target = outcome.refund_status
    if target and platform_done:
        c._refund_in(s, case, target, agent, now, start_at=start_at, origin=origin, why="SOP")  # noqa: SLF001
        started |= set(policy.refund_clocks.get(target, ()))
    for kind in outcome.timers:
        if target and platform_done and kind in status_of and status_of[kind] != target:
            continue  # the status it counts for is over: the platform moved on
        started.add(kind)
        if kind in running:
            continue  # already counting (e.g. from an earlier pass): it is not restarted
        if kind in status_of:
            c._refund_in(s, case, status_of[kind], agent, now, start_at=start_at, kind=kind,  # noqa: SLF001
                         due_at=due.get(kind), origin=origin, why="SOP")
        else:
            c._start(s, case, kind, start_at or now, agent, now, due_at=due.get(kind), origin=origin)  # noqa: SLF001
    if target and not platform_done:
        step = (f"在千牛{PLATFORM_ACTIONS.get(target, '操作')}后,按 f 记录“{REFUND_STATUSES[target]}”"
                "(在那之前自动同意的计时还在走)")
        steps.append(step)
        changes.append(f"还没在千牛操作: 计时照走,{step}")
    if case.refund_status != before:
        live = {d.kind: d for d in c._live(s, case)}  # noqa: SLF001
        clock = next((live[k] for k in policy.refund_clocks.get(case.refund_status or "", ()) if k in live), None)
        due_text = f",{policy.label(clock.kind)} 到期 {shop_time(clock.due_at, policy)}" if clock and clock.due_at else ""
        changes.append(f"平台退款状态 {REFUND_STATUSES.get(before or '', '—')} → "
                       f"{REFUND_STATUSES.get(case.refund_status or '', '—')}{due_text}")
    return started, steps


def _supersede(c: Cases, s: Session, case: Case, outcome: Outcome, keep: set[str], agent: str,
               now: datetime) -> list[str]:
    """An earlier outcome's clocks and open checklist steps that this outcome does not carry on
    end, each with an event naming what replaced it."""
    why = f"被新的SOP结果取代: {outcome.summary}"[:200]
    ended = []
    for d in c._live(s, case):  # noqa: SLF001
        if d.origin.startswith("sop:") and d.kind not in keep:
            c._end(s, case, d, "cancelled", agent, now, why=why)  # noqa: SLF001
            ended.append(c.policy.label(d.kind))
    dropped = 0
    for t in c._open_tasks(s, case):  # noqa: SLF001
        if t.origin.startswith("sop:"):
            t.dropped_at = now
            s.add(t)
            c._event(s, case, agent, now, "task_dropped", None, None, f"{t.text} ({why})"[:2000])  # noqa: SLF001
            dropped += 1
    out = []
    if ended:
        out.append("上一次SOP结果的计时已结束: " + "、".join(ended))
    if dropped:
        out.append(f"上一次SOP结果的 {dropped} 条待办已取消")
    return out


def _record_money(c: Cases, s: Session, case: Case, outcome: Outcome, money: Money, agent: str,
                  now: datetime) -> list[str]:
    """The agreed amount and its base go on the case (replies are filled from them)."""
    needs = money_needs(outcome)
    if not needs.any:
        return []
    amount = yuan(parse_amount(money.amount))
    case.agreed_amount = amount
    words = f"{needs.amount} {amount} 元"
    if money.base.strip():
        base = yuan(parse_amount(money.base))
        if needs.base_kind == "order":
            case.order_amount = base
        else:
            case.item_value = base
        words += f" ({needs.base} {base} 元)"
    if money.postage.strip():
        words += f" ({needs.postage} {yuan(parse_amount(money.postage))} 元)"
    c._event(s, case, agent, now, "money", None, words[:200], outcome.summary[:2000])  # noqa: SLF001
    return [f"已记下{words}"]


def _register_defaults(key: str, outcome: Outcome, case: Case) -> dict[str, str]:
    """What the outcome and the case already say about the row; the agent fills in the rest."""
    if key == "return":
        return {"solution": "、".join(outcome.buyer_gets)[:100], "remarks": outcome.summary[:500],
                "return_type": _return_type(outcome), "product": case.product[:200],
                "total": case.agreed_amount or ""}
    if key == "reship":
        return {"reason": outcome.summary[:200], "product": case.product[:200]}
    return {"solution": outcome.summary[:200], "problem_type": _problem_type(outcome)}


def _return_type(outcome: Outcome) -> str:
    text = outcome.summary + outcome.node_id
    for word, kind in (("过敏", "过敏"), ("allerg", "过敏"), ("质量", "质量"), ("发错", "发错货"), ("快递", "快递"),
                       ("无理由", "无理由")):
        if word in text:
            return kind
    return ""


def _problem_type(outcome: Outcome) -> str:
    text = outcome.summary
    for word, kind in (("质量", "质量"), ("漏", "质量"), ("瑕疵", "质量"), ("快递", "物流"), ("物流", "物流"),
                       ("破损", "物流"), ("丢", "物流"), ("过敏", "使用"), ("发错", "描述不符")):
        if word in text:
            return kind
    return ""
