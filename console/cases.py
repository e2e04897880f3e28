"""Case operations: the one place that writes cases. Every change appends a CaseEvent.

Each operation is one short write transaction (BEGIN IMMEDIATE on SQLite) that re-reads
the case, so two consoles on one database never interleave half-changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from console.case_followup import FollowUp, complaint_next
from console.clock import Clock
from console.db import Database, NotFoundError, StoreError
from console.intake import CaseDraft, ValidDraft, validate_draft
from console.models import NO_DEADLINE, Agent, Case, CaseEvent, CaseTask, Deadline, Note
from console.sla import Policy, pause, resume, schedule
from console.units import qty
from console.vocab import CLOSED_STATUSES, STATUSES, yes_no

__all__ = [
    "Cases", "CaseDetail", "CaseDraft", "ClaimedError", "DraftError", "NotFoundError", "StaleError",
    "allowed_statuses", "complaint_next",
]



class DraftError(ValueError):
    """The new-case form has errors; `errors` maps field name -> message for the agent."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class StaleError(StoreError):
    """The case changed since the agent's screen read it."""


class ClaimedError(StoreError):
    """Another agent has the case."""

    def __init__(self, owner: str) -> None:
        super().__init__(f"这个工单已经由 {owner} 接手了。")
        self.owner = owner


@dataclass
class CaseDetail:
    case: Case
    deadlines: list[Deadline] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    tasks: list[CaseTask] = field(default_factory=list)

    @property
    def running(self) -> list[Deadline]:
        """Clocks still counting or paused, nearest first (paused last)."""
        live = [d for d in self.deadlines if d.state in ("running", "paused")]
        return sorted(live, key=lambda d: (d.state != "running", d.due_at or NO_DEADLINE))


def allowed_statuses(current: str) -> list[str]:
    """Where a case may go from `current`: open statuses move freely, resolved can be closed
    or reopened, closed can be reopened."""
    if current == "closed":
        return ["in_progress"]
    if current == "resolved":
        return ["closed", "in_progress"]
    return [s for s in STATUSES if s not in (current, "new")]


