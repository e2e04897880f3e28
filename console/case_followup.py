"""The follow-up side of a case: escalation, the complaint flow, the platform's refund state
and the checklist.

A mixin of `Cases`: each method is one write transaction that uses the case's own helpers
(`_load`, `_event`, `_touch`, `_set_status`, clocks) from `console/cases.py`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from console.db import NotFoundError, StoreError
from console.models import Case, CaseTask
from console.vocab import COMPLAINT_STATUSES, ESCALATIONS, REFUND_STATUSES, yes_no

# The platform's clocks once 小二 steps in (data/sla.toml): to step in, and to decide.
INTERVENTION_CLOCKS = ("platform_intervene", "platform_decision")


class FollowUp:
    def escalate(self, case_id: int, target: str | None, reason: str, agent: str) -> Case:
        """Escalate to the senior team, a supervisor or risk/legal, with a reason (None clears)."""
        now = self.clock.now()
        reason = reason.strip()
        if target is not None and target not in ESCALATIONS:
            raise StoreError(f"未知的升级对象: {target}")
        if target is not None and not reason:
            raise StoreError("升级需要写明原因")
        with self.db.write() as s:
            case = self._load(s, case_id)
            self._escalate_in(s, case, target, reason, agent, now)
            self._touch(s, case, now)
        return case

    def _escalate_in(self, s: Session, case: Case, target: str | None, reason: str, agent: str, now: datetime) -> None:
        before = ESCALATIONS.get(case.escalated_to or "", "—")
        case.escalated_to, case.escalation_reason = target, (reason[:200] or None) if target else None
        self._event(s, case, agent, now, "escalated", before, ESCALATIONS.get(target or "", "—"), reason[:200])

    def set_complaint_status(self, case_id: int, status: str, agent: str) -> Case:
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id)
            current = case.complaint_status
            if status not in complaint_next(current):
                raise StoreError(
                    f"投诉不能从“{COMPLAINT_STATUSES.get(current or '', '—')}”到“{COMPLAINT_STATUSES.get(status, status)}”"
                )
            case.complaint_status = status
            self._event(s, case, agent, now, "complaint", COMPLAINT_STATUSES.get(current or "", "—"),
                        COMPLAINT_STATUSES[status], "")
            if status == "solution_proposed":
                # The complaint is answered: the 24-hour golden time is met [003].
                self._meet(s, case, "solution_proposed", agent, now, why="已提出解决方案")
            if status == "appealed":
                self._escalate_in(s, case, "supervisor", "买家不接受方案,申诉给主管重新评估", agent, now)
            self._touch(s, case, now)
        return case

    def set_refund_status(
        self,
        case_id: int,
        status: str | None,
        agent: str,
        shipped: bool = True,
        start_at: datetime | None = None,
        due_at: datetime | None = None,
    ) -> Case:
        """Follow the platform's refund status. The clock of the old status stops and the
        clock of the new one starts, from `start_at` (e.g. the buyer's application time) or
        at the `due_at` the platform shows. `shipped` picks the 7-day over the 2-day
        auto-agree clock while waiting for the seller."""
        now = self.clock.now()
        if status is not None and status not in REFUND_STATUSES:
            raise StoreError(f"未知的退款状态: {status}")
        if start_at is not None and start_at > now:
            raise StoreError("申请时间不能晚于现在")
        with self.db.write() as s:
            case = self._load(s, case_id)
            if case.refund_status == status and due_at is None and start_at is None:
                return case
            self._refund_in(s, case, status, agent, now, shipped=shipped, start_at=start_at, due_at=due_at)
            self._settle(s, case, agent, now)
            self._touch(s, case, now)
        return case

    def _refund_in(self, s: Session, case: Case, status: str | None, agent: str, now: datetime, *,
                   shipped: bool = True, start_at: datetime | None = None, due_at: datetime | None = None,
                   kind: str | None = None, origin: str = "refund", why: str = "") -> None:
        """Move the platform refund status: the old status's clock ends (the platform moved
        on), the new one's starts. `kind` names the clock when the caller knows it."""
        before = case.refund_status
        refund_kinds = {k for kinds in self.policy.refund_clocks.values() for k in kinds}
        for d in self._live(s, case):
            if d.kind in refund_kinds and d.kind != kind:
                self._end(s, case, d, "met", agent, now,
                          why=f"平台退款状态变为{REFUND_STATUSES.get(status or '', '—')}")
        case.refund_status = status
        if before != status:
            self._event(s, case, agent, now, "refund_status",
                        REFUND_STATUSES.get(before or "", "—"), REFUND_STATUSES.get(status or "", "—"), why)
        kinds = self.policy.refund_clocks.get(status or "", ())
        if kind is None and kinds:
            kind = kinds[-1] if shipped or len(kinds) == 1 else kinds[0]
        running = {d.kind for d in self._live(s, case)}
        if kind and case.is_open and kind not in running:
            self._start(s, case, kind, start_at or now, agent, now, due_at=due_at, origin=origin)

    def set_intervened(self, case_id: int, intervened: bool, agent: str, start_at: datetime | None = None) -> Case:
        """小二介入: the platform has stepped into the dispute. Its clocks start (2 working days
        to step in, 7 to decide [003]) from `start_at`, the time Qianniu shows (default now);
        unmarking cancels them (a mistake corrected)."""
        now = self.clock.now()
        if start_at is not None and start_at > now:
            raise StoreError("介入时间不能晚于现在")
        with self.db.write() as s:
            case = self._load(s, case_id)
            if case.platform_intervened == intervened:
                return case
            self._intervened_in(s, case, intervened, agent, now, start_at=start_at)
            self._touch(s, case, now)
        return case

    def _intervened_in(self, s: Session, case: Case, intervened: bool, agent: str, now: datetime,
                       start_at: datetime | None = None, why: str = "") -> None:
        case.platform_intervened = intervened
        self._event(s, case, agent, now, "intervened", yes_no(not intervened), yes_no(intervened), why)
        running = {d.kind: d for d in self._live(s, case)}
        for kind in INTERVENTION_CLOCKS:
            if kind not in self.policy.clocks:
                continue
            if intervened and kind not in running and case.is_open:
                self._start(s, case, kind, start_at or now, agent, now, origin="intervened")
            elif not intervened and kind in running:
                self._end(s, case, running[kind], "cancelled", agent, now, why="取消小二介入")

    def add_tasks(self, case_id: int, texts: list[str], agent: str) -> list[CaseTask]:
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id)
            tasks = self._add_tasks_in(s, case, texts, agent, now)
            s.flush()
            self._settle(s, case, agent, now)
            self._touch(s, case, now)
        return tasks

    def _add_tasks_in(self, s: Session, case: Case, texts: list[str] | tuple[str, ...], agent: str,
                      now: datetime, origin: str = "") -> list[CaseTask]:
        start = len(s.exec(select(CaseTask.id).where(CaseTask.case_id == case.id)).all())
        tasks = [CaseTask(case_id=case.id, position=start + i, text=t[:300], created_at=now, origin=origin)
                 for i, t in enumerate(texts) if t.strip()]
        for t in tasks:
            s.add(t)
            self._event(s, case, agent, now, "task_added", None, None, t.text)
        return tasks

    def toggle_task(self, task_id: int, agent: str) -> CaseTask:
        now = self.clock.now()
        with self.db.write() as s:
            task = s.get(CaseTask, task_id)
            if task is None:
                raise NotFoundError("找不到这条待办")
            case = self._load(s, task.case_id)
            if task.done_at is None:
                task.done_at, task.done_by = now, agent
                self._event(s, case, agent, now, "task_done", None, None, task.text)
            else:
                task.done_at, task.done_by = None, None
                self._event(s, case, agent, now, "task_undone", None, None, task.text)
            s.add(task)
            s.flush()
            self._settle(s, case, agent, now)
            self._touch(s, case, now)
        return task


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
