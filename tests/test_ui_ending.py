"""How the console ends: a clean exit leaves the .db whole on its own; an unexpected
exception saves the drafts, writes the traceback to the log and says so calmly."""

import shutil
import sqlite3
from pathlib import Path
from typing import ClassVar

import pytest
from textual.binding import Binding, BindingType

import console.app
from console.app import AftersalesApp
from console.home import Home
from console.intake import CaseDraft
from console.notes import Notes, place_of
from tests.ui_helpers import make_app, open_case_notes, settle, type_text

SIZE = (140, 40)


class CrashingApp(AftersalesApp):
    """The console with one more key whose action fails as a bug would."""

    CSS_PATH = str(Path(console.app.__file__).parent / "app.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        *AftersalesApp.BINDINGS,
        Binding("f12", "boom", "故障", priority=True),
    ]

    def action_boom(self) -> None:
        raise RuntimeError("模拟的程序错误 boom")


def _app(cls, db, policy, clock, home):
    return make_app(db, policy, clock, home=home, cls=cls)


async def test_an_unexpected_exception_saves_the_draft_logs_the_traceback_and_says_where(
        db, policy, clock, cases, tmp_path, capsys):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    shop = tmp_path / "shop"
    shop.mkdir()
    app = _app(CrashingApp, db, policy, clock, Home(shop, "--home"))
    # Textual's run_test re-raises the first unexpected exception, as it does for any test.
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=SIZE) as pilot:
            await open_case_notes(pilot)
            await type_text(pilot, "买家说周五到")
            # Straight away: the autosave timer is still pending when it breaks.
            await pilot.press("f12")
            await pilot.pause()
    assert Notes(cases).draft("小王", place_of(case.id)) == "买家说周五到"
    assert app.return_code == 1
    log_file = shop / "logs" / "console.log"
    logged = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in logged
    assert "RuntimeError: 模拟的程序错误 boom" in logged and "action_boom" in logged
    assert "1 份已保存" in logged
    # What the agent reads once the console has closed: calm, the drafts, the log's path.
    err = capsys.readouterr().err
    assert "意外错误" in err and "草稿都已保存" in err and str(log_file) in err
    assert "Traceback" not in err and "boom" not in err
    assert app.crash_message is not None and str(log_file) in app.crash_message


async def test_a_failing_worker_is_handled_the_same_way(db, policy, clock, cases, tmp_path, capsys):
    cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    shop = tmp_path / "shop"
    shop.mkdir()

    class WorkerCrash(AftersalesApp):
        CSS_PATH = CrashingApp.CSS_PATH
        BINDINGS: ClassVar[list[BindingType]] = [*AftersalesApp.BINDINGS, Binding("f12", "boom", "故障")]

        def action_boom(self) -> None:
            def fail() -> None:
                raise ValueError("worker boom")

            self.run_worker(fail, thread=True)  # exit_on_error: Textual hands it to the app

    app = _app(WorkerCrash, db, policy, clock, Home(shop, "--home"))
    with pytest.raises(Exception, match="worker boom"):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("f12")
            await settle(pilot)
    logged = (shop / "logs" / "console.log").read_text(encoding="utf-8")
    # The worker's own exception and where it was raised, not only Textual's wrapper.
    assert "ValueError: worker boom" in logged and "in fail" in logged
    err = capsys.readouterr().err
    assert "意外错误" in err and "Traceback" not in err


async def test_a_clean_exit_leaves_the_db_alone_holding_the_last_note(db, db_path, policy, clock, cases,
                                                                     tmp_path):
    case = cases.create(CaseDraft(buyer_id="阿狸"), "小王")
    shop = tmp_path / "shop"
    shop.mkdir()
    app = _app(AftersalesApp, db, policy, clock, Home(shop, "--home"))
    async with app.run_test(size=SIZE) as pilot:
        await open_case_notes(pilot)
        await type_text(pilot, "已催快递")
        await pilot.press("ctrl+s")
        await settle(pilot)
        wal = db_path.with_name(db_path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0  # the note is in the log for now
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert not wal.exists() or wal.stat().st_size == 0
    # What a shop does for a backup when it does not know better: copy the .db alone.
    copy = tmp_path / "copy.db"
    shutil.copyfile(db_path, copy)
    conn = sqlite3.connect(copy)
    try:
        bodies = [r[0] for r in conn.execute("SELECT body FROM note WHERE case_id = ?", (case.id,))]
    finally:
        conn.close()
    assert bodies == ["已催快递"]
    logged = (shop / "logs" / "console.log").read_text(encoding="utf-8")
    assert "工作台启动" in logged and "客服 小王" in logged and "工作台正常关闭" in logged
