"""Importing into the store: new cases, re-imports, newer exports, cancel and finish, the
order export's facts, the CLI. On SQLite and PostgreSQL."""

import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from console import imports
from console.cli import main
from console.models import Case, CaseEvent, Deadline, ReturnEntry
from console.sop import check_compensation, check_refund
from tests.export_files import Refund, item_file, order_file, refund_file, refunds

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _count(db, model, *where) -> int:
    with db.read() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def _import(cases, *paths, **kw):
    plan = imports.preview(list(paths), cases)
    return plan, imports.commit(plan, cases, "小王", **kw)


def _case(db, refund_no: str) -> Case:
    with db.read() as s:
        return s.exec(select(Case).where(Case.refund_no == refund_no)).one()


def test_import_then_reimport_then_a_newer_export(tmp_path, cases, db):
    rows = refunds(6)
    rows[1] = rows[1].changed(intervention="客服介入中", proof="2026-11-26 12:00:00")
    rows[2] = rows[2].changed(status="success")  # over already, no case: nothing to do for it
    first = refund_file(tmp_path / "退款1.csv", rows)
    plan, result = _import(cases, first)
    assert [f.kind for f in plan.files] == ["refund"] and plan.files[0].encoding == "GB18030"
    assert len(plan.new) == 5 and plan.finished_skipped == 1 and plan.rejected == []
    assert (result.created, result.changed, result.cancelled) == (5, 0, False)
    assert _count(db, Case) == 5

    case = _case(db, rows[0].refund_no)
    assert (case.kind, case.channel, case.buyer_id, case.refund_status) == (
        "return", "platform", "测试买家000", "waiting_seller_agree")
    assert case.order_amount == "59.00" and case.product == "测试宝贝0号"
    detail = cases.get(case.id)
    kinds = {d.kind: d for d in detail.running}
    # The platform's deadline (超时时间 2026-11-29 09:30 Shanghai) wins over the 7-day rule;
    # no first-response clock: nobody wrote in the chat.
    assert kinds["refund_auto_agree_shipped"].due_at == datetime(2026, 11, 29, 1, 30, tzinfo=UTC)
    assert "first_response" not in kinds and "solution" in kinds
    # The queue orders by the nearest running clock: the last case of a batch too.
    for refund in (rows[0], rows[5]):
        made = cases.get(_case(db, refund.refund_no).id)
        assert made.case.next_due_at == min(d.due_at for d in made.running)
    intervened = cases.get(_case(db, rows[1].refund_no).id)
    assert intervened.case.platform_intervened and intervened.case.escalated_to == "supervisor"
    assert {d.kind: d.due_at for d in intervened.running}["proof_timeout"] == datetime(2026, 11, 26, 4, tzinfo=UTC)

    # The same file again: nothing changes, not one event.
    events = _count(db, CaseEvent)
    plan, result = _import(cases, first)
    assert (len(plan.new), len(plan.changed), plan.unchanged) == (0, 0, 5)
    assert (result.created, result.changed) == (0, 0) and _count(db, CaseEvent) == events

    # A newer export: one refund moved on, one got its return parcel; the rest as before.
    rows[0] = rows[0].changed(status="waiting_buyer_return", timeout="2026-11-30 10:00:00")
    rows[3] = rows[3].changed(tracking="YT0000000003", carrier="圆通速递")
    newer = refund_file(tmp_path / "退款2.csv", rows, layout="new", encoding="utf-8-sig")
    plan, result = _import(cases, newer)
    assert plan.files[0].encoding == "UTF-8-BOM"
    words = {c.refund_no: c.words for c in plan.changed}
    assert set(words) == {rows[0].refund_no, rows[3].refund_no}
    assert "退款状态 等待卖家同意 → 等待买家退货" in words[rows[0].refund_no]
    assert (result.created, result.changed, result.unchanged) == (0, 2, 4)  # 4: with the finished refund
    moved = cases.get(case.id)
    assert moved.case.refund_status == "waiting_buyer_return"
    status_events = [e for e in moved.events if e.action == "refund_status"]
    assert (status_events[-1].before, status_events[-1].after, status_events[-1].detail) == (
        "等待卖家同意", "等待买家退货", "导入 退款2.csv")
    running = {d.kind: d for d in moved.running}
    assert "refund_auto_agree_shipped" not in running
    assert running["buyer_return_goods"].due_at == datetime(2026, 11, 30, 2, tzinfo=UTC)
    parcel = _case(db, rows[3].refund_no)
    assert (parcel.return_tracking_no, parcel.return_carrier) == ("YT0000000003", "圆通速递")
    with db.read() as s:
        (entry,) = s.exec(select(ReturnEntry).where(ReturnEntry.case_id == parcel.id)).all()
    assert (entry.tracking_no, entry.carrier, entry.buyer_id) == ("YT0000000003", "圆通速递", "测试买家003")
    imported = [e.detail for e in cases.get(parcel.id).events if e.action == "import"]
    assert any(d.startswith("导入 退款2.csv:") and "退货单号 — → YT0000000003" in d for d in imported)
    # And that newer file again: nothing.
    events = _count(db, CaseEvent)
    plan, _ = _import(cases, newer)
    assert not plan.has_work and _count(db, CaseEvent) == events