class Cases(FollowUp):
    """Case operations. The closed loop, refund state and checklist are in FollowUp."""

    def __init__(self, db: Database, policy: Policy, clock: Clock) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock

    # ---- reads ---------------------------------------------------------------

    def get(self, case_id: int) -> CaseDetail:
        with self.db.read() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFoundError(f"找不到工单 #{case_id}")
            deadlines = s.exec(select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id)).all()
            events = s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
            notes = s.exec(select(Note).where(Note.case_id == case_id).order_by(Note.id)).all()
            tasks = s.exec(
                select(CaseTask).where(CaseTask.case_id == case_id).order_by(CaseTask.position, CaseTask.id)
            ).all()
            return CaseDetail(case, list(deadlines), list(events), list(notes), list(tasks))

    def agents(self) -> list[str]:
        with self.db.read() as s:
            return list(s.exec(select(Agent.name).order_by(Agent.name)).all())

    def role_of(self, name: str) -> str:
        with self.db.read() as s:
            return s.exec(select(Agent.role).where(Agent.name == name)).first() or "agent"

    def set_role(self, name: str, role: str) -> None:
        if role not in ("agent", "supervisor"):
            raise StoreError("角色只能是 agent 或 supervisor")
        self.ensure_agent(name)
        with self.db.write() as s:
            agent = s.exec(select(Agent).where(Agent.name == name)).one()
            agent.role = role
            s.add(agent)

    def ensure_agent(self, name: str) -> None:
        with self.db.read() as s:
            if s.exec(select(Agent.id).where(Agent.name == name)).first() is not None:
                return
        try:
            with self.db.write() as s:
                if s.exec(select(Agent.id).where(Agent.name == name)).first() is None:
                    s.add(Agent(name=name, created_at=self.clock.now()))
        except StoreError:
            # A read-only database still lets the agent look at the queue.
            pass

    # ---- writes --------------------------------------------------------------

    def create(self, draft: CaseDraft, agent: str) -> Case:
        now = self.clock.now()
        valid = validate_draft(draft, self.policy, now)
        if isinstance(valid, dict):
            raise DraftError(valid)
        with self.db.write() as s:
            case = self._insert(s, valid, agent, now)
        return case

    def _insert(self, s: Session, v: ValidDraft, agent: str, now: datetime) -> Case:
        case = Case(
            buyer_id=v.buyer_id,
            order_no=v.order_no,
            channel=v.channel,
            kind=v.kind,
            status="new",
            description=v.description,
            urgent=v.urgent,
            assignee=v.assignee,
            initiated_by=v.initiated_by,
            product=v.product,
            created_by=agent,
            created_at=now,
            updated_at=now,
            first_message_at=v.message_at or now,
            next_due_at=NO_DEADLINE,
            next_warn_at=NO_DEADLINE,
        )
        s.add(case)
        s.flush()
        self._event(s, case, agent, now, "created", None, STATUSES["new"], v.summary())
        if v.urgent:
            self._escalate_in(s, case, "supervisor", "加急工单", agent, now)  # flag the supervisor
        for kind in self.policy.clocks_on_create(v.channel, v.kind, v.urgent, v.initiated_by):
            # The first-reply clock runs from the buyer's message, the others from now.
            start = case.first_message_at if kind.startswith("first_response") else now
            self._start(s, case, kind, start, agent, now, origin="create")
        self._sync_next(s, case)
        return case

    def mark_first_reply(self, case_id: int, agent: str) -> Case:
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id)
            if case.first_replied_at is not None:
                return case
            case.first_replied_at = now
            self._event(s, case, agent, now, "first_reply", None, None, "")
            self._meet(s, case, "first_reply", agent, now)
            if case.status == "new":
                self._set_status(s, case, "in_progress", agent, now)
            self._touch(s, case, now)
        return case

    def set_status(self, case_id: int, status: str, agent: str, expected_version: int | None = None) -> Case:
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id, expected_version)
            if status not in allowed_statuses(case.status):
                raise StoreError(f"不能从“{STATUSES.get(case.status)}”改为“{STATUSES.get(status, status)}”")
            self._set_status(s, case, status, agent, now)
            self._touch(s, case, now)
        return case

    def set_urgent(self, case_id: int, urgent: bool, agent: str) -> Case:
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id)
            if case.urgent == urgent:
                return case
            case.urgent = urgent
            self._event(s, case, agent, now, "urgent", yes_no(not urgent), yes_no(urgent), "")
            if urgent and case.escalated_to is None:
                # An urgent case flags the supervisor [000 优先级分级机制].
                self._escalate_in(s, case, "supervisor", "加急工单", agent, now)
            if urgent and case.is_open:
                running = {d.kind for d in self._live(s, case)}
                for kind in self.policy.start_urgent:
                    if kind not in running:
                        self._start(s, case, kind, now, agent, now)
            elif not urgent:
                for d in self._live(s, case):
                    if d.kind in self.policy.start_urgent:
                        self._end(s, case, d, "cancelled", agent, now)
            self._touch(s, case, now)
        return case

    def assign(self, case_id: int, assignee: str | None, agent: str, expected_version: int | None = None) -> Case:
        now = self.clock.now()
        assignee = _agent_name(assignee)
        with self.db.write() as s:
            case = self._load(s, case_id, expected_version)
            if self._assign_in(s, case, assignee, agent, now):
                self._touch(s, case, now)
        return case

    def claim(self, case_id: int, agent: str) -> Case:
        """Take a case. Atomic across consoles: of two agents claiming at once exactly one
        wins (the write lock orders them) and the other is told who has it."""
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id)
            if case.assignee not in (None, agent):
                raise ClaimedError(case.assignee)
            if self._assign_in(s, case, agent, agent, now):
                self._touch(s, case, now)
        return case

    def _assign_in(self, s: Session, case: Case, assignee: str | None, agent: str, now: datetime) -> bool:
        if assignee is not None and s.exec(select(Agent.id).where(Agent.name == assignee)).first() is None:
            s.add(Agent(name=assignee, created_at=now))
        before = case.assignee
        if before == assignee:
            return False
        case.assignee = assignee
        self._event(s, case, agent, now, "assigned", before or "待分配", assignee or "待分配", "")
        if assignee is not None:
            self._meet(s, case, "assigned", agent, now)
        return True

    def add_note(self, case_id: int, body: str, agent: str) -> Note:
        from console.notes import Notes  # notes builds on cases

        return Notes(self).add(case_id, body, agent)

    def start_clock(
        self,
        case_id: int,
        kind: str,
        agent: str,
        start_at: datetime | None = None,
        due_at: datetime | None = None,
        note: str = "",
    ) -> Deadline:
        """Start a clock of `kind`; `due_at` overrides the rule when the platform shows another time."""
        now = self.clock.now()
        rule = self.policy.rule(kind)
        with self.db.write() as s:
            case = self._load(s, case_id)
            if not case.is_open:
                raise StoreError("工单已解决或关闭,不能再开始计时")
            d = self._start(s, case, rule.kind, start_at or now, agent, now, due_at=due_at, note=note)
            self._touch(s, case, now)
        return d

    # ---- internals -----------------------------------------------------------

    def _load(self, s: Session, case_id: int, expected_version: int | None = None) -> Case:
        case = s.get(Case, case_id)
        if case is None:
            raise NotFoundError(f"找不到工单 #{case_id}")
        if expected_version is not None and case.version != expected_version:
            raise StaleError("这个工单刚被别人改过,请看最新内容后再操作。您输入的内容没有丢失。")
        return case

    def _touch(self, s: Session, case: Case, now: datetime) -> None:
        case.updated_at = now
        case.version += 1
        self._sync_next(s, case)

    def _event(
        self, s: Session, case: Case, agent: str, now: datetime, action: str,
        before: str | None, after: str | None, detail: str,
    ) -> None:
        s.add(CaseEvent(case_id=case.id, at=now, agent=agent, action=action,
                        before=before, after=after, detail=detail))

    def _live(self, s: Session, case: Case) -> list[Deadline]:
        q = select(Deadline).where(Deadline.case_id == case.id, col(Deadline.state).in_(("running", "paused")))
        return list(s.exec(q).all())

    def _start(
        self, s: Session, case: Case, kind: str, start_at: datetime, agent: str, now: datetime,
        due_at: datetime | None = None, note: str = "", origin: str = "",
    ) -> Deadline:
        rule = self.policy.rule(kind)
        due, warn = schedule(rule, start_at)
        if due_at is not None:
            due, warn = due_at, due_at - rule.warn_before
        d = Deadline(case_id=case.id, kind=kind, clock=rule.clock, state="running", started_at=start_at,
                     due_at=due, warn_at=warn, warn_s=int(rule.warn_before.total_seconds()), note=note,
                     origin=origin)
        if rule.clock == "shop" and case.status in self.policy.pause_statuses:
            d.state, d.remaining_s, d.due_at, d.warn_at = "paused", pause(due, now), None, None
        s.add(d)
        s.flush()
        detail = f"到期 {due.astimezone(self.policy.timezone):%Y-%m-%d %H:%M:%S}"
        self._event(s, case, agent, now, "clock_started", None, rule.label, detail + (f" ({note})" if note else ""))
        return d

    def _end(self, s: Session, case: Case, d: Deadline, state: str, agent: str, now: datetime) -> None:
        d.state, d.ended_at = state, now
        s.add(d)
        action = "clock_met" if state == "met" else "clock_cancelled"
        self._event(s, case, agent, now, action, None, self.policy.label(d.kind), "")

    def _meet(self, s: Session, case: Case, event: str, agent: str, now: datetime) -> None:
        for d in self._live(s, case):
            rule = self.policy.clocks.get(d.kind)
            if rule is not None and event in rule.met_on:
                self._end(s, case, d, "met", agent, now)

    def _set_status(self, s: Session, case: Case, status: str, agent: str, now: datetime) -> None:
        before = case.status
        pauses = self.policy.pause_statuses
        case.status = status
        self._event(s, case, agent, now, "status", STATUSES.get(before, before), STATUSES.get(status, status), "")
        if status == "in_progress" and case.assignee is None:
            case.assignee = agent
            self._event(s, case, agent, now, "assigned", "待分配", agent, "接手处理")
        if before in CLOSED_STATUSES and status not in CLOSED_STATUSES:
            self._reopen(s, case, agent, now)
        elif status == "resolved":
            self._meet(s, case, "resolved", agent, now)
        if status in CLOSED_STATUSES:
            for d in self._live(s, case):
                self._end(s, case, d, "cancelled" if status == "closed" else "met", agent, now)
        elif status in pauses and before not in pauses:
            for d in self._live(s, case):
                if d.clock == "shop" and d.state == "running":
                    d.state, d.remaining_s, d.due_at, d.warn_at = "paused", pause(d.due_at, now), None, None
                    s.add(d)
                    self._event(s, case, agent, now, "clock_paused", None, self.policy.label(d.kind), "")
        elif status not in pauses and before in pauses:
            for d in self._live(s, case):
                if d.state == "paused":
                    d.due_at, d.warn_at = resume(d.remaining_s or 0, d.warn_s, now)
                    d.state, d.remaining_s = "running", None
                    s.add(d)
                    self._event(s, case, agent, now, "clock_resumed", None, self.policy.label(d.kind), "")
        case.is_open = status not in CLOSED_STATUSES

    def _reopen(self, s: Session, case: Case, agent: str, now: datetime) -> None:
        self._event(s, case, agent, now, "reopened", None, None, "")
        for kind in self.policy.start_kind.get(case.kind, ()):
            self._start(s, case, kind, now, agent, now)

    def _sync_next(self, s: Session, case: Case) -> None:
        """Keep the case's queue key in step with its nearest running clock."""
        s.flush()
        running = [d for d in self._live(s, case) if d.state == "running" and d.due_at is not None]
        nearest = min(running, key=lambda d: d.due_at, default=None)
        if nearest is None:
            case.next_due_at, case.next_warn_at, case.next_due_kind = NO_DEADLINE, NO_DEADLINE, None
        else:
            case.next_due_at = nearest.due_at
            case.next_warn_at = nearest.warn_at or nearest.due_at
            case.next_due_kind = nearest.kind
        s.add(case)


def _agent_name(name: str | None) -> str | None:
    name = (name or "").strip() or None
    if name is not None and len(name) > 64:
        raise StoreError(f"处理人名字太长 (最多 {qty(64, '个字符')})")
    return name

