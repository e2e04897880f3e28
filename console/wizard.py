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

from console.cases import CaseEdit, Cases
from console.db import StoreError
from console.models import Case, ProblemEntry, ReshipEntry, ReturnEntry
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


def outcome_kind(outcome: Outcome) -> str:
    """What the outcome gives the buyer, in the work mix's words (vocab.OUTCOME_KINDS): a
    price difference or a compensation first (they pay part), then an exchange, a refund with
    the goods coming back (退货退款), a refund alone, goods sent again; else other."""
    gets = set(outcome.buyer_gets)
    if outcome.price_difference or "退差价" in gets:
        return "price_difference"
    if outcome.compensation or "补偿" in gets:
        return "compensation"
    if "换货" in gets:
        return "exchange"
    if "退款" in gets or outcome.refund_scope:
        return "return" if outcome.goods_return != "none" else "refund"
    if "重发" in gets:
        return "reship"
    return "other"


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
    policy = cases.policy
    origin = f"sop:{outcome.flow_id}.{outcome.node_id}"
    changes: list[str] = []
    applied_rows: list[tuple[str, object]] = []
    with cases.edit(case_id, agent, expected_version) as e:
        case = e.case
        if not case.is_open:
            raise StoreError("工单已解决或关闭,请先重新打开再按 SOP 处理")
        # The money rules hold whoever applies the outcome (the screen only warns earlier).
        verdict = check_money(outcome, money, rules)
        if not verdict:
            raise StoreError(verdict.reason)
        e.event("sop_applied", outcome.flow_title, outcome.summary[:200], f"{outcome.flow_title}: {path_text(path)}"[:2000])
        e.set_sop_step(f"{outcome.flow_id}.{outcome.node_id}")
        e.set_outcome(outcome_kind(outcome), outcome.summary)
        if outcome.case_kind:
            changes += e.change_kind(outcome.case_kind, why="SOP")
        # "Resolved" is left to the satisfaction question the screen asks next.
        status = "in_progress" if outcome.next_status == "resolved" else outcome.next_status
        if status and status != case.status:
            e.move_status(status)
        if case.assignee is None:
            e.assign(agent)
        if case.initiated_by == "buyer" and e.first_reply(FIRST_REPLY_BY_OUTCOME):
            changes.append("已记为首次回复 (按SOP答复买家)")
        # The buyer has an answer: a complaint's golden time is met by it, not by a greeting.
        for d in e.meet("solution_proposed", why="按SOP给出方案"):
            changes.append(f"{policy.label(d.kind)} 已完成 (给出了方案)")
        if outcome.intervened and not case.platform_intervened:
            e.set_intervened(True, start_at, why="SOP")
            changes.append("已标记小二介入,平台的介入和处理计时开始 (按工作日)")
        started, steps = _start_timers(e, outcome, start_at, origin, changes, platform_done=platform_done,
                                       due=due or {})
        changes += _supersede(e, outcome, started)
        if outcome.escalate and case.escalated_to is None:
            e.escalate(outcome.escalate, f"SOP: {outcome.summary}"[:200])
        if outcome.urgent and e.set_urgent(True, why="SOP"):
            changes.append("已标记加急,2小时内转给专员")
        changes += _record_money(e, outcome, money)
        e.fill_product((facts or {}).get("product", ""))
        e.add_tasks([*steps, *outcome.checklist], origin=origin)
        for title in outcome.registers:
            entry = REGISTER_MODELS.get(title)
            if entry is None:
                # Registers kept outside the console (催款明细表 …) become a task instead.
                e.add_tasks([f"登记{title}"], origin=origin)
                continue
            key, model = entry
            row = model(case_id=case_id, created_at=e.now, created_by=agent, buyer_id=case.buyer_id,
                        order_code=case.order_no or "", **_register_defaults(key, outcome, case))
            applied_rows.append((key, e.add_row(title, row, "由 SOP 生成,待补全")))
        # The memo is a note too, so the next colleague reads the decision in 沟通记录.
        e.add_note(f"[SOP] {memo}")
    rows = [(key, row.id) for key, row in applied_rows]
    return Applied(case=case, rows=rows, memo=memo, changes=changes)


