"""The log: a rotating UTF-8 file in the shop folder (or a per-user temp folder), never the
screen; database errors with the exception they came from; the command line's commands."""

import logging
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from console import log as console_log
from console.cli import main
from console.db import SCHEMA_HEAD, StoreError, open_database, resolve_url


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_log_is_a_rotating_utf8_file_in_the_shop_folder(tmp_path):
    home = tmp_path / "店铺"
    home.mkdir()
    path = console_log.setup(home)
    assert path == home / "logs" / "console.log"
    assert console_log.setup(home) == path  # again: the same file, one handler
    ours = [h for h in logging.getLogger("console").handlers if getattr(h, "_console_log", False)]
    assert len(ours) == 1
    logging.getLogger("console.test").info("买家 阿狸 的工单 #12")
    line = _read(path).splitlines()[-1]
    assert " INFO console.test [pid " in line and line.endswith("买家 阿狸 的工单 #12")
    assert line[:4].isdigit()  # starts with the time
    # 1 MB a file, 5 kept: a long-running console does not fill the disk.
    filler = "x" * 1000
    for _ in range(1200):
        logging.getLogger("console.test").info(filler)
    assert (home / "logs" / "console.log.1").is_file()
    assert path.stat().st_size <= console_log.MAX_BYTES
    assert not (home / "logs" / "console.log.6").exists()


def test_a_rotation_that_cannot_rename_keeps_logging_to_the_same_file(tmp_path):
    """On Windows another console holding the log open stops the rename; here a folder where
    the oldest part would be replaced does. Either way no record is lost."""
    home = tmp_path / "shop"
    (home / "logs" / "console.log.5").mkdir(parents=True)
    (home / "logs" / "console.log.4").write_text("old\n", encoding="utf-8")
    path = console_log.setup(home)
    filler = "x" * 1000
    for _ in range(1100):
        logging.getLogger("console.test").info(filler)
    logging.getLogger("console.test").info("the last one")
    assert path.stat().st_size > console_log.MAX_BYTES
    assert _read(path).endswith("the last one\n")
    assert (home / "logs" / "console.log.5").is_dir() and not (home / "logs" / "console.log.1").exists()


def test_a_shop_folder_that_cannot_hold_the_log_falls_back_to_a_per_user_temp_folder(tmp_path):
    home = tmp_path / "shop"
    home.mkdir()
    (home / "logs").write_text("a file where the folder should be", encoding="utf-8")
    path = console_log.setup(home)
    assert path is not None and path.is_relative_to(Path(tempfile.gettempdir()))
    assert path.name == "console.log" and "aftersales-" in str(path)
    logging.getLogger("console.test").warning("written anyway")
    assert "written anyway" in _read(path)
    # A missing shop folder is not created by logging (init or the first start makes it).
    assert console_log.setup(tmp_path / "not-yet") == path
    assert not (tmp_path / "not-yet").exists()


