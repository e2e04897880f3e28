"""The agent's name: asked on first start, remembered per computer, never the OS account."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from console.cli import main
from console.identity import (
    IdentityError,
    check_name,
    identity_file,
    remember_name,
    remembered_name,
)
from console.screens.agent_name import AgentNameScreen
from console.screens.queue import QueueScreen
from tests.ui_helpers import make_app, settle, type_text

SIZE = (110, 30)


def test_names_are_checked():
    assert check_name("  小王 ") == "小王"
    assert check_name("王" * 64) == "王" * 64
    for bad, reason in [("", "不能为空"), ("   ", "不能为空"), ("小\n王", "控制字符"),
                        ("小\x1b]52;c;eA==\x07王", "控制字符"), ("王" * 65, "太长")]:
        with pytest.raises(IdentityError, match=reason):
            check_name(bad)


def test_remembered_in_the_per_user_config_folder_as_utf8(tmp_path):
    assert identity_file() == tmp_path / "xdg-config" / "aftersales" / "agent.toml"
    assert remembered_name() is None
    path = remember_name('阿珍 "Jen" \\ 2号')
    assert path == identity_file()
    assert '阿珍' in path.read_bytes().decode("utf-8")
    assert remembered_name() == '阿珍 "Jen" \\ 2号'
    # Edited by hand in Notepad: a BOM is fine.
    path.write_bytes('\ufeffname = "小美"\n'.encode())
    assert remembered_name() == "小美"


def test_a_broken_file_is_named_and_left_alone(tmp_path):
    path = identity_file()
    path.parent.mkdir(parents=True)
    for text in ('name = "小美\n', 'nom = "小美"\n', 'name = ""\n'):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(IdentityError) as err:
            remembered_name()
        assert str(path) in err.value.message and "aftersales whoami" in err.value.message
        assert path.read_text(encoding="utf-8") == text


def test_whoami_shows_and_changes_the_name(capsys):
    assert main(["whoami"]) == 0
    assert "还没有记住" in capsys.readouterr().out
    assert main(["whoami", "小美"]) == 0
    assert remembered_name() == "小美"
    assert main(["whoami"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("小美  (记在 ")
    assert main(["whoami", "\t"]) == 2
    assert "不能为空" in capsys.readouterr().err
    assert remembered_name() == "小美"


async def test_first_start_asks_the_name_and_remembers_it(db, policy, clock, tmp_path):
    remembered = tmp_path / "[red]cfg" / "agent.toml"  # drawn as text, never as markup
    app = make_app(db, policy, clock, agent=None, identity_file=remembered)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AgentNameScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "[red]cfg" in shown and "aftersales whoami" in shown
        await pilot.press("enter")
        await settle(pilot)
        error = app.screen.query_one("#agent-name-error", Static)
        assert "不能为空" in str(error.render())
        app.screen.query_one(Input).value = "小\x1b[31m王"
        await pilot.press("enter")
        assert "控制字符" in str(error.render())
        app.screen.query_one(Input).value = ""
        await type_text(pilot, "[b]小王")  # markup-looking names are kept as typed
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.agent == "[b]小王" and app.reader.agent == "[b]小王"
    assert remembered_name(remembered) == "[b]小王"
    assert app.cases.role_of("[b]小王") == "agent"  # known to the database too

    again = make_app(db, policy, clock, agent=remembered_name(remembered), identity_file=remembered)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(again.screen, QueueScreen)  # not asked twice


async def test_a_name_that_cannot_be_saved_is_used_this_time_and_said(db, policy, clock, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    app = make_app(db, policy, clock, agent=None, identity_file=blocker / "agent.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "小王")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and app.agent == "小王"
        messages = [m.text for m in app.messages]
        assert any("无法保存客服名字" in m and "下次启动还会再问" in m for m in messages)