def test_a_moved_platform_deadline_restarts_its_clock(tmp_path, cases, db):
    row = Refund("2026112200000001", "3012345678900001")
    _import(cases, refund_file(tmp_path / "a.csv", [row]))
    plan, result = _import(cases, refund_file(tmp_path / "b.csv", [row.changed(timeout="2026-11-30 09:30:00")]))
    assert plan.changed[0].what == ("超时时间 11-29 09:30 → 11-30 09:30",)
    running = {d.kind: d.due_at for d in cases.get(_case(db, row.refund_no).id).running}
    assert running["refund_auto_agree_shipped"] == datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    assert _count(db, Deadline, Deadline.kind == "refund_auto_agree_shipped", Deadline.state == "running") == 1


def test_cancel_leaves_whole_batches_and_importing_again_finishes(tmp_path, cases, db):
    path = refund_file(tmp_path / "big.csv", refunds(9))
    plan = imports.preview([path], cases)
    cancel = threading.Event()

    def progress(done, total):
        if done >= 3:
            cancel.set()  # the agent presses cancel after the first batch

    result = imports.commit(plan, cases, "小王", batch_size=3, progress=progress, cancel=cancel)
    assert result.cancelled and result.batches_done == 1 and result.batches_total == 3
    assert result.created == 3 and _count(db, Case) == 3
    # The rows of the batches never written are not called unchanged: nobody looked at them.
    assert (result.unchanged, result.unchecked, result.unchecked_label) == (0, 6, "未检查")
    plan = imports.preview([path], cases)
    cancel.clear()
    result = imports.commit(plan, cases, "小王", batch_size=3, progress=progress, cancel=cancel)
    assert plan.unchanged == 3 and result.cancelled and result.created == 3
    assert (result.unchanged, result.unchecked) == (3, 3)  # the preview's 3; 3 left unlooked at
    assert result.created + result.changed + result.unchanged + result.unchecked == 9
    plan, result = _import(cases, path, batch_size=3)
    assert len(plan.new) == 3 and plan.unchanged == 6 and result.unchecked == 0
    assert result.created == 3 and not result.cancelled
    assert _count(db, Case) == 9
    with db.read() as s:
        numbers = s.exec(select(Case.refund_no)).all()
    assert len(set(numbers)) == 9
    # A stale plan committed again (a crash after the commit, say) writes nothing twice.
    result = imports.commit(plan, cases, "小王")
    assert result.created == 0 and _count(db, Case) == 9


def test_the_order_export_fills_the_matching_cases_and_the_cap_uses_it(tmp_path, cases, db):
    row = Refund("2026112200000001", "3012345678900001", paid="")
    _import(cases, refund_file(tmp_path / "r.csv", [row]))
    orders = order_file(tmp_path / "ExportOrderList202611231000.csv", [
        {"订单编号": '="3012345678900001"', "买家会员名": "测试买家甲", "买家实际支付金额": "100.00元",
         "订单状态": "卖家已发货，等待买家确认", "收货人姓名": "测试收货人", "收货地址": "浙江省 杭州市 某区 测试路1号"},
        {"订单编号": '="3012345678909999"', "买家会员名": "测试买家丙", "买家实际支付金额": "10.00",
         "订单状态": "交易成功"}])
    items = item_file(tmp_path / "ExportOrderDetailList202611231000.csv", [
        {"订单编号": '="3012345678900001"', "标题": "测试连衣裙", "价格": "100.00", "购买数量": "1"}])
    plan, result = _import(cases, orders, items)
    assert plan.orders_unmatched == 1 and result.changed == 1 and result.created == 0
    case = _case(db, row.refund_no)
    assert (case.order_amount, case.item_value, case.province, case.buyer_name) == (
        "100.00", "100.00", "浙江省", "测试收货人")
    assert case.order_status == "卖家已发货，等待买家确认" and case.items == "测试连衣裙 ×1"
    # The imported amounts are the base of the money rules: 30 % of 100 is the cap.
    assert check_compensation("30", case.item_value).ok
    assert not check_compensation("30.01", case.item_value).ok
    assert not check_refund("100.01", case.order_amount, "partial").ok
    # Again: nothing.
    plan, _ = _import(cases, orders, items)
    assert not plan.has_work