def test_when_no_log_can_be_written_the_console_still_runs_and_prints_nothing(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setattr(tempfile, "tempdir", str(blocker))
    home = tmp_path / "shop"
    home.mkdir()
    (home / "logs").write_text("x", encoding="utf-8")
    assert console_log.setup(home) is None
    assert console_log.log_path() is None
    logging.getLogger("console.db").error("nowhere to go")
    assert capsys.readouterr().err == ""


def test_nothing_is_ever_printed_on_the_screen_even_before_setup():
    """Without a handler, logging's last resort prints WARNING and above on stderr, over
    the console's screen; the console's loggers always have one."""
    code = ("import logging, console.db\n"
            "logging.getLogger('console.app').error('boom on screen?')\n"
            "logging.getLogger('console.db').critical('boom on screen?')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert out.returncode == 0 and out.stderr == "" and out.stdout == ""


def test_a_database_error_is_logged_with_the_original_exception(db, tmp_path):
    home = tmp_path / "shop"
    home.mkdir()
    path = console_log.setup(home)
    with pytest.raises(StoreError) as err:
        with db.write() as s:
            s.execute(text("INSERT INTO no_such_table VALUES (1)"))
    assert err.value.logged and err.value.cause is not None
    logged = _read(path)
    assert "ERROR console.db" in logged and err.value.message in logged
    assert "Traceback (most recent call last)" in logged
    assert "sqlite3.OperationalError: no such table: no_such_table" in logged


def test_the_cause_of_a_store_error_is_written_once(tmp_path):
    home = tmp_path / "shop"
    home.mkdir()
    path = console_log.setup(home)
    logger = logging.getLogger("console.test")
    try:
        raise OSError(28, "No space left on device")
    except OSError as exc:
        cause = exc
    assert console_log.log_cause(logger, StoreError("磁盘写入失败", cause), "保存没有成功") is True
    # A refusal has no original; one logged where it happened is not written again.
    assert console_log.log_cause(logger, StoreError("笔记是空的,没有保存"), "保存没有成功") is False
    logged_already = StoreError("数据库出错", cause)
    logged_already.logged = True
    assert console_log.log_cause(logger, logged_already, "保存没有成功") is False
    logged = _read(path)
    assert "ERROR console.test" in logged and "保存没有成功: 磁盘写入失败" in logged
    assert "OSError: [Errno 28] No space left on device" in logged
    assert logged.count("Traceback") == 1 and "笔记是空的" not in logged


async def test_an_error_shown_to_the_agent_is_logged_beside_its_original(db, policy, clock, cases, tmp_path):
    """A write that fails in the app's worker: the agent reads the message, the log has the
    message and the database's own exception with its traceback."""
    from console.home import Home
    from tests.ui_helpers import make_app, settle

    home = tmp_path / "shop"
    home.mkdir()
    app = make_app(db, policy, clock, home=Home(home, "--home"))

    def broken_write() -> None:
        with db.write() as s:
            s.execute(text("UPDATE no_such_table SET x = 1"))

    async with app.run_test() as pilot:
        await settle(pilot)
        app.write(broken_write)
        await settle(pilot)
        shown = app.messages[-1]
        assert shown.severity == "error" and "数据库出错" in shown.text
    logged = _read(home / "logs" / "console.log")
    assert "告诉客服: " + shown.text in logged
    assert "sqlite3.OperationalError: no such table: no_such_table" in logged
    assert logged.count(" ERROR console.db ") == 1 and " ERROR console.app " not in logged  # once


def test_cli_commands_log_start_migrations_and_refusals(tmp_path, capsys):
    home = tmp_path / "shop"
    home.mkdir()
    assert main(["--home", str(home), "--agent", "小王", "demo", "--cases", "5"]) == 0
    bad = tmp_path / "notes.txt"
    bad.write_text("不是数据库", encoding="utf-8")
    assert main(["--home", str(home), "--db", str(bad), "demo"]) == 2
    capsys.readouterr()
    logged = _read(home / "logs" / "console.log")
    assert "aftersales demo: 数据库 " + str(home / "console.db") in logged
    assert f"升级 (新建) -> {SCHEMA_HEAD}" in logged and f"已升级到 {SCHEMA_HEAD}" in logged
    assert "不是 SQLite 数据库文件" in logged


def test_where_names_the_log(tmp_path, capsys):
    home = tmp_path / "shop"
    home.mkdir()
    assert main(["--home", str(home), "where"]) == 0
    assert f"日志: {home / 'logs' / 'console.log'}" in capsys.readouterr().out


def test_a_password_in_a_database_url_never_reaches_the_log_or_the_screen(tmp_path, capsys):
    home = tmp_path / "shop"
    home.mkdir()
    url = "postgresql+psycopg://shop:s3cret@127.0.0.1:1/aftersales"
    assert main(["--home", str(home), "--db", url, "db", "backup", str(tmp_path / "x.dump")]) == 2
    captured = capsys.readouterr()
    logged = _read(home / "logs" / "console.log")
    assert "shop:***@127.0.0.1:1/aftersales" in logged
    assert "s3cret" not in logged + captured.out + captured.err


def test_a_refused_open_is_logged_with_its_reason(tmp_path):
    """A refused open is logged with the reason shown to the agent."""
    home = tmp_path / "shop"
    home.mkdir()
    path = console_log.setup(home)
    with pytest.raises(StoreError):
        open_database(resolve_url(str(tmp_path / "missing-dir" / "x.db")))
    assert "没有打开: 数据库所在的目录不存在" in _read(path)
