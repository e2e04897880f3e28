"""The import screen (导入千牛导出), driven by keys: open with i from the queue, set the folder
(remembered on this computer), preview, confirm, re-import, cancel, a bad file."""

import threading
from datetime import UTC, datetime

from sqlmodel import func, select
from textual.widgets import DataTable, Input

from console import imports
from console.import_picks import remembered_folder, settings_file
from console.models import Case
from console.screens.imports import ImportScreen
from console.screens.queue import QueueScreen
from tests.export_files import Refund, refund_file, refunds, write
from tests.ui_helpers import make_app, settle

SIZE = (120, 36)


def _exports(folder, n=4, bad_row=True):
    """A GBK refund export: n refunds, and one row whose order number is not digits."""
    folder.mkdir(exist_ok=True)
    rows = refunds(n)
    if bad_row:
        rows.append(Refund(refund_no="20261122009999", order_no="ABC123", buyer="测试买家坏"))
    return refund_file(folder / "退款管理导出20261123.csv", rows), rows


def _cases(db) -> int:
    with db.read() as s:
        return s.exec(select(func.count()).select_from(Case)).one()


def _text(widget) -> str:
    return str(widget.render())


def _table_text(table: DataTable) -> str:
    return "\n".join(" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count))


async def _set_folder(pilot, folder) -> None:
    await pilot.press("f")
    await settle(pilot)
    pilot.app.screen.query_one(Input).value = str(folder)
    await pilot.press("enter")
    await settle(pilot)


async def _until_set(pilot, event) -> None:
    """Let the app run until a worker thread has reached `event` (at most 2 s)."""
    for _ in range(100):
        await pilot.pause(0.02)
        if event.is_set():
            return


async def _open_import(pilot) -> ImportScreen:
    await settle(pilot)
    assert isinstance(pilot.app.screen, QueueScreen)
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    return screen


async def test_set_folder_preview_confirm_and_reimport(tmp_path, db, policy, clock, cases):
    folder = tmp_path / "下载"
    _, rows = _exports(folder)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(pilot)
        await _set_folder(pilot, folder)
        # Remembered on this computer, beside the agent's name.
        assert remembered_folder(settings_file()) == folder.resolve()
        offers = screen.query_one("#imp-offers", DataTable)
        assert offers.row_count == 1 and "退款报表" in _table_text(offers)
        assert "退款管理导出20261123.csv" in _table_text(offers)

        await pilot.press("enter")  # preview the offered file
        await settle(pilot)
        assert screen.step == "plan"
        summary = _text(screen.query_one("#imp-summary"))
        assert "退款报表" in summary and "GB18030" in summary
        assert "新建 4" in summary and "拒收 1" in summary and "变更 0" in summary
        changes = screen.query_one("#imp-changes", DataTable)
        assert changes.row_count == 4 and rows[0].refund_no in _table_text(changes)
        assert _cases(db) == 0  # a preview writes nothing

        await pilot.press("2")  # the rejected rows: file, line, column, reason
        await settle(pilot)
        rejects = screen.query_one("#imp-rejects", DataTable)
        assert rejects.display and not changes.display
        line = _table_text(rejects)
        assert "退款管理导出20261123.csv" in line and "订单编号" in line

        await pilot.press("y")  # confirm
        await settle(pilot)
        assert screen.step == "done"
        assert "导入完成" in _text(screen.query_one("#imp-done")) and "新建 4" in _text(screen.query_one("#imp-done"))
        assert _cases(db) == 4
        await pilot.press("enter")  # back to the queue, which shows the new cases
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.table.total == 4
        # With the platform's deadline (超时时间 2026-11-29 09:30 Shanghai) as a running clock.
        with db.read() as s:
            case_id = s.exec(select(Case.id).where(Case.refund_no == rows[0].refund_no)).one()
        due = {d.kind: d.due_at for d in cases.get(case_id).running}
        assert due["refund_auto_agree_shipped"] == datetime(2026, 11, 29, 1, 30, tzinfo=UTC)

        # Again: the folder is remembered, the same file changes nothing.
        screen = await _open_import(pilot)
        assert str(folder.resolve()) in _text(screen.query_one("#imp-folder"))
        await pilot.press("enter")
        await settle(pilot)
        summary = _text(screen.query_one("#imp-summary"))
        assert "新建 0" in summary and "变更 0" in summary and "不变 4" in summary
        await pilot.press("y")  # nothing to import: said, nothing written
        await settle(pilot)
        assert screen.step == "plan" and "没有要导入的变更" in app.messages[-1].text
        await pilot.press("escape")  # back to the files, then to the queue
        await settle(pilot)
        assert screen.step == "pick"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    assert _cases(db) == 4


async def test_a_folder_that_does_not_exist_changes_nothing(tmp_path, db, policy, clock, cases):
    folder = tmp_path / "下载"
    _exports(folder)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_import(pilot)
        await _set_folder(pilot, folder)
        await _set_folder(pilot, tmp_path / "没有这个")
        said = app.messages[-1]
        assert said.severity == "error" and "不存在" in said.text and "没有这个" in said.text
        assert remembered_folder(settings_file()) == folder.resolve()


async def test_bad_files_show_their_message_and_nothing_is_written(tmp_path, db, policy, clock, cases):
    folder = tmp_path / "下载"
    folder.mkdir()
    other = write(folder / "别的表.csv", "姓名,电话\r\n张三,123\r\n")
    empty = write(folder / "空.csv", "")
    broken = folder / "乱码.csv"
    broken.write_bytes(b"\xff\xfe\x00\x81\x30" * 50)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(pilot)
        await pilot.press("p")  # type or paste the paths
        await settle(pilot)
        app.screen.query_one(Input).value = f'"{other}" "{empty}" "{broken}"'
        await pilot.press("enter")
        await settle(pilot)
        assert screen.step == "plan"
        summary = _text(screen.query_one("#imp-summary"))
        for name in ("别的表.csv", "空.csv", "乱码.csv"):
            assert f"✖ {name}" in summary
        assert "新建 0" in summary and "拒收 3" in summary
        assert screen.tab == "rejected" and screen.query_one("#imp-rejects", DataTable).row_count == 3
        await pilot.press("y")
        await settle(pilot)
        assert screen.step == "plan"
    assert _cases(db) == 0


async def test_cancel_the_commit_leaves_whole_batches_then_import_again(tmp_path, db, policy, clock, cases,
                                                                        monkeypatch):
    folder = tmp_path / "下载"
    _exports(folder, n=6, bad_row=False)
    # Batches of 2, and the agent's cancel arrives while the first batch is written.
    gate, wrote_one = threading.Event(), threading.Event()
    real_commit = imports.commit

    def slow_commit(plan, cases, agent, *, progress=None, cancel=None, batch_size=2):
        def step(done, total):
            if progress:
                progress(done, total)
            if done:
                wrote_one.set()
                gate.wait(5)
        return real_commit(plan, cases, agent, batch_size=2, progress=step, cancel=cancel)

    monkeypatch.setattr("console.screens.imports.commit", slow_commit)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(pilot)
        await _set_folder(pilot, folder)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # Enter does not import (twice on the file list must not)
        await settle(pilot)
        assert screen.step == "plan" and "按 y" in app.messages[-1].text and _cases(db) == 0
        await pilot.press("y")
        await _until_set(pilot, wrote_one)
        assert screen.step == "writing"
        await pilot.press("c")
        gate.set()
        await settle(pilot)
        assert screen.step == "done"
        done = _text(screen.query_one("#imp-done"))
        assert "已取消" in done and "再导入一次即可完成" in done
        assert 0 < _cases(db) < 6
        # What was not written is said as not looked at, not counted as unchanged.
        assert "不变 0" in done and "未检查 " in done and "行没有检查" in done
        await pilot.press("enter")
        await settle(pilot)
        monkeypatch.setattr("console.screens.imports.commit", real_commit)
        screen = await _open_import(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "导入完成" in _text(screen.query_one("#imp-done"))
    assert _cases(db) == 6


async def test_import_is_in_the_queue_help_and_palette(db, policy, clock, cases):
    from console.screens.help import key_rows

    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = key_rows(app.screen)
        assert ("i", "导入", "导入千牛导出 (退款/订单报表)") in rows
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "导入 (i)" in titles


async def test_cancel_the_preview_writes_nothing_and_goes_back(tmp_path, db, policy, clock, cases, monkeypatch):
    folder = tmp_path / "下载"
    _exports(folder)
    started = threading.Event()
    real_preview = imports.preview

    def slow_preview(paths, cases, rules=None, *, progress=None, cancel=None):
        started.set()
        assert cancel.wait(5)  # the agent's Esc arrives while the file is read
        return real_preview(paths, cases, rules, progress=progress, cancel=cancel)

    monkeypatch.setattr("console.screens.imports.preview", slow_preview)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(pilot)
        await _set_folder(pilot, folder)
        await pilot.press("enter")
        await _until_set(pilot, started)
        assert screen.step == "reading"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.step == "pick" and "已取消预览" in app.messages[-1].text
    assert _cases(db) == 0


async def test_no_database_work_on_the_ui_thread(tmp_path, db, policy, clock, cases):
    from tests.ui_helpers import UIThreadSQL

    folder = tmp_path / "下载"
    _exports(folder)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _open_import(pilot)
        await _set_folder(pilot, folder)
        with UIThreadSQL(db) as sql:
            sql.armed = True
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            sql.armed = False
        assert not sql.seen, sql.report()
    assert _cases(db) == 4


def test_file_names_and_cells_are_drawn_inert():
    from pathlib import Path

    from console.imports import Change, FileSummary, ImportPlan, Rejected
    from console.screens.import_views import change_detail, change_rows, plan_summary, rejected_rows

    evil = "退款\x1b[2J\u202e.csv"
    plan = ImportPlan(files=[FileSummary(Path(evil), "refund", "GB18030", 1), FileSummary(Path("x.csv"), error=evil)],
                      new=[Change(None, "301", "202", "买家\x1b]52;c;aGk=\x07", ("备注 — → [bold]x[/]\x1b[0m",), evil, 2)],
                      rejected=[Rejected(evil, 3, "列\r\n", "原因\x1b[5m")])
    drawn = [plan_summary(plan).plain, change_detail(plan, 0).plain,
             *(" ".join(r) for r in change_rows(plan)), *(" ".join(r) for r in rejected_rows(plan))]
    for text in drawn:
        assert "\x1b" not in text and "\u202e" not in text and "\r" not in text and "\x07" not in text
    assert "^[[2J" in drawn[0] and "[bold]x[/]" in drawn[1]  # shown as typed, not interpreted


async def test_the_bar_moves_while_a_file_is_read(tmp_path, db, policy, clock, cases, monkeypatch):
    from textual.widgets import ProgressBar

    from console.imports import planning

    folder = tmp_path / "下载"
    path, _ = _exports(folder, n=12)
    monkeypatch.setattr(planning, "ROWS_PER_REPORT", 2)
    midway, gate = threading.Event(), threading.Event()
    real_preview = imports.preview

    def watched_preview(paths, cases, rules=None, *, progress=None, cancel=None):
        def step(done, total):
            progress(done, total)
            if 0 < done < path.stat().st_size and not midway.is_set():
                midway.set()  # the file is partly read: hold here while the screen is looked at
                gate.wait(5)
        return real_preview(paths, cases, rules, progress=step, cancel=cancel)

    monkeypatch.setattr("console.screens.imports.preview", watched_preview)
    app = make_app(db, policy, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(pilot)
        await _set_folder(pilot, folder)
        await pilot.press("enter")
        await _until_set(pilot, midway)
        await pilot.pause(0.3)  # the screen's timer draws the last progress
        bar = screen.query_one("#imp-bar", ProgressBar)
        assert screen.step == "reading" and bar.total is not None and 0 < bar.progress < bar.total / 2
        gate.set()
        await settle(pilot)
        assert screen.step == "plan"
