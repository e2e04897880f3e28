"""From a decoded export to clean records: each row mapped by column name, cleaned and
checked. A row that fails becomes a Rejected naming its line and column; the rest go on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import console.imports.clean as clean
from console.imports.clean import CellError
from console.imports.reading import Table
from console.imports.rules import ImportRules, KindRules, norm
from console.imports.types import Rejected
from console.sla import Policy

MAX_TEXT = 4000


@dataclass(slots=True)  # 100,000 of them in a large export's plan
class RefundRecord:
    file: str
    line: int
    refund_no: str
    order_no: str
    buyer: str
    status: str  # a REFUND_STATUSES key
    kind: str = "refund"  # refund | return (是否需要退货)
    shipped: bool = True
    title: str = ""
    description: str = ""
    paid: str | None = None
    refund_amount: str | None = None
    applied_at: datetime | None = None
    timeout_at: datetime | None = None
    proof_at: datetime | None = None
    intervened: bool = False
    tracking_no: str = ""
    carrier: str = ""


@dataclass(slots=True)
class OrderRecord:
    file: str
    line: int
    order_no: str
    buyer: str = ""
    receiver: str = ""
    status: str = ""
    paid: str | None = None
    province: str = ""
    title: str = ""
    items: list[tuple[str, int, str | None]] = field(default_factory=list)  # title, quantity, price


@dataclass
class Parsed:
    kind: str
    layout: str = ""
    refunds: list[RefundRecord] = field(default_factory=list)
    orders: list[OrderRecord] = field(default_factory=list)
    items: list[tuple[str, str, int, str | None]] = field(default_factory=list)  # order, title, qty, price
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.refunds) + len(self.orders) + len(self.items)


class MissingColumns(ValueError):
    pass


def column_index(table: Table, kind: KindRules) -> dict[str, int]:
    """field -> index of its column, by name (the first column of a repeated name); raises
    MissingColumns naming the required ones the file lacks."""
    first: dict[str, int] = {}
    for i, h in enumerate(table.header):
        first.setdefault(norm(h), i)
    index = {}
    for name, headers in kind.columns.items():
        for h in headers:
            if norm(h) in first:
                index[name] = first[norm(h)]
                break
    missing = [kind.header_of(r) for r in kind.required if r not in index]
    if missing:
        raise MissingColumns(f"{table.name}: 缺少必需的列 {'、'.join(missing)} "
                             f"(第 1 行标题行; 如果千牛改了列名, 请在 import_columns.toml 里加上新名字)")
    return index


def parse(table: Table, kind: str, rules: ImportRules, policy: Policy) -> Parsed:
    index = column_index(table, rules.kinds[kind])
    out = Parsed(kind, rejected=list(table.rejected))
    if kind == "refund":
        out.layout = f"{'新版' if len(table.header) >= 50 else '旧版'} ({len(table.header)} 列)"
    width = len(table.header)
    for line, cells in table.rows:
        if len(cells) < width:
            out.rejected.append(Rejected(table.name, line, "", f"这一行只有 {len(cells)} 列, 标题行有 {width} 列: "
                                                               "没有导入"))
            continue
        row = _Row(table.name, line, cells, index, rules.kinds[kind])
        try:
            if kind == "refund":
                out.refunds.append(_refund(row, rules, policy))
            elif kind == "order":
                out.orders.append(_order(row, rules, policy))
            else:
                out.items.append(_item(row, policy))
        except _Refused as exc:
            out.rejected.append(exc.rejected)
    return out


class _Refused(Exception):
    def __init__(self, rejected: Rejected) -> None:
        self.rejected = rejected


class _Row:
    def __init__(self, name: str, line: int, cells: list[str], index: dict[str, int], kind: KindRules) -> None:
        self.name, self.line, self.cells, self.index, self.kind = name, line, cells, index, kind

    def raw(self, fieldname: str) -> str:
        i = self.index.get(fieldname)
        return self.cells[i] if i is not None else ""

    def get(self, fieldname: str, fn, *args):
        try:
            return fn(self.raw(fieldname), *args)
        except CellError as exc:
            raise self.refuse(fieldname, str(exc)) from None

    def refuse(self, fieldname: str, reason: str) -> _Refused:
        return _Refused(Rejected(self.name, self.line, self.kind.header_of(fieldname), reason))


def _order_no(row: _Row, policy: Policy) -> str:
    return row.get("order_no", clean.digits, "订单编号", policy.order_min, policy.order_max)


def _refund(row: _Row, rules: ImportRules, policy: Policy) -> RefundRecord:
    zone = policy.timezone
    refund_no = row.get("refund_no", clean.digits, "退款编号", 6, 32)
    order_no = _order_no(row, policy)
    buyer = clean.text(row.raw("buyer"))[:64]
    if not buyer:
        raise row.refuse("buyer", "买家会员名称是空的")
    status_text = clean.text(row.raw("status"))
    status = rules.refund_status.get(norm(status_text))
    if status is None:
        raise row.refuse("status", f"不认识的退款状态“{status_text[:40]}” (可在 import_columns.toml 的 "
                                   "[refund.status] 里加上)")
    intervention = norm(clean.text(row.raw("intervention")))
    if intervention and intervention not in rules.intervened_yes | rules.intervened_no:
        raise row.refuse("intervention", f"不认识的客服介入状态“{intervention[:40]}” (可在 import_columns.toml 的 "
                                         "[refund.intervention] 里加上)")
    need_return = norm(clean.text(row.raw("need_return")))
    if need_return and need_return not in rules.return_yes | rules.return_no:
        raise row.refuse("need_return", f"是否需要退货应为 是/否, 这里是“{need_return[:20]}”")
    reason, explain = clean.text(row.raw("reason")), clean.text(row.raw("explain"))
    description = "退款原因: " + reason if reason else ""
    if explain:
        description += ("\n" if description else "") + "买家说明: " + explain
    return RefundRecord(
        file=row.name, line=row.line, refund_no=refund_no, order_no=order_no, buyer=buyer, status=status,
        kind="return" if need_return in rules.return_yes else "refund",
        shipped=norm(clean.text(row.raw("goods_status"))) not in rules.not_shipped,
        title=clean.text(row.raw("title"))[:200], description=description[:MAX_TEXT],
        paid=row.get("paid", clean.amount, "买家实际支付金额"),
        refund_amount=row.get("refund_amount", clean.amount, "买家退款金额"),
        applied_at=row.get("applied_at", clean.shop_time, zone, "退款申请时间"),
        timeout_at=row.get("timeout_at", clean.shop_time, zone, "超时时间"),
        proof_at=row.get("proof_timeout", clean.shop_time, zone, "举证超时"),
        intervened=intervention in rules.intervened_yes,
        tracking_no=clean.text(row.raw("tracking_no"))[:40],
        carrier=clean.text(row.raw("carrier"))[:40],
    )


def _order(row: _Row, rules: ImportRules, policy: Policy) -> OrderRecord:
    order_no = _order_no(row, policy)
    status = clean.text(row.raw("status"))
    if norm(status) not in rules.order_statuses:
        raise row.refuse("status", f"不认识的订单状态“{status[:40]}” (可在 import_columns.toml 的 "
                                   "[order.status] 里加上)")
    return OrderRecord(
        file=row.name, line=row.line, order_no=order_no, buyer=clean.text(row.raw("buyer"))[:64],
        receiver=clean.text(row.raw("receiver"))[:64], status=status[:40],
        paid=row.get("paid", clean.amount, "买家实际支付金额"),
        province=clean.province(row.raw("address")), title=clean.text(row.raw("title"))[:200],
    )


def _item(row: _Row, policy: Policy) -> tuple[str, str, int, str | None]:
    order_no = _order_no(row, policy)
    title = clean.text(row.raw("title"))
    if not title:
        raise row.refuse("title", "标题是空的")
    return (order_no, title[:200], row.get("quantity", clean.quantity, "购买数量"),
            row.get("price", clean.amount, "价格"))
