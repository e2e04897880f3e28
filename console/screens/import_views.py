"""What the import screen draws from a plan and a result: the summary, the rows of the
change and rejected tables, the result. Plain Rich text; file names and cells are drawn
inert (they come from the agent's files)."""

from __future__ import annotations

from itertools import chain, islice
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from console.imports import ImportPlan, ImportResult
from console.textsafe import inert
from console.widgets.fitted_table import share_width

if TYPE_CHECKING:
    from textual.widgets import DataTable

# A plan can hold 100,000 rows: the tables show the first ones and say how many there are.
SHOWN_ROWS = 500
CELL_PADDING = 1  # DataTable's default, each side of a cell


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def plan_summary(plan: ImportPlan) -> Text:
    """Each file (kind, layout, encoding, rows, or why it was refused), then the counts."""
    text = Text()
    read = [f for f in plan.files if not f.error]
    # The files read in aligned columns: name, kind, encoding, rows.
    name_w = max((cell_len(inert(f.name)) for f in read), default=0)
    kind_w = max((cell_len(_kind(f)) for f in read), default=0)
    for f in plan.files:
        if f.error:
            text.append("✖ ", style="bold red")
            text.append(inert(f.error), style="bold")
        else:
            text.append("  ")
            text.append(set_cell_size(inert(f.name), name_w), style="bold")
            text.append(f"   {set_cell_size(_kind(f), kind_w)}   {f.encoding:<9}  {f.rows:>7,} 行")
        text.append("\n")
    text.append_text(Text.assemble(
        "新建 ", (f"{len(plan.new):,}", "bold green"), "   变更 ", (f"{len(plan.changed):,}", "bold cyan"),
        "   不变 ", (f"{plan.unchanged:,}", "bold"), "   拒收 ",
        (f"{len(plan.rejected):,}", "bold red" if plan.rejected else "bold"),
        "   没有对应工单的订单 ", (f"{plan.orders_unmatched:,}", "bold"),
    ))
    if plan.finished_skipped:
        text.append(f"   已完结的退款不建单 {plan.finished_skipped:,}", style="dim")
    return text


def _kind(f) -> str:
    return f.kind_label + (f" {f.layout}" if f.layout else "")


def change_rows(plan: ImportPlan, limit: int = SHOWN_ROWS) -> list[list[str]]:
    """新建/变更, case, order, refund number, buyer, what changes: the first `limit`."""
    rows = []
    for c in islice(chain(plan.new, plan.changed), limit):
        rows.append(["新建" if c.case_id is None else "变更", "—" if c.case_id is None else f"#{c.case_id}",
                     inert(c.order_no), inert(c.refund_no) or "—", inert(c.buyer), inert(c.words)])
    return rows


def change_detail(plan: ImportPlan, row: int) -> Text:
    """Row `row` of the change table in full: where it comes from and every change."""
    changes = len(plan.new)
    c = plan.new[row] if row < changes else plan.changed[row - changes]
    case = "新工单" if c.case_id is None else f"工单 #{c.case_id}"
    text = Text.assemble((f"{case} · 订单 {inert(c.order_no)}", "bold"),
                         (f" · {inert(c.file)} 第 {c.line} 行" if c.line else f" · {inert(c.file)}", "dim"))
    for what in c.what:
        text.append("\n  · " + inert(what))
    return text


def rejected_detail(plan: ImportPlan, row: int) -> Text:
    r = plan.rejected[row]
    where = f"{inert(r.file)} 第 {r.line} 行" if r.line else f"{inert(r.file)} (整个文件)"
    if r.column:
        where += f" · 列 {inert(r.column)}"
    return Text.assemble((where, "bold"), "\n  " + inert(r.reason))


def rejected_rows(plan: ImportPlan, limit: int = SHOWN_ROWS) -> list[list[str]]:
    """file, line, column, reason: the first `limit`."""
    return [[inert(r.file), str(r.line) if r.line else "整个文件", inert(r.column) or "—", inert(r.reason)]
            for r in islice(plan.rejected, limit)]


def result_lines(result: ImportResult) -> Text:
    counts = Text.assemble(
        "新建 ", (f"{result.created:,}", "bold green"), "   变更 ", (f"{result.changed:,}", "bold cyan"),
        "   不变 ", (f"{result.unchanged:,}", "bold"), "   拒收 ", (f"{result.rejected:,}", "bold"),
    )
    if result.unchecked:
        counts.append_text(Text.assemble(f"   {result.unchecked_label} ", (f"{result.unchecked:,}", "bold yellow")))
    if result.cancelled:
        head = Text(f"已取消: 已导入 {result.batches_done} 批 (共 {result.batches_total} 批), "
                    f"还有 {result.unchecked:,} 行没有检查; 再导入一次即可完成。", style="bold yellow")
    elif result.errors:
        head = Text("导入没有全部完成: 已写入的批次保留, 再导入一次即可完成。", style="bold red")
    else:
        head = Text("导入完成。", style="bold green")
    text = Text.assemble(head, "\n\n", counts)
    for error in result.errors:
        text.append("\n✖ " + inert(error), style="red")
    text.append("\n\n按 回车 或 Esc 回到工单队列。", style="dim")
    return text


def fill_table(table: DataTable, headers: list[str], rows: list[list[str]], width: int, keep: list[bool],
          *, fill: bool = True) -> None:
    """The rows as inert one-line cells, the columns fitted to `width` (kept ones whole);
    `fill`: the last cut column takes what is left of the line."""
    natural = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    room = width - 2 * CELL_PADDING * len(headers)
    widths = share_width(natural, keep, room if fill else min(room, sum(natural)))
    table.clear(columns=True)
    for header, w in zip(headers, widths, strict=True):
        table.add_column(header, width=max(w, 1))
    table.add_rows([[Text(cell, no_wrap=True, overflow="ellipsis") for cell in row] for row in rows])