def test_unreadable_files_change_nothing(tmp_path, cases, db):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    other = tmp_path / "stock.csv"
    other.write_text("商品,库存\n测试,3\n", encoding="utf-8")
    plan, result = _import(cases, empty, other, tmp_path / "missing.csv")
    assert not plan.readable and result.created == 0 and _count(db, Case) == 0
    reasons = [str(r) for r in plan.rejected]
    assert any("empty.csv" in r and "空的" in r for r in reasons)
    assert any("stock.csv" in r and "看不出" in r for r in reasons)
    assert any("missing.csv" in r and "不存在" in r for r in reasons)


def test_the_command_line(tmp_path, capsys, db_url, db):
    home = tmp_path / "home"
    assert main(["init", str(home)]) == 0
    assert (home / "import_columns.toml").is_file()
    hostile = Refund("2026112200000008", "3012345678900008", buyer="测试\x1b[2J买家")  # a cell with an escape
    path = refund_file(tmp_path / "退款.csv", refunds(2) + [Refund("2026112200000009", "30123abc"), hostile],
                       encoding="utf-8-sig")
    base = ["--home", str(home), "--db", db_url, "--agent", "小王", "import", str(path)]
    capsys.readouterr()
    assert main([*base, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "退款报表" in out and "UTF-8-BOM" in out and "新建工单 3 个" in out
    assert "退款.csv:6 订单编号 订单编号只能是数字" in out
    assert "\x1b" not in out and "测试^[[2J买家" in out  # drawn inert, stored as is
    assert _count(db, Case) == 0
    assert main([*base, "--yes"]) == 0
    assert "完成: 新建 3 个工单" in capsys.readouterr().out
    assert _count(db, Case) == 3
    assert _case(db, hostile.refund_no).buyer_id == "测试\x1b[2J买家"
    nothing = tmp_path / "empty.csv"
    nothing.write_bytes(b"")
    assert main(["--home", str(home), "--db", db_url, "--agent", "小王", "import", str(nothing)]) == 1
    captured = capsys.readouterr()
    assert "empty.csv" in captured.out and "Traceback" not in captured.err


def test_a_cancelled_preview_says_so_and_writes_nothing(tmp_path, cases, db):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(imports.ImportCancelled):
        imports.preview([refund_file(tmp_path / "r.csv", refunds(3))], cases, cancel=cancel)
    assert _count(db, Case) == 0


def test_proof_deadline_gone_ends_its_clock_and_intervention_is_never_taken_away(tmp_path, cases, db):
    row = Refund("2026112200000001", "3012345678900001", intervention="客服介入中", proof="2026-11-26 12:00:00")
    _import(cases, refund_file(tmp_path / "a.csv", [row]))
    case_id = _case(db, row.refund_no).id
    cases.escalate(case_id, "risk_legal", "买家威胁投诉", "小王")
    plan, _ = _import(cases, refund_file(tmp_path / "b.csv", [row.changed(proof="", intervention="客服未介入")]))
    assert plan.changed[0].what == ("举证超时 平台已不再显示, 计时结束",)
    detail = cases.get(case_id)
    assert "proof_timeout" not in {d.kind for d in detail.running}
    assert detail.case.platform_intervened  # an older-looking export does not unmark 介
    assert detail.case.escalated_to == "risk_legal"  # not moved down to the supervisor


def test_an_agents_amount_is_kept_and_the_order_state_follows_the_export(tmp_path, cases, db):
    row = Refund("2026112200000001", "3012345678900001", paid="")
    _import(cases, refund_file(tmp_path / "r.csv", [row]))
    case_id = _case(db, row.refund_no).id
    with cases.edit(case_id, "小王") as e:
        e.record_money("20", "补偿 20 元", "测试", order_amount="88", item_value="80")
    order = {"订单编号": '="3012345678900001"', "买家实际支付金额": "100.00", "订单状态": "卖家已发货，等待买家确认"}
    _import(cases, order_file(tmp_path / "ExportOrderList1.csv", [order]))
    case = _case(db, row.refund_no)
    assert (case.order_amount, case.item_value, case.order_status) == ("88", "80", "卖家已发货，等待买家确认")
    plan, _ = _import(cases, order_file(tmp_path / "ExportOrderList2.csv", [{**order, "订单状态": "交易成功"}]))
    assert plan.changed[0].what == ("订单状态 卖家已发货，等待买家确认 → 交易成功",)
    assert _case(db, row.refund_no).order_status == "交易成功"


def test_the_words_say_every_clock_the_import_starts(tmp_path, cases, db, policy):
    from console.sla import shop_time

    rows = refunds(4)
    plan, _ = _import(cases, refund_file(tmp_path / "a.csv", rows[:2] + [rows[2].changed(timeout="")] + rows[3:]))
    ids = {r.refund_no: _case(db, r.refund_no).id for r in rows}

    def said_and_done(plan, before_clocks, before_events):
        words = {c.refund_no: c.words for c in [*plan.new, *plan.changed]}
        for refund_no, case_id in ids.items():
            detail = cases.get(case_id)
            started = [d for d in detail.deadlines if d.id not in before_clocks and d.origin != "create"]
            for d in started:  # every clock the import started, with the deadline it got
                assert shop_time(d.due_at, policy, "%m-%d %H:%M") in words[refund_no], (d.kind, words[refund_no])
            flagged = any(e.action == "escalated" and e.id not in before_events for e in detail.events)
            assert flagged == ("已提醒主管" in words.get(refund_no, "")), words.get(refund_no)
        return words

    # The first import: a deadline from the export, and one from sla.toml (no 超时时间 shown).
    said_and_done(plan, set(), set())
    cases.escalate(ids[rows[2].refund_no], "risk_legal", "买家提到律师", "小王")
    with db.read() as s:
        clocks = set(s.exec(select(Deadline.id)).all())
        events = set(s.exec(select(CaseEvent.id)).all())
    newer = [rows[0].changed(status="waiting_buyer_return", timeout="2026-12-01 09:30:00"),
             rows[1].changed(status="waiting_buyer_return", timeout=""),
             rows[2].changed(intervention="客服介入中"),  # escalated above the supervisor already
             rows[3].changed(intervention="客服介入中", proof="2026-11-26 12:00:00")]
    plan, _ = _import(cases, refund_file(tmp_path / "b.csv", newer))
    words = said_and_done(plan, clocks, events)
    assert words[rows[0].refund_no] == "退款状态 等待卖家同意 → 等待买家退货, 超时 12-01 09:30"
    assert words[rows[1].refund_no].startswith("退款状态 等待卖家同意 → 等待买家退货, 超时 ")
    assert words[rows[2].refund_no].startswith("小二介入 否 → 是, 小二介入(2个工作日) ")


def test_a_new_carrier_alone_is_said_for_the_return_register(tmp_path, cases, db):
    row = Refund("2026112200000001", "3012345678900001", tracking="YT0000000003", carrier="圆通速递")
    _import(cases, refund_file(tmp_path / "a.csv", [row]))
    plan, _ = _import(cases, refund_file(tmp_path / "b.csv", [row.changed(carrier="中通快递")]))
    assert "退件表 退回单号 YT0000000003 圆通速递 → YT0000000003 中通快递" in plan.changed[0].what
    with db.read() as s:
        (entry,) = s.exec(select(ReturnEntry)).all()
    assert (entry.tracking_no, entry.carrier) == ("YT0000000003", "中通快递")


def test_the_command_line_says_what_a_refused_batch_left_unwritten(tmp_path, capsys, db_url, db, monkeypatch):
    from console.db import StoreError
    from console.imports import writing

    home = tmp_path / "home"
    assert main(["init", str(home)]) == 0
    path = refund_file(tmp_path / "退款.csv", refunds(3))

    def refused(*_args):
        raise StoreError("数据库忙")

    monkeypatch.setattr(writing, "_write_batch", refused)
    capsys.readouterr()
    assert main(["--home", str(home), "--db", db_url, "--agent", "小王", "import", str(path), "--yes"]) == 1
    captured = capsys.readouterr()
    assert "没有做完: 新建 0 个工单" in captured.out and "没变 0 行, 未写入 3 行" in captured.out
    assert "数据库忙" in captured.err and _count(db, Case) == 0


@pytest.mark.backends("sqlite")
def test_the_running_clocks_of_known_refunds_are_read_by_case_not_by_clock_kind(db):
    """SQLite must look the clocks up by case: by clock = 'platform' it would read every
    platform clock ever started once per 500 refunds (a re-import slowing with history)."""
    from sqlalchemy import text
    from sqlalchemy.dialects import sqlite

    from console.imports.snapshot import running_platform_clocks

    query = running_platform_clocks([1, 2, 3]).compile(dialect=sqlite.dialect(),
                                                       compile_kwargs={"literal_binds": True})
    with db.read() as s:
        plan = " / ".join(r[3] for r in s.connection().execute(text(f"EXPLAIN QUERY PLAN {query}")))
    assert "ix_deadline_case_id" in plan, plan
