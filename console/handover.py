"""Shifts and the end-of-shift handover (交接班).

An agent going off shift sees their open cases with what burns, writes a note, hands each
case to the next agent or to the pool, and confirms: one transaction, so a handover is
either whole or not at all. The next agent sees the latest handover for them (or the pool)
first, marked unread until they acknowledge it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, or_, select

from console.cases import Cases
from console.db import StoreError
from console.models import Case, CaseTask, Deadline, Handover, HandoverCase, Note, Shift
from console.notes import Notes
from console.sla import format_countdown, shop_time, state_at
from console.units import qty
from console.vocab import ESCALATIONS, KINDS, STATUSES

NEAR = timedelta(hours=2)
# The note being written on the handover screen, kept as a draft (console.notes) until confirmed.
NOTE_DRAFT = "handover"


@dataclass
class HandoverItem:
    case: Case
    next_step: str
    last_note: str
    timer_label: str
    timer_due: datetime | None
    state: str  # ok | warning | overdue | paused
    promises: list[Deadline] = field(default_factory=list)


@dataclass
class HandoverSummary:
    agent: str
    items: list[HandoverItem]

    @property
    def escalated(self) -> list[HandoverItem]:
        return [i for i in self.items if i.case.escalated_to]

    @property
    def promises(self) -> list[tuple[HandoverItem, Deadline]]:
        return [(i, p) for i in self.items for p in i.promises]


class Handovers:
    def __init__(self, cases: Cases) -> None:
        self.cases = cases
        self.db = cases.db
        self.clock = cases.clock
        self.policy = cases.policy

    # ---- shifts ------------------------------------------------------------------------

    def start_shift(self, agent: str) -> Shift:
        now = self.clock.now()
        with self.db.write() as s:
            shift = s.exec(select(Shift).where(Shift.agent == agent, col(Shift.ended_at).is_(None))).first()
            if shift is None:
                shift = Shift(agent=agent, started_at=now)
                s.add(shift)
        return shift

    def end_shift(self, agent: str) -> None:
        now = self.clock.now()
        with self.db.write() as s:
            for shift in s.exec(select(Shift).where(Shift.agent == agent, col(Shift.ended_at).is_(None))).all():
                shift.ended_at = now
                s.add(shift)

    def on_shift(self) -> list[str]:
        with self.db.read() as s:
            return sorted(set(s.exec(select(Shift.agent).where(col(Shift.ended_at).is_(None))).all()))

    # ---- the outgoing agent ------------------------------------------------------------

    def summary(self, agent: str, limit: int = 200) -> HandoverSummary:
        """The agent's open cases, nearest deadline first, each with what the next agent needs."""
        now = self.clock.now()
        with self.db.read() as s:
            q = (select(Case).where(Case.is_open.is_(True), Case.assignee == agent)
                 .order_by(Case.next_due_at, Case.id).limit(limit))
            cases = list(s.exec(q).all())
            ids = [c.id for c in cases]
            tasks = s.exec(select(CaseTask).where(col(CaseTask.case_id).in_(ids), col(CaseTask.done_at).is_(None))
                           .order_by(CaseTask.position)).all() if ids else []
            notes = s.exec(select(Note).where(col(Note.case_id).in_(ids)).order_by(Note.id)).all() if ids else []
            promises = s.exec(select(Deadline).where(col(Deadline.case_id).in_(ids), Deadline.kind == "buyer_promise",
                                                     col(Deadline.state).in_(("running", "paused")))).all() if ids else []
        next_task: dict[int, str] = {}
        for t in tasks:
            next_task.setdefault(t.case_id, t.text)
        last_note = {n.case_id: n.body for n in notes}
        items = []
        for c in cases:
            if c.next_due_kind is None:
                state, label, due = "paused", "无进行中的计时", None
            else:
                state = state_at(c.next_due_at, c.next_warn_at, now)
                if state == "ok" and c.next_due_at - now <= NEAR:
                    state = "warning"
                label, due = self.policy.label(c.next_due_kind), c.next_due_at
            items.append(HandoverItem(
                case=c,
                next_step=next_task.get(c.id, ""),
                last_note=last_note.get(c.id, ""),
                timer_label=label,
                timer_due=due,
                state=state,
                promises=[p for p in promises if p.case_id == c.id],
            ))
        return HandoverSummary(agent, items)

    def summary_text(self, summary: HandoverSummary, note: str, to: str | None,
                     assignments: dict[int, str | None] | None = None) -> str:
        """Plain text for the team chat."""
        now = self.clock.now()
        p = self.policy
        lines = [f"【交接班】{summary.agent} → {to or '待分配池'}  {shop_time(now, p, '%Y-%m-%d %H:%M')}"]
        if note.strip():
            lines.append(f"交接说明: {note.strip()}")
        burning = sum(1 for i in summary.items if i.state in ("overdue", "warning"))
        lines.append(f"未结工单 {qty(len(summary.items), '个')},其中超时或临近 {qty(burning, '个')}")
        for i in summary.items:
            c = i.case
            mark = {"overdue": "【超时】", "warning": "【临近】"}.get(i.state, "")
            timer = f"{i.timer_label} {format_countdown(i.timer_due - now)}" if i.timer_due else i.timer_label
            target = (assignments or {}).get(c.id, to) if assignments is not None else to
            lines.append(
                f"{mark}#{c.id} {c.buyer_id} {c.order_no or ''} {KINDS.get(c.kind, c.kind)}/{STATUSES.get(c.status, c.status)}"
                f" · {timer} · 交给 {target or '待分配'}"
            )
            if i.next_step:
                lines.append(f"    下一步: {i.next_step}")
            if i.last_note:
                lines.append(f"    最后笔记: {i.last_note[:80]}")
        if summary.escalated:
            lines.append("已升级: " + ";".join(
                f"#{i.case.id} {ESCALATIONS.get(i.case.escalated_to, i.case.escalated_to)}({i.case.escalation_reason or ''})"
                for i in summary.escalated))
        if summary.promises:
            lines.append("答应买家: " + ";".join(
                f"#{i.case.id} {d.note or ''} {shop_time(d.due_at, p) if d.due_at else '暂停'}前"
                for i, d in summary.promises))
        return "\n".join(lines)

    def hand_over(self, agent: str, to: str | None, note: str, assignments: dict[int, str | None]) -> Handover:
        """Record the handover and move each case to its new owner (or the pool), at once."""
        now = self.clock.now()
        to = (to or "").strip() or None
        if to == agent:
            raise StoreError("不能交接给自己")
        summary = self.summary(agent)
        text = self.summary_text(summary, note, to, assignments)
        c = self.cases
        with self.db.write() as s:
            h = Handover(from_agent=agent, to_agent=to, created_at=now, note=note.strip(), summary=text)
            s.add(h)
            s.flush()
            for case_id, target in assignments.items():
                case = c._load(s, case_id)  # noqa: SLF001 - one transaction for the whole handover
                if case.assignee != agent:
                    raise StoreError(f"工单 #{case_id} 已不在您名下 (现在: {case.assignee or '待分配'}),请刷新后再交接")
                target = (target or "").strip() or None
                c._event(s, case, agent, now, "handover", agent, target or "待分配", note.strip()[:200])  # noqa: SLF001
                c._assign_in(s, case, target, agent, now)  # noqa: SLF001
                c._touch(s, case, now)  # noqa: SLF001
                step = next((i.next_step for i in summary.items if i.case.id == case_id), "")
                s.add(HandoverCase(handover_id=h.id, case_id=case_id, assigned_to=target, next_step=step))
            for shift in s.exec(select(Shift).where(Shift.agent == agent, col(Shift.ended_at).is_(None))).all():
                shift.ended_at = now
                s.add(shift)
            Notes(c)._clear_draft(s, agent, NOTE_DRAFT, now)  # noqa: SLF001 - the note is in the handover now
        return h

    # ---- the incoming agent ------------------------------------------------------------

    def unread_for(self, agent: str) -> list[Handover]:
        """Handovers addressed to `agent` or to the pool, not yet acknowledged, newest first."""
        with self.db.read() as s:
            q = (select(Handover)
                 .where(or_(Handover.to_agent == agent, col(Handover.to_agent).is_(None)),
                        Handover.from_agent != agent, col(Handover.acknowledged_at).is_(None))
                 .order_by(col(Handover.id).desc()))
            return list(s.exec(q).all())

    def cases_of(self, handover_id: int) -> list[HandoverCase]:
        with self.db.read() as s:
            return list(s.exec(select(HandoverCase).where(HandoverCase.handover_id == handover_id)).all())

    def acknowledge(self, handover_id: int, agent: str) -> Handover:
        now = self.clock.now()
        with self.db.write() as s:
            h = s.get(Handover, handover_id)
            if h is None:
                raise StoreError("找不到这次交接")
            if h.acknowledged_at is None:
                h.acknowledged_at, h.acknowledged_by = now, agent
                s.add(h)
        return h
