"""Import Qianniu's exports (千牛导出): the refund list (退款管理 → 导出) and the order list
(已卖出的宝贝 → 批量导出: 订单报表 ExportOrderList*.csv and 宝贝报表 ExportOrderDetailList*.csv).

A plan, then a commit, both safe to run in a worker thread (they take a progress callback
and a cancel Event, and touch no screen):

    rules = load_import_rules(home)                  # the column names, from the shop folder
    files = newest_exports(downloads, rules)         # ExportFile: path, kind (export_kind)
    plan = preview([f.path for f in files], cases, rules, progress=cb, cancel=ev)  # never writes
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

from console.imports.folder import ExportFile, export_kind, newest_exports
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
    "KIND_LABELS", "RULES_FILE", "Change", "ExportFile", "FileSummary", "ImportCancelled", "ImportPlan", "ImportResult",
    "ImportRules", "Progress", "Rejected", "RulesError", "commit", "export_kind", "load_import_rules", "newest_exports",
    "preview",
]

RULES_FILE = "import_columns.toml"  # in the shop folder (aftersales init copies it there)
Progress = Callable[[int, int], None]  # (done, total), called from the worker thread


def load_import_rules(home: Home | None = None) -> ImportRules:
    """The column names and status texts: the shop folder's import_columns.toml when it has
    one, else the shipped one. RulesError (Chinese, naming the file) when it is wrong."""
    path = home.source(RULES_FILE) if home is not None else SHIPPED_RULES
    return load_rules(path)


def preview(paths: Sequence[Path | str], cases: Cases, rules: ImportRules | None = None, *,
            progress: Progress | None = None, cancel: threading.Event | None = None) -> ImportPlan:
    """What importing `paths` would do, without writing anything. A file that cannot be read
    at all is listed in `plan.files` with its `error` and in `plan.rejected` (line 0); a row
    that cannot be read is in `plan.rejected` and the others still import. Raises
    ImportCancelled when `cancel` is set (checked as the files are read and between chunks).
    `progress(done, total)` moves forward only, while each file is read too."""
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
