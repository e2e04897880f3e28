"""The `aftersales` command: demo data, and clear messages instead of tracebacks."""

import subprocess
import sys

import pytest

from console.cli import main
from console.db import open_database, resolve_url
from console.identity import agent_name
from console.queue import QueueFilter, QueueReader
from tests.conftest import T0


def test_demo_loads_cases(tmp_path, capsys):
    path = tmp_path / "demo.db"
    assert main(["--db", str(path), "--agent", "小王", "demo", "--cases", "120"]) == 0
    assert "120" in capsys.readouterr().out
    reader = QueueReader(open_database(resolve_url(str(path))), "小王")
    assert 80 < reader.count(QueueFilter(), T0) <= 120  # about 90 % open
    rows = reader.page(QueueFilter(), T0, 0, 200)
    assert all(r.order_no and r.order_no.isdigit() and 18 <= len(r.order_no) <= 19 for r in rows)
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in r.buyer_id) for r in rows)


def test_demo_rejects_bad_numbers(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "d.db"), "demo", "--cases", "0"]) == 2
    assert "--cases" in capsys.readouterr().err


def test_missing_directory_is_a_message_and_exit_code(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "console", "--db", str(tmp_path / "no" / "such" / "x.db"), "demo"],
        capture_output=True, text=True,
    )
    assert out.returncode == 2
    assert "目录不存在" in out.stderr
    assert "Traceback" not in out.stderr


def test_broken_policy_is_a_message(tmp_path):
    bad = tmp_path / "sla.toml"
    bad.write_text('[clocks.x]\nclock = "shop"\nduration = "soon"\n', encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "console", "--sla", str(bad), "--db", str(tmp_path / "x.db"), "demo"],
        capture_output=True, text=True,
    )
    assert out.returncode == 2
    assert "clocks.x" in out.stderr and "Traceback" not in out.stderr


def test_agent_name(monkeypatch, tmp_path):
    from console.identity import IdentityError, remember_name

    monkeypatch.setenv("AFTERSALES_AGENT", "阿珍")
    assert agent_name(None) == "阿珍"
    assert agent_name(" 小王 ") == "小王"
    monkeypatch.delenv("AFTERSALES_AGENT")
    # Nothing given, nothing remembered: None, so the console asks; never the OS user.
    assert agent_name(None) is None
    remember_name("小美")
    assert agent_name(None) == "小美"
    assert agent_name("老陈") == "老陈"  # --agent wins for this run
    with pytest.raises(IdentityError, match="控制字符"):
        agent_name("小\x1b[31m王")


def test_sop_and_phrases_commands_are_wired(capsys):
    assert main(["sop", "check"]) == 0
    assert "7 个流程" in capsys.readouterr().out
    assert main(["phrases", "check"]) == 0
    assert main(["phrases", "search", "bq"]) == 0
    assert "apology." in capsys.readouterr().out


def test_agent_role(tmp_path, capsys):
    path = str(tmp_path / "r.db")
    assert main(["--db", path, "agent", "老陈", "--role", "supervisor"]) == 0
    from console.cases import Cases
    from console.clock import SystemClock
    from console.sla import load_policy

    assert Cases(open_database(resolve_url(path)), load_policy(), SystemClock()).role_of("老陈") == "supervisor"
    assert main(["--db", path, "agent", "阿强", "--role", "specialist"]) == 0
    assert Cases(open_database(resolve_url(path)), load_policy(), SystemClock()).role_of("阿强") == "specialist"


def test_output_in_a_legacy_code_page_is_never_a_traceback(tmp_path):
    """Windows writes redirected output in the ANSI code page (GBK on Chinese systems)."""
    import os

    env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    out = subprocess.run([sys.executable, "-m", "console", "whoami", "小王✓"], capture_output=True, env=env)
    assert out.returncode == 0 and b"Traceback" not in out.stderr
    assert out.stdout.decode("gbk").startswith("已记住: 小王?")
