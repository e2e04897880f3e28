"""Import Qianniu's exports (千牛导出): the refund list (退款管理 → 导出) and the order list
(已卖出的宝贝 → 批量导出: 订单报表 ExportOrderList*.csv and 宝贝报表 ExportOrderDetailList*.csv).

A plan, then a commit, both safe to run in a worker thread (they take a progress callback
and a cancel Event, and touch no screen):

    rules = load_import_rules(home)                  # the column names, from the shop folder
    files = newest_exports(downloads)                # newest refund / order / item export
    plan = preview(files, cases, rules, progress=cb, cancel=ev)   # reads, never writes
    plan.files      # FileSummary: name, kind_label, encoding, rows, layout, error
    plan.new, plan.changed        # Change: case_id, order_no, refund_no, buyer, what (words)
    plan.unchanged, plan.rejected # Rejected: file, line, column, reason (Chinese)
    result = commit(plan, cases, agent, progress=cb, cancel=ev)
    result.created, result.changed, result.unchanged, result.cancelled, result.batches_done

Every change goes through the case store's unit of work (an event naming the file); the
commit writes in batches of whole transactions and compares again before writing, so a
cancelled or crashed import is finished by importing again, with no duplicates.
No Textual here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from console.imports.reading import peek_header
from console.imports.rules import SHIPPED_RULES, ImportRules, RulesError, load_rules
from console.imports.types import (
    KIND_LABELS,
    Change,
    FileSummary,
    ImportCancelled,
    ImportPlan,
    ImportResult,
    Rejected,
)

if TYPE_CHECKING:
    from console.cases import Cases
    from console.home import Home

__all__ = [
    "KIND_LABELS", "RULES_FILE", "Change", "FileSummary", "ImportCancelled", "ImportPlan", "ImportResult",
    "ImportRules", "Progress", "Rejected", "RulesError", "commit", "load_import_rules", "newest_exports", "preview",
]

RULES_FILE = "import_columns.toml"  # in the shop folder (aftersales init copies it there)
Progress = Callable[[int, int], None]  # (done, total), called from the worker thread

# Names Qianniu gives its exports. The refund export's name has varied (退款管理导出…,
# ExportRefundList…, refund…); any other .csv is offered too when its header line is one
# the rules recognise.
ORDER_LIST = "ExportOrderList"
ORDER_DETAIL = "ExportOrderDetailList"


def load_import_rules(home: Home | None = None) -> ImportRules:
    """The column names and status texts: the shop folder's import_columns.toml when it has
    one, else the shipped one. RulesError (Chinese, naming the file) when it is wrong."""
    path = home.source(RULES_FILE) if home is not None else SHIPPED_RULES
    return load_rules(path)


def newest_exports(folder: Path | str, rules: ImportRules | None = None) -> list[Path]:
    """The newest export of each kind in `folder` (by modification time): the refund export,
    the order list and its item list, newest first; [] when there is none. An order list's
    item list with the same timestamp is preferred (they are downloaded together)."""
    rules = rules or load_rules()
    folder = Path(folder)
    try:
        files = [p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file()]
    except OSError:
        return []
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    newest: dict[str, Path] = {}
    for path in files:
        if path.name.startswith(ORDER_DETAIL):
            kind = "order_item"
        elif path.name.startswith(ORDER_LIST):
            kind = "order"
        else:
            kind = rules.kind_of(peek_header(path))
        if kind and kind not in newest:
            newest[kind] = path
    order = newest.get("order")
    if order is not None:
        twin = folder / order.name.replace(ORDER_LIST, ORDER_DETAIL, 1)
        if twin.is_file():
            newest["order_item"] = twin
    return sorted(newest.values(), key=lambda p: p.stat().st_mtime, reverse=True)


def preview(paths: Sequence[Path | str], cases: Cases, rules: ImportRules | None = None, *,
            progress: Progress | None = None, cancel: threading.Event | None = None) -> ImportPlan:
    """What importing `paths` would do, without writing anything. A file that cannot be read
    at all is listed in `plan.files` with its `error` and in `plan.rejected` (line 0); a row
    that cannot be read is in `plan.rejected` and the others still import. Raises
    ImportCancelled when `cancel` is set (checked between files and between chunks)."""
    from console.imports.planning import preview as run

    return run(paths, cases, rules or load_rules(), progress, cancel)


def commit(plan: ImportPlan, cases: Cases, agent: str, *, batch_size: int = 500,
           progress: Progress | None = None, cancel: threading.Event | None = None) -> ImportResult:
    """Apply `plan` as `agent`, in batches of `batch_size` rows, each batch one transaction.
    `cancel` is checked between batches: what is written is whole batches only
    (`result.cancelled`, `result.batches_done`); importing again finishes the job. A batch
    the database refuses twice stops the commit with the reason in `result.errors`."""
    from console.imports.writing import commit as run

    return run(plan, cases, agent, batch_size, progress, cancel)
