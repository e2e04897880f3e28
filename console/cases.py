"""Cases: the one way to change a case, and the reads every screen needs.

Every change goes through `Cases.edit`, a unit of work on one case (console/case_edit.py):
one short write transaction (BEGIN IMMEDIATE on SQLite) that re-reads the case, records
every change as a CaseEvent and bumps the version once. Two consoles on one database never
interleave half-changes, and a screen that read an older version is told so before anything
changes. The operations below are the common single-step edits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from console.case_close import LEFTOVERS, Pending, PendingError, describe_pending
from console.case_edit import CaseEdit, StaleError, UnknownAgentError, allowed_statuses
from console.case_followup import complaint_next
from console.clock import Clock
from console.db import Database, NotFoundError, StoreError
from console.intake import CaseDraft, validate_draft
from console.models import NO_DEADLINE, Agent, Case, CaseEvent, CaseTask, Deadline, Note
from console.new_rows import new_ids, new_row
from console.sla import Policy
from console.units import qty
from console.vocab import ESCALATIONS, KINDS, REFUND_STATUSES, STATUSES

__all__ = [
    "LEFTOVERS", "ROLES", "CaseDetail", "CaseDraft", "CaseEdit", "Cases", "ClaimedError", "DraftError",
    "NotFoundError", "Pending", "PendingError", "StaleError", "UnknownAgentError", "allowed_statuses",
    "complaint_next",
]

ROLES: dict[str, str] = {"agent": "客服", "specialist": "专员", "supervisor": "主管"}


class DraftError(ValueError):
    """The new-case form has errors; `errors` maps field name -> message for the agent."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


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


