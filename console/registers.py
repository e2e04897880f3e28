"""The registers the SOP fills (DOMAIN.md §5): 退件表, 重发单, 售后问题表.

Rows are kept in the database, edited on the registers screen, and exported to CSV that
Excel opens correctly (UTF-8 with BOM) and to .xlsx.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import SQLModel, select

from console.cases import Cases
from console.clock import Clock
from console.db import Database, StoreError
from console.models import ProblemEntry, ReshipEntry, ReturnEntry
from console.money import AmountError, parse_amount
from console.sla import Policy
from console.textsafe import inert_cell
from console.units import qty


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    side: str = "agent"  # agent | warehouse: who fills it
    kind: str = "text"  # text | amount | datetime
    width: int = 12


@dataclass(frozen=True)
class Register:
    key: str
    title: str
    model: type[SQLModel]
    columns: tuple[Column, ...]

    @property
    def editable(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.name not in ("created_at", "created_by", "case_id"))


_COMMON_HEAD = (
    Column("created_at", "日期", kind="datetime", width=16),
    Column("created_by", "登记人", width=8),
    Column("case_id", "工单", width=6),
    Column("buyer_id", "买家旺旺", width=14),
    Column("order_code", "订单编码", width=20),
)

REGISTERS: dict[str, Register] = {
    "return": Register("return", "退件表", ReturnEntry, _COMMON_HEAD + (
        Column("return_type", "退货类型", width=8),
        Column("product", "商品全称", width=20),
        Column("quantity", "数量(按商品和规格)", width=14),
        Column("solution", "解决方案", width=10),
        Column("total", "合计(元)", kind="amount", width=9),
        Column("remarks", "备注", width=20),
        Column("tracking_no", "退回单号", side="warehouse", width=16),
        Column("carrier", "快递公司", side="warehouse", width=8),
        Column("received_at", "仓库收到", side="warehouse", kind="datetime", width=16),
        Column("condition", "验货情况", side="warehouse", width=16),
    )),
    "reship": Register("reship", "重发单", ReshipEntry, _COMMON_HEAD + (
        Column("product", "商品名称", width=20),
        Column("quantity", "数量", width=8),
        Column("reason", "重发原因", width=16),
        Column("remarks", "备注", width=20),
    )),
    "problem": Register("problem", "售后问题表", ProblemEntry, _COMMON_HEAD + (
        Column("problem_type", "问题类型", width=8),
        Column("description", "问题描述", width=24),
        Column("solution", "处理方案", width=16),
        Column("courier_loss", "快递损失(元)", kind="amount", width=10),
        Column("remarks", "备注", width=20),
    )),
}

REGISTER_BY_TITLE = {r.title: r for r in REGISTERS.values()}


def check_values(reg: Register, values: dict[str, str], policy: Policy, now: datetime) -> tuple[dict, dict[str, str]]:
    """Clean values for `reg` and a dict of field -> message for the ones that are wrong."""
    from console.intake import parse_shop_time

    clean: dict[str, object] = {}
    errors: dict[str, str] = {}
    columns = {c.name: c for c in reg.editable}
    for name, raw in values.items():
        col = columns.get(name)
        if col is None:
            continue
        text = (raw or "").strip()
        if col.kind == "amount" and text:
            try:
                clean[name] = str(parse_amount(text))
            except AmountError as exc:
                errors[name] = f"{col.title}: {exc}"
        elif col.kind == "datetime":
            if not text:
                clean[name] = None
            else:
                when = parse_shop_time(text, policy, now)
                if when is None:
                    errors[name] = f"{col.title}: 时间格式 2026-11-23 14:03 或 14:03"
                else:
                    clean[name] = when
        else:
            max_len = getattr(reg.model.__table__.c[name].type, "length", None) or 500
            if len(text) > max_len:
                errors[name] = f"{col.title}: 最多 {qty(max_len, '个字')}"
            clean[name] = text
    if "buyer_id" in clean and not clean["buyer_id"]:
        errors["buyer_id"] = "买家旺旺: 必填"
    return clean, errors


class Registers:
    def __init__(self, db: Database, policy: Policy, clock: Clock, cases: Cases | None = None) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.cases = cases or Cases(db, policy, clock)  # a row about a case is a change of the case

    def _checked(self, key: str, values: dict[str, str]) -> tuple[Register, dict, datetime]:
        """The register, the cleaned values and now; RegisterError before any write."""
        reg = REGISTERS[key]
        now = self.clock.now()
        clean, errors = check_values(reg, values, self.policy, now)
        if errors:
            raise RegisterError(errors)
        return reg, clean, now

    def add(self, key: str, values: dict[str, str], agent: str, case_id: int | None = None):
        reg, clean, now = self._checked(key, values)
        if case_id is None:
            with self.db.write() as s:
                entry = reg.model(created_at=now, created_by=agent, case_id=None, **clean)
                s.add(entry)
            return entry
        with self.cases.edit(case_id, agent) as e:  # the row and the case's event (and version) together
            clean.setdefault("buyer_id", e.case.buyer_id)
            clean.setdefault("order_code", e.case.order_no or "")
            entry = e.add_row(reg.title, reg.model(created_at=now, created_by=agent, case_id=case_id, **clean))
        return entry

    def update(self, key: str, entry_id: int, values: dict[str, str], agent: str):
        reg, clean, now = self._checked(key, values)
        with self.db.write() as s:
            entry = s.get(reg.model, entry_id)
            if entry is None:
                raise StoreError(f"{reg.title} 没有第 {entry_id} 行")
            changed = [c.title for c in reg.editable if c.name in clean and getattr(entry, c.name) != clean[c.name]]
            for name, value in clean.items():
                setattr(entry, name, value)
            s.add(entry)
            if entry.case_id is not None and changed:
                with self.cases.edit(entry.case_id, agent, session=s) as e:
                    e.event("register", None, reg.title, f"修改 {reg.title} 第 {entry_id} 行: {'、'.join(changed)}")
        return entry

    def row(self, key: str, entry_id: int):
        """One row of a register, or None if there is no such row."""
        with self.db.read() as s:
            return s.get(REGISTERS[key].model, entry_id)

    def rows(self, key: str, day_from: date | None = None, day_to: date | None = None, limit: int = 5000):
        """Rows of a register, newest first, between two shop-local dates (inclusive)."""
        reg = REGISTERS[key]
        model = reg.model
        q = select(model)
        tz = self.policy.timezone
        if day_from is not None:
            q = q.where(model.created_at >= datetime.combine(day_from, time(), tz))
        if day_to is not None:
            q = q.where(model.created_at < datetime.combine(day_to + timedelta(days=1), time(), tz))
        q = q.order_by(model.created_at.desc(), model.id.desc()).limit(limit)
        with self.db.read() as s:
            return list(s.exec(q).all())


class RegisterError(StoreError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def cell(entry, col: Column, policy: Policy) -> str:
    value = getattr(entry, col.name)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(policy.timezone).strftime("%Y-%m-%d %H:%M")
    return str(value)


def export_csv(reg: Register, rows, path: Path, policy: Policy) -> Path:
    """CSV with a BOM, so Excel on a Chinese Windows opens it as UTF-8, not GBK. Typed text
    that starts like a formula (=, +, -, @) gets a leading ' (textsafe.inert_cell): Excel shows
    it, never runs it; the same in the .xlsx."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c.title for c in reg.columns])
        for entry in rows:
            writer.writerow([inert_cell(cell(entry, c, policy)) for c in reg.columns])
    return path


def export_xlsx(reg: Register, rows, path: Path, policy: Policy) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = reg.title
    ws.append([c.title for c in reg.columns])
    warehouse = PatternFill("solid", fgColor="FFF2CC")
    for i, col in enumerate(reg.columns, 1):
        head = ws.cell(row=1, column=i)
        head.font = Font(bold=True)
        if col.side == "warehouse":
            head.fill = warehouse  # the warehouse's columns stand apart from the agent's
        ws.column_dimensions[head.column_letter].width = max(10, col.width + 4)
    for entry in rows:
        ws.append([inert_cell(cell(entry, c, policy)) for c in reg.columns])
    ws.freeze_panes = "A2"
    wb.save(path)
    return path
