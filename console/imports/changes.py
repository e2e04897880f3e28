"""What an export row changes on its case: in words for the preview (`*_words`, from a
snapshot), and done through the case's unit of work for the commit (`apply_*`, on the
CaseEdit that holds the case). Both follow the same rules, so the preview says what the
commit does:

- the refund's platform status moves (its clock ends, the new status's starts) and its
  deadline is the platform's 超时时间, which wins over sla.toml's default duration; a
  deadline the platform moved restarts the clock at the new time. The words always say the
  deadline a clock gets: the agent is never surprised by a clock the import set;
- 举证超时 runs as a platform clock at the time shown; gone from the export, it ends;
- 客服介入 sets the 介 mark (with its platform clocks, said with their deadlines) and flags
  the supervisor unless someone above is already flagged; an export
  saying "not intervened" never takes the mark away (an agent may have set it from Qianniu);
- the return parcel's number and carrier show on the case and fill its 退件表 row;
- order facts: the amount paid and an item's value fill only when the case has none (an
  agent's figure is kept); order state, items and province follow the export.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from console.case_edit import CaseEdit
from console.case_followup import INTERVENTION_CLOCKS
from console.imports.records import OrderRecord, RefundRecord
from console.imports.snapshot import Snap
from console.models import ReturnEntry
from console.new_rows import new_row
from console.sla import Policy, shop_time
from console.vocab import REFUND_STATUSES

PROOF = "proof_timeout"
FINISHED = frozenset({"success", "closed"})  # a refund that is over: no new case for it


def refund_kind(rec: RefundRecord, policy: Policy) -> str | None:
    """The platform clock of the record's status (as CaseEdit.set_refund picks it)."""
    kinds = policy.refund_clocks.get(rec.status, ())
    if not kinds:
        return None
    return kinds[-1] if rec.shipped or len(kinds) == 1 else kinds[0]


def refund_start(rec: RefundRecord, now: datetime) -> datetime | None:
    """When the status clock starts if the platform's deadline is unknown: the buyer's
    application starts the auto-agree clock; a later status starts now (None)."""
    start = rec.applied_at if rec.status == "waiting_seller_agree" and rec.applied_at else None
    return min(start, now) if start else None


def status_due(rec: RefundRecord, policy: Policy, running: dict[str, datetime | None],
               now: datetime | None) -> datetime | None:
    """The deadline the record's status clock has once imported (`running`: the case's running
    clocks, kind -> due): the platform's 超时时间, else the running clock's, else sla.toml's from
    its start. None when the status has no clock (or `now` is needed and not given)."""
    kind = refund_kind(rec, policy)
    if kind is None:
        return None
    if rec.timeout_at:
        return rec.timeout_at
    if kind in running:
        return running[kind]
    if now is None:
        return None
    return policy.due(policy.rule(kind), refund_start(rec, now) or now)[0]


def flags_supervisor(escalated_to: str | None) -> bool:
    """The platform stepping in flags the supervisor, unless the case is already with the
    supervisor or someone beyond (risk/legal, the special team): never moved down."""
    return escalated_to in (None, "senior")


def _intervened_words(policy: Policy, running: dict, is_open: bool, escalated_to: str | None,
                      now: datetime | None) -> str:
    """What marking 介 does, said after "小二介入" (", 小二介入(2个工作日) 12-03 10:00, 已提醒主管"),
    as CaseEdit.set_intervened and apply_refund do it: the platform's clocks not yet running
    start now, and the supervisor is flagged unless someone above is."""
    words = ""
    if is_open and now is not None:
        for kind in INTERVENTION_CLOCKS:
            if kind in policy.clocks and kind not in running:
                words += f", {policy.label(kind)} {_when(policy.due(policy.rule(kind), now)[0], policy)}"
    if flags_supervisor(escalated_to):
        words += ", 已提醒主管"
    return words


def _when(at: datetime | None, policy: Policy) -> str:
    return shop_time(at, policy, "%m-%d %H:%M") if at is not None else "—"


