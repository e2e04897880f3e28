"""Resolving and closing a case without losing what still runs on it.

A mixin of `CaseEdit` (console/case_edit.py). Resolving (已解决) or closing (已关闭) used to end every clock and leave
every checklist step open without a word. Now, whoever calls it:
- a running platform clock refuses the close: the shop cannot stop it (DOMAIN.md §2);
- a promise to the buyer, another shop clock that resolving does not meet, or an open
  checklist step must be decided by the agent: all done, kept (the case stays in the queue,
  resolved, until they are done) or, when closing, dropped. Each is an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from console.db import StoreError
from console.models import CaseTask, Deadline
from console.sla import Policy, shop_time
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


def describe_pending(pending: Pending, policy: Policy) -> list[str]:
    """One line per item, for the dialog and the refusal."""
    lines = []
    for d in pending.platform + pending.clocks:
        due = f"到期 {shop_time(d.due_at, policy)}" if d.due_at else "暂停中"
        note = f" · {d.note}" if d.note else ""
        lines.append(f"{d.label} ({due}){note}")
    lines += [f"待办: {t.text}" for t in pending.tasks]
    return lines


class CloseEdits:
    def pending(self) -> Pending:
        """What would still run after this case is resolved or closed."""
        return self._snapshot(*self._open_parts())

    def resolve(self, satisfaction: str, reason: str = "", leftovers: str | None = None) -> None:
        """Close the loop: satisfied or neutral archives the case (or keeps it resolved in the
        queue while kept items run); unsatisfied keeps it open and escalates it to the senior
        team with the reason."""
        if satisfaction not in SATISFACTION:
            raise StoreError(f"未知的满意度: {satisfaction}")
        reason = reason.strip()
        if satisfaction == "unsatisfied" and not reason:
            raise StoreError("买家不满意时请写明原因,以便升级给资深客服")
        case = self.case
        if case.status == "closed":
            raise StoreError("工单已关闭")
        before = case.satisfaction
        case.satisfaction, case.rated_at = satisfaction, self.now
        self.event("satisfaction", SATISFACTION.get(before or "", "—"), SATISFACTION[satisfaction], reason[:200])
        if satisfaction == "unsatisfied":
            # Not solved: the case goes on (reopened if it was resolved) with the senior team.
            if case.status != "in_progress":
                self.move_status("in_progress")
            self.escalate("senior", f"买家不满意: {reason}")
            return
        kept = self.close_out("resolved", leftovers)
        if case.status != "resolved":
            self.move_status("resolved")
        if not kept:
            self.move_status("closed", why="买家确认,归档")

    def close_out(self, status: str, leftovers: str | None) -> bool:
        """Settle what runs before `status` (resolved or closed). True when items are kept."""
        platform, clocks, tasks = self._open_parts()
        pending = self._snapshot(platform, clocks, tasks)
        word = "解决" if status == "resolved" else "关闭"
        if pending.blocking:
            items = ";".join(describe_pending(Pending(platform=pending.platform), self.policy))
            raise PendingError(
                f"平台计时还在走,店铺{word}工单停不了它: {items}。"
                f"平台状态变了请按 f 记录;平台已经处理完请按 d 记下来,再{word}。",
                pending,
            )
        if not pending.asks:
            self._cancel_unresolved(status)
            return False
        allowed = ("done", "keep") if status == "resolved" else ("done", "drop")
        if leftovers not in allowed:
            raise PendingError(f"{word}前请决定这些还开着的事项: " + ";".join(describe_pending(pending, self.policy)),
                               pending)
        if leftovers == "keep":
            self.event("kept", None, None, ";".join(describe_pending(pending, self.policy))[:2000])
            return True
        why = f"{word}时确认已完成" if leftovers == "done" else f"{word}时取消"
        for d in clocks:
            rule = self.policy.clocks.get(d.kind)
            if leftovers == "done" and rule is not None and "first_reply" in rule.met_on:
                self.first_reply(why)
            elif d.state in ("running", "paused"):
                self.end(d, "met" if leftovers == "done" else "cancelled", why=why)
        for t in tasks:
            if leftovers == "done":
                t.done_at, t.done_by = self.now, self.agent
                self.event("task_done", None, None, f"{t.text} ({why})"[:2000])
            else:
                t.dropped_at = self.now
                self.event("task_dropped", None, None, f"{t.text} ({why})"[:2000])
            self.session.add(t)
        self._cancel_unresolved(status)
        return False

    # ---- internals --------------------------------------------------------------------------

    def _open_parts(self) -> tuple[list[Deadline], list[Deadline], list[CaseTask]]:
        """(platform clocks, shop clocks resolving does not meet, open checklist steps)."""
        platform, clocks = [], []
        for d in self.live():
            rule = self.policy.clocks.get(d.kind)
            if d.clock == "platform":
                platform.append(d)
            elif rule is None or "resolved" not in rule.met_on:
                clocks.append(d)
        return platform, clocks, self.open_tasks()

    def _snapshot(self, platform: list[Deadline], clocks: list[Deadline], tasks: list[CaseTask]) -> Pending:
        def item(d: Deadline) -> OpenClock:
            return OpenClock(d.id, d.kind, self.policy.label(d.kind), d.due_at, d.note)

        return Pending([item(d) for d in platform], [item(d) for d in clocks], [OpenTask(t.id, t.text) for t in tasks])

    def _cancel_unresolved(self, status: str) -> None:
        """Closing without a resolution: the clocks a resolution would have met are cancelled."""
        if status != "closed":
            return
        for d in self.live():
            if d.clock == "shop":
                self.end(d, "cancelled", why="关闭工单")
