"""Reading Qianniu's exports: encodings, kinds, layouts, quirks, bad input (no database)."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.import_picks import offers
from console.imports import clean, export_kind, load_import_rules, newest_exports
from console.imports.reading import FileError, read_table
from console.imports.records import MissingColumns, parse
from console.imports.rules import load_rules
from tests.export_files import (
    ITEM,
    NEW_REFUND,
    ORDER,
    Refund,
    csv_text,
    item_file,
    order_file,
    refund_cells,
    refund_file,
    write,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = load_rules()


def _parse(path: Path, policy):
    table = read_table(path, RULES)
    return table, parse(table, RULES.kind_of(table.header), RULES, policy)


# ---- cleaning ----------------------------------------------------------------------------

def test_cleaning_the_quirks():
    assert clean.text('="3012345678901234"') == "3012345678901234"
    assert clean.text("'13800000000") == "13800000000"
    assert clean.text("  -  ") == ""
    assert clean.amount("59.5元", "金额") == "59.50"
    assert clean.amount("¥1,234", "金额") == "1234.00"
    assert clean.amount("0", "邮费") == "0.00"
    assert clean.amount("", "金额") is None
    with pytest.raises(clean.CellError, match="金额"):
        clean.amount("五十元", "金额")
    a = clean.shop_time("2026-11-23 14:03:22", SHANGHAI, "时间")
    b = clean.shop_time("2026/11/23 14:03", SHANGHAI, "时间")
    assert a == datetime(2026, 11, 23, 6, 3, 22, tzinfo=UTC)  # shop time is UTC+8
    assert b == datetime(2026, 11, 23, 6, 3, tzinfo=UTC)
    assert clean.shop_time("2026/1/5 9:03", SHANGHAI, "时间") == datetime(2026, 1, 5, 1, 3, tzinfo=UTC)
    with pytest.raises(clean.CellError, match="看不懂"):
        clean.shop_time("下周一", SHANGHAI, "超时时间")
    assert clean.province("浙江省 杭州市 西湖区 某某路1号") == "浙江省"
    assert clean.province("上海市浦东新区某某路") == "上海市"
    assert clean.province("广西壮族自治区 南宁市") == "广西壮族自治区"


def test_full_width_order_numbers_are_digits():
    assert clean.digits("３０１２３４５６７８９０", "订单编号", 10, 20) == "301234567890"
    with pytest.raises(clean.CellError, match="只能是数字"):
        clean.digits('="30123abc45"', "订单编号", 10, 20)


@given(st.text(alphabet="0123456789", min_size=10, max_size=20))
def test_order_numbers_survive_every_excel_wrapping(digits):
    for cell in (digits, f'="{digits}"', f"'{digits}", f"  {digits} "):
        assert clean.digits(cell, "订单编号", 10, 20) == digits


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2))
def test_amounts_read_back_to_two_decimals(value):
    for cell in (f"{value}", f"{value}元", f"¥{value}", f"{value:,}元"):
        assert clean.amount(cell, "金额") == f"{value:.2f}"


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31)))
def test_both_time_formats_mean_the_same_minute(moment):
    moment = moment.replace(second=0, microsecond=0)
    dash = clean.shop_time(moment.strftime("%Y-%m-%d %H:%M:%S"), SHANGHAI, "时间")
    slash = clean.shop_time(moment.strftime("%Y/%m/%d %H:%M"), SHANGHAI, "时间")
    assert dash == slash == moment.replace(tzinfo=SHANGHAI).astimezone(UTC)


# ---- files -------------------------------------------------------------------------------

@pytest.mark.parametrize(("layout", "encoding", "label"), [
    ("old", "gbk", "GB18030"), ("new", "gbk", "GB18030"), ("old", "utf-8-sig", "UTF-8-BOM"),
    ("new", "utf-8-sig", "UTF-8-BOM"),
])
def test_refund_exports_in_both_layouts_and_encodings(tmp_path, policy, layout, encoding, label):
    rows = [Refund("2026112200000001", "3012345678900001"),
            Refund("2026112200000002", "3012345678900001", buyer="测试买家乙", status="等待买家退货",
                   applied="2026/11/22 09:30", timeout="2026/11/29 09:30", need_return="否",
                   intervention="客服介入中", tracking="SF0000000001", carrier="顺丰速运", proof="2026-11-26 12:00:00")]
    path = refund_file(tmp_path / "refund.csv", rows, layout, encoding)
    table, parsed = _parse(path, policy)
    assert table.encoding == label
    assert parsed.kind == "refund" and parsed.rejected == []
    assert parsed.layout.startswith("旧版" if layout == "old" else "新版")
    first, second = parsed.refunds
    assert (first.refund_no, first.order_no, first.status, first.kind) == (
        "2026112200000001", "3012345678900001", "waiting_seller_agree", "return")
    assert first.paid == "59.00" and first.applied_at == datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
    assert first.description == "退款原因: 尺码不合适\n买家说明: 穿着太大了"
    assert second.status == "waiting_buyer_return" and second.kind == "refund" and second.intervened
    assert (second.tracking_no, second.carrier) == ("SF0000000001", "顺丰速运")
    assert second.proof_at == datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def test_summary_rows_and_empty_lines_are_skipped_not_errors(tmp_path, policy):
    path = refund_file(tmp_path / "r.csv", [Refund("2026112200000001", "3012345678900001")])
    text = path.read_bytes().decode("gbk") + ",".join(["平均值"] + [""] * 40) + "\r\n\r\n"
    write(path, text + ",".join(["全店汇总值"] + [""] * 40) + "\r\n")
    _, parsed = _parse(path, policy)
    assert len(parsed.refunds) == 1 and parsed.rejected == []


def test_order_and_item_exports(tmp_path, policy):
    orders = order_file(tmp_path / "ExportOrderList202611231000.csv", [
        {"订单编号": '="3012345678900001"', "买家会员名": "测试买家甲", "买家实际支付金额": "118.00元",
         "订单状态": "卖家已发货，等待买家确认", "收货人姓名": "测试收货人", "收货地址": "浙江省 杭州市 某区 测试路1号",
         "联系手机": "'13800000000", "订单创建时间": "2026/11/20 10:00"}])
    items = item_file(tmp_path / "ExportOrderDetailList202611231000.csv", [
        {"订单编号": '="3012345678900001"', "标题": "测试连衣裙", "价格": "59.00", "购买数量": "2"}])
    _, parsed = _parse(orders, policy)
    assert parsed.kind == "order" and parsed.orders[0].province == "浙江省"
    assert parsed.orders[0].paid == "118.00" and parsed.orders[0].receiver == "测试收货人"
    _, parsed = _parse(items, policy)
    assert parsed.kind == "order_item" and parsed.items == [("3012345678900001", "测试连衣裙", 2, "59.00")]


def test_a_bad_row_is_refused_with_line_and_column_and_the_rest_reads(tmp_path, policy):
    rows = [Refund("2026112200000001", "3012345678900001"),
            Refund("2026112200000002", "30123abc"),
            Refund("2026112200000003", "3012345678900003", status="等待天气转好"),
            Refund("2026112200000004", "3012345678900004", timeout="下周一"),
            Refund("2026112200000005", "3012345678900005", intervention="看情况")]
    _, parsed = _parse(refund_file(tmp_path / "r.csv", rows), policy)
    assert [r.refund_no for r in parsed.refunds] == ["2026112200000001"]
    got = {(r.line, r.column) for r in parsed.rejected}
    # Each row is followed by an empty line: rows sit on lines 2, 4, 6, 8, 10.
    assert got == {(4, "订单编号"), (6, "退款状态"), (8, "超时时间"), (10, "客服介入状态")}
    reasons = {r.column: r.reason for r in parsed.rejected}
    assert "只能是数字" in reasons["订单编号"] and "等待天气转好" in reasons["退款状态"]
    assert all(r.file == "r.csv" for r in parsed.rejected)


def test_a_truncated_last_line_is_refused_and_the_rest_reads(tmp_path, policy):
    path = refund_file(tmp_path / "cut.csv", [Refund("2026112200000001", "3012345678900001"),
                                              Refund("2026112200000002", "3012345678900002")])
    text = path.read_bytes().decode("gbk")
    text = text[:text.index("汇总值")].rstrip("\r\n")
    write(path, text[: text.rindex("测试买家甲") + 3])  # cut in the middle of the last row
    _, parsed = _parse(path, policy)
    assert [r.refund_no for r in parsed.refunds] == ["2026112200000001"]
    (bad,) = parsed.rejected
    assert bad.line == 4 and "截断" in bad.reason


def test_a_quote_left_open_at_the_end_is_a_truncated_file(tmp_path, policy):
    header = NEW_REFUND
    good = refund_cells(Refund("2026112200000001", "3012345678900001"), header)
    text = csv_text(header, [good], summary=False) + '="3012345678900002",="2026112200000002",x,"2026-11-2'
    _, parsed = _parse(write(tmp_path / "open.csv", text), policy)
    assert len(parsed.refunds) == 1
    assert any("截断" in r.reason for r in parsed.rejected)


def test_undecodable_bytes_name_the_line_and_the_rest_reads(tmp_path, policy):
    path = refund_file(tmp_path / "bytes.csv", [Refund("2026112200000001", "3012345678900001"),
                                                Refund("2026112200000002", "3012345678900002"),
                                                Refund("2026112200000003", "3012345678900003")])
    data = path.read_bytes()
    lines = data.split(b"\n")
    lines[3] = lines[3].replace("测试买家甲".encode("gbk"), b"\x81\x20\xff\xfe", 1)  # the 2nd row, line 4
    path.write_bytes(b"\n".join(lines))
    table, parsed = _parse(path, policy)
    assert table.encoding == "GB18030"
    assert [r.refund_no for r in parsed.refunds] == ["2026112200000001", "2026112200000003"]
    (bad,) = parsed.rejected
    assert bad.line == 4 and "无法识别的字节" in bad.reason


@pytest.mark.parametrize(("content", "message"), [
    (b"", "空的"),
    (b"\r\n\r\n", "空的"),
])
def test_an_empty_file_is_refused_by_name(tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(FileError, match=f"empty.csv.*{message}"):
        read_table(path, RULES)


def test_a_missing_required_column_names_file_and_column(tmp_path, policy):
    header = [h for h in NEW_REFUND if h != "买家会员名称"]
    row = refund_cells(Refund("2026112200000001", "3012345678900001"), header)
    path = write(tmp_path / "cols.csv", csv_text(header, [row]))
    with pytest.raises(MissingColumns, match="cols.csv.*买家会员名称"):
        _parse(path, policy)


def test_another_kind_of_csv_is_not_recognised(tmp_path):
    path = write(tmp_path / "stock.csv", "商品,库存\r\n测试,3\r\n")
    assert RULES.kind_of(read_table(path, RULES).header) == ""


def test_a_shop_can_add_a_renamed_column(tmp_path, policy):
    header = ["买家旺旺" if h == "买家会员名称" else h for h in NEW_REFUND]
    row = refund_cells(Refund("2026112200000001", "3012345678900001"), NEW_REFUND)
    path = write(tmp_path / "renamed.csv", csv_text(header, [row]))
    with pytest.raises(MissingColumns):
        _parse(path, policy)
    own = tmp_path / "import_columns.toml"
    own.write_text(RULES.source and Path(RULES.source).read_text(encoding="utf-8").replace(
        'buyer = ["买家会员名称"', 'buyer = ["买家旺旺", "买家会员名称"'), encoding="utf-8")
    from console.home import Home

    rules = load_import_rules(Home(tmp_path))
    table = read_table(path, rules)
    parsed = parse(table, rules.kind_of(table.header), rules, policy)
    assert parsed.refunds[0].buyer == "测试买家甲"


def test_newest_exports_picks_the_newest_of_each_kind(tmp_path):
    import os

    old = refund_file(tmp_path / "退款导出_1.csv", [Refund("2026112200000001", "3012345678900001")])
    new = refund_file(tmp_path / "whatever-name.csv", [Refund("2026112200000001", "3012345678900001")])
    orders = write(tmp_path / "ExportOrderList202611231000.csv", csv_text(ORDER, []))
    items = write(tmp_path / "ExportOrderDetailList202611231000.csv", csv_text(ITEM, []))
    write(tmp_path / "notes.csv", "a,b\r\n1,2\r\n")
    (tmp_path / "readme.txt").write_text("x")
    for i, p in enumerate([old, orders, items, new]):
        os.utime(p, (1_700_000_000 + i * 60, 1_700_000_000 + i * 60))
    found = newest_exports(tmp_path)
    assert {(f.path, f.kind) for f in found} == {(new, "refund"), (orders, "order"), (items, "order_item")}
    assert found[0].path == new and found[0].kind_label == "退款报表"
    assert newest_exports(tmp_path / "nowhere") == []


def test_one_rule_says_what_kind_an_export_is(tmp_path):
    rules = load_import_rules()
    refund = refund_file(tmp_path / "随便.csv", [Refund("2026112200000001", "3012345678900001")])
    items = write(tmp_path / "ExportOrderDetailList1.csv", csv_text(ITEM, []))
    orders_by_header = write(tmp_path / "订单.csv", csv_text(ORDER, []))
    assert [export_kind(p, rules) for p in (refund, items, orders_by_header)] == ["refund", "order_item", "order"]
    assert export_kind(write(tmp_path / "notes.csv", "a,b\r\n"), rules) == ""
    # The folder listing and the import screen's offers tell kinds by it, and agree.
    found = {f.path: f.kind for f in newest_exports(tmp_path, rules)}
    offered = {o.path: o.kind for o in offers(tmp_path, rules)}
    assert found == offered == {p: export_kind(p, rules) for p in found}


def test_excel_unicode_text_utf16_tab_separated(tmp_path, policy):
    header = NEW_REFUND
    row = refund_cells(Refund("2026112200000001", "3012345678900001"), header)
    text = "\t".join(header) + "\r\n" + "\t".join(row) + "\r\n"
    path = tmp_path / "unicode.txt.csv"
    path.write_bytes(text.encode("utf-16"))  # with its BOM, as Excel writes "Unicode 文本"
    table, parsed = _parse(path, policy)
    assert table.encoding == "UTF-16" and parsed.refunds[0].buyer == "测试买家甲"


def test_preview_progress_moves_while_a_file_is_read(tmp_path, cases, monkeypatch):
    import threading

    from console.imports import ImportCancelled, planning, preview
    from tests.export_files import refunds

    monkeypatch.setattr(planning, "ROWS_PER_REPORT", 10)
    path = refund_file(tmp_path / "退款.csv", refunds(60))
    calls: list[tuple[int, int]] = []
    preview([path], cases, progress=lambda done, total: calls.append((done, total)))
    totals = {total for _, total in calls}
    assert len(totals) == 1  # known from the start: the bar never jumps back
    (total,) = totals
    values = [done for done, _ in calls]
    assert values == sorted(values) and values[0] == 0 and values[-1] == total
    read_of_the_file = [v for v in values if 0 < v < path.stat().st_size]
    assert len(set(read_of_the_file)) >= 4  # several steps within the one file, not one at its end
    # And Esc is heard while the file is read, not only once it is.
    cancel = threading.Event()

    def cancel_midway(done, _total):
        if 0 < done < path.stat().st_size:
            cancel.set()

    with pytest.raises(ImportCancelled):
        preview([path], cases, progress=cancel_midway, cancel=cancel)
