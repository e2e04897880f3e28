"""What an import shows and returns: the files read, the plan (preview), the rows refused,
the result of committing. Plain data, for the CLI and the import screen alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

# The kinds of Qianniu export the console reads, with the names agents know them by.
KIND_LABELS: dict[str, str] = {
    "refund": "退款报表",
    "order": "订单报表",
    "order_item": "宝贝报表",
}


class ImportCancelled(Exception):
    """The agent cancelled the preview: nothing was written (a preview never writes)."""


@dataclass(frozen=True)
class Rejected:
    """A row (or a whole file, line 0) that cannot be read, and why, in Chinese."""

    file: str  # the file's name, as the agent knows it
    line: int  # line in the file, 1 = the header line; 0: the file as a whole
    column: str  # the column's header, "" when the whole row or file is meant
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line == 0 else f"{self.file}:{self.line}"
        return f"{where} {self.column} {self.reason}" if self.column else f"{where} {self.reason}"


@dataclass
class FileSummary:
    """One file of the import: what kind it is, how it was decoded, how many rows it holds."""

    path: Path
    kind: str = ""  # refund | order | order_item; "" when the file is refused as a whole
    encoding: str = ""  # UTF-8-BOM | UTF-8 | GB18030
    rows: int = 0  # data rows read (summary rows and empty lines not counted)
    columns: int = 0
    layout: str = ""  # refunds: 旧版 / 新版
    error: str = ""  # why the whole file was refused ("" when it was read)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "无法识别")


@dataclass(frozen=True, slots=True)  # one per row of a large export: no __dict__ each
class Change:
    """One case the import creates or changes, with what changes in words."""

    case_id: int | None  # None: a new case
    order_no: str
    refund_no: str  # "" for a change from the order export
    buyer: str
    what: tuple[str, ...]  # e.g. ("退款状态 等待卖家同意 → 等待买家退货", "退货单号 — → SF1234")
    file: str
    line: int

    @property
    def words(self) -> str:
        return ";".join(self.what)

    @property
    def is_new(self) -> bool:
        return self.case_id is None


@dataclass
class ImportPlan:
    """The preview: what committing would do, computed without writing.

    `records` are the cleaned rows the commit applies; the commit compares them with the
    database again batch by batch, so a plan that went stale (another console changed a
    case meanwhile, or part of it was already committed) still ends in the same state."""

    files: list[FileSummary] = field(default_factory=list)
    new: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    orders_unmatched: int = 0  # orders in the order export that match no case (nothing made)
    finished_skipped: int = 0  # refunds already over (成功/关闭) with no case: no case made for them
    made_at: datetime | None = None
    records: list = field(default_factory=list, repr=False)  # internal: what commit applies

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def readable(self) -> bool:
        """Some row of some file could be read (else the CLI exits non-zero)."""
        return any(f.rows for f in self.files if not f.error)

    @property
    def has_work(self) -> bool:
        return bool(self.new or self.changed)


@dataclass
class ImportResult:
    """What a commit did. A cancelled commit leaves whole batches only: importing the same
    files again finishes the job.

    Every row is counted once: `unchanged` are the rows found to need nothing (by the preview,
    or by a written batch comparing again); `unchecked` the rows of batches never written (the
    commit was cancelled or stopped before them): nobody knows yet what they change."""

    created: int = 0
    changed: int = 0
    unchanged: int = 0
    unchecked: int = 0
    rejected: int = 0
    cancelled: bool = False
    batches_done: int = 0
    batches_total: int = 0
    errors: list[str] = field(default_factory=list)  # a batch the database refused, in Chinese

    @property
    def unchecked_label(self) -> str:
        """What the `unchecked` rows are called: not looked at (cancelled) or not written (a
        batch the database refused, and those after it)."""
        return "未检查" if self.cancelled else "未写入"
