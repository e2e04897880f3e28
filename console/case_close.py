"""Resolving and closing a case without losing what still runs on it.

A mixin of `Cases`. Resolving (已解决) or closing (已关闭) used to end every clock and leave
every checklist step open without a word. Now, whoever calls it:
- a running platform clock refuses the close: the shop cannot stop it (DOMAIN.md §2);
- a promise to the buyer, another shop clock that resolving does not meet, or an open
  checklist step must be decided by the agent: all done, kept (the case stays in the queue,
  resolved, until they are done) or, when closing, dropped. Each is an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from console.db import StoreError
from console.models import Case, CaseTask, Deadline
from console.sla import shop_time
from console.vocab import SATISFACTION

# What the agent decided for what is still open: all done, keep them running, drop them.
LEFTOVERS: dict[str, str] = {"done": "都已完成", "keep": "保留,做完再归档", "drop": "不再需要,取消"}


@dataclass(frozen=True)
class OpenClock:
    id: int
    kind: str
    label: str
    due_at: datetime | None  # None while paused
    note: str


@dataclass(frozen=True)
class OpenTask:
    id: int
    text: str


@dataclass
class Pending:
    """What would still run after a case is resolved or closed (plain values, safe to hand
    to a screen after the transaction is gone)."""

    platform: list[OpenClock] = field(default_factory=list)  # the shop cannot stop these
    clocks: list[OpenClock] = field(default_factory=list)  # promises and other shop clocks
    tasks: list[OpenTask] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return bool(self.platform)

    @property
    def asks(self) -> bool:
        return bool(self.clocks or self.tasks)


class PendingError(StoreError):
    """Resolving or closing needs a decision (or is refused); `pending` says about what."""

    def __init__(self, message: str, pending: Pending) -> None:
        super().__init__(message)
        self.pending = pending


class CloseOps:
    def pending(self, case_id: int) -> Pending:
        with self.db.read() as s:
            return self._snapshot(*self._open_in(s, self._load(s, case_id)))

    def describe_pending(self, pending: Pending) -> list[str]:
        """One line per item, for the dialog and the refusal."""
        lines = []
        for d in pending.platform + pending.clocks:
            due = f"到期 {shop_time(d.due_at, self.policy)}" if d.due_at else "暂停中"
            note = f" · {d.note}" if d.note else ""
            lines.append(f"{d.label} ({due}){note}")
        lines += [f"待办: {t.text}" for t in pending.tasks]
        return lines

    def resolve(self, case_id: int, satisfaction: str, agent: str, reason: str = "",
                leftovers: str | None = None) -> Case:
        """Close the loop: satisfied or neutral archives the case (or keeps it resolved in the
        queue while kept items run); unsatisfied keeps it open and escalates it to the senior
        team with the reason."""
        now = self.clock.now()
        if satisfaction not in SATISFACTION:
            raise StoreError(f"未知的满意度: {satisfaction}")
        reason = reason.strip()
        if satisfaction == "unsatisfied" and not reason:
            raise StoreError("买家不满意时请写明原因,以便升级给资深客服")
        with self.db.write() as s:
            case = self._load(s, case_id)
            if case.status == "closed":
                raise StoreError("工单已关闭")
            before = case.satisfaction
            case.satisfaction = satisfaction
            self._event(s, case, agent, now, "satisfaction", SATISFACTION.get(before or "", "—"),
                        SATISFACTION[satisfaction], reason[:200])
            if satisfaction == "unsatisfied":
                # Not solved: the case goes on (reopened if it was resolved) with the senior team.
                if case.status != "in_progress":
                    self._set_status(s, case, "in_progress", agent, now)
                self._escalate_in(s, case, "senior", f"买家不满意: {reason}", agent, now)
            else:
                kept = self._close_out_in(s, case, "resolved", leftovers, agent, now)
                if case.status != "resolved":
                    self._set_status(s, case, "resolved", agent, now)
                if not kept:
                    self._set_status(s, case, "closed", agent, now, why="买家确认,归档")
            self._touch(s, case, now)
        return case

    # ---- internals --------------------------------------------------------------------------

    def _open_in(self, s: Session, case: Case) -> tuple[list[Deadline], list[Deadline], list[CaseTask]]:
        """(platform clocks, shop clocks resolving does not meet, open checklist steps)."""
        platform, clocks = [], []
        for d in self._live(s, case):
            rule = self.policy.clocks.get(d.kind)
            if d.clock == "platform":
                platform.append(d)
            elif rule is None or "resolved" not in rule.met_on:
                clocks.append(d)
        return platform, clocks, self._open_tasks(s, case)

    def _snapshot(self, platform: list[Deadline], clocks: list[Deadline], tasks: list[CaseTask]) -> Pending:
        def item(d: Deadline) -> OpenClock:
            return OpenClock(d.id, d.kind, self.policy.label(d.kind), d.due_at, d.note)

        return Pending([item(d) for d in platform], [item(d) for d in clocks], [OpenTask(t.id, t.text) for t in tasks])

    def _close_out_in(self, s: Session, case: Case, status: str, leftovers: str | None, agent: str,
                      now: datetime) -> bool:
        """Settle what runs before `status` (resolved or closed). True when items are kept."""
        platform, clocks, tasks = self._open_in(s, case)
        pending = self._snapshot(platform, clocks, tasks)
        word = "解决" if status == "resolved" else "关闭"
        if pending.blocking:
            items = ";".join(self.describe_pending(Pending(platform=pending.platform)))
            raise PendingError(
                f"平台计时还在走,店铺{word}工单停不了它: {items}。"
                "平台状态变了请按 f 记录;平台已经处理完请按 d 记下来,再{word}。".replace("{word}", word),
                pending,
            )
        if not pending.asks:
            self._cancel_unresolved(s, case, status, agent, now)
            return False
        allowed = ("done", "keep") if status == "resolved" else ("done", "drop")
        if leftovers not in allowed:
            raise PendingError(f"{word}前请决定这些还开着的事项: " + ";".join(self.describe_pending(pending)),
                               pending)
        if leftovers == "keep":
            self._event(s, case, agent, now, "kept", None, None,
                        ";".join(self.describe_pending(pending))[:2000])
            return True
        why = f"{word}时确认已完成" if leftovers == "done" else f"{word}时取消"
        for d in clocks:
            rule = self.policy.clocks.get(d.kind)
            if leftovers == "done" and rule is not None and "first_reply" in rule.met_on:
                self._first_reply_in(s, case, agent, now, why)
            elif d.state in ("running", "paused"):
                self._end(s, case, d, "met" if leftovers == "done" else "cancelled", agent, now, why=why)
        for t in tasks:
            if leftovers == "done":
                t.done_at, t.done_by = now, agent
                self._event(s, case, agent, now, "task_done", None, None, f"{t.text} ({why})"[:2000])
            else:
                t.dropped_at = now
                self._event(s, case, agent, now, "task_dropped", None, None, f"{t.text} ({why})"[:2000])
            s.add(t)
        self._cancel_unresolved(s, case, status, agent, now)
        return False

    def _cancel_unresolved(self, s: Session, case: Case, status: str, agent: str, now: datetime) -> None:
        """Closing without a resolution: the clocks a resolution would have met are cancelled."""
        if status != "closed":
            return
        for d in self._live(s, case):
            if d.clock == "shop":
                self._end(s, case, d, "cancelled", agent, now, why="关闭工单")
