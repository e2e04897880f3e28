"""The preview: read the files, compare them with the database in bulk, say what a commit
would do. Nothing is written."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import console.imports.snapshot as snapshot
from console.cases import Cases
from console.imports.changes import FINISHED, new_refund_words, order_words, refund_words
from console.imports.reading import FileError, Table, read_table
from console.imports.records import MissingColumns, OrderRecord, Parsed, RefundRecord, parse
from console.imports.rules import ImportRules
from console.imports.types import Change, FileSummary, ImportCancelled, ImportPlan, Rejected

Progress = Callable[[int, int], None]
STEP = snapshot.CHUNK
ROWS_PER_REPORT = 1000  # while a file is read: how often to say how far it is


def _size(path: Path) -> int:
    try:
        return max(path.stat().st_size, 1)
    except OSError:
        return 1  # refused when read: a step all the same


def _reporting(rows: Iterator[tuple[int, list[str]]], table: Table,
               at: Callable[[float], None]) -> Iterator[tuple[int, list[str]]]:
    """`rows` of `table`, saying how much of the file is read every ROWS_PER_REPORT rows."""
    for n, row in enumerate(rows, start=1):
        if n % ROWS_PER_REPORT == 0:
            at(table.fraction)
        yield row


def read_files(paths: Sequence[Path], rules: ImportRules, cases: Cases, plan: ImportPlan,
               at: Callable[[int], None]) -> tuple[dict[str, RefundRecord], dict[str, OrderRecord]]:
    """Every file's rows, cleaned: refunds by 退款编号 (the last row of a number wins), orders
    by 订单编号 with the items of the 宝贝报表 gathered onto them. `at(bytes)`: how far the
    reading is, in bytes of all the files (a file's size in bytes counts as read once its
    text has been), called as the rows are read."""
    refunds: dict[str, RefundRecord] = {}
    orders: dict[str, OrderRecord] = {}
    items: list[tuple[str, str, int, str | None, str, int]] = []
    base = 0
    for path in paths:
        path = Path(path)
        size = _size(path)
        summary = FileSummary(path)
        plan.files.append(summary)
        try:
            table = read_table(path, rules)
            table.rows = _reporting(table.rows, table, lambda part, base=base, size=size: at(base + int(part * size)))
            summary.encoding, summary.columns = table.encoding, len(table.header)
            summary.kind = rules.kind_of(table.header)
            if not summary.kind:
                shown = "、".join(h for h in table.header[:5] if h)[:60]
                raise FileError(f"{path.name}: 不是能导入的千牛导出: 看不出是退款报表、订单报表还是宝贝报表 "
                                f"(第 1 行的列名: {shown}…)")
            parsed: Parsed = parse(table, summary.kind, rules, cases.policy)
        except (FileError, MissingColumns) as exc:
            summary.kind, summary.error = "", str(exc)
            plan.rejected.append(Rejected(path.name, 0, "", str(exc).removeprefix(f"{path.name}: ")))
            base += size
            at(base)
            continue
        summary.rows, summary.layout = parsed.count, parsed.layout
        plan.rejected.extend(parsed.rejected)
        for rec in parsed.refunds:
            refunds[rec.refund_no] = rec
        for order in parsed.orders:
            orders[order.order_no] = order
        items += [(*item, path.name, 0) for item in parsed.items]
        base += size
        at(base)
    for order_no, title, qty, price, name, _ in items:
        order = orders.get(order_no)
        if order is None:
            order = orders[order_no] = OrderRecord(file=name, line=0, order_no=order_no)
        order.items.append((title, qty, price))
    return refunds, orders


def preview(paths: Sequence[Path | str], cases: Cases, rules: ImportRules, progress: Progress | None = None,
            cancel: threading.Event | None = None) -> ImportPlan:
    plan = ImportPlan(made_at=cases.clock.now())
    files = [Path(p) for p in paths]
    # One scale, known from the start so the bar only moves forward: the files' bytes as they
    # are read, then as much again for comparing them with the cases chunk by chunk.
    reading = sum(_size(p) for p in files)
    total, done = 2 * reading + 1, 0

    def at(value: int) -> None:
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise ImportCancelled
        done = max(done, min(value, total))
        if progress is not None:
            progress(done, total)

    at(0)
    refunds, orders = read_files(files, rules, cases, plan, at)
    chunks, compared = max(-(-len(refunds) // STEP) + -(-len(orders) // STEP), 1), 0

    def tick() -> None:
        nonlocal compared
        compared += 1
        at(reading + reading * compared // chunks)

    policy = cases.policy
    new_orders: set[str] = set()
    words_of: dict[str, str] = {}  # one object per distinct phrase ("退款状态 等待卖家同意" …)
    keys = list(refunds)
    with cases.db.read() as s:
        for i in range(0, len(keys), STEP):
            chunk = keys[i:i + STEP]
            snaps = snapshot.by_refund(s, chunk)
            for key in chunk:
                rec = refunds[key]
                snap = snaps.get(key)
                if snap is None:
                    if rec.status in FINISHED:
                        plan.finished_skipped += 1
                        continue
                    new_orders.add(rec.order_no)
                    what = tuple(words_of.setdefault(w, w) for w in new_refund_words(rec, policy, plan.made_at))
                    plan.new.append(Change(None, rec.order_no, rec.refund_no, rec.buyer, what, rec.file, rec.line))
                    plan.records.append(rec)
                    continue
                words = refund_words(rec, snap, policy, plan.made_at)
                if words:
                    plan.changed.append(Change(snap.id, rec.order_no, rec.refund_no, rec.buyer, tuple(words),
                                               rec.file, rec.line))
                    plan.records.append(rec)
                else:
                    plan.unchanged += 1
            tick()
        order_keys = list(orders)
        for i in range(0, len(order_keys), STEP):
            chunk = order_keys[i:i + STEP]
            snaps = snapshot.by_order(s, chunk)
            for key in chunk:
                order = orders[key]
                matched = snaps.get(key, [])
                if not matched and key not in new_orders:
                    plan.orders_unmatched += 1
                    continue
                touched = False
                for snap in matched:
                    words = order_words(order, snap)
                    if words:
                        touched = True
                        plan.changed.append(Change(snap.id, order.order_no, snap.refund_no or "", order.buyer,
                                                   tuple(words), order.file, order.line))
                if touched or key in new_orders:
                    plan.records.append(order)  # a new refund case of this order gets its facts too
                if not touched and key not in new_orders:
                    plan.unchanged += 1
            tick()
    at(total)
    return plan
