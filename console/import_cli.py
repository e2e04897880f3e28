"""`aftersales import FILE… [--dry-run] [--yes]`: Qianniu's exports into cases.

Wired in console/cli.py, which resolves the shop folder, the database, the deadline rules
and the agent. The work is in console/imports; this module reads the arguments and prints.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.cases import Cases
    from console.home import Home
    from console.imports import ImportPlan

SHOWN = 50  # rows of each list printed; the rest are counted


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "import", help="导入千牛导出的退款报表、订单报表和宝贝报表: 先显示会改什么, 确认后再写入",
        description="导入千牛导出 (退款管理 → 导出; 已卖出的宝贝 → 批量导出 的两个文件)。"
                    "先预览: 文件类型、编码、行数、新建几个工单、改了什么、没变的、读不了的行; 确认后写入。"
                    "同一个文件导入两次不会重复。")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="导出的 .csv 文件 (可以几个一起)")
    parser.add_argument("--dry-run", action="store_true", help="只预览, 不写入")
    parser.add_argument("--yes", action="store_true", help="不问, 预览后直接写入")
    return parser


def run(args: argparse.Namespace, cases: Cases, home: Home, agent: str) -> int:
    from console import imports

    try:
        rules = imports.load_import_rules(home)
    except imports.RulesError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        plan = imports.preview(args.files, cases, rules, progress=_progress("读取"))
    except KeyboardInterrupt:
        _clear()
        print("已取消, 什么都没写。", file=sys.stderr)
        return 1
    _clear()
    print_plan(plan)
    if not plan.readable:
        print("没有能读的行, 什么都没有导入。", file=sys.stderr)
        return 1
    if args.dry_run or not plan.has_work:
        print("预览完毕, 没有写入。" if args.dry_run else "没有需要改的, 什么都没写。")
        return 0
    if not args.yes and not _confirm(plan):
        print("已取消, 什么都没写。")
        return 0
    cancel = threading.Event()
    try:
        result = imports.commit(plan, cases, agent, progress=_progress("写入"), cancel=cancel)
    except KeyboardInterrupt:
        # The batch being written rolled back: what is in the database is whole batches.
        _clear()
        print("已中断: 写入的都是完整的批次, 再导入一次同样的文件就会完成, 不会重复。", file=sys.stderr)
        return 1
    _clear()
    rest = f"{result.unchecked_label} {result.unchecked} 行, " if result.unchecked else ""
    print(f"{'没有做完' if result.unchecked else '完成'}: 新建 {result.created} 个工单, 修改 {result.changed} 个, "
          f"没变 {result.unchanged} 行, {rest}读不了 {result.rejected} 行 ({result.batches_done}/{result.batches_total} 批)。")
    from console.textsafe import inert

    for error in result.errors:
        print(inert(error), file=sys.stderr)
    return 1 if result.errors else 0


def print_plan(plan: ImportPlan) -> None:
    """The preview, every line drawn inert: file names and cells are text from outside (an
    escape sequence in a cell must not reach the terminal)."""
    for f in plan.files:
        if f.error:
            _say(f"✗ {f.name}: {f.error.removeprefix(f.name + ': ')}")
            continue
        layout = f", {f.layout}" if f.layout else ""
        _say(f"✓ {f.name}: {f.kind_label}, 编码 {f.encoding}, 可读 {f.rows} 行{layout}")
    _say(f"新建工单 {len(plan.new)} 个, 有变化 {len(plan.changed)} 处, 没变 {plan.unchanged} 行, "
          f"读不了 {len(plan.rejected)} 行")
    if plan.finished_skipped:
        _say(f"已经结束的退款 (成功/关闭) 且没有工单的 {plan.finished_skipped} 个: 不新建工单")
    if plan.orders_unmatched:
        _say(f"订单报表里有 {plan.orders_unmatched} 个订单没有对应的工单: 不新建")
    for title, changes in (("新建", plan.new), ("有变化", plan.changed)):
        if changes:
            _say(f"{title}:")
        for c in changes[:SHOWN]:
            who = f"#{c.case_id} " if c.case_id else ""
            refund = f" 退款 {c.refund_no}" if c.refund_no else ""
            _say(f"  {who}订单 {c.order_no}{refund} {c.buyer}: {c.words}")
        if len(changes) > SHOWN:
            _say(f"  …还有 {len(changes) - SHOWN} 个")
    rows = [r for r in plan.rejected if r.line]
    if rows:
        _say("读不了的行 (没有导入, 其他行照常导入):")
    for r in rows[:SHOWN]:
        _say(f"  {r}")
    if len(rows) > SHOWN:
        _say(f"  …还有 {len(rows) - SHOWN} 行")


def _say(line: str) -> None:
    from console.textsafe import inert

    print(inert(line))


def _confirm(plan: ImportPlan) -> bool:
    try:
        answer = input(f"写入? 新建 {len(plan.new)} 个, 修改 {len(plan.changed)} 处 [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes", "是", "好")


def _progress(what: str):
    """A progress line on a terminal; nothing when the output is a file or a pipe."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        print(f"\r{what} {done}/{total} ({pct}%)", end="", file=sys.stderr, flush=True)

    return show


def _clear() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)
