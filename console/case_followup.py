"""The follow-up side of a case: escalation, the complaint flow, the platform's refund state,
小二介入 and the checklist.

A mixin of `CaseEdit` (console/case_edit.py): every method works inside the edit's one
transaction on its case.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from console.db import NotFoundError, StoreError
from console.models import CaseTask
from console.vocab import COMPLAINT_STATUSES, ESCALATIONS, REFUND_STATUSES, yes_no

# The platform's clocks once 小二 steps in (data/sla.toml): to step in, and to decide.
INTERVENTION_CLOCKS = ("platform_intervene", "platform_decision")


class FollowUpEdits:
    def escalate(self, target: str | None, reason: str) -> None:
        """Escalate to one of vocab.ESCALATIONS, with a reason (None clears)."""
        reason = reason.strip()
        if target is not None and target not in ESCALATIONS:
            raise StoreError(f"未知的升级对象: {target}")
        case = self.case
        before = ESCALATIONS.get(case.escalated_to or "", "—")
        case.escalated_to, case.escalation_reason = target, (reason[:200] or None) if target else None
        case.escalated_at = self.now if target else None
        self.event("escalated", before, ESCALATIONS.get(target or "", "—"), reason[:200])

    def set_complaint_status(self, status: str) -> None:
        case = self.case
        current = case.complaint_status
        if status not in complaint_next(current):
            raise StoreError(
                f"投诉不能从“{COMPLAINT_STATUSES.get(current or '', '—')}”到“{COMPLAINT_STATUSES.get(status, status)}”"
            )
        case.complaint_status = status
        self.event("complaint", COMPLAINT_STATUSES.get(current or "", "—"), COMPLAINT_STATUSES[status], "")
        if status == "solution_proposed":
            # The complaint is answered: the 24-hour golden time is met [003].
            self.meet("solution_proposed", why="已提出解决方案")
        if status == "appealed":
            self.escalate("supervisor", "买家不接受方案,申诉给主管重新评估")

    def set_refund(self, status: str | None, *, shipped: bool = True, start_at: datetime | None = None,
                   due_at: datetime | None = None, kind: str | None = None, origin: str = "refund",
                   why: str = "") -> None:
        """Move the platform refund status: the old status's clock ends (the platform moved
        on), the new one's starts, from `start_at` (e.g. the buyer's application time) or at
        the `due_at` the platform shows. `shipped` picks the 7-day over the 2-day auto-agree
        clock while waiting for the seller; `kind` names the clock when the caller knows it."""
        if status is not None and status not in REFUND_STATUSES:
            raise StoreError(f"未知的退款状态: {status}")
        case = self.case
        before = case.refund_status
        refund_kinds = {k for kinds in self.policy.refund_clocks.values() for k in kinds}
        for d in self.live():
            if d.kind in refund_kinds and d.kind != kind:
                self.end(d, "met", why=f"平台退款状态变为{REFUND_STATUSES.get(status or '', '—')}")
        case.refund_status = status
        if before != status:
            self.event("refund_status", REFUND_STATUSES.get(before or "", "—"),
                       REFUND_STATUSES.get(status or "", "—"), why)
        kinds = self.policy.refund_clocks.get(status or "", ())
        if kind is None and kinds:
            kind = kinds[-1] if shipped or len(kinds) == 1 else kinds[0]
        running = {d.kind for d in self.live()}
        if kind and case.is_open and kind not in running:
            self.start_clock(kind, start_at, due_at=due_at, origin=origin)

    def set_intervened(self, intervened: bool, start_at: datetime | None = None, why: str = "") -> bool:
        """小二介入: the platform has stepped into the dispute. Its clocks start (2 working days
        to step in, 7 to decide [003]) from `start_at`, the time Qianniu shows (default now);
        unmarking cancels them (a mistake corrected). False when nothing changed."""
        case = self.case
        if case.platform_intervened == intervened:
            return False
        case.platform_intervened = intervened
        self.event("intervened", yes_no(not intervened), yes_no(intervened), why)
        running = {d.kind: d for d in self.live()}
        for kind in INTERVENTION_CLOCKS:
            if kind not in self.policy.clocks:
                continue
            if intervened and kind not in running and case.is_open:
                self.start_clock(kind, start_at, origin="intervened")
            elif not intervened and kind in running:
                self.end(running[kind], "cancelled", why="取消小二介入")
        return True

    def add_tasks(self, texts: list[str] | tuple[str, ...], origin: str = "") -> list[CaseTask]:
        """Steps on the case's checklist (a resolved case keeps them: it stays in the queue)."""
        s = self.session
        start = len(s.exec(select(CaseTask.id).where(CaseTask.case_id == self.case.id)).all())
        tasks = [CaseTask(case_id=self.case.id, position=start + i, text=t[:300], created_at=self.now, origin=origin)
                 for i, t in enumerate(texts) if t.strip()]
        for t in tasks:
            s.add(t)
            self.event("task_added", None, None, t.text)
        return tasks

    def toggle_task(self, task_id: int) -> CaseTask:
        task = self.session.get(CaseTask, task_id)
        if task is None or task.case_id != self.case.id:
            raise NotFoundError("找不到这条待办")
        if task.done_at is None:
            task.done_at, task.done_by = self.now, self.agent
            self.event("task_done", None, None, task.text)
        else:
            task.done_at, task.done_by = None, None
            self.event("task_undone", None, None, task.text)
        self.session.add(task)
        self.settle()
        return task

    def drop_task(self, task: CaseTask, why: str) -> None:
        task.dropped_at = self.now
        self.session.add(task)
        self.event("task_dropped", None, None, f"{task.text} ({why})"[:2000])


def complaint_next(current: str | None) -> list[str]:
    """The complaint flow [003]: registered → investigating → solution proposed → the buyer
    confirms or appeals (the supervisor re-evaluates and proposes again) → carried out → closed."""
    return {
        None: ["registered"],
        "registered": ["investigating"],
        "investigating": ["solution_proposed"],
        "solution_proposed": ["buyer_confirmed", "appealed"],
        "appealed": ["solution_proposed"],
        "buyer_confirmed": ["carried_out"],
        "carried_out": ["closed"],
        "closed": [],
    }.get(current, [])
