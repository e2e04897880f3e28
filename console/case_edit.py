"""One way to change a case: a unit of work.

    with cases.edit(case_id, agent, expect_version=v) as e:
        e.set_status("waiting_buyer")
        e.start_clock("buyer_promise", due_at=when, note="回电")

Everything done through `e` is one transaction on one case (or part of a caller's larger
transaction, like a handover of many cases); every change is a CaseEvent (who, when, what,
before → after); the case's version is bumped once at the end, and a stale
`expect_version` is refused with a clear message before anything changes. Notes, replies,
handovers, registers and wizard outcomes all change cases through it; the rules of clocks,
closing and follow-up live in its mixins (case_clocks.py, case_close.py, case_followup.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from console import event_log
from console.case_clocks import ClockEdits
from console.case_close import CloseEdits
from console.case_followup import FollowUpEdits
from console.db import BUMPED_CASES, CHANGED_CASES, StoreError
from console.models import Agent, Case, Note
from console.sla import Policy
from console.vocab import CLOSED_STATUSES, OUTCOME_KINDS, STATUSES, yes_no

# Case fields an import may fill, with the words the event uses.
FACTS: dict[str, str] = {
    "refund_no": "退款编号", "refund_amount": "退款金额", "order_no": "订单编号",
    "return_tracking_no": "退货单号", "return_carrier": "退货快递", "order_amount": "订单实付",
    "item_value": "宝贝价值", "order_status": "订单状态", "items": "宝贝", "province": "省份",
    "buyer_name": "收货人", "product": "商品",
}


class StaleError(StoreError):
    """The case changed since the agent's screen read it."""


