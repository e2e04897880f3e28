"""The clocks of a case: starting, meeting, pausing, ending, and the queue key they set.

A mixin of `Cases`. The rules of how clocks behave (DOMAIN.md §2) live here, so every
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

from sqlmodel import Session, col, select

from console.db import NotFoundError, StoreError
from console.models import NO_DEADLINE, Agent, Case, CaseTask, Deadline
from console.sla import pause, resume, shop_time
from console.vocab import KINDS

# Clocks a case kind starts, by where they came from (not a wizard outcome's or a promise).
KIND_ORIGINS = frozenset({"", "create", "kind", "reopen"})


class ClockOps:
    # ---- public ---------------------------------------------------------------------------

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
            origin = "promise" if kind == "buyer_promise" else "manual"
            d = self._start(s, case, rule.kind, start_at or now, agent, now, due_at=due_at, note=note,
                            origin=origin)
            self._touch(s, case, now)
        return d

    def end_clock(self, case_id: int, deadline_id: int, agent: str, note: str = "") -> Deadline:
        """The agent records that a clock is done: a promise kept, the platform has dealt with
        its step (its status moved on outside the console). The event says who and why."""
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id)
            d = s.get(Deadline, deadline_id)
            if d is None or d.case_id != case_id or d.state not in ("running", "paused"):
                raise NotFoundError("这个计时已经结束了")
            rule = self.policy.clocks.get(d.kind)
            if rule is not None and "first_reply" in rule.met_on and case.first_replied_at is None:
                self._first_reply_in(s, case, agent, now, note or "结束首次响应计时")
            else:
                why = note.strip() or ("平台已处理" if d.clock == "platform" else "已完成")
                self._end(s, case, d, "met", agent, now, why=why[:200])
            self._settle(s, case, agent, now)
            self._touch(s, case, now)
        return d

    def change_kind(self, case_id: int, kind: str, agent: str, expected_version: int | None = None) -> list[str]:
        """Change the case's kind; its kind clocks change with it (a logistics dispute gets the
        48 h clock, not 24 h). Returns what changed, in words for the agent."""
        if kind not in KINDS:
            raise StoreError(f"未知的工单类型: {kind}")
        now = self.clock.now()
        with self.db.write() as s:
            case = self._load(s, case_id, expected_version)
            changes = self._change_kind_in(s, case, kind, agent, now)
            self._touch(s, case, now)
        return changes

    # ---- internals --------------------------------------------------------------------------

    def _live(self, s: Session, case: Case) -> list[Deadline]:
        q = select(Deadline).where(Deadline.case_id == case.id, col(Deadline.state).in_(("running", "paused")))
        return list(s.exec(q).all())

    def _open_tasks(self, s: Session, case: Case) -> list[CaseTask]:
        q = select(CaseTask).where(CaseTask.case_id == case.id, col(CaseTask.done_at).is_(None),
                                   col(CaseTask.dropped_at).is_(None)).order_by(CaseTask.position, CaseTask.id)
        return list(s.exec(q).all())

    def _start(
        self, s: Session, case: Case, kind: str, start_at: datetime, agent: str, now: datetime,
        due_at: datetime | None = None, note: str = "", origin: str = "",
    ) -> Deadline:
        rule = self.policy.rule(kind)
        due, warn = self.policy.due(rule, start_at)
        if due_at is not None:
            due, warn = due_at, due_at - rule.warn_before
        d = Deadline(case_id=case.id, kind=kind, clock=rule.clock, state="running", started_at=start_at,
                     due_at=due, warn_at=warn, warn_s=int(rule.warn_before.total_seconds()), note=note,
                     origin=origin)
        if rule.pauses and case.status in self.policy.pause_statuses:
            d.state, d.remaining_s, d.due_at, d.warn_at = "paused", pause(due, now), None, None
        s.add(d)
        s.flush()
        detail = f"到期 {shop_time(due, self.policy, '%Y-%m-%d %H:%M:%S')}"
        if d.state == "paused":
            detail += " (等买家,暂停中)"
        self._event(s, case, agent, now, "clock_started", None, rule.label, detail + (f" ({note})" if note else ""))
        return d

    def _end(self, s: Session, case: Case, d: Deadline, state: str, agent: str, now: datetime, why: str = "") -> None:
        d.state, d.ended_at = state, now
        s.add(d)
        action = "clock_met" if state == "met" else "clock_cancelled"
        self._event(s, case, agent, now, action, None, self.policy.label(d.kind), why)

    def _meet(self, s: Session, case: Case, event: str, agent: str, now: datetime, why: str = "") -> list[Deadline]:
        met = []
        for d in self._live(s, case):
            rule = self.policy.clocks.get(d.kind)
            if rule is not None and event in rule.met_on:
                self._end(s, case, d, "met", agent, now, why=why)
                met.append(d)
        return met

    def _first_reply_in(self, s: Session, case: Case, agent: str, now: datetime, how: str = "") -> bool:
        """Record the first reply (once); `how` says what counted as one. False if already there."""
        if case.first_replied_at is not None:
            return False
        case.first_replied_at = now
        self._event(s, case, agent, now, "first_reply", None, None, how)
        self._meet(s, case, "first_reply", agent, now)
        if case.status == "new":
            self._set_status(s, case, "in_progress", agent, now)
        return True

    def _assigned_to_specialist(self, s: Session, case: Case, assignee: str, agent: str, now: datetime) -> None:
        role = s.exec(select(Agent.role).where(Agent.name == assignee)).first()
        if role == "specialist":
            self._meet(s, case, "specialist_assigned", agent, now, why=f"已转给专员 {assignee}")

    def _pause_resume(self, s: Session, case: Case, before: str, status: str, agent: str, now: datetime) -> None:
        """Entering a waiting status pauses the clocks that wait on the buyer; leaving it resumes
        them with the time they had left. Other clocks run on."""
        pauses = self.policy.pause_statuses
        if status in pauses and before not in pauses:
            for d in self._live(s, case):
                rule = self.policy.clocks.get(d.kind)
                if d.state == "running" and rule is not None and rule.pauses:
                    d.state, d.remaining_s, d.due_at, d.warn_at = "paused", pause(d.due_at, now), None, None
                    s.add(d)
                    self._event(s, case, agent, now, "clock_paused", None, rule.label, "")
        elif status not in pauses and before in pauses:
            for d in self._live(s, case):
                if d.state == "paused":
                    d.due_at, d.warn_at = resume(d.remaining_s or 0, d.warn_s, now)
                    d.state, d.remaining_s = "running", None
                    s.add(d)
                    self._event(s, case, agent, now, "clock_resumed", None, self.policy.label(d.kind), "")

    def _change_kind_in(self, s: Session, case: Case, kind: str, agent: str, now: datetime, why: str = "") -> list[str]:
        old = case.kind
        if kind == old:
            return []
        self._event(s, case, agent, now, "kind", KINDS.get(old, old), KINDS.get(kind, kind), why)
        case.kind = kind
        new_kinds = self.policy.start_kind.get(kind, ())
        old_kinds = set(self.policy.start_kind.get(old, ())) - set(new_kinds)
        live = self._live(s, case)
        ended = [d for d in live if d.kind in old_kinds and d.origin in KIND_ORIGINS]
        for d in ended:
            self._end(s, case, d, "cancelled", agent, now, why=f"类型改为{KINDS.get(kind, kind)}")
        if not case.is_open:
            return [f"类型 {KINDS.get(old, old)} → {KINDS.get(kind, kind)}"]
        # The new kind's clocks run from when the old ones started: the case is no younger.
        since = min((d.started_at for d in ended), default=now)
        running = {d.kind for d in live} - {d.kind for d in ended}
        started = [self._start(s, case, k, since, agent, now, origin="kind") for k in new_kinds if k not in running]
        words = f"类型 {KINDS.get(old, old)} → {KINDS.get(kind, kind)}"
        if ended or started:
            before = "、".join(self.policy.label(d.kind) for d in ended) or "—"
            after = "、".join(self.policy.label(d.kind) for d in started) or "—"
            words += f";时限 {before} → {after} (从 {shop_time(since, self.policy)} 起算)"
        return [words]

    def _leftovers(self, s: Session, case: Case) -> bool:
        return bool(self._live(s, case) or self._open_tasks(s, case))

    def _settle(self, s: Session, case: Case, agent: str, now: datetime) -> None:
        """A case resolved with things kept stays in the queue until they are done; then it is
        archived by itself, with an event saying so."""
        if case.status != "resolved":
            return
        if self._leftovers(s, case):
            case.is_open = True
        else:
            self._set_status(s, case, "closed", agent, now, why="保留的事项都已完成,自动归档")

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
