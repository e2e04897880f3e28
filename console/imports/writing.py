"""The commit: apply a plan in batches, each batch one transaction of many cases, every
change through the case store's unit of work (Cases.creating / Cases.edit) with an event
naming the file.

Idempotent: each batch compares its rows with the database again (in bulk) before it
writes, and a refund is keyed on its 退款编号 (a unique index), an order on its 订单编号. So
a cancelled or crashed commit leaves whole batches only, and importing the same files again
does what is left, never twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlmodel import Session

import console.imports.snapshot as snapshot
from console.cases import Cases, DraftError
from console.db import StoreError
from console.imports.changes import (
    FINISHED,
    apply_order,
    apply_refund,
    order_words,
    refund_facts,
    refund_words,
)
from console.imports.records import OrderRecord, RefundRecord
from console.imports.types import ImportPlan, ImportResult
from console.intake import CaseDraft

BATCH = 500


def commit(plan: ImportPlan, cases: Cases, agent: str, batch_size: int = BATCH,
           progress: Callable[[int, int], None] | None = None,
           cancel: threading.Event | None = None) -> ImportResult:
    records = plan.records
    batches = [records[i:i + batch_size] for i in range(0, len(records), batch_size)]
    result = ImportResult(rejected=len(plan.rejected), batches_total=len(batches),
                          unchanged=plan.unchanged + plan.finished_skipped)
    created: set[int] = set()
    changed: set[int] = set()
    if progress is not None:
        progress(0, len(records))
    done = 0
    for batch in batches:
        if cancel is not None and cancel.is_set():
            result.cancelled = True
            break
        try:
            _write_batch(cases, batch, agent, created, changed, result)
        except StoreError as exc:
            # Another console importing the same refunds at the same moment: once more, and
            # this batch's compare sees what the other one wrote.
            try:
                _write_batch(cases, batch, agent, created, changed, result)
            except StoreError as again:
                result.errors.append(f"第 {result.batches_done + 1} 批没有写入: {again.message or exc.message}")
                break
        result.batches_done += 1
        done += len(batch)
        if progress is not None:
            progress(done, len(records))
    result.created, result.changed = len(created), len(changed - created)
    result.unchecked = len(records) - done  # cancelled or stopped: not compared, not written
    return result


def _write_batch(cases: Cases, batch: list, agent: str, created: set[int], changed: set[int],
                 result: ImportResult) -> None:
    made: set[int] = set()
    touched: set[int] = set()
    unchanged = 0
    with cases.db.write() as s:
        refunds = [r for r in batch if isinstance(r, RefundRecord)]
        orders = [r for r in batch if isinstance(r, OrderRecord)]
        snaps = snapshot.by_refund(s, [r.refund_no for r in refunds])
        new = [r for r in refunds if r.refund_no not in snaps and r.status not in FINISHED]
        unchanged += sum(1 for r in refunds if r.refund_no not in snaps and r.status in FINISHED)
        made |= _create(cases, s, new, agent)
        for rec in refunds:
            why = f"导入 {rec.file}"
            snap = snaps.get(rec.refund_no)
            if snap is None:
                continue
            if refund_words(rec, snap, cases.policy):
                with cases.edit(snap.id, agent, session=s) as e:
                    apply_refund(e, rec, why)
                touched.add(snap.id)
            else:
                unchanged += 1
        s.flush()
        by_order = snapshot.by_order(s, [o.order_no for o in orders])
        for order in orders:
            for snap in by_order.get(order.order_no, []):
                if order_words(order, snap):
                    with cases.edit(snap.id, agent, session=s) as e:
                        apply_order(e, order, snap, f"导入 {order.file}")
                    touched.add(snap.id)
    # Counted only once the batch is in the database.
    created |= made
    changed |= touched
    result.unchanged += unchanged


def _create(cases: Cases, s: Session, recs: list[RefundRecord], agent: str) -> set[int]:
    """New cases for platform refunds. The buyer applied on the platform, so it is the
    buyer's contact, but no chat message waits: the `platform` channel starts no first-response
    clock (sla.toml [start.channel]); the kind's own solution clock runs from now, and the
    platform's deadline from the export."""
    now = cases.clock.now()
    drafts = [CaseDraft(buyer_id=rec.buyer, order_no=rec.order_no, channel="platform", kind=rec.kind,
                        description=rec.description, product=rec.title, initiated_by="buyer",
                        message_at=min(rec.applied_at, now) if rec.applied_at else None) for rec in recs]
    made = set()
    try:
        for e, rec in zip(cases.create_many(drafts, agent, s), recs, strict=True):
            why = f"导入 {rec.file}"
            # One event for what the export says about the new case, then its platform state.
            e.set_facts({"refund_no": rec.refund_no, "order_amount": rec.paid, **refund_facts(rec)}, why)
            apply_refund(e, rec, why)
            made.add(e.case.id)
    except DraftError as exc:
        raise StoreError(f"无法建工单: {exc}") from None
    return made
