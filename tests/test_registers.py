"""Registers: rows from cases, edits, date filter, exports Excel opens."""

import csv
from datetime import timedelta

import pytest

from console.intake import CaseDraft
from console.money import AmountError, parse_amount
from console.registers import REGISTERS, RegisterError, Registers, export_csv, export_xlsx

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def registers(db, policy, clock):
    return Registers(db, policy, clock)


def test_parse_amount():
    assert str(parse_amount("12")) == "12.00"
    assert str(parse_amount("¥12.5")) == "12.50"
    assert str(parse_amount("3元")) == "3.00"
    assert str(parse_amount("１２．５")) == "12.50"  # full-width digits from a Chinese IME
    for bad, message in (("12.345", "两位小数"), ("-3", "大于 0"), ("0", "大于 0"), ("abc", "数字"), ("", "请输入")):
        with pytest.raises(AmountError, match=message):
            parse_amount(bad)


def test_a_row_from_a_case_takes_its_buyer_and_order(registers, cases):
    case = cases.create(CaseDraft(buyer_id="阿狸", order_no="3712345678901234567", kind="return"), "小王")
    entry = registers.add("return", {"return_type": "质量", "product": "玻尿酸精华 30ml", "total": "89.9"},
                          "小王", case_id=case.id)
    assert (entry.buyer_id, entry.order_code, entry.total) == ("阿狸", "3712345678901234567", "89.90")
    events = [e for e in cases.get(case.id).events if e.action == "register"]
    assert events and events[0].after == "退件表"


def test_bad_values_are_refused_and_nothing_is_saved(registers):
    with pytest.raises(RegisterError) as err:
        registers.add("problem", {"buyer_id": "阿狸", "courier_loss": "12.345"}, "小王")
    assert "两位小数" in err.value.errors["courier_loss"]
    with pytest.raises(RegisterError, match="必填"):
        registers.add("reship", {"buyer_id": " "}, "小王")
    assert registers.rows("problem") == [] and registers.rows("reship") == []


def test_edit_and_filter_by_date(registers, clock, policy):
    first = registers.add("reship", {"buyer_id": "阿狸", "product": "面霜", "reason": "破损重发"}, "小王")
    clock.advance(days=2)
    registers.add("reship", {"buyer_id": "糖糖", "product": "爽肤水", "reason": "漏发"}, "小王")
    registers.update("reship", first.id, {"quantity": "2"}, "阿珍")
    today = clock.now().astimezone(policy.timezone).date()
    assert [r.buyer_id for r in registers.rows("reship")] == ["糖糖", "阿狸"]
    assert [r.buyer_id for r in registers.rows("reship", day_from=today)] == ["糖糖"]
    assert [r.buyer_id for r in registers.rows("reship", day_to=today - timedelta(days=1))] == ["阿狸"]
    assert registers.rows("reship", day_to=today - timedelta(days=1))[0].quantity == "2"


def test_exports_open_in_excel(registers, policy, tmp_path):
    registers.add("return", {"buyer_id": "阿狸", "product": "面霜,50g", "total": "12", "received_at": "09:30"}, "小王")
    reg = REGISTERS["return"]
    path = export_csv(reg, registers.rows("return"), tmp_path / "退件表.csv", policy)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:4] == ["日期", "登记人", "工单", "买家旺旺"]
    assert rows[1][3] == "阿狸" and "面霜,50g" in rows[1]
    assert rows[1][0] == "2026-11-23 10:00"  # shop time
    from openpyxl import load_workbook

    xlsx = export_xlsx(reg, registers.rows("return"), tmp_path / "退件表.xlsx", policy)
    ws = load_workbook(xlsx).active
    assert ws.title == "退件表"
    assert ws.cell(row=1, column=1).value == "日期"
    assert ws.cell(row=2, column=4).value == "阿狸"