class Cases:
    def __init__(self, db: Database, policy: Policy, clock: Clock) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock

    # ---- the unit of work -------------------------------------------------------------------

    @contextmanager
    def edit(self, case_id: int, agent: str, expect_version: int | None = None,
             session: Session | None = None) -> Iterator[CaseEdit]:
        """Change one case. A stale `expect_version` is refused before anything changes; the
        version moves once when the block ends (an error inside rolls everything back). With
        `session`, the edit is part of the caller's transaction (a handover of many cases
        commits or fails as one)."""
        if session is not None:
            e = self._open(session, case_id, agent, expect_version)
            yield e
            e.finish()
            return
        with self.db.write() as s:
            e = self._open(s, case_id, agent, expect_version)
            yield e
            e.finish()

    def _open(self, s: Session, case_id: int, agent: str, expect_version: int | None) -> CaseEdit:
        # The case's row is locked until the transaction ends (PostgreSQL: SELECT … FOR
        # UPDATE, and read again if another console changed it meanwhile; SQLite needs no
        # more than its BEGIN IMMEDIATE): what the edit checks (the version, who has the
        # case) stays true until it commits.
        case = s.get(Case, case_id, with_for_update=True, populate_existing=True)
        if case is None:
            raise NotFoundError(f"找不到工单 #{case_id}")
        if expect_version is not None and case.version != expect_version and \
                case.version - expect_version != self.db.own_bumps(case_id):
            # (After an outage, a write that waited was made against the version shown before
            # it; when the only changes since are this console's own earlier waiting writes,
            # landed just before it, it is not stale: see Database.count_own_bumps.)
            raise StaleError("这个工单刚被别人改过,请看最新内容后再操作。您输入的内容没有丢失。")
        return CaseEdit(s, case, agent, self.clock.now(), self.policy)

    # ---- reads ------------------------------------------------------------------------------

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

    def pending(self, case_id: int) -> Pending:
        """What would still run after the case is resolved or closed."""
        with self.db.read() as s:
            case = s.get(Case, case_id)
            if case is None:
                raise NotFoundError(f"找不到工单 #{case_id}")
            return CaseEdit(s, case, "", self.clock.now(), self.policy).pending()

    def describe_pending(self, pending: Pending) -> list[str]:
        return describe_pending(pending, self.policy)

    # ---- agents -----------------------------------------------------------------------------

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
                self.db.serialize(s, "agent")  # two consoles starting with one new name
                if s.exec(select(Agent.id).where(Agent.name == name)).first() is None:
                    s.add(Agent(name=name, created_at=self.clock.now()))
        except StoreError:
            # A read-only database still lets the agent look at the queue.
            pass

    # ---- a new case -------------------------------------------------------------------------

    def create(self, draft: CaseDraft, agent: str, session: Session | None = None) -> Case:
        with self.creating(draft, agent, session=session) as e:
            pass
        return e.case

    @contextmanager
    def creating(self, draft: CaseDraft, agent: str, session: Session | None = None) -> Iterator[CaseEdit]:
        """Create a case and go on changing it in the same unit of work (an import sets the
        platform's refund state and deadline at once). DraftError before anything is written
        when the draft is wrong. With `session`, part of the caller's transaction (a batch of
        an import commits or fails as one)."""
        now = self.clock.now()
        valid = validate_draft(draft, self.policy, now)
        if isinstance(valid, dict):
            raise DraftError(valid)
        if session is not None:
            yield from self._create(session, valid, agent, now)
            return
        with self.db.write() as s:
            yield from self._create(s, valid, agent, now)

    def create_many(self, drafts: list[CaseDraft], agent: str, session: Session) -> Iterator[CaseEdit]:
        """New cases in the caller's write transaction (a batch of an import), each case's
        unit of work in turn. The caller changes each case through the edit it is given; the
        edit is finished when the next one is asked for. DraftError before anything is
        written when a draft is wrong.

        The cases' ids are taken up front (new_rows.new_ids), so a case is inserted once, as
        its edit leaves it, with its clocks and rows in the same flush (the unit of work
        inserts case rows before the rows that refer to them: tests/test_event_log.py), and
        its events just after. Inserting first and updating each case after its edit cost
        about 40 % of an imported case."""
        now = self.clock.now()
        valids = []
        for draft in drafts:
            valid = validate_draft(draft, self.policy, now)
            if isinstance(valid, dict):
                raise DraftError(valid)
            valids.append(valid)
        rows = [self._new_case(valid, agent, now) for valid in valids]
        ids = new_ids(session, Case, len(rows))
        if ids is None:
            session.add_all(rows)
            session.flush()  # the database numbers them
        else:
            for case, case_id in zip(rows, ids, strict=True):
                case.id = case_id
            session.add_all(rows)
        for case, valid in zip(rows, valids, strict=True):
            e = self._started(session, case, valid, agent, now)
            yield e
            e.finish(bump=False)

    def _create(self, s: Session, valid, agent: str, now: datetime) -> Iterator[CaseEdit]:
        case = self._new_case(valid, agent, now)
        s.add(case)
        s.flush()
        e = self._started(s, case, valid, agent, now)
        yield e
        e.finish(bump=False)  # a new case starts at its first version

    @staticmethod
    def _new_case(valid, agent: str, now: datetime) -> Case:
        return new_row(
            Case, buyer_id=valid.buyer_id, order_no=valid.order_no, channel=valid.channel, kind=valid.kind,
            status="new", description=valid.description, urgent=valid.urgent, assignee=valid.assignee,
            initiated_by=valid.initiated_by, product=valid.product, created_by=agent, created_at=now,
            updated_at=now, first_message_at=valid.message_at or now,
            next_due_at=NO_DEADLINE, next_warn_at=NO_DEADLINE,
        )

    def _started(self, s: Session, case: Case, valid, agent: str, now: datetime) -> CaseEdit:
        """The new case's first events and clocks."""
        e = CaseEdit(s, case, agent, now, self.policy, new=True)
        e.event("created", None, STATUSES["new"], valid.summary())
        if valid.urgent:
            e.escalate("supervisor", "加急工单")  # flag the supervisor
        for kind in self.policy.clocks_on_create(valid.channel, valid.kind, valid.urgent, valid.initiated_by):
            # The first-reply clock runs from the buyer's message, the others from now.
            start = case.first_message_at if kind.startswith("first_response") else now
            e.start_clock(kind, start, origin="create")
        if valid.urgent:
            e.with_specialist(case.assignee)  # created for a specialist: already with one
        return e

    # ---- single-step edits ------------------------------------------------------------------

    def mark_first_reply(self, case_id: int, agent: str, how: str = "") -> Case:
        """The agent answered the buyer; `how` says what counted (copying a reply, a wizard outcome)."""
        with self.edit(case_id, agent) as e:
            e.first_reply(how)
        return e.case

    def set_status(self, case_id: int, status: str, agent: str, expected_version: int | None = None,
                   leftovers: str | None = None) -> Case:
        """Change the status. Resolving or closing settles what still runs first (see
        case_close.py): `leftovers` is the agent's decision about it."""
        with self.edit(case_id, agent, expected_version) as e:
            e.set_status(status, leftovers)
        return e.case

    def set_urgent(self, case_id: int, urgent: bool, agent: str) -> Case:
        with self.edit(case_id, agent) as e:
            e.set_urgent(urgent)
        return e.case

    def assign(self, case_id: int, assignee: str | None, agent: str, expected_version: int | None = None) -> Case:
        """Give the case to a known agent (or back to the pool). A name nobody has is refused:
        a typo must not create an agent; add a new colleague with `ensure_agent` first."""
        assignee = _agent_name(assignee)
        with self.edit(case_id, agent, expected_version) as e:
            e.assign(assignee)
        return e.case

    def claim(self, case_id: int, agent: str) -> Case:
        """Take a case. Atomic across consoles: of two agents claiming at once exactly one
        wins (the edit holds the case's row lock, or SQLite's write lock, from reading who
        has it to the commit) and the other is told who has it."""
        with self.edit(case_id, agent) as e:
            if e.case.assignee not in (None, agent):
                raise ClaimedError(e.case.assignee)
            e.assign(agent)
        return e.case

    def escalate(self, case_id: int, target: str | None, reason: str, agent: str) -> Case:
        """Escalate to the senior team, a supervisor or risk/legal, with a reason (None clears)."""
        if target is not None and target not in ESCALATIONS:
            raise StoreError(f"未知的升级对象: {target}")
        if target is not None and not reason.strip():
            raise StoreError("升级需要写明原因")
        with self.edit(case_id, agent) as e:
            e.escalate(target, reason)
        return e.case

    def set_complaint_status(self, case_id: int, status: str, agent: str) -> Case:
        with self.edit(case_id, agent) as e:
            e.set_complaint_status(status)
        return e.case

    def set_refund_status(self, case_id: int, status: str | None, agent: str, shipped: bool = True,
                          start_at: datetime | None = None, due_at: datetime | None = None) -> Case:
        """Follow the platform's refund status. The clock of the old status stops and the
        clock of the new one starts, from `start_at` (e.g. the buyer's application time) or
        at the `due_at` the platform shows. `shipped` picks the 7-day over the 2-day
        auto-agree clock while waiting for the seller."""
        if status is not None and status not in REFUND_STATUSES:
            raise StoreError(f"未知的退款状态: {status}")
        if start_at is not None and start_at > self.clock.now():
            raise StoreError("申请时间不能晚于现在")
        with self.edit(case_id, agent) as e:
            if e.case.refund_status == status and due_at is None and start_at is None:
                return e.case
            e.set_refund(status, shipped=shipped, start_at=start_at, due_at=due_at)
            e.settle()
        return e.case

    def set_intervened(self, case_id: int, intervened: bool, agent: str, start_at: datetime | None = None) -> Case:
        """小二介入: the platform's clocks start from `start_at`, the time Qianniu shows."""
        if start_at is not None and start_at > self.clock.now():
            raise StoreError("介入时间不能晚于现在")
        with self.edit(case_id, agent) as e:
            e.set_intervened(intervened, start_at)
        return e.case

    def resolve(self, case_id: int, satisfaction: str, agent: str, reason: str = "",
                leftovers: str | None = None) -> Case:
        with self.edit(case_id, agent) as e:
            e.resolve(satisfaction, reason, leftovers)
        return e.case

    def add_tasks(self, case_id: int, texts: list[str], agent: str) -> list[CaseTask]:
        with self.edit(case_id, agent) as e:
            tasks = e.add_tasks(texts)
            e.settle()
        return tasks

    def toggle_task(self, task_id: int, agent: str) -> CaseTask:
        with self.db.read() as s:
            case_id = s.exec(select(CaseTask.case_id).where(CaseTask.id == task_id)).first()
        if case_id is None:
            raise NotFoundError("找不到这条待办")
        with self.edit(case_id, agent) as e:
            task = e.toggle_task(task_id)
        return task

    def start_clock(self, case_id: int, kind: str, agent: str, start_at: datetime | None = None,
                    due_at: datetime | None = None, note: str = "") -> Deadline:
        """Start a clock of `kind`; `due_at` overrides the rule when the platform shows another time."""
        rule = self.policy.rule(kind)
        with self.edit(case_id, agent) as e:
            if not e.case.is_open:
                raise StoreError("工单已解决或关闭,不能再开始计时")
            origin = "promise" if rule.kind == "buyer_promise" else "manual"
            d = e.start_clock(rule.kind, start_at, due_at=due_at, note=note, origin=origin)
        return d

    def end_clock(self, case_id: int, deadline_id: int, agent: str, note: str = "") -> Deadline:
        """The agent records that a clock is done: a promise kept, the platform has dealt with
        its step (its status moved on outside the console). The event says who and why."""
        with self.edit(case_id, agent) as e:
            d = e.end_clock(deadline_id, note)
        return d

    def change_kind(self, case_id: int, kind: str, agent: str, expected_version: int | None = None) -> list[str]:
        """Change the case's kind; its kind clocks change with it (a logistics dispute gets the
        48 h clock, not 24 h). Returns what changed, in words for the agent."""
        if kind not in KINDS:
            raise StoreError(f"未知的工单类型: {kind}")
        with self.edit(case_id, agent, expected_version) as e:
            changes = e.change_kind(kind)
        return changes


def _agent_name(name: str | None) -> str | None:
    name = (name or "").strip() or None
    if name is not None and len(name) > 64:
        raise StoreError(f"处理人名字太长 (最多 {qty(64, '个字符')})")
    return name
