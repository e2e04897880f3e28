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
from console.db import NotFoundError, StoreError
from console.models import Case, CaseTask, Deadline, Handover, HandoverCase, Note, Shift
from console.notes import Notes
from console.sla import format_countdown, shop_time, state_at
from console.units import qty
from console.vocab import ESCALATIONS, KINDS, STATUSES

NEAR = timedelta(hours=2)
# The cases listed one by one on the screen and in the team-chat summary; a handover moves
# every open case of the agent whatever this says, and the summary says how many more.
LISTED = 200
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
    """Every open case of the agent (`items`, nearest deadline first): all of them move."""

    agent: str
    items: list[HandoverItem]

    @property
    def case_ids(self) -> list[int]:
        return [i.case.id for i in self.items]

    @property
    def burning(self) -> int:
        return sum(1 for i in self.items if i.state in ("overdue", "warning"))

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
            self.db.serialize(s, f"shift:{agent}")  # one open shift, however many consoles start
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

    def summary(self, agent: str) -> HandoverSummary:
        """Every open case of the agent, nearest deadline first, each with what the next
        agent needs. Not capped: a handover moves them all, so it shows them all."""
        now = self.clock.now()
        mine = select(Case.id).where(Case.is_open.is_(True), Case.assignee == agent)
        with self.db.read() as s:
            q = (select(Case).where(Case.is_open.is_(True), Case.assignee == agent)
                 .order_by(Case.next_due_at, Case.id))
            cases = list(s.exec(q).all())
            # By subquery, not a list of ids: 600 cases are 600 bind parameters otherwise.
            tasks = s.exec(select(CaseTask).where(col(CaseTask.case_id).in_(mine), col(CaseTask.done_at).is_(None))
                           .order_by(CaseTask.position)).all() if cases else []
            notes = s.exec(select(Note).where(col(Note.case_id).in_(mine)).order_by(Note.id)).all() if cases else []
            promises = s.exec(select(Deadline).where(col(Deadline.case_id).in_(mine), Deadline.kind == "buyer_promise",
                                                     col(Deadline.state).in_(("running", "paused")))).all() if cases else []
        next_task: dict[int, str] = {}
        for t in tasks:
            next_task.setdefault(t.case_id, t.text)
        last_note = {n.case_id: n.body for n in notes}
        promised: dict[int, list[Deadline]] = {}
        for d in promises:
            promised.setdefault(d.case_id, []).append(d)
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
                promises=promised.get(c.id, []),
            ))
        return HandoverSummary(agent, items)

    def summary_text(self, summary: HandoverSummary, note: str, to: str | None,
                     assignments: dict[int, str | None] | None = None, listed: int = LISTED) -> str:
        """Plain text for the team chat: the counts of all the cases, the first `listed` one
        by one, and how many more go to whom."""
        now = self.clock.now()
        p = self.policy
        assignments = assignments or {}
        lines = [f"【交接班】{summary.agent} → {to or '待分配池'}  {shop_time(now, p, '%Y-%m-%d %H:%M')}"]
        if note.strip():
            lines.append(f"交接说明: {note.strip()}")
        lines.append(f"未结工单 {qty(len(summary.items), '个')},其中超时或临近 {qty(summary.burning, '个')}")
        for i in summary.items[:listed]:
            c = i.case
            mark = {"overdue": "【超时】", "warning": "【临近】"}.get(i.state, "")
            timer = f"{i.timer_label} {format_countdown(i.timer_due - now)}" if i.timer_due else i.timer_label
            target = assignments.get(c.id, to)
            lines.append(
                f"{mark}#{c.id} {c.buyer_id} {c.order_no or ''} {KINDS.get(c.kind, c.kind)}/{STATUSES.get(c.status, c.status)}"
                f" · {timer} · 交给 {target or '待分配'}"
            )
            if i.next_step:
                lines.append(f"    下一步: {i.next_step}")
            if i.last_note:
                lines.append(f"    最后笔记: {i.last_note[:80]}")
        rest = summary.items[listed:]
        if rest:
            where: dict[str, int] = {}
            for i in rest:
                name = assignments.get(i.case.id, to) or "待分配池"
                where[name] = where.get(name, 0) + 1
            burning = sum(1 for i in rest if i.state in ("overdue", "warning"))
            lines.append(f"……另有 {qty(len(rest), '个')}未列出 (其中超时或临近 {qty(burning, '个')}),一并交给 "
                         + "、".join(f"{name} {qty(n, '个')}" for name, n in where.items()))
        if summary.escalated:
            lines.append("已升级: " + ";".join(
                f"#{i.case.id} {ESCALATIONS.get(i.case.escalated_to, i.case.escalated_to)}({i.case.escalation_reason or ''})"
                for i in summary.escalated))
        if summary.promises:
            lines.append("答应买家: " + ";".join(
                f"#{i.case.id} {d.note or ''} {shop_time(d.due_at, p) if d.due_at else '暂停'}前"
                for i, d in summary.promises))
        return "\n".join(lines)

    def hand_over(self, agent: str, to: str | None, note: str, assignments: dict[int, str | None],
                  expected: list[int] | None = None) -> Handover:
        """Record the handover and move every open case of the agent at once: to its entry
        in `assignments`, else to `to` (None: the pool). `expected` is the set of cases the
        agent saw and confirmed; if the agent's open cases differ now, nothing moves and
        the message says which. One transaction: every case moves or none."""
        now = self.clock.now()
        to = (to or "").strip() or None
        if to == agent:
            raise StoreError("不能交接给自己")
        summary = self.summary(agent)
        text = self.summary_text(summary, note, to, assignments)
        steps = {i.case.id: i.next_step for i in summary.items}
        with self.db.write() as s:
            h = Handover(from_agent=agent, to_agent=to, created_at=now, note=note.strip(), summary=text)
            s.add(h)
            s.flush()
            # Locked in id order until the commit (PostgreSQL; SQLite's write lock does it):
            # the set compared with what the agent confirmed cannot change before it moves.
            mine = {case.id: case for case in
                    s.exec(select(Case).where(Case.is_open.is_(True), Case.assignee == agent)
                           .order_by(Case.id).with_for_update()).all()}
            for case_id in assignments:
                if case_id not in mine:
                    case = s.get(Case, case_id)
                    if case is None:
                        raise NotFoundError(f"找不到工单 #{case_id}")
                    where = (case.assignee or "待分配") if case.is_open else "已结"
                    raise StoreError(f"工单 #{case_id} 已不在您名下 (现在: {where}),请刷新后再交接")
            seen = set(expected if expected is not None else summary.case_ids)
            _refuse_changed(set(mine), seen)
            for case_id in sorted(mine):
                target = (assignments.get(case_id, to) or "").strip() or None
                with self.cases.edit(case_id, agent, session=s) as e:  # one transaction for the whole handover
                    e.event("handover", agent, target or "待分配", note.strip()[:200])
                    e.assign(target)
                s.add(HandoverCase(handover_id=h.id, case_id=case_id, assigned_to=target, next_step=steps.get(case_id, "")))
            for shift in s.exec(select(Shift).where(Shift.agent == agent, col(Shift.ended_at).is_(None))).all():
                shift.ended_at = now
                s.add(shift)
            Notes(self.cases).clear_draft(agent, NOTE_DRAFT, session=s)  # the note is in the handover now
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

    def get(self, handover_id: int) -> Handover | None:
        with self.db.read() as s:
            return s.get(Handover, handover_id)

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


def _refuse_changed(now_open: set[int], seen: set[int]) -> None:
    """The agent confirmed one set of cases; if their open cases are another now (a case
    claimed, assigned or closed meanwhile), say which instead of moving a different set."""
    added, gone = sorted(now_open - seen), sorted(seen - now_open)
    if not added and not gone:
        return

    def ids(xs: list[int]) -> str:
        return "、".join(f"#{i}" for i in xs[:5]) + (f" 等 {qty(len(xs), '个')}" if len(xs) > 5 else "")

    parts = ([f"多了 {ids(added)}"] if added else []) + ([f"少了 {ids(gone)}"] if gone else [])
    raise StoreError(f"您名下的未结工单刚有变化 ({';'.join(parts)}),什么都没有交接。请刷新后再确认。")