def _start_timers(e: CaseEdit, outcome: Outcome, start_at: datetime | None, origin: str, changes: list[str], *,
                  platform_done: bool, due: Mapping[str, datetime]) -> tuple[set[str], list[str]]:
    """Start the outcome's clocks; a refund clock moves the platform refund status with it.
    An outcome that leads the refund into a status the agent sets in Qianniu (a refusal)
    sets it once the agent says it is done; until then the clocks it would stop run on, and
    the first step returned says to record it."""
    policy, case = e.policy, e.case
    status_of = {kind: status for status, kinds in policy.refund_clocks.items() for kind in kinds}
    running = {d.kind for d in e.live()}
    started: set[str] = set()
    steps: list[str] = []
    before = case.refund_status
    target = outcome.refund_status
    if target and platform_done:
        e.set_refund(target, start_at=start_at, origin=origin, why="SOP")
        started |= set(policy.refund_clocks.get(target, ()))
    for kind in outcome.timers:
        if target and platform_done and kind in status_of and status_of[kind] != target:
            continue  # the status it counts for is over: the platform moved on
        started.add(kind)
        if kind in running:
            continue  # already counting (e.g. from an earlier pass): it is not restarted
        if kind in status_of:
            e.set_refund(status_of[kind], start_at=start_at, kind=kind, due_at=due.get(kind), origin=origin, why="SOP")
        else:
            e.start_clock(kind, start_at, due_at=due.get(kind), origin=origin)
    if target and not platform_done:
        step = (f"在千牛{PLATFORM_ACTIONS.get(target, '操作')}后,按 f 记录“{REFUND_STATUSES[target]}”"
                "(在那之前自动同意的计时还在走)")
        steps.append(step)
        changes.append(f"还没在千牛操作: 计时照走,{step}")
    if case.refund_status != before:
        live = {d.kind: d for d in e.live()}
        clock = next((live[k] for k in policy.refund_clocks.get(case.refund_status or "", ()) if k in live), None)
        due_text = f",{policy.label(clock.kind)} 到期 {shop_time(clock.due_at, policy)}" if clock and clock.due_at else ""
        changes.append(f"平台退款状态 {REFUND_STATUSES.get(before or '', '—')} → "
                       f"{REFUND_STATUSES.get(case.refund_status or '', '—')}{due_text}")
    return started, steps


def _supersede(e: CaseEdit, outcome: Outcome, keep: set[str]) -> list[str]:
    """An earlier outcome's clocks and open checklist steps that this outcome does not carry on
    end, each with an event naming what replaced it."""
    why = f"被新的SOP结果取代: {outcome.summary}"[:200]
    ended = []
    for d in e.live():
        if d.origin.startswith("sop:") and d.kind not in keep:
            e.end(d, "cancelled", why=why)
            ended.append(e.policy.label(d.kind))
    dropped = 0
    for t in e.open_tasks():
        if t.origin.startswith("sop:"):
            e.drop_task(t, why)
            dropped += 1
    out = []
    if ended:
        out.append("上一次SOP结果的计时已结束: " + "、".join(ended))
    if dropped:
        out.append(f"上一次SOP结果的 {dropped} 条待办已取消")
    return out


def _record_money(e: CaseEdit, outcome: Outcome, money: Money) -> list[str]:
    """The agreed amount and its base go on the case (replies are filled from them)."""
    needs = money_needs(outcome)
    if not needs.any:
        return []
    amount = yuan(parse_amount(money.amount))
    words = f"{needs.amount} {amount} 元"
    bases: dict[str, str] = {}
    if money.base.strip():
        base = yuan(parse_amount(money.base))
        bases["order_amount" if needs.base_kind == "order" else "item_value"] = base
        words += f" ({needs.base} {base} 元)"
    if money.postage.strip():
        words += f" ({needs.postage} {yuan(parse_amount(money.postage))} 元)"
    e.record_money(amount, words, outcome.summary, **bases)
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