def refund_facts(rec: RefundRecord) -> dict[str, str | None]:
    return {"refund_amount": rec.refund_amount, "return_tracking_no": rec.tracking_no or None,
            "return_carrier": rec.carrier or None}


def _fact_words(snap: Snap, values: dict[str, str | None]) -> list[str]:
    from console.case_edit import FACTS

    words = []
    for name, value in values.items():
        before = getattr(snap, name)
        if value is not None and value != (before or ""):
            words.append(f"{FACTS[name]} {before or '—'} → {value}")
    return words


def new_refund_words(rec: RefundRecord, policy: Policy, now: datetime | None = None) -> list[str]:
    """What importing `rec` as a new case does, in words; `now` is the preview's time (the
    deadline sla.toml gives a clock the import starts is said from it)."""
    words = [f"新建{'退货' if rec.kind == 'return' else '退款'}工单", f"退款状态 {REFUND_STATUSES[rec.status]}"]
    due = status_due(rec, policy, {}, now)
    if due is not None:
        words.append(f"超时 {_when(due, policy)}")
    if rec.proof_at and PROOF in policy.clocks:
        words.append(f"举证超时 {_when(rec.proof_at, policy)}")
    if rec.intervened:
        words.append("小二介入" + _intervened_words(policy, {}, True, None, now))
    if rec.tracking_no:
        words.append(f"退货单号 {rec.tracking_no}")
    return words


def refund_words(rec: RefundRecord, snap: Snap, policy: Policy, now: datetime | None = None) -> list[str]:
    """What importing `rec` changes on the case `snap`, in words; [] for nothing. `now` is the
    preview's time, for the deadlines sla.toml gives clocks the import starts (whether there
    is a change at all never depends on it)."""
    words = _fact_words(snap, refund_facts(rec))
    kind = refund_kind(rec, policy)
    running = {k: due for k, (due, _) in snap.clocks.items()}
    if snap.refund_status != rec.status:
        status = f"退款状态 {REFUND_STATUSES.get(snap.refund_status or '', '—')} → {REFUND_STATUSES[rec.status]}"
        due = status_due(rec, policy, running, now) if snap.is_open else None
        words.append(status + (f", 超时 {_when(due, policy)}" if due is not None else ""))
    elif snap.is_open and kind in snap.clocks and rec.timeout_at and snap.clocks[kind][0] != rec.timeout_at:
        words.append(f"超时时间 {_when(snap.clocks[kind][0], policy)} → {_when(rec.timeout_at, policy)}")
    proof = snap.clocks.get(PROOF)
    if rec.proof_at and snap.is_open and PROOF in policy.clocks and (proof is None or proof[0] != rec.proof_at):
        words.append(f"举证超时 {_when(proof[0] if proof else None, policy)} → {_when(rec.proof_at, policy)}")
    elif not rec.proof_at and proof is not None and proof[1] == "import":
        words.append("举证超时 平台已不再显示, 计时结束")
    if rec.intervened and not snap.platform_intervened:
        words.append("小二介入 否 → 是" + _intervened_words(policy, running, snap.is_open, snap.escalated_to, now))
    if rec.tracking_no:
        if snap.return_row is None:
            words.append(f"退件表 新增一行 (退回单号 {rec.tracking_no})")
        elif snap.return_row != (rec.tracking_no, rec.carrier):
            # Number and carrier, as the 退件表 event says them (a carrier alone may change).
            before = " ".join(snap.return_row).strip() or "—"
            words.append(f"退件表 退回单号 {before} → {f'{rec.tracking_no} {rec.carrier}'.strip()}")
    return words


