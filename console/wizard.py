"""Applying an SOP outcome to a case, in one transaction.

The decided path and outcome become case events; the case kind and status change; the
outcome's timers start (a refund's auto-agree clock from the application time the agent
gives); the outcome's register rows are created for the agent to complete; the checklist
becomes tasks on the case. Either all of it is saved or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from console.cases import Cases
from console.db import StoreError
from console.models import Case, CaseTask, Note, ProblemEntry, ReshipEntry, ReturnEntry
from console.sop import Outcome, Step
from console.vocab import KINDS, REFUND_STATUSES

# The registers kept in the console, by the names the SOP uses.
REGISTER_MODELS = {"退件表": ("return", ReturnEntry), "重发单": ("reship", ReshipEntry), "售后问题表": ("problem", ProblemEntry)}


@dataclass
class Applied:
    case: Case
    rows: list[tuple[str, int]] = field(default_factory=list)  # (register key, row id) to complete
    memo: str = ""


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
) -> Applied:
    """Record the decision on the case. `start_at` is when the platform timers started
    (the buyer's refund application, the order time for an unpaid order); default now."""
    now = cases.clock.now()
    if start_at is not None and start_at > now:
        raise StoreError("开始时间不能晚于现在")
    policy = cases.policy
    refund_status_of = {kind: status for status, kinds in policy.refund_clocks.items() for kind in kinds}
    c = cases
    applied_rows: list[tuple[str, object]] = []
    with cases.db.write() as s:
        case = c._load(s, case_id)  # noqa: SLF001 - one unit of work with the case's own helpers
        if not case.is_open:
            raise StoreError("工单已解决或关闭,请先重新打开再按 SOP 处理")
        c._event(s, case, agent, now, "sop_applied", outcome.flow_title, outcome.summary[:200],  # noqa: SLF001
                 f"{outcome.flow_title}: {path_text(path)}"[:2000])
        case.sop_step = f"{outcome.flow_id}.{outcome.node_id}"
        if outcome.case_kind and outcome.case_kind != case.kind:
            c._event(s, case, agent, now, "kind", KINDS.get(case.kind, case.kind),  # noqa: SLF001
                     KINDS.get(outcome.case_kind, outcome.case_kind), "")
            case.kind = outcome.case_kind
        # "Resolved" is left to the satisfaction question the screen asks next.
        status = "in_progress" if outcome.next_status == "resolved" else outcome.next_status
        if status and status != case.status:
            c._set_status(s, case, status, agent, now)  # noqa: SLF001
        if case.assignee is None:
            c._assign_in(s, case, agent, agent, now)  # noqa: SLF001
        running = {d.kind for d in c._live(s, case)}  # noqa: SLF001
        for kind in outcome.timers:
            if kind in running:
                continue
            refund_status = refund_status_of.get(kind)
            if refund_status is not None and case.refund_status != refund_status:
                c._event(s, case, agent, now, "refund_status",  # noqa: SLF001
                         REFUND_STATUSES.get(case.refund_status or "", "—"), REFUND_STATUSES[refund_status], "")
                case.refund_status = refund_status
            c._start(s, case, kind, start_at or now, agent, now)  # noqa: SLF001
        if outcome.escalate and case.escalated_to is None:
            c._escalate_in(s, case, outcome.escalate, f"SOP: {outcome.summary}"[:200], agent, now)  # noqa: SLF001
        if outcome.urgent and not case.urgent:
            case.urgent = True
            c._event(s, case, agent, now, "urgent", "否", "是", "SOP")  # noqa: SLF001
        start = len(s.exec(_tasks_of(case_id)).all())
        for i, text in enumerate(outcome.checklist):
            s.add(CaseTask(case_id=case_id, position=start + i, text=text[:300], created_at=now))
        for title in outcome.registers:
            entry = REGISTER_MODELS.get(title)
            if entry is None:
                # Registers kept outside the console (催款明细表 …) become a task instead.
                s.add(CaseTask(case_id=case_id, position=start + len(outcome.checklist), text=f"登记{title}",
                               created_at=now))
                continue
            key, model = entry
            row = model(case_id=case_id, created_at=now, created_by=agent, buyer_id=case.buyer_id,
                        order_code=case.order_no or "", **_register_defaults(key, outcome))
            s.add(row)
            applied_rows.append((key, row))
            c._event(s, case, agent, now, "register", None, title, "由 SOP 生成,待补全")  # noqa: SLF001
        # The memo is a note too, so the next colleague reads the decision in 沟通记录.
        s.add(Note(case_id=case_id, author=agent, created_at=now, body=f"[SOP] {memo}"))
        c._event(s, case, agent, now, "note", None, None, f"[SOP] {memo}"[:2000])  # noqa: SLF001
        c._touch(s, case, now)  # noqa: SLF001
        s.flush()
        rows = [(key, row.id) for key, row in applied_rows]
    return Applied(case=case, rows=rows, memo=memo)


def _tasks_of(case_id: int):
    from sqlmodel import select

    return select(CaseTask.id).where(CaseTask.case_id == case_id)


def _register_defaults(key: str, outcome: Outcome) -> dict[str, str]:
    """What the outcome already says about the row; the agent fills in the rest."""
    if key == "return":
        return {"solution": "、".join(outcome.buyer_gets)[:100], "remarks": outcome.summary[:500],
                "return_type": _return_type(outcome)}
    if key == "reship":
        return {"reason": outcome.summary[:200]}
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
