"""Case operations: the one place that writes cases. Every change appends a CaseEvent.

Each operation is one short write transaction (BEGIN IMMEDIATE on SQLite) that re-reads
the case, so two consoles on one database never interleave half-changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from console.case_clocks import ClockOps
from console.case_close import LEFTOVERS, CloseOps, Pending, PendingError
from console.case_followup import FollowUp, complaint_next
from console.clock import Clock
from console.db import Database, NotFoundError, StoreError
from console.intake import CaseDraft, ValidDraft, validate_draft
from console.models import NO_DEADLINE, Agent, Case, CaseEvent, CaseTask, Deadline, Note
from console.sla import Policy
from console.units import qty
from console.vocab import CLOSED_STATUSES, STATUSES, yes_no

__all__ = [
    "LEFTOVERS", "Cases", "CaseDetail", "CaseDraft", "ClaimedError", "DraftError", "NotFoundError", "Pending",
    "PendingError", "StaleError", "UnknownAgentError", "allowed_statuses", "complaint_next",
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


ROLES: dict[str, str] = {"agent": "客服", "specialist": "专员", "supervisor": "主管"}


class Cases(ClockOps, CloseOps, FollowUp):
    """Case operations. Clocks are in ClockOps (case_clocks.py), resolving and closing in
    CloseOps (case_close.py), the closed loop, refund state and checklist in FollowUp."""

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
                select(CaseTask).where(CaseTask.case_id == case_id, col(CaseTask.dropped_at).is_(None))
                .order_by(CaseTask.position, CaseTask.id)
            ).all()
            return CaseDetail(case, list(deadlines), list(events), list(notes), list(tasks))

    def agents(self) -> list[str]:
        with self.db.read() as s:
            return list(s.exec(select(Agent.name).order_by(Agent.name)).all())

    def roster(self) -> list[tuple[str, str]]:
        """Every known agent with their role, for pickers."""
        with self.db.read() as s:
            return [(name, role) for name, role in s.exec(select(Agent.name, Agent.role).order_by(Agent.name)).all()]

    def role_of(self, name: str) -> str:
        with self.db.read() as s:
            return s.exec(select(Agent.role).where(Agent.name == name)).first() or "agent"

    def set_role(self, name: str, role: str) -> None:
        if role not in ROLES:
            raise StoreError("角色只能是 agent (客服)、specialist (专员) 或 supervisor (主管)")
        self.ensure_agent(name)
        with self.db.write() as s:
            agent = s.exec(select(Agent).where(Agent.name == name)).one()
            agent.role = role
            s.add(agent)

    def ensure_agent(self, name: str) -> None:
        """Add an agent by name (a new colleague, or whoever starts the console). The name is
        checked first: printable, no control characters, not too long (StoreError saying why),
        because every console of the team draws it."""
        from console.identity import IdentityError, check_name

        try:
            name = check_name(name)
        except IdentityError as exc:
            raise StoreError(f"客服名字不能用: {exc}") from None
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

    def mark_first_reply(self, case_id: int, agent: str, how: str = "") -> Case:
        """The agent answered the buyer; `how` says what counted (copying a reply, a wizard outcome)."""
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id)
            if self._first_reply_in(s, case, agent, now, how):
                self._touch(s, case, now)
        return case

    def set_status(self, case_id: int, status: str, agent: str, expected_version: int | None = None,
                   leftovers: str | None = None) -> Case:
        """Change the status. Resolving or closing settles what still runs first (see
        case_close.py): `leftovers` is the agent's decision about it."""
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id, expected_version)
            if status not in allowed_statuses(case.status):
                raise StoreError(f"不能从“{STATUSES.get(case.status)}”改为“{STATUSES.get(status, status)}”")
            if status in CLOSED_STATUSES:
                self._close_out_in(s, case, status, leftovers, agent, now)
            self._set_status(s, case, status, agent, now)
            self._touch(s, case, now)
        return case

    def set_urgent(self, case_id: int, urgent: bool, agent: str) -> Case:
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id)
            if self._urgent_in(s, case, urgent, agent, now):
                self._touch(s, case, now)
        return case

    def _urgent_in(self, s: Session, case: Case, urgent: bool, agent: str, now: datetime, why: str = "") -> bool:
        """Mark or unmark urgent: the 2-hour "to a specialist" clock starts or is cancelled with it."""
        if case.urgent == urgent:
            return False
        case.urgent = urgent
        self._event(s, case, agent, now, "urgent", yes_no(not urgent), yes_no(urgent), why)
        if urgent and case.escalated_to is None:
            # An urgent case flags the supervisor [000 优先级分级机制].
            self._escalate_in(s, case, "supervisor", "加急工单", agent, now)
        if urgent and case.is_open:
            running = {d.kind for d in self._live(s, case)}
            for kind in self.policy.start_urgent:
                if kind not in running:
                    self._start(s, case, kind, now, agent, now, origin="urgent")
        elif not urgent:
            for d in self._live(s, case):
                if d.kind in self.policy.start_urgent:
                    self._end(s, case, d, "cancelled", agent, now, why="取消加急")
        return True

    def assign(self, case_id: int, assignee: str | None, agent: str, expected_version: int | None = None) -> Case:
        """Give the case to a known agent (or back to the pool). A name nobody has is refused:
        a typo must not create an agent; add a new colleague with `ensure_agent` first."""
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
            if assignee != agent:
                raise UnknownAgentError(assignee)
            s.add(Agent(name=agent, created_at=now))  # taking it yourself is never a typo
        before = case.assignee
        if before == assignee:
            return False
        case.assignee = assignee
        self._event(s, case, agent, now, "assigned", before or "待分配", assignee or "待分配", "")
        if assignee is not None:
            self._assigned_to_specialist(s, case, assignee, agent, now)
        return True

    def add_note(self, case_id: int, body: str, agent: str) -> Note:
        from console.notes import Notes  # notes builds on cases

        return Notes(self).add(case_id, body, agent)

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

    def _set_status(self, s: Session, case: Case, status: str, agent: str, now: datetime, why: str = "") -> None:
        """Move the status; what runs must have been settled before a close (`_close_out_in`)."""
        before = case.status
        case.status = status
        self._event(s, case, agent, now, "status", STATUSES.get(before, before), STATUSES.get(status, status), why)
        if status == "in_progress" and case.assignee is None:
            case.assignee = agent
            self._event(s, case, agent, now, "assigned", "待分配", agent, "接手处理")
        if before in CLOSED_STATUSES and status not in CLOSED_STATUSES:
            self._reopen(s, case, agent, now)
        elif status == "resolved":
            self._meet(s, case, "resolved", agent, now)
        self._pause_resume(s, case, before, status, agent, now)
        case.is_open = status not in CLOSED_STATUSES or self._leftovers(s, case)

    def _reopen(self, s: Session, case: Case, agent: str, now: datetime) -> None:
        self._event(s, case, agent, now, "reopened", None, None, "")
        running = {d.kind for d in self._live(s, case)}
        for kind in self.policy.start_kind.get(case.kind, ()):
            if kind not in running:
                self._start(s, case, kind, now, agent, now, origin="reopen")


class UnknownAgentError(StoreError):
    """An assignee or handover target that is not a known agent (a typo, or a new colleague
    who has to be added on purpose)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"没有叫“{name}”的客服。是新同事的话,请先确认添加;否则请从名单里选。")
        self.name = name


def _agent_name(name: str | None) -> str | None:
    name = (name or "").strip() or None
    if name is not None and len(name) > 64:
        raise StoreError(f"处理人名字太长 (最多 {qty(64, '个字符')})")
    return name