def apply_refund(e: CaseEdit, rec: RefundRecord, why: str) -> None:
    """Do what `refund_words` says, on the case `e` holds (every change an event naming `why`)."""
    case, policy = e.case, e.policy
    e.set_facts(refund_facts(rec), why)
    kind = refund_kind(rec, policy)
    if case.refund_status != rec.status:
        # The platform's own deadline always wins over sla.toml's (status_due says which).
        e.set_refund(rec.status, shipped=rec.shipped, start_at=refund_start(rec, e.now), due_at=rec.timeout_at,
                     kind=kind, origin="import", why=why)
    live = {d.kind: d for d in e.live()}
    # A deadline the platform moved, the status the same or not (a clock the new status keeps).
    if case.is_open and kind in live and rec.timeout_at and live[kind].due_at != rec.timeout_at:
        old = live[kind]
        e.end(old, "cancelled", why=f"{why}: 平台期限改为 {_when(rec.timeout_at, policy)}")
        live[kind] = e.start_clock(kind, old.started_at, due_at=rec.timeout_at, origin="import")
    proof = live.get(PROOF)
    if rec.proof_at and case.is_open and PROOF in policy.clocks and (proof is None or proof.due_at != rec.proof_at):
        if proof is not None:
            e.end(proof, "cancelled", why=f"{why}: 举证超时改为 {_when(rec.proof_at, policy)}")
        e.start_clock(PROOF, min(rec.applied_at or e.now, e.now), due_at=rec.proof_at, origin="import")
    elif not rec.proof_at and proof is not None and proof.origin == "import":
        e.end(proof, "met", why=f"{why}: 平台已不再显示举证超时")
    if rec.intervened and not case.platform_intervened:
        e.set_intervened(True, why=why)
        if flags_supervisor(case.escalated_to):
            e.escalate("supervisor", f"平台客服已介入 ({why})")
    if rec.tracking_no:
        _return_row(e, rec, why)


def _return_row(e: CaseEdit, rec: RefundRecord, why: str) -> None:
    case = e.case
    # A case created in this batch has no row yet (and the query would flush the batch).
    entry = None if e.new else e.session.exec(select(ReturnEntry).where(ReturnEntry.case_id == case.id)
                                              .order_by(ReturnEntry.id.desc())).first()
    if entry is None:
        row = new_row(ReturnEntry, created_at=e.now, created_by=e.agent, case_id=case.id, buyer_id=case.buyer_id,
                          order_code=case.order_no or "", product=case.product, total=rec.refund_amount or "",
                          tracking_no=rec.tracking_no, carrier=rec.carrier, remarks=why[:500])
        e.add_row("退件表", row, detail=f"{why}: 退件表 新增一行 (退回单号 {rec.tracking_no} {rec.carrier})".rstrip())
    elif (entry.tracking_no, entry.carrier) != (rec.tracking_no, rec.carrier):
        before = f"{entry.tracking_no} {entry.carrier}".strip() or "—"
        entry.tracking_no, entry.carrier = rec.tracking_no, rec.carrier
        e.session.add(entry)
        e.event("register", before, f"{rec.tracking_no} {rec.carrier}".strip()[:200],
                f"{why}: 退件表 第 {entry.id} 行 退回单号")


# ---- the order export ---------------------------------------------------------------------

def order_facts(order: OrderRecord, snap: Snap) -> dict[str, str | None]:
    """What the order export fills: the amount and item value only where the case has none,
    the receiver's name only as the buyer's 称呼 when nobody gave one."""
    items = order.items or ([(order.title, 1, None)] if order.title else [])
    text = "、".join(f"{title} ×{qty}" for title, qty, _ in items)[:500] or None
    single = items[0][2] if len(items) == 1 else None
    return {
        "order_amount": order.paid if snap.order_amount is None else None,
        "item_value": single if snap.item_value is None else None,
        "order_status": order.status or None,
        "items": text,
        "province": order.province or None,
        "buyer_name": order.receiver if not snap.buyer_name and order.receiver else None,
    }


def order_words(order: OrderRecord, snap: Snap) -> list[str]:
    return _fact_words(snap, order_facts(order, snap))


def apply_order(e: CaseEdit, order: OrderRecord, snap: Snap, why: str) -> None:
    case = e.case
    # The facts as the case is now (it is locked): an agent's figure typed meanwhile is kept.
    snap.order_amount, snap.item_value, snap.buyer_name = case.order_amount, case.item_value, case.buyer_name
    e.set_facts(order_facts(order, snap), why)


__all__ = ["FINISHED", "apply_order", "apply_refund", "new_refund_words", "order_words", "refund_kind",
           "refund_start", "refund_words", "status_due"]