class UnknownAgentError(StoreError):
    """An assignee or handover target that is not a known agent (a typo, or a new colleague
    who has to be added on purpose)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"没有叫“{name}”的客服。是新同事的话,请先确认添加;否则请从名单里选。")
        self.name = name


def allowed_statuses(current: str) -> list[str]:
    """Where a case may go from `current`: open statuses move freely, resolved can be closed
    or reopened, closed can be reopened."""
    if current == "closed":
        return ["in_progress"]
    if current == "resolved":
        return ["closed", "in_progress"]
    return [s for s in STATUSES if s not in (current, "new")]


class CaseEdit(ClockEdits, CloseEdits, FollowUpEdits):
    def __init__(self, session: Session, case: Case, agent: str, now: datetime, policy: Policy,
                 new: bool = False) -> None:
        self.session = session
        # The case's live clocks, read on first use (ClockEdits.live); a new case has none.
        self._clocks: list | None = [] if new else None
        self.new = new  # created in this unit of work: nothing refers to it yet
        self.case = case
        self._assignee = case.assignee  # the clocks' copy (Deadline.assignee) follows a change
        self.agent = agent
        self.now = now
        self.policy = policy
        self.changed = False  # something was recorded: the version moves at the end

    # ---- the record -------------------------------------------------------------------------

    def event(self, action: str, before: str | None = None, after: str | None = None, detail: str = "") -> None:
        """Record one change on the case's history."""
        # Written in bulk before the session flushes (console/event_log.py).
        event_log.record(self.session, {"case_id": self.case.id, "at": self.now, "agent": self.agent,
                                        "action": action, "before": before, "after": after, "detail": detail})
        self.changed = True

    def finish(self, bump: bool = True) -> None:
        """The end of the unit of work: the version moves once (not for a case just created)
        and the queue key follows the case's clocks."""
        if not self.changed:
            return
        # For the notice to other consoles (PostgreSQL NOTIFY, console/db.py) at commit.
        self.session.info.setdefault(CHANGED_CASES, set()).add(self.case.id)
        if bump:
            self.case.updated_at = self.now
            self.case.version += 1
            bumped = self.session.info.setdefault(BUMPED_CASES, {})
            bumped[self.case.id] = bumped.get(self.case.id, 0) + 1
        self._sync_next()
        if self.case.assignee != self._assignee:
            self._sync_clock_assignee()

    # ---- what the case knows -----------------------------------------------------------------

    def add_note(self, body: str, promise_at: datetime | None = None, detail: str | None = None) -> Note:
        """A note on the case (checked by the caller, console/notes.py); a promise to the buyer
        starts a clock due when promised."""
        note = Note(case_id=self.case.id, author=self.agent, created_at=self.now, body=body, promise_at=promise_at)
        self.session.add(note)
        self.event("note", None, None, (detail if detail is not None else body)[:2000])
        if promise_at is not None:
            self.start_clock("buyer_promise", due_at=promise_at, note=body[:200], origin="promise")
        self.session.flush()
        return note

    def add_row(self, title: str, row: object, detail: str = "") -> object:
        """A register row about this case (退件表, 重发单 …), with an event naming it. The row
        has its id at once when the event names it by number (no `detail`), else by the end
        of the edit: an import adds thousands, and a flush each cost more than the row."""
        self.session.add(row)
        if not detail:
            self.session.flush()
        self.event("register", None, title, detail or f"{title} 第 {row.id} 行")
        return row

    def set_sop_step(self, step: str) -> None:
        """Where the case is in the SOP (flow.node), for the next pass of the wizard."""
        self.case.sop_step = step
        self.changed = True

    def fill_product(self, product: str) -> bool:
        """The product, when the case has none yet (the agent named it in the wizard)."""
        product = product.strip()[:200]
        if not product or self.case.product:
            return False
        self.case.product = product
        self.event("product", None, product, "")
        return True

    def set_facts(self, values: dict[str, str | None], why: str) -> list[str]:
        """What the platform's export says about the case (FACTS: refund number, amounts, the
        return parcel, the order's state, items, province, the buyer's name): the fields that
        differ are set, and one "import" event says what changed, in words, and from where
        (`why`, e.g. "导入 退款.csv"). The changes in words; [] when nothing differed."""
        case = self.case
        words = []
        for name, value in values.items():
            label = FACTS[name]
            before = getattr(case, name)
            if value is None or value == (before or ""):
                continue
            setattr(case, name, value)
            words.append(f"{label} {before or '—'} → {value}")
        if words:
            self.event("import", None, None, f"{why}: " + ";".join(words))
        return words

    def set_outcome(self, kind: str, words: str) -> None:
        """What the wizard's outcome gives the buyer (vocab.OUTCOME_KINDS), for the work mix."""
        before = self.case.outcome_kind
        self.case.outcome_kind = kind
        self.event("outcome", OUTCOME_KINDS.get(before or "", "—"), OUTCOME_KINDS.get(kind, kind), words[:2000])

    def record_money(self, amount: str, words: str, detail: str, *, order_amount: str | None = None,
                     item_value: str | None = None) -> None:
        """The agreed amount and its base (the order's total or the item's value), as an event
        in words; replies are filled from them."""
        case = self.case
        case.agreed_amount = amount
        if order_amount is not None:
            case.order_amount = order_amount
        if item_value is not None:
            case.item_value = item_value
        self.event("money", None, words[:200], detail[:2000])

    # ---- status -----------------------------------------------------------------------------

    def set_status(self, status: str, leftovers: str | None = None) -> None:
        """Change the status as the agent asks. Resolving or closing settles what still runs
        first (case_close.py): `leftovers` is the agent's decision about it."""
        case = self.case
        if status not in allowed_statuses(case.status):
            raise StoreError(f"不能从“{STATUSES.get(case.status)}”改为“{STATUSES.get(status, status)}”")
        if status in CLOSED_STATUSES:
            self.close_out(status, leftovers)
        self.move_status(status)

    def move_status(self, status: str, why: str = "") -> None:
        """Move the status; what runs must have been settled before a close (`close_out`)."""
        case = self.case
        before = case.status
        case.status = status
        self.event("status", STATUSES.get(before, before), STATUSES.get(status, status), why)
        if status == "in_progress" and case.assignee is None:
            case.assignee = self.agent
            self.event("assigned", "待分配", self.agent, "接手处理")
        if before in CLOSED_STATUSES and status not in CLOSED_STATUSES:
            self._reopen()
        elif status == "resolved":
            case.resolved_at, case.resolved_by = self.now, self.agent
            self.meet("resolved")
        self._pause_resume(before, status)
        self.session.flush()
        case.is_open = status not in CLOSED_STATUSES or self._leftovers()

    def _reopen(self) -> None:
        self.case.reopen_count += 1
        self.event("reopened")
        running = {d.kind for d in self.live()}
        for kind in self.policy.start_kind.get(self.case.kind, ()):
            if kind not in running:
                self.start_clock(kind, origin="reopen")

    # ---- people -----------------------------------------------------------------------------

    def assign(self, assignee: str | None) -> bool:
        """Give the case to a known agent (or back to the pool, None). A name nobody has is
        refused: a typo must not create an agent. Taking it yourself is never a typo."""
        s = self.session
        if assignee is not None and s.exec(select(Agent.id).where(Agent.name == assignee)).first() is None:
            if assignee != self.agent:
                raise UnknownAgentError(assignee)
            s.add(Agent(name=assignee, created_at=self.now))
        before = self.case.assignee
        if before == assignee:
            return False
        self.case.assignee = assignee
        self.event("assigned", before or "待分配", assignee or "待分配", "")
        if assignee is not None:
            self.with_specialist(assignee)
        return True

    def set_urgent(self, urgent: bool, why: str = "") -> bool:
        """Mark or unmark urgent: the 2-hour "to a specialist" clock starts or is cancelled with it."""
        case = self.case
        if case.urgent == urgent:
            return False
        case.urgent = urgent
        self.event("urgent", yes_no(not urgent), yes_no(urgent), why)
        if urgent and case.escalated_to is None:
            # An urgent case flags the supervisor [000 优先级分级机制].
            self.escalate("supervisor", "加急工单")
        if urgent and case.is_open:
            running = {d.kind for d in self.live()}
            for kind in self.policy.start_urgent:
                if kind not in running:
                    self.start_clock(kind, origin="urgent")
            self.with_specialist(case.assignee)
        elif not urgent:
            for d in self.live():
                if d.kind in self.policy.start_urgent:
                    self.end(d, "cancelled", why="取消加急")
        return True
