"""SQLModel tables. Times are stored as naive UTC and handed out as aware UTC.

The queue orders by `Case.next_due_at`, kept in step with the case's running
deadlines by `cases.py`. A case with no running clock gets `NO_DEADLINE`, a far-future
sentinel rather than NULL, because SQLite sorts NULL first and PostgreSQL last: with
a sentinel one index orders the queue the same way on both.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


class UTCDateTime(TypeDecorator):
    """Naive UTC in the database, aware UTC in Python."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _utc(nullable: bool = False, index: bool = False):
    return Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


class Agent(SQLModel, table=True):
    __tablename__ = "agent"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    role: str = Field(default="agent", max_length=16)  # agent | supervisor
    created_at: datetime = _utc()


class Case(SQLModel, table=True):
    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_queue", "is_open", "next_due_at", "id"),
        Index("ix_case_warn", "is_open", "next_warn_at", "next_due_at"),
        Index("ix_case_mine", "is_open", "assignee", "next_due_at"),
        Index("ix_case_urgent", "is_open", "urgent", "next_due_at"),
        Index("ix_case_kind", "is_open", "kind", "next_due_at"),
        Index("ix_case_status", "status", "next_due_at"),
        # Prefix search: LIKE 'abc%' on PostgreSQL (any collation), a range on SQLite.
        Index("ix_case_buyer", "buyer_id", postgresql_ops={"buyer_id": "varchar_pattern_ops"}),
        Index("ix_case_order", "order_no", postgresql_ops={"order_no": "varchar_pattern_ops"}),
        # One case per platform refund: an import run twice (or by two consoles) never makes two.
        Index("ux_case_refund_no", "refund_no", unique=True),
        # The supervisor's figures (console/metrics): each reads a range of one milestone. The
        # indexes carry the columns the figures group by, so a month is read from the index
        # alone, never the wide case rows (a month of a big shop is hundreds of thousands).
        Index("ix_case_first_message", "first_message_at", "initiated_by", "channel", "kind", "first_replied_at",
              "first_replied_by", "assignee", "outcome_kind", "complaint_status", "platform_intervened"),
        Index("ix_case_resolved", "resolved_at", "status", "kind", "resolved_by", "first_replied_at", "reopen_count"),
        Index("ix_case_escalated", "escalated_at"),
        Index("ix_case_rated", "rated_at", "satisfaction", "assignee", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    buyer_id: str = Field(max_length=64)
    # How to address the buyer (称呼, e.g. 王女士), from the order import when there is one;
    # never the buyer ID: phone scripts ask "请问是{buyer_name}吗". None: nobody knows yet.
    buyer_name: str | None = Field(default=None, max_length=64)
    order_no: str | None = Field(default=None, max_length=32)
    channel: str = Field(max_length=16)  # chat | phone | message
    kind: str = Field(max_length=16)
    status: str = Field(default="new", max_length=24)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    urgent: bool = False
    assignee: str | None = Field(default=None, max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    first_message_at: datetime = _utc()
    first_replied_at: datetime | None = _utc(nullable=True)
    is_open: bool = True
    next_due_at: datetime = _utc()
    next_warn_at: datetime = _utc()
    next_due_kind: str | None = Field(default=None, max_length=32)
    # The platform's refund state (退款状态) and whether Taobao has stepped in (小二介入).
    refund_status: str | None = Field(default=None, max_length=32)
    platform_intervened: bool = False
    # The SOP flow applied last, for linking replies to the current step.
    sop_step: str | None = Field(default=None, max_length=80)
    # Closed loop: the buyer's satisfaction when resolved (satisfied | neutral | unsatisfied).
    satisfaction: str | None = Field(default=None, max_length=16)
    # Escalation target (vocab.ESCALATIONS: senior | supervisor | risk_legal | special_team) and why; shown in the queue.
    escalated_to: str | None = Field(default=None, max_length=16)
    escalation_reason: str | None = Field(default=None, max_length=200)
    # Complaint flow status (registered → … → closed), for complaint cases only.
    complaint_status: str | None = Field(default=None, max_length=24)
    # Who started the contact: "buyer" (the buyer wrote or called) or "shop" (an outbound call,
    # a payment reminder). Only a buyer's message starts a first-response clock.
    initiated_by: str = Field(default="buyer", max_length=8)
    # What the case is about and the money around it, as the agent or the wizard gave them
    # (yuan, two decimals, as text like the registers): replies are filled from these.
    product: str = Field(default="", max_length=200)
    order_amount: str | None = Field(default=None, max_length=20)  # 订单实付
    item_value: str | None = Field(default=None, max_length=20)  # 宝贝价值 (the 30 % cap's base)
    agreed_amount: str | None = Field(default=None, max_length=20)  # what the shop agreed to pay
    # What the platform's exports say (console/imports): the refund's number (退款编号, the key
    # of a re-import), what the buyer asked back, the return parcel, the order's state, items and
    # province. None/"" until an import fills them.
    refund_no: str | None = Field(default=None, max_length=32)
    refund_amount: str | None = Field(default=None, max_length=20)  # 买家退款金额
    return_tracking_no: str = Field(default="", max_length=40)  # 退货物流单号
    return_carrier: str = Field(default="", max_length=40)  # 退货物流公司
    order_status: str = Field(default="", max_length=40)  # 订单状态, as Qianniu words it
    items: str = Field(default="", max_length=500)  # 宝贝 of the order: "标题 ×2、标题 ×1"
    province: str = Field(default="", max_length=20)
    # Milestones for the supervisor's figures (console/metrics), kept by CaseEdit on every
    # path: who gave the first reply; when (last) and by whom the case was resolved; how often
    # it was reopened; what the wizard's last outcome gave the buyer (vocab.OUTCOME_KINDS);
    # when the current escalation and the buyer's satisfaction were recorded.
    first_replied_by: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = _utc(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=64)
    reopen_count: int = 0
    outcome_kind: str | None = Field(default=None, max_length=24)
    escalated_at: datetime | None = _utc(nullable=True)
    rated_at: datetime | None = _utc(nullable=True)
    # Bumped on every change: lets a screen tell that what it shows is stale.
    version: int = 1


class Deadline(SQLModel, table=True):
    """One clock on a case. `due_at` is absolute; a paused shop clock keeps `remaining_s`."""

    __tablename__ = "deadline"
    # The figures read the clocks started (shop) or due (platform) in a date range.
    __table_args__ = (
        Index("ix_deadline_started", "clock", "started_at", "kind", "state", "due_at", "ended_at", "remaining_s",
              "case_id"),
        Index("ix_deadline_due", "clock", "due_at", "state", "ended_at", "kind", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=32)
    clock: str = Field(max_length=16)  # shop | platform
    state: str = Field(default="running", max_length=16)  # running | paused | met | cancelled
    started_at: datetime = _utc()
    due_at: datetime | None = _utc(nullable=True)
    warn_at: datetime | None = _utc(nullable=True)
    warn_s: int = 0
    remaining_s: int | None = None
    ended_at: datetime | None = _utc(nullable=True)
    note: str = Field(default="", max_length=200)
    # What started it: create, kind, urgent, refund, promise, manual, or sop:<flow>.<node>
    # (a later wizard outcome ends the clocks an earlier one started).
    origin: str = Field(default="", max_length=80)


class CaseEvent(SQLModel, table=True):
    """Append-only audit trail: who did what to a case, when, before -> after."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    at: datetime = _utc()
    agent: str = Field(max_length=64)
    action: str = Field(max_length=32)
    before: str | None = Field(default=None, max_length=200)
    after: str | None = Field(default=None, max_length=200)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Note(SQLModel, table=True):
    """A note on a case (沟通记录) or, with no case, a shift note. Append-only: an edit is a
    new row that `supersedes` the old one, which stays in the history."""

    __tablename__ = "note"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    author: str = Field(max_length=64)
    created_at: datetime = _utc()
    body: str = Field(sa_column=Column(Text, nullable=False))
    supersedes: int | None = Field(default=None, foreign_key="note.id")
    # A promise made to the buyer in this note, which runs as a clock on the case.
    promise_at: datetime | None = _utc(nullable=True)


class NoteDraft(SQLModel, table=True):
    """What an agent is typing in the notes pane, saved as they type (one per agent and place)."""

    __tablename__ = "note_draft"
    __table_args__ = (Index("ux_note_draft_place", "agent", "place", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(max_length=64)
    place: str = Field(max_length=32)  # "case:123" or "shift"
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = _utc()


class Shift(SQLModel, table=True):
    __tablename__ = "shift"

    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(max_length=64, index=True)
    started_at: datetime = _utc()
    ended_at: datetime | None = _utc(nullable=True)


class Handover(SQLModel, table=True):
    """End-of-shift handover: open work passes from one agent to another or to the pool."""

    __tablename__ = "handover"

    id: int | None = Field(default=None, primary_key=True)
    from_agent: str = Field(max_length=64)
    to_agent: str | None = Field(default=None, max_length=64, index=True)  # None: the pool
    created_at: datetime = _utc(index=True)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    acknowledged_at: datetime | None = _utc(nullable=True)
    acknowledged_by: str | None = Field(default=None, max_length=64)


class HandoverCase(SQLModel, table=True):
    __tablename__ = "handover_case"

    id: int | None = Field(default=None, primary_key=True)
    handover_id: int = Field(foreign_key="handover.id", index=True)
    case_id: int = Field(foreign_key="case.id")
    assigned_to: str | None = Field(default=None, max_length=64)
    next_step: str = Field(default="", max_length=300)


class CaseTask(SQLModel, table=True):
    """A checklist step on a case (from an SOP outcome), ticked off as the work is done."""

    __tablename__ = "case_task"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    position: int = 0
    text: str = Field(max_length=300)
    created_at: datetime = _utc()
    done_at: datetime | None = _utc(nullable=True)
    done_by: str | None = Field(default=None, max_length=64)
    # sop:<flow>.<node> for steps from a wizard outcome; a later outcome drops the open ones.
    origin: str = Field(default="", max_length=80)
    dropped_at: datetime | None = _utc(nullable=True)


class RegisterRow(SQLModel):
    """Columns every register shares: when, who, for which case, buyer and order."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    # sa_type, not sa_column: each register table needs a column object of its own.
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_by: str = Field(max_length=64)
    buyer_id: str = Field(max_length=64)
    order_code: str = Field(default="", max_length=40)


class ReturnEntry(RegisterRow, table=True):
    """退件表: one returned parcel. Agent columns first, then the warehouse's."""

    __tablename__ = "register_return"

    return_type: str = Field(default="", max_length=40)  # 过敏 / 质量 / 发错货 / 快递 …
    product: str = Field(default="", max_length=200)
    quantity: str = Field(default="", max_length=100)  # per product and size, as written
    solution: str = Field(default="", max_length=100)
    total: str = Field(default="", max_length=20)  # yuan, two decimals
    remarks: str = Field(default="", max_length=500)
    # Filled by the warehouse when the parcel arrives.
    tracking_no: str = Field(default="", max_length=40)
    carrier: str = Field(default="", max_length=40)
    received_at: datetime | None = _utc(nullable=True)
    condition: str = Field(default="", max_length=200)


class ReshipEntry(RegisterRow, table=True):
    """重发单: goods sent again (missing, damaged, lost, exchange)."""

    __tablename__ = "register_reship"

    product: str = Field(default="", max_length=200)
    quantity: str = Field(default="", max_length=100)
    reason: str = Field(default="", max_length=200)
    remarks: str = Field(default="", max_length=500)


class ProblemEntry(RegisterRow, table=True):
    """售后问题表: every after-sales problem, with the courier's loss cost where there is one."""

    __tablename__ = "register_problem"

    problem_type: str = Field(default="", max_length=40)  # 质量 / 物流 / 描述不符 / 使用 …
    description: str = Field(default="", max_length=500)
    solution: str = Field(default="", max_length=200)
    courier_loss: str = Field(default="", max_length=20)  # yuan charged to the courier
    remarks: str = Field(default="", max_length=500)


class ReplyCopy(SQLModel, table=True):
    """A reply copied into the chat: which one, which version of its text, by whom, when,
    and the exact text sent, so a supervisor can see what went out."""

    __tablename__ = "reply_copy"
    # The figures count a range of copies from the index alone (console/metrics/replies.py).
    __table_args__ = (
        Index("ix_reply_copy_figures", "at", "agent", "edited", "forbidden_overridden", "reply_ids", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    reply_ids: str = Field(max_length=400, index=True)  # several when replies were combined
    version: str = Field(max_length=100)
    agent: str = Field(max_length=64)
    at: datetime = _utc()
    text: str = Field(sa_column=Column(Text, nullable=False))
    edited: bool = False
    # Forbidden phrases (禁用语) the agent was warned about and copied anyway.
    forbidden_overridden: int = 0


class ReplyDraft(SQLModel, table=True):
    """A reply an agent added from the picker, waiting for (or past) a supervisor's approval.

    Drafts live here, not in the reply files: the program's own files stay read-only and
    every console on the database sees a draft, and its approval, at once.
    """

    __tablename__ = "reply_draft"

    id: int | None = Field(default=None, primary_key=True)
    reply_id: str = Field(max_length=80, unique=True)  # <category>.draft_<n>
    category: str = Field(max_length=40)
    title: str = Field(max_length=200)
    tags: str = Field(default="", max_length=400)
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=64)
    created_at: datetime = _utc()
    status: str = Field(default="draft", max_length=16)  # draft | approved
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = _utc(nullable=True)


class LibraryFile(SQLModel, table=True):
    """One version of one file of the team's library (团队库): an SOP tree, a reply file, the
    forbidden list, the deadline rules, the holidays, the reply/SOP rules.

    Append-only: a change is a new row with the next `version` of its (kind, name); the
    current file is the newest row, and a row with `removed` set says the file was taken out.
    A database without rows here has no team library: each console reads its shop folder.
    """

    __tablename__ = "library_file"
    __table_args__ = (UniqueConstraint("kind", "name", "version", name="uq_library_file_version"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # sla | holidays | sop | forbidden | phrases | phrase_rules
    name: str = Field(max_length=200)  # the file's name: "sla.toml", "return.toml", "refund.txt"
    body: str = Field(sa_column=Column(Text, nullable=False))  # the whole file, as UTF-8 text
    version: int = 1
    removed: bool = False
    agent: str = Field(max_length=64)
    at: datetime = _utc()
    note: str = Field(default="", max_length=200)  # what the change was: 推送, 审核通过 refund.x …


class Presence(SQLModel, table=True):
    """One running console: whose it is, which screen and case it shows, whether its agent
    is typing, when it last said so (console/presence.py). Its console writes the row every
    few seconds and deletes it when it closes; one that vanished (killed, crashed, its
    network gone) leaves its row behind, which every reader ignores once it is older than
    `presence.STALE_SECONDS`, and the next console to start deletes. `case_id` has no
    foreign key: it is a pointer for the other desks, never part of the case's record."""

    __tablename__ = "presence"

    id: int | None = Field(default=None, primary_key=True)
    console: str = Field(max_length=32, unique=True)  # a random id per running console
    agent: str = Field(max_length=64)
    screen: str = Field(default="", max_length=32)
    case_id: int | None = None
    typing: bool = False
    seen_at: datetime = _utc()


class ChangeCount(SQLModel, table=True):
    """SQLite only: one row, counted up by every write transaction the other consoles should
    hear of (console/db.py). SQLite's `data_version` moves at any commit, a heartbeat or an
    autosaved draft too; the watcher reads this count to tell those from a real change. On
    PostgreSQL the NOTIFY does that job and the table stays empty."""

    __tablename__ = "change_count"

    id: int | None = Field(default=None, primary_key=True)
    n: int = 0
