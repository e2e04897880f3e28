"""The clocks of a case: starting, meeting, pausing, ending, and the queue key they set.

A mixin of `CaseEdit` (console/case_edit.py): every method works inside the edit's one
transaction on its case. The rules of how clocks behave (DOMAIN.md §2) live here, so every
caller gets the same answer:
- only a clock that waits on the buyer (`pauses = true` in sla.toml) pauses while the case
  waits on the buyer; first response, urgent and promises never pause;
- the urgent clock is met when the case reaches an agent with the specialist role;
- a platform clock is never met by the shop resolving its case: it ends when the platform
  status moves on, or when the agent records that the platform has dealt with it;
- changing a case's kind swaps the kind's clocks, from the time the old ones started.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from console.db import NotFoundError
from console.models import NO_DEADLINE, Agent, CaseTask, Deadline
from console.new_rows import new_row, next_id
from console.sla import pause, resume, shop_time
from console.vocab import KINDS

# Clocks a case kind starts, by where they came from (not a wizard outcome's or a promise).
KIND_ORIGINS = frozenset({"", "create", "kind", "reopen"})


class ClockEdits:
    # ---- reads ----------------------------------------------------------------------------

    def live(self) -> list[Deadline]:
        """The case's clocks still counting or paused. Read once per edit (the case is locked
        for the edit, and every clock change of the edit goes through it), then kept: an edit
        that starts and ends several clocks, or a batch of an import, asks the database once."""
        if self._clocks is None:
            q = select(Deadline).where(Deadline.case_id == self.case.id,
                                       col(Deadline.state).in_(("running", "paused")))
            self._clocks = list(self.session.exec(q).all())
        return [d for d in self._clocks if d.state in ("running", "paused")]

    def open_tasks(self) -> list[CaseTask]:
        q = select(CaseTask).where(CaseTask.case_id == self.case.id, col(CaseTask.done_at).is_(None),
                                   col(CaseTask.dropped_at).is_(None)).order_by(CaseTask.position, CaseTask.id)
        return list(self.session.exec(q).all())

    # ---- clocks -----------------------------------------------------------------------------

    def start_clock(self, kind: str, start_at: datetime | None = None, due_at: datetime | None = None,
                    note: str = "", origin: str = "") -> Deadline:
        """Start a clock of `kind` from `start_at` (default now); `due_at` overrides the rule
        when the platform shows another time."""
        rule = self.policy.rule(kind)
        start_at = start_at or self.now
        due, warn = self.policy.due(rule, start_at)
        if due_at is not None:
            due, warn = due_at, due_at - rule.warn_before
        d = new_row(Deadline, id=next_id(self.session, Deadline), case_id=self.case.id, kind=kind, clock=rule.clock, state="running", started_at=start_at,
                     due_at=due, warn_at=warn, warn_s=int(rule.warn_before.total_seconds()), note=note,
                     origin=origin, assignee=self.case.assignee)
        if rule.pauses and self.case.status in self.policy.pause_statuses:
            d.state, d.remaining_s, d.due_at, d.warn_at = "paused", pause(due, self.now), None, None
        self.session.add(d)
        if self._clocks is not None:
            self._clocks.append(d)
        detail = f"到期 {shop_time(due, self.policy, '%Y-%m-%d %H:%M:%S')}"
        if d.state == "paused":
            detail += " (等买家,暂停中)"
        self.event("clock_started", None, rule.label, detail + (f" ({note})" if note else ""))
        return d

    def end(self, d: Deadline, state: str, why: str = "") -> None:
        """End one clock: met, or cancelled; the event says why."""
        d.state, d.ended_at = state, self.now
        self.session.add(d)
        action = "clock_met" if state == "met" else "clock_cancelled"
        self.event(action, None, self.policy.label(d.kind), why)

    def meet(self, event: str, why: str = "") -> list[Deadline]:
        """Meet every live clock whose rule is met by `event` (first_reply, resolved …)."""
        met = []
        for d in self.live():
            rule = self.policy.clocks.get(d.kind)
            if rule is not None and event in rule.met_on:
                self.end(d, "met", why=why)
                met.append(d)
        return met

    def end_clock(self, deadline_id: int, note: str = "") -> Deadline:
        """The agent records that a clock is done: a promise kept, the platform has dealt with
        its step (its status moved on outside the console)."""
        d = self.session.get(Deadline, deadline_id)
        if d is None or d.case_id != self.case.id or d.state not in ("running", "paused"):
            raise NotFoundError("这个计时已经结束了")
        rule = self.policy.clocks.get(d.kind)
        if rule is not None and "first_reply" in rule.met_on and self.case.first_replied_at is None:
            self.first_reply(note or "结束首次响应计时")
        else:
            why = note.strip() or ("平台已处理" if d.clock == "platform" else "已完成")
            self.end(d, "met", why=why[:200])
        self.settle()
        return d

    def first_reply(self, how: str = "") -> bool:
        """Record the first reply (once); `how` says what counted as one. False if already there."""
        case = self.case
        if case.first_replied_at is not None:
            return False
        case.first_replied_at, case.first_replied_by = self.now, self.agent
        self.event("first_reply", None, None, how)
        self.meet("first_reply")
        if case.status == "new":
            self.move_status("in_progress")
        return True

    def change_kind(self, kind: str, why: str = "") -> list[str]:
        """Change the case's kind; its kind clocks change with it, from when the old ones
        started (a logistics dispute gets the 48 h clock, not 24 h). What changed, in words."""
        case = self.case
        old = case.kind
        if kind == old:
            return []
        self.event("kind", KINDS.get(old, old), KINDS.get(kind, kind), why)
        case.kind = kind
        new_kinds = self.policy.start_kind.get(kind, ())
        old_kinds = set(self.policy.start_kind.get(old, ())) - set(new_kinds)
        live = self.live()
        ended = [d for d in live if d.kind in old_kinds and d.origin in KIND_ORIGINS]
        for d in ended:
            self.end(d, "cancelled", why=f"类型改为{KINDS.get(kind, kind)}")
        if not case.is_open:
            return [f"类型 {KINDS.get(old, old)} → {KINDS.get(kind, kind)}"]
        # The new kind's clocks run from when the old ones started: the case is no younger.
        since = min((d.started_at for d in ended), default=self.now)
        running = {d.kind for d in live} - {d.kind for d in ended}
        started = [self.start_clock(k, since, origin="kind") for k in new_kinds if k not in running]
        words = f"类型 {KINDS.get(old, old)} → {KINDS.get(kind, kind)}"
        if ended or started:
            before = "、".join(self.policy.label(d.kind) for d in ended) or "—"
            after = "、".join(self.policy.label(d.kind) for d in started) or "—"
            words += f";时限 {before} → {after} (从 {shop_time(since, self.policy)} 起算)"
        return [words]

    def settle(self) -> None:
        """A case resolved with things kept stays in the queue until they are done; then it is
        archived by itself, with an event saying so."""
        if self.case.status != "resolved":
            return
        self.session.flush()
        if self._leftovers():
            self.case.is_open = True
        else:
            self.move_status("closed", why="保留的事项都已完成,自动归档")

    # ---- internals --------------------------------------------------------------------------

    def with_specialist(self, assignee: str | None) -> None:
        """The case is with `assignee`: a specialist meets the urgent "to a specialist" clock.
        Called when the case is handed over, and when the clock starts on a case a specialist
        already holds (created urgent for one, or marked urgent later): it is met at once."""
        if assignee is None:
            return
        role = self.session.exec(select(Agent.role).where(Agent.name == assignee)).first()
        if role == "specialist":
            self.meet("specialist_assigned", why=f"已转给专员 {assignee}")

    def _pause_resume(self, before: str, status: str) -> None:
        """Entering a waiting status pauses the clocks that wait on the buyer; leaving it resumes
        them with the time they had left. Other clocks run on."""
        pauses = self.policy.pause_statuses
        if status in pauses and before not in pauses:
            for d in self.live():
                rule = self.policy.clocks.get(d.kind)
                if d.state == "running" and rule is not None and rule.pauses:
                    d.state, d.remaining_s, d.due_at, d.warn_at = "paused", pause(d.due_at, self.now), None, None
                    self.session.add(d)
                    self.event("clock_paused", None, rule.label, "")
        elif status not in pauses and before in pauses:
            for d in self.live():
                if d.state == "paused":
                    d.due_at, d.warn_at = resume(d.remaining_s or 0, d.warn_s, self.now)
                    d.state, d.remaining_s = "running", None
                    self.session.add(d)
                    self.event("clock_resumed", None, self.policy.label(d.kind), "")

    def _leftovers(self) -> bool:
        return bool(self.live() or self.open_tasks())

    def _sync_clock_assignee(self) -> None:
        """Every clock of the case, ended ones too, counts for its new assignee (Deadline.assignee)."""
        self.session.execute(update(Deadline).where(col(Deadline.case_id) == self.case.id)
                             .values(assignee=self.case.assignee))
        self._assignee = self.case.assignee

    def _sync_next(self) -> None:
        """Keep the case's queue key in step with its nearest running clock."""
        case = self.case
        running = [d for d in self.live() if d.state == "running" and d.due_at is not None]
        nearest = min(running, key=lambda d: d.due_at, default=None)
        if nearest is None:
            case.next_due_at, case.next_warn_at, case.next_due_kind = NO_DEADLINE, NO_DEADLINE, None
        else:
            case.next_due_at = nearest.due_at
            case.next_warn_at = nearest.warn_at or nearest.due_at
            case.next_due_kind = nearest.kind
        if case not in self.session:  # (the edit's case always is: adding again costs a cascade walk)
            self.session.add(case)
